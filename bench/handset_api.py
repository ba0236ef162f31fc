"""The handset API through a real daphne: reports with one photo, actions (立案), and positions.

Baseline in the same run, from the same daphne and the same client: a bare JSON view (/healthz).
The ratio says what a report costs over the server's own floor (HTTP, ASGI, Django middleware).
Queries per call are counted in this process (Django's test client, warm caches) on the same database,
and so is the CPU time per call (`time.process_time`, this process only: less disturbed by other
work on a shared machine than the latencies through daphne). `--in-process-only` skips daphne.

    python bench/handset_api.py [--database sqlite|postgres] [--requests 300] [--concurrency 4]
"""

import argparse
import http.client
import io
import json
import os
import threading
import time
import uuid

from _django import minimal_city, percentile, setup, teardown


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--batch", type=int, default=20, help="positions per POST /api/v1/positions")
    parser.add_argument("--in-process-only", action="store_true", help="queries and CPU per call, no daphne")
    parser.add_argument("--name", default="citymgmt_bench_handset", help="the throwaway database's name")
    args = parser.parse_args()
    name = args.name
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
    setup(args.database, name)
    try:
        run(args)
    finally:
        teardown(args.database, name)


ISO = "%Y-%m-%dT%H:%M:%S+00:00"


def jpeg_bytes() -> bytes:
    """A photo that compresses like a real one (noise, not a flat colour): a few hundred KiB."""
    from PIL import Image

    buf = io.BytesIO()
    Image.frombytes("RGB", (800, 600), os.urandom(800 * 600 * 3)).save(buf, "JPEG", quality=70)
    return buf.getvalue()


def multipart(fields: dict, photo: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for key, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="p.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n".encode()
        + photo
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def load(port: int, make_request, total: int, concurrency: int) -> tuple[float, list[float], dict]:
    """`total` requests over `concurrency` keep-alive connections: (seconds, latencies, {status: count})."""
    latencies, errors, lock = [], {}, threading.Lock()
    counter = iter(range(total))

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            method, path, body, headers, expected = make_request(i)
            t = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            elapsed = time.perf_counter() - t
            with lock:
                latencies.append(elapsed)
                if response.status != expected:
                    errors[response.status] = errors.get(response.status, 0) + 1
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, latencies, errors


def report(label, seconds, latencies, errors, unit="req"):
    n = len(latencies)
    print(
        f"{label:<34} {n / seconds:8.1f} {unit}/s   p50 {percentile(latencies, 50) * 1000:7.1f} ms"
        f"   p99 {percentile(latencies, 99) * 1000:7.1f} ms   errors {errors or 0}"
    )
    return n / seconds


def queries_per_call(auth: dict, supervisor_auth: dict, photo: bytes) -> dict:
    """SQL queries of one report (JSON, and with the photo) and one action, through the same views."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    def headers(a, key=None):
        h = {"HTTP_AUTHORIZATION": a["Authorization"], "HTTP_HOST": "127.0.0.1"}
        return {**h, "HTTP_IDEMPOTENCY_KEY": key} if key else h

    client = Client()
    fields = {"category": "E0102", "description": "count", "lng": 104.1655, "lat": 36.5405}
    counted = {}

    def count(label, post, expected):
        with CaptureQueriesContext(connection) as ctx:
            response = post()
        assert response.status_code == expected, response.content
        counted[label] = len(ctx.captured_queries)
        return response

    client.post("/api/v1/cases", fields, content_type="application/json", **headers(auth, "warm-up"))
    count("report (JSON)", lambda: client.post(
        "/api/v1/cases", fields, content_type="application/json", **headers(auth, "count-json")), 201)  # fmt: skip
    body, content_type = multipart({**fields, "description": "count photo"}, photo)
    r = count("report + 1 photo", lambda: client.post(
        "/api/v1/cases", body, content_type=content_type, **headers(auth, "count-photo")), 201)  # fmt: skip
    number = r.json()["number"]
    count("register (action)", lambda: client.post(
        f"/api/v1/cases/{number}/actions/register", {}, content_type="application/json", **headers(supervisor_auth)
    ), 200)  # fmt: skip

    cpu, numbers = {}, []
    started = time.process_time()
    for i in range(30):
        client.post("/api/v1/cases", fields, content_type="application/json", **headers(auth, f"cpu-json-{i}"))
    cpu["report (JSON)"] = (time.process_time() - started) / 30
    started = time.process_time()
    for i in range(30):
        body, content_type = multipart({**fields, "description": f"cpu photo {i}"}, photo)
        r = client.post("/api/v1/cases", body, content_type=content_type, **headers(auth, f"cpu-photo-{i}"))
        numbers.append(r.json()["number"])
    cpu["report + 1 photo"] = (time.process_time() - started) / 30
    started = time.process_time()
    for n in numbers:
        client.post(
            f"/api/v1/cases/{n}/actions/register", {}, content_type="application/json", **headers(supervisor_auth)
        )
    cpu["register (action)"] = (time.process_time() - started) / 30
    return counted, cpu


def run(args):
    from django.db import connection

    from dispatch.models import Case
    from field.models import PositionSample
    from mobile_api.models import ApiToken
    from tests.live import Daphne

    _category, _dept, users = minimal_city()
    token = ApiToken.issue(users["inspector1"])[1]
    auth = {"Authorization": f"Token {token}"}
    supervisor_auth = {"Authorization": f"Token {ApiToken.issue(users['supervisor'])[1]}"}
    photo = jpeg_bytes()
    queries, cpu = queries_per_call(auth, supervisor_auth, photo)
    print("queries per call (warm caches): " + ", ".join(f"{k} {v}" for k, v in queries.items()))
    print("CPU per call in process (mean of 30): " + ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in cpu.items()))
    if args.in_process_only:
        return
    server = Daphne(connection.settings_dict).start()
    try:
        print(f"database {args.database}, {args.requests} requests, {args.concurrency} connections")
        print(f"photo: {len(photo) // 1024} KiB JPEG")

        def bare(i):
            return "GET", "/healthz", None, {}, 200

        def report_case(i):
            fields = {
                "category": "E0102", "description": f"bench {i}",
                "lng": 104.1655 + (i % 97) * 0.0001, "lat": 36.5405 + (i % 80) * 0.0001,
            }  # fmt: skip
            body, content_type = multipart(fields, photo)
            headers = {**auth, "Content-Type": content_type, "Idempotency-Key": f"bench-{i}"}
            return "POST", "/api/v1/cases", body, headers, 201

        first_point = time.time() - 60 - args.requests * args.batch  # all in the past, one second apart

        def positions(i):
            points = [
                {"lng": 104.1655 + j * 1e-5, "lat": 36.5405, "accuracy": 5,
                 "recorded_at": time.strftime(ISO, time.gmtime(first_point + i * args.batch + j))}
                for j in range(args.batch)
            ]  # fmt: skip
            return (
                "POST",
                "/api/v1/positions",
                json.dumps({"positions": points}),
                {**auth, "Content-Type": "application/json"},
                202,
            )

        load(server.port, bare, 50, args.concurrency)  # warm-up
        base = report("bare JSON view (/healthz)", *load(server.port, bare, args.requests, args.concurrency))
        reports = report(
            "POST /api/v1/cases + 1 photo", *load(server.port, report_case, args.requests, args.concurrency)
        )
        numbers = list(Case.objects.filter(state="reported", description__startswith="bench ").values_list(
            "number", flat=True
        ))  # fmt: skip

        def register(i):
            headers = {**supervisor_auth, "Content-Type": "application/json"}
            return "POST", f"/api/v1/cases/{numbers[i]}/actions/register", "{}", headers, 200

        actions = report(
            "POST …/actions/register", *load(server.port, register, min(args.requests, len(numbers)), args.concurrency)
        )
        seconds, latencies, errors = load(server.port, positions, args.requests, args.concurrency)
        per_request = report(f"POST /api/v1/positions ×{args.batch}", seconds, latencies, errors)
        print(f"{'':<34} {per_request * args.batch:8.1f} positions/s")
        print(f"positions / bare JSON ratio: {per_request / base:.3f} (requests of {args.batch} points)")
        print(f"report / bare JSON ratio: {reports / base:.3f} (a report costs {base / reports:.1f}× a bare request)")
        print(f"action / bare JSON ratio: {actions / base:.3f} (an action costs {base / actions:.1f}× a bare request)")
        print(f"cases in the database: {Case.objects.count()}, trail points kept: {PositionSample.objects.count()}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
