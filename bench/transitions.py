"""Transitions per second through dispatch.services, on SQLite and PostgreSQL.

Each case goes report → register → dispatch → handle (+ automatic send_check) → check: five
service calls, six events. Baseline in the same run: the same number of bare single-row
UPDATE transactions, i.e. what the database alone costs per write transaction. Queries per call
are counted (CaptureQueriesContext) on the second case, with the caches warm; CPU per call
(`time.process_time`) is printed too, less disturbed than latencies by other work on a shared machine.

    python bench/transitions.py [--database sqlite|postgres] [--cases 300]
"""

import argparse
import io
import statistics
import time

from _django import minimal_city, percentile, setup, teardown


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--cases", type=int, default=300)
    args = parser.parse_args()
    name = "citymgmt_bench_transitions"
    setup(args.database, name)
    try:
        run(args)
    finally:
        teardown(args.database, name)


def run(args):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection, transaction
    from django.db.models import F
    from django.test.utils import CaptureQueriesContext
    from PIL import Image

    from dispatch import services
    from dispatch.models import Case, CaseEvent

    category, _dept, users = minimal_city()
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 30, 30)).save(buf, "JPEG")
    photo = buf.getvalue()
    latencies, by_call, queries, cpu = [], {}, {}, {}
    started = time.perf_counter()
    for i in range(args.cases):
        lng, lat = 104.1655 + (i % 97) * 0.0001, 36.5405 + (i % 80) * 0.0001  # inside the 10×10 grid

        def timed(name, fn, i=i):
            t, c = time.perf_counter(), time.process_time()
            if i == 1:
                with CaptureQueriesContext(connection) as ctx:
                    result = fn()
                queries[name] = len(ctx.captured_queries)
            else:
                result = fn()
            elapsed = time.perf_counter() - t
            cpu.setdefault(name, []).append(time.process_time() - c)
            latencies.append(elapsed)
            by_call.setdefault(name, []).append(elapsed)
            return result

        case, _ = timed("report", lambda lng=lng, lat=lat: services.report_case(
            actor=users["inspector1"], source="inspector", category=category, lng=lng, lat=lat, description="bench",
        ))  # fmt: skip
        n = case.number
        timed("register", lambda n=n: services.act(n, "register", users["supervisor"]))
        timed("dispatch", lambda n=n: services.act(
            n, "dispatch", users["dispatcher"], params={"department": "huanwei"}
        ))  # fmt: skip
        timed("handle (+ send_check)", lambda n=n: services.act(
            n, "handle", users["staff"], params={"note": "ok"},
            photo_files=[SimpleUploadedFile("p.jpg", photo, content_type="image/jpeg")],
        ))  # fmt: skip
        timed("check", lambda n=n: services.act(n, "check", users["inspector1"], params={"result": "passed"}))
    elapsed = time.perf_counter() - started
    calls = len(latencies)
    events = CaseEvent.objects.count()

    ids = list(Case.objects.values_list("id", flat=True))
    base_started = time.perf_counter()
    for i in range(calls):
        with transaction.atomic():
            Case.objects.filter(pk=ids[i % len(ids)]).update(version=F("version") + 1)
    base_elapsed = time.perf_counter() - base_started

    print(f"database: {args.database}   cases: {args.cases}   service calls: {calls}   events written: {events}")
    print(f"service calls/s:       {calls / elapsed:8.1f}   (events/s {events / elapsed:.1f})")
    print(f"  latency p50 / p99:   {percentile(latencies, 50) * 1000:6.1f} / {percentile(latencies, 99) * 1000:6.1f} ms"
          f"   mean {statistics.mean(latencies) * 1000:.1f} ms"
          f"   CPU {statistics.mean([c for values in cpu.values() for c in values]) * 1000:.1f} ms a call")  # fmt: skip
    for name, values in by_call.items():
        print(f"  {name:<22} p50 {percentile(values, 50) * 1000:6.1f} ms   p99 {percentile(values, 99) * 1000:6.1f} ms"
              f"   CPU {statistics.mean(cpu[name]) * 1000:6.1f} ms   queries {queries.get(name, '?')}")  # fmt: skip
    print(f"baseline bare UPDATE transactions/s: {calls / base_elapsed:8.1f}")
    print(f"ratio service / bare: {(calls / elapsed) / (calls / base_elapsed):.3f}")


if __name__ == "__main__":
    main()
