"""Inbound SMS webhooks per second through a real daphne, signatures checked with twilio's
RequestValidator; each one files a case. Baseline in the same run: a bare JSON view (/healthz).

    python bench/hotline_sms.py [--database sqlite|postgres] [--requests 300] [--concurrency 4]
"""

import argparse
import os
from urllib.parse import urlencode

from _django import minimal_city, setup, teardown
from handset_api import load, report

TOKEN = "bench-twilio-auth-token-0123456789"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
    os.environ["TWILIO_AUTH_TOKEN"] = TOKEN
    os.environ["SMS_BACKEND"] = "locmem"
    name = "citymgmt_bench_hotline"
    setup(args.database, name)
    try:
        run(args)
    finally:
        teardown(args.database, name)


def run(args):
    from django.db import connection
    from twilio.request_validator import RequestValidator

    from dispatch.models import Case
    from tests.live import Daphne

    minimal_city()
    server = Daphne(connection.settings_dict).start()
    validator = RequestValidator(TOKEN)
    try:
        url = f"{server.url}/hotline/twilio/sms"

        def bare(i):
            return "GET", "/healthz", None, {}, 200

        def inbound(i):
            params = {
                "MessageSid": f"SMbench{i:08d}",
                "From": f"+86138{i:08d}",
                "Body": f"人民路垃圾 {i}",
                "NumMedia": "0",
            }
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": validator.compute_signature(url, params),
            }
            return "POST", "/hotline/twilio/sms", urlencode(params), headers, 200

        def forged(i):
            params = {"MessageSid": f"SMforged{i:08d}", "From": "+8613800000000", "Body": "x"}
            headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "forged"}
            return "POST", "/hotline/twilio/sms", urlencode(params), headers, 403

        print(f"database {args.database}, {args.requests} requests, {args.concurrency} connections")
        load(server.port, bare, 50, args.concurrency)
        base = report("bare JSON view (/healthz)", *load(server.port, bare, args.requests, args.concurrency))
        sms = report("inbound SMS → case (signed)", *load(server.port, inbound, args.requests, args.concurrency))
        report("forged signature → 403", *load(server.port, forged, args.requests, args.concurrency))
        print(f"inbound SMS / bare JSON ratio: {sms / base:.3f}; cases filed: {Case.objects.count()}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
