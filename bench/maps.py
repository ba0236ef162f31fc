"""The command map with 100,000 cases and a 20,000-cell grid on PostgreSQL.

Prints: server time to build /maps/; each feed's time and bytes (gzipped on the wire, and the
JSON); then, in headless Chromium with the server on the same machine, the time from navigation
until every case is represented on the map (clustered or drawn; all stages switched on) and the
grid drawn, with the bytes received — for today's map and, in the same run, for the old way
(bench/maps_old_way.html: the grid as 20,000 Leaflet polygons, every case a Leaflet marker in
leaflet.markercluster, loaded in pages of 10,000). Also the naive folium way (one CircleMarker per
case) for scale.

    python bench/maps.py [--cases 100000] [--cells 20000] [--db citymgmt_bench_maps] [--reuse] [--runs 3]
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
from pathlib import Path

from _django import percentile, setup, teardown


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--cells", type=int, default=20_000)
    parser.add_argument("--db", default="citymgmt_bench_maps", help="PostgreSQL database to (re)create")
    parser.add_argument("--reuse", action="store_true", help="keep the database if it is already seeded")
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--runs", type=int, default=3, help="browser navigations per way")
    parser.add_argument("--trace", action="store_true", help="print each request's timing in the browser")
    args = parser.parse_args()
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
    os.environ.pop("REDIS_URL", None)
    os.environ["PLAIN_STATIC_FILES"] = "1"  # the server serves the apps' static files as they are
    setup("postgres", args.db, fresh=not args.reuse)
    try:
        run(args)
    finally:
        if not args.keep:
            teardown("postgres", args.db)


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
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    from dispatch.models import Case
    from tests.live import CHROMIUM

    t = time.perf_counter()
    if args.reuse and Case.objects.count() == args.cases:
        leader = get_user_model().objects.get(username="leader")
        print(f"reusing {args.cases:,} cases in {args.db}")
    else:
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
        ("cases.columns.json (cold)", "/maps/api/cases.columns.json?all=1"),
        ("cases.columns.json (cached)", "/maps/api/cases.columns.json?all=1"),
        ("grid.json (cold)", "/maps/api/grid.json"),
        ("grid.json (cached)", "/maps/api/grid.json"),
        ("areas.geojson (cold)", "/maps/api/areas.geojson"),
        ("old: cases.json, 10 pages (cold)", "/maps/api/cases.json?all=1"),
        ("old: grid.geojson (cold)", "/maps/api/grid.geojson"),
        ("cells.json", "/maps/api/cells.json"),
    ]:
        if "(cold)" in label:
            cache.clear()
        times, (wire, raw) = timed(lambda url=url: all_pages(url), 1)
        print(f"{label:<34} {times[0] * 1000:10.1f} ms   {wire:>10,} bytes gzipped ({raw:,} of JSON)")

    # Baseline: one folium object per case, as the naive map would do.
    import folium

    sample = 2_000
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

    # The browser: from navigation until every case is represented and the grid drawn.
    if not os.path.exists(CHROMIUM):
        print("no Chromium: skipping the browser figures")
        return
    browser_figures(args, leader, connection)


OLD_WAY = Path(__file__).with_name("maps_old_way.html")
# Every stage switched on (the command map hides finished cases at first): every case is drawn.
ALL_STAGES = """localStorage.setItem(%s, JSON.stringify({overlays: {"cases-intake": true, "cases-registered": true,
  "cases-handling": true, "cases-checking": true, "cases-final": true}}));"""


def browser_figures(args, leader, connection):
    from playwright.sync_api import sync_playwright

    from tests.live import CHROMIUM, CHROMIUM_ARGS, Daphne, session_cookie_for

    server = Daphne(connection.settings_dict).start()
    cookie = session_cookie_for(leader, server.url)  # before Playwright's event loop starts
    figures = {"old": [], "new": []}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            for _run in range(args.runs):
                for way in ("old", "new"):
                    figures[way].append(navigate(browser, server.url, cookie, way, trace=args.trace))
            browser.close()
    finally:
        server.stop()
    for way, label in (("old", "old way (markercluster, paged)"), ("new", "today (columns + supercluster)")):
        runs = figures[way]
        times = [r["seconds"] for r in runs]
        print(
            f"browser, {label:<31} ready p50 {percentile(times, 50):6.2f} s  runs {[round(t, 2) for t in times]}"
            f"  cases represented {runs[-1]['cases']:,}  {runs[-1]['bytes']:,} bytes received"
        )
    live = [round(r["live_ms"]) for r in figures["new"]]
    print(f"browser, today: a live event recolouring one of {args.cases:,} cases, redrawn after {live} ms")


# A board event turning one case red, handed to the page's live board as the socket would: the time
# until the clusters are rebuilt and redrawn with it (the server's side is bench/board_fanout.py's).
RECOLOUR = """async () => {
  const m = window.cityMap, s = m.store, i = s.n - 1, before = m.cases.index;
  const c = {number: s.number[i], lng: s.lng[i], lat: s.lat[i], state: "dispatched", light: "red",
             category: s.category[i]};
  const t0 = performance.now();
  await m.board.handle({type: "event", id: m.board.lastId + 1, kind: "case.warn", case: c});
  await new Promise((done) => {
    const look = () => (m.cases.index !== before ? done() : setTimeout(look, 5));
    look();
  });
  return performance.now() - t0;
}"""


def navigate(browser, url, cookie, way, *, trace=False):
    ctx = browser.new_context(viewport={"width": 1600, "height": 1000})
    ctx.add_cookies([cookie])
    if way == "old":
        html = OLD_WAY.read_text()
        ctx.route(f"{url}/bench/old-way/", lambda route: route.fulfill(body=html, content_type="text/html"))
    else:
        ctx.add_init_script(ALL_STAGES % json.dumps("citymgmt.map.leader.command"))
    page = ctx.new_page()
    received = []
    page.on("response", lambda r: received.append(r))
    t = time.perf_counter()
    page.goto(f"{url}/bench/old-way/" if way == "old" else f"{url}/maps/?all=1")
    page.wait_for_selector(".folium-map[data-loaded='1']", timeout=600_000)
    page.wait_for_selector(".folium-map[data-cells]", timeout=600_000)
    seconds = time.perf_counter() - t
    live_ms = None
    if way == "new":
        # What the canvas drew: the clusters' counts and the single points, added up.
        cases = page.evaluate("window.cityMap.cases.shown")
        live_ms = page.evaluate(RECOLOUR)
    else:
        cases = int(page.get_attribute(".folium-map", "data-cases"))
    wire = sum(r.request.sizes()["responseBodySize"] for r in list(received))
    if trace:
        ready = page.evaluate("performance.now()")
        entries = page.evaluate(
            "performance.getEntriesByType('resource').map(e => [e.name, e.startTime, e.responseStart, e.responseEnd])"
        )
        steps = page.evaluate("window.cityMap ? window.cityMap.timings : {}")
        print(f"  {way}: ready at {ready:.0f} ms after the navigation started; steps {steps}")
        print("  requests (start, first byte, end):")
        for name, start, first, end in entries:
            print(f"    {start:7.0f} {first:7.0f} {end:7.0f}  {name.replace(url, '')[:90]}")
    ctx.close()
    return {"seconds": seconds, "cases": cases, "bytes": wire, "live_ms": live_ms}


if __name__ == "__main__":
    main()
