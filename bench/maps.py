"""The command map with 100,000 cases and a 20,000-cell grid on PostgreSQL.

Prints: server time to build /maps/, bytes sent (page and feeds), time until the map is ready in
headless Chromium (every case point loaded, grid drawn), and the feeds' response times for the
whole city. Baseline in the same run: the naive folium way, one `folium.CircleMarker` per case,
built for 10,000 cases.

    python bench/maps.py [--cases 100000] [--cells 20000]
"""

import argparse
import gzip
import io
import json
import os
import random
import statistics
import time
from datetime import timedelta

from _django import percentile, setup, teardown


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--cells", type=int, default=20_000)
    args = parser.parse_args()
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
    os.environ.pop("REDIS_URL", None)
    name = "citymgmt_bench_maps"
    setup("postgres", name)
    try:
        run(args)
    finally:
        teardown("postgres", name)


def seed(n_cases: int, n_cells: int):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from city.demo.grid import synthetic_grid_features
    from city.importers.grid import import_grid
    from city.models import Category, GridCell, Role
    from dispatch.models import Case

    import_grid(io.StringIO(json.dumps(synthetic_grid_features(n_cells))))
    category = Category.objects.create(
        kind="event", major_code="01", minor_code="02", major_name="市容环境", name="暴露垃圾"
    )
    cells = list(GridCell.objects.values_list("id", "min_lng", "min_lat", "max_lng", "max_lat"))
    now = timezone.now()
    states = ["closed"] * 6 + ["dispatched", "registered", "reported", "checking"]
    rng = random.Random(7)
    batch = []
    for i in range(n_cases):
        cell_id, x0, y0, x1, y1 = cells[i % len(cells)]
        state = rng.choice(states)
        batch.append(
            Case(
                number=f"E0102{i:012d}",
                category=category,
                cell_id=cell_id,
                source="inspector",
                lng=rng.uniform(x0, x1),
                lat=rng.uniform(y0, y1),
                state=state,
                light="" if state == "closed" else rng.choice(["green", "green", "yellow", "red"]),
                reported_at=now - timedelta(minutes=rng.randint(0, 60 * 24 * 25)),
            )
        )
        if len(batch) == 10_000:
            Case.objects.bulk_create(batch)
            batch = []
    Case.objects.bulk_create(batch)
    leader = get_user_model().objects.create(username="leader")
    leader.groups.add(Group.objects.get_or_create(name=Role.LEADER)[0])
    return leader


def timed(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return times, result


def run(args):
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    from tests.live import CHROMIUM, CHROMIUM_ARGS, Daphne, session_cookie_for

    t = time.perf_counter()
    leader = seed(args.cases, args.cells)
    print(f"seeded {args.cases:,} cases on {args.cells:,} cells in {time.perf_counter() - t:.1f} s")
    settings.ALLOWED_HOSTS = ["*"]
    client = Client()
    client.force_login(leader)

    page_times, page = timed(lambda: client.get("/maps/"), 5)
    p50 = statistics.median(page_times) * 1000
    print(f"/maps/ page build            p50 {p50:8.1f} ms   {len(page.content):>10,} bytes")

    def all_pages(url):
        """Bytes on the wire with gzip (what a browser gets) and the JSON's own size."""
        wire, raw, url_ = 0, 0, url
        while url_:
            r = client.get(url_, HTTP_ACCEPT_ENCODING="gzip")
            wire += len(r.content)
            content = gzip.decompress(r.content) if r.get("Content-Encoding") == "gzip" else r.content
            raw += len(content)
            url_ = json.loads(content).get("next")
        return wire, raw

    for label, url in [
        ("cases.json, whole city (cold)", "/maps/api/cases.json?all=1"),
        ("cases.json, whole city (cached)", "/maps/api/cases.json?all=1"),
        ("cases.geojson, city bbox", "/maps/api/cases.geojson?all=1&bbox=-180,-90,180,90"),
        ("grid.geojson (cold)", "/maps/api/grid.geojson"),
        ("grid.geojson (cached)", "/maps/api/grid.geojson"),
        ("cells.json", "/maps/api/cells.json"),
    ]:
        if "(cold)" in label:
            cache.clear()
        times, (wire, raw) = timed(lambda url=url: all_pages(url), 1)
        print(f"{label:<32} {times[0] * 1000:10.1f} ms   {wire:>10,} bytes gzipped ({raw:,} of JSON)")

    # Baseline: one folium object per case, as the naive map would do.
    import folium

    sample = 10_000
    t = time.perf_counter()
    m = folium.Map(location=[36.5, 104.2], zoom_start=13, tiles=None)
    for i in range(sample):
        folium.CircleMarker([36.5 + i * 1e-6, 104.2], radius=4, popup=f"E{i}").add_to(m)
    html = m.get_root().render()
    naive = time.perf_counter() - t
    scale = args.cases / sample
    print(
        f"baseline: {sample:,} folium CircleMarkers  {naive * 1000:10.1f} ms   {len(html):>10,} bytes"
        f"   (≈ {naive * scale:.1f} s and {len(html) * scale / 1e6:.0f} MB for {args.cases:,})"
    )

    # The browser: until every point is loaded and the grid drawn.
    if not os.path.exists(CHROMIUM):
        print("no Chromium: skipping the browser figure")
        return
    from playwright.sync_api import sync_playwright

    server = Daphne(connection.settings_dict).start()
    cookie = session_cookie_for(leader, server.url)  # before Playwright's event loop starts
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            ready = []
            for _run in range(3):
                ctx = browser.new_context(viewport={"width": 1600, "height": 1000})
                ctx.add_cookies([cookie])
                page = ctx.new_page()
                received = []
                page.on("response", lambda r, received=received: received.append(r))
                t = time.perf_counter()
                page.goto(f"{server.url}/maps/?all=1")
                page.wait_for_selector(".folium-map[data-loaded='1']", timeout=300_000)
                page.wait_for_selector(".folium-map[data-cells]", timeout=300_000)
                ready.append(time.perf_counter() - t)
                shown = int(page.get_attribute(".folium-map", "data-cases"))
                ctx.close()
            browser.close()
        runs = [round(r, 2) for r in ready]
        print(f"browser: map ready (points {shown:,})  p50 {percentile(ready, 50):8.2f} s   runs {runs}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
