"""Demo history: cases spread over the last 90 days, through every state, made by the real workflow."""

import io
import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from city.models import Category, Department, GridCell, Role

from . import services
from .models import Case, Source, State

# Where each demo case stops, with weights: most old cases are closed, recent ones are still open.
ENDINGS = [
    ("closed", 50),
    ("closed_rework", 5),
    ("closed_self", 3),
    ("dispatched", 10),
    ("returned", 3),
    ("suspended", 2),
    ("checking", 5),
    ("registered", 5),
    ("reported", 6),
    ("verifying", 3),
    ("rejected", 4),
    ("cancelled", 2),
    ("duplicate", 2),
]


def _photo(seed: int) -> SimpleUploadedFile:
    img = Image.new("RGB", (64, 48), ((seed * 37) % 255, (seed * 91) % 255, (seed * 53) % 255))
    buf = io.BytesIO()
    img.save(buf, "JPEG")
    return SimpleUploadedFile(f"demo-{seed}.jpg", buf.getvalue(), content_type="image/jpeg")


HISTORY = timedelta(days=90)  # demo cases are reported over this span, up to now
HISTORY_SCAN_STEP = timedelta(hours=3)  # 720 passes: a few seconds


def seed_cases(n: int, *, seed: int = 12319) -> int:
    """Create demo cases demo-0 … demo-(n-1) that do not exist yet. Returns how many were made."""
    rng = random.Random(seed)  # noqa: S311 (demo data, reproducible on purpose)
    User = get_user_model()
    inspectors = list(User.objects.filter(groups__name=Role.INSPECTOR).order_by("username"))
    calltaker = User.objects.filter(groups__name=Role.CALL_TAKER).first()
    supervisor = User.objects.filter(groups__name=Role.SUPERVISOR).first()
    dispatcher = User.objects.filter(groups__name=Role.DISPATCHER).first()
    dept_staff = {u.profile.department_id: u for u in User.objects.filter(groups__name=Role.DEPARTMENT_STAFF)}
    categories = list(Category.objects.filter(active=True))
    cells = list(GridCell.objects.all().only("id", "min_lng", "min_lat", "max_lng", "max_lat"))
    departments = list(Department.objects.filter(active=True))
    existing = set(Case.objects.filter(client_key__startswith="demo-").values_list("client_key", flat=True))
    now = timezone.now()
    made = 0
    endings, weights = zip(*ENDINGS, strict=True)
    for i in range(n):
        key = f"demo-{i}"
        ending = rng.choices(endings, weights)[0]
        age = HISTORY * rng.random()
        if age < timedelta(days=3) and ending.startswith("closed") and rng.random() < 0.5:
            ending = "dispatched"
        t = now - age
        cell = rng.choice(cells)
        lng = rng.uniform(cell.min_lng, cell.max_lng)
        lat = rng.uniform(cell.min_lat, cell.max_lat)
        category = rng.choice(categories)
        public = ending not in ("closed_self",) and rng.random() < 0.3
        if key in existing:
            continue

        def step(minutes):
            nonlocal t
            t = min(now, t + timedelta(minutes=minutes * rng.uniform(0.5, 1.5)))
            return t

        if public:
            case, _ = services.report_case(
                actor=calltaker,
                source=Source.CALL_TAKER,
                category=category,
                description=f"市民来电反映：{category.name}",
                lng=lng,
                lat=lat,
                reporter_name="张先生",
                reporter_phone=f"139{rng.randrange(10**8):08d}",
                client_key=key,
                now=t,
            )
        else:
            reporter = rng.choice(inspectors)
            case, _ = services.report_case(
                actor=reporter,
                source=Source.INSPECTOR,
                category=category,
                description=f"巡查发现：{category.name}",
                lng=lng,
                lat=lat,
                self_resolved=ending == "closed_self",
                client_key=key,
                photo_files=[_photo(i)],
                now=t,
            )
        made += 1
        number = case.number
        if ending == "reported":
            continue
        inspector = services.cell_inspector(case) or rng.choice(inspectors)
        if public:
            services.act(number, "send_verify", calltaker, params={"inspector": inspector.username}, now=step(10))
            if ending == "verifying":
                continue
            result = "not_found" if ending == "rejected" else "exists"
            services.act(number, "verify", inspector, params={"result": result, "note": "现场核实"}, now=step(40))
        if ending == "rejected":
            services.act(number, "reject", calltaker, params={"reason": "现场未发现问题"}, now=step(10))
            continue
        if ending == "duplicate":
            master = Case.objects.filter(state__in=[State.REGISTERED, State.DISPATCHED]).exclude(pk=case.pk).first()
            if master is not None:
                services.act(number, "merge", supervisor, params={"master": master.number}, now=step(10))
                continue
        if ending == "cancelled":
            services.act(number, "cancel", supervisor, params={"reason": "重复上报，作废"}, now=step(10))
            continue
        case = services.act(number, "register", supervisor, params={"note": "立案"}, now=step(15))
        if case.state == State.CLOSED or ending == "registered":
            continue
        if case.state == State.REGISTERED:
            dept = case.suggested_department or rng.choice(departments)
            if ending == "returned":
                wrong = rng.choice([d for d in departments if d.pk != dept.pk])
                services.act(number, "dispatch", dispatcher, params={"department": wrong.code}, now=step(15))
                services.act(
                    number, "return", dept_staff[wrong.pk], params={"reason": "不属于本部门职责"}, now=step(60)
                )
            services.act(number, "dispatch", dispatcher, params={"department": dept.code}, now=step(15))
        case = Case.objects.get(number=number)
        staff = dept_staff[case.department_id]
        if ending in ("dispatched", "returned"):
            continue
        if ending == "suspended":
            services.act(number, "request_suspend", staff, params={"reason": "需配合施工，季节性挂账"}, now=step(60))
            services.act(number, "decide_suspend", supervisor, params={"approve": True}, now=step(30))
            continue
        services.act(number, "handle", staff, params={"note": "已处置完毕"}, photo_files=[_photo(i + 1)], now=step(180))
        case = Case.objects.get(number=number)
        if case.state == State.HANDLED:
            services.act(number, "send_check", supervisor, params={"inspector": inspector.username}, now=step(5))
            case = Case.objects.get(number=number)
        if ending == "checking":
            continue
        checker = case.assigned_inspector
        if ending == "closed_rework":
            services.act(number, "check", checker, params={"result": "failed", "note": "未处置到位"}, now=step(50))
            services.act(
                number, "handle", staff, params={"note": "返工完成"}, photo_files=[_photo(i + 2)], now=step(120)
            )
            case = Case.objects.get(number=number)
            checker = case.assigned_inspector
        case = services.act(number, "check", checker, params={"result": "passed", "note": "核查通过"}, now=step(50))
        if case.state == State.CHECKED:  # 待结案: unless the city closes on a passed check, the shift leader closes
            services.act(number, "close", supervisor, params={"note": "结案"}, now=step(20))
    from .management.commands.run_worker import scan_once

    # The worker's lights, urges and escalations over the history, each at its time, as a worker
    # running all along would have written them: one scan now would put every case that went red in
    # 90 days on today's figures (the wall read "今日超期 315").
    t = now - HISTORY
    while t < now:
        scan_once(t)
        t += HISTORY_SCAN_STEP
    scan_once(now)
    return made
