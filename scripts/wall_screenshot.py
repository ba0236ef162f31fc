"""The README's wall screenshot (docs/screenshots/map-wall.png), on the demo city.

Seeds the demo city and its 300 cases of history into a throwaway SQLite database (a few minutes),
adds yesterday's and this morning's work as it arrives in a running system — reports from handsets,
the hotline, SMS, voice messages and the web, then registration, dispatch, handling, checks and
closures, all through dispatch.services — serves it with daphne, lets twelve inspectors send their
positions through the handset API, and photographs /maps/wall/ at 1920×1080 in headless Chromium.

    .venv/bin/python scripts/wall_screenshot.py [--out docs/screenshots/map-wall.png] [--size 1920x1080]
"""

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(ROOT / "docs/screenshots/map-wall.png"))
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--reuse", help="an SQLite file this script seeded before: photograph it again")
    args = parser.parse_args()
    width, height = (int(x) for x in args.size.split("x"))
    database = args.reuse or f"{tempfile.mkdtemp(prefix='citymgmt-wall-shot-')}/db.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.pop("REDIS_URL", None)  # the embedded default, like scripts/demo
    os.environ["PLAIN_STATIC_FILES"] = "1"  # static files from the apps, no collectstatic (as the tests do)
    os.environ.setdefault("SECRET_KEY", "screenshot-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citymgmt.settings")
    import django

    django.setup()
    from django.core.management import call_command

    if not args.reuse:
        call_command("migrate", verbosity=0)
        call_command("seed_demo", cases=300, verbosity=0)
        a_day_of_work()
        print("database:", database)
    shoot(os.environ["DATABASE_URL"], args.out, width, height)
    print(args.out)


# Where reports come from on an ordinary day (a share each), as the wall's source mix groups them.
SOURCES = [("inspector", 45), ("call_taker", 25), ("sms", 10), ("voice", 5), ("open311", 15)]


def a_day_of_work(seed: int = 19):
    """Yesterday until this hour and today until now: about 60 reports a day, most taken further."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from city.models import Category, Department, GridCell, Role
    from dispatch import services
    from dispatch.demo import _photo
    from dispatch.management.commands.run_worker import scan_once
    from dispatch.models import Case, State

    rng = random.Random(seed)  # noqa: S311 (demo data, reproducible on purpose)
    users = get_user_model().objects
    inspectors = list(users.filter(groups__name=Role.INSPECTOR).order_by("username"))
    calltaker = users.filter(groups__name=Role.CALL_TAKER).first()
    supervisor = users.filter(groups__name=Role.SUPERVISOR).first()
    dispatcher = users.filter(groups__name=Role.DISPATCHER).first()
    staff = {u.profile.department_id: u for u in users.filter(groups__name=Role.DEPARTMENT_STAFF)}
    categories = list(Category.objects.filter(active=True))
    departments = list(Department.objects.filter(active=True))
    weights = [rng.random() ** 3 for _c in categories]  # a few categories make most of the reports
    cells = list(GridCell.objects.all().only("id", "min_lng", "min_lat", "max_lng", "max_lat"))
    now = timezone.now()
    midnight = timezone.make_aware(datetime.combine(timezone.localdate(now), datetime.min.time()))
    for start, end in [(midnight - timedelta(days=1), now - timedelta(days=1)), (midnight, now)]:
        hours = max((end - start).total_seconds() / 3600, 0.5)
        for i in range(max(8, round(60 * hours / 24))):
            t = start + (end - start) * (i + rng.random()) / max(8, round(60 * hours / 24))
            source = rng.choices([s for s, _w in SOURCES], [w for _s, w in SOURCES])[0]
            cell = rng.choice(cells)
            category = rng.choices(categories, weights)[0]
            reporter = rng.choice(inspectors) if source == "inspector" else calltaker
            case, _created = services.report_case(
                actor=reporter, source=source, category=category, source_label="web" if source == "open311" else "",
                description=f"{category.name}", lng=rng.uniform(cell.min_lng, cell.max_lng),
                lat=rng.uniform(cell.min_lat, cell.max_lat), now=t,
                photo_files=[_photo(i)] if source == "inspector" else (),
            )  # fmt: skip
            steps = rng.choices([0, 1, 2, 3, 4], [15, 10, 30, 20, 25])[0]

            def later(minutes, end=end):
                nonlocal t
                t = min(end, t + timedelta(minutes=minutes * rng.uniform(0.5, 1.5)))
                return t

            number = case.number
            if steps == 0:
                continue
            if case.needs_verification:
                inspector = services.cell_inspector(case) or rng.choice(inspectors)
                services.act(number, "send_verify", calltaker, params={"inspector": inspector.username}, now=later(5))
                services.act(number, "verify", inspector, params={"result": "exists"}, now=later(20))
            case = services.act(number, "register", supervisor, params={"note": "立案"}, now=later(8))
            if steps == 1 or case.state != State.REGISTERED:
                continue
            department = case.suggested_department or rng.choice(departments)
            case = services.act(number, "dispatch", dispatcher, params={"department": department.code}, now=later(10))
            if steps == 2:
                continue
            services.act(number, "handle", staff[case.department_id], params={"note": "已处置"},
                         photo_files=[_photo(i + 1)], now=later(90))  # fmt: skip
            case = Case.objects.get(number=number)
            if steps == 3 or case.state != State.CHECKING:
                continue
            services.act(number, "check", case.assigned_inspector, params={"result": "passed"}, now=later(30))
            if Case.objects.get(number=number).state == State.CHECKED:
                services.act(number, "close", supervisor, params={}, now=later(10))
    scan_once(now)


def shoot(database_url: str, out: str, width: int, height: int):
    import requests
    from django.contrib.auth import get_user_model
    from django.utils import timezone
    from playwright.sync_api import expect, sync_playwright

    from city.models import GridCell, Role
    from mobile_api.models import ApiToken
    from tests.live import CHROMIUM, CHROMIUM_ARGS, Daphne, session_cookie_for

    server = Daphne(database_url).start()
    try:
        rng = random.Random(12319)  # noqa: S311 (demo data)
        cells = list(GridCell.objects.order_by("?")[:12])
        inspectors = get_user_model().objects.filter(groups__name=Role.INSPECTOR).order_by("username")[:12]
        for user, cell in zip(inspectors, cells, strict=False):
            token = ApiToken.issue(user)[1]
            at = timezone.now() - timedelta(minutes=rng.uniform(1, 20))
            point = {"lng": cell.center_lng, "lat": cell.center_lat, "accuracy": 8, "recorded_at": at.isoformat()}
            requests.post(f"{server.url}/api/v1/positions", json={"positions": [point]},
                          headers={"Authorization": f"Token {token}"}, timeout=10)  # fmt: skip
        leader = get_user_model().objects.get(username="leader01")
        cookie = session_cookie_for(leader, server.url)  # before Playwright's event loop runs here
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            ctx = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
            ctx.add_cookies([cookie])
            page = ctx.new_page()
            page.goto(f"{server.url}/maps/wall/")
            expect(page.locator("#wall")).to_have_attribute("data-live", "online", timeout=30000)
            page.wait_for_selector(".folium-map[data-loaded='1']", timeout=30000)
            time.sleep(1.5)  # the charts' entry animation
            Path(out).parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=out)
            browser.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
