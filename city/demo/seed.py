"""The demo city: Baiyin District 白银区 (620402), Baiyin, Gansu.

Every step creates what is missing and leaves what exists alone, so re-running changes nothing.
"""

import io
import json

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Max, Min

from city import calendar, gazetteer
from city.importers.categories import SHIPPED_TABLE, import_categories
from city.importers.grid import import_grid
from city.models import Community, Department, GridCell, Place, ResponsibilityGrid, Role, StaffProfile

from .grid import demo_grid_features
from .places import demo_places

DEPARTMENTS = [
    # code, name, English name, phone
    ("huanwei", "区环卫中心", "Sanitation", "0943-8221101"),
    ("shizheng", "区市政工程管理所", "Municipal works", "0943-8221102"),
    ("yuanlin", "区园林绿化中心", "Greening", "0943-8221103"),
    ("zhifa", "区城市管理综合执法大队", "City-management enforcement", "0943-8221104"),
    ("gongshui", "白银供水公司", "Water supply", "0943-8221105"),
    ("paishui", "区排水管理所", "Drainage", "0943-8221106"),
    ("ranqi", "白银燃气公司", "Gas", "0943-8221107"),
    ("gongdian", "国网白银供电公司", "Power supply", "0943-8221108"),
    ("ludeng", "区路灯管理所", "Street lights", "0943-8221109"),
    ("jiaojing", "白银区交警大队", "Traffic police", "0943-8221110"),
    ("tongxin", "白银通信管线办公室", "Telecom", "0943-8221111"),
    ("zhujian", "区住房和城乡建设局", "Housing and construction", "0943-8221112"),
]

INSPECTOR_COUNT = 20

# Named places, at a fraction (x from west, y from south) of the district's extent.
# The names are Baiyin's; the positions follow the demo grid, not a survey.
GAZETTEER = [
    ("人民路", Place.Kind.ROAD, "人民路步行街", 0.10, 0.50),
    ("公园路", Place.Kind.ROAD, "", 0.30, 0.50),
    ("四龙路", Place.Kind.ROAD, "", 0.50, 0.50),
    ("工农路", Place.Kind.ROAD, "", 0.70, 0.50),
    ("纺织路", Place.Kind.ROAD, "", 0.90, 0.50),
    ("北京路", Place.Kind.ROAD, "", 0.50, 0.80),
    ("兰州路", Place.Kind.ROAD, "", 0.50, 0.20),
    ("友好路", Place.Kind.ROAD, "", 0.40, 0.65),
    ("诚信大道", Place.Kind.ROAD, "", 0.60, 0.35),
    ("五一街", Place.Kind.ROAD, "", 0.20, 0.70),
    ("白银区人民政府", Place.Kind.LANDMARK, "区政府", 0.45, 0.55),
    ("白银市第一人民医院", Place.Kind.LANDMARK, "市一院,第一人民医院", 0.25, 0.45),
    ("金鱼公园", Place.Kind.LANDMARK, "", 0.35, 0.60),
    ("白银市第一中学", Place.Kind.LANDMARK, "一中", 0.55, 0.70),
    ("白银区体育馆", Place.Kind.LANDMARK, "体育馆", 0.65, 0.40),
    ("白银汽车站", Place.Kind.LANDMARK, "汽车站,客运站", 0.15, 0.25),
    ("银光广场", Place.Kind.LANDMARK, "", 0.75, 0.55),
    ("王岘农贸市场", Place.Kind.LANDMARK, "农贸市场", 0.85, 0.30),
    ("银山小区", Place.Kind.COMPOUND, "", 0.05, 0.85),
    ("金岭小区", Place.Kind.COMPOUND, "", 0.22, 0.15),
    ("水川路小区", Place.Kind.COMPOUND, "", 0.38, 0.88),
    ("四龙花园", Place.Kind.COMPOUND, "", 0.52, 0.12),
    ("工农路家属院", Place.Kind.COMPOUND, "", 0.68, 0.78),
    ("纺织厂生活区", Place.Kind.COMPOUND, "纺织厂家属院", 0.92, 0.20),
    ("西区花园", Place.Kind.COMPOUND, "", 0.08, 0.35),
    ("银苑小区", Place.Kind.COMPOUND, "", 0.80, 0.90),
]


def seed_city(password: str, out=None) -> dict:
    """Build the demo city. Returns counts of what it created."""
    created = {}
    with transaction.atomic():
        created["groups"] = _ensure_groups()
        created["work_periods"] = calendar.ensure_default_work_periods()
        created["departments"] = _ensure_departments()
    if not GridCell.objects.filter(code__startswith="620402").exists():
        import_grid(io.StringIO(json.dumps(demo_grid_features())))
        created["grid"] = True
    import_categories(SHIPPED_TABLE)
    with transaction.atomic():
        created["places"] = _ensure_places()
        created["users"] = _ensure_users(password)
        created["responsibility_grids"] = _ensure_responsibility_grids()
    return created


def _ensure_groups() -> int:
    return sum(Group.objects.get_or_create(name=role)[1] for role in Role.values)


def _ensure_departments() -> int:
    n = 0
    for code, name, name_en, phone in DEPARTMENTS:
        _, was_created = Department.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "phone": phone}
        )
        n += was_created
    return n


def _district_extent():
    return GridCell.objects.filter(code__startswith="620402").aggregate(
        min_lng=Min("min_lng"), min_lat=Min("min_lat"), max_lng=Max("max_lng"), max_lat=Max("max_lat")
    )


def _ensure_places() -> int:
    """The hand-written places, then the generated ones (`city.demo.places`); a name already
    there is left alone."""
    ext = _district_extent()
    have = set(Place.objects.values_list("name", flat=True))
    new = []
    rows = [(name, kind, aliases, fx, fy) for name, kind, aliases, fx, fy, _c in demo_places()]
    for name, kind, aliases, fx, fy in [*GAZETTEER, *rows]:
        if name in have:
            continue
        have.add(name)
        lng = round(ext["min_lng"] + fx * (ext["max_lng"] - ext["min_lng"]), 6)
        lat = round(ext["min_lat"] + fy * (ext["max_lat"] - ext["min_lat"]), 6)
        new.append(Place(name=name, kind=kind, aliases=aliases, lng=lng, lat=lat))
    Place.objects.bulk_create(new)
    gazetteer.invalidate()  # bulk_create sends no signals
    return len(new)


def _ensure_user(username: str, password: str, roles: list[str], department=None, **extra):
    User = get_user_model()
    user, was_created = User.objects.get_or_create(username=username, defaults=extra)
    if was_created:
        # Only on creation: a re-run must not rehash (and so change) passwords.
        user.set_password(password)
        user.save(update_fields=["password"])
        user.groups.set(Group.objects.filter(name__in=roles))
        StaffProfile.objects.create(user=user, department=department)
    return was_created


def _ensure_users(password: str) -> int:
    n = 0
    for i in range(1, INSPECTOR_COUNT + 1):
        n += _ensure_user(f"inspector{i:02d}", password, [Role.INSPECTOR], first_name=f"监督员{i:02d}")
    n += _ensure_user("calltaker01", password, [Role.CALL_TAKER], first_name="受理员01")
    n += _ensure_user("supervisor01", password, [Role.SUPERVISOR], first_name="值班长01")
    n += _ensure_user("dispatcher01", password, [Role.DISPATCHER], first_name="派遣员01")
    n += _ensure_user("leader01", password, [Role.LEADER], first_name="领导01")
    for dept in Department.objects.all():
        n += _ensure_user(f"dept-{dept.code}-01", password, [Role.DEPARTMENT_STAFF], department=dept)
    n += _ensure_user("admin", password, [Role.ADMIN], is_staff=True, is_superuser=True)
    return n


def _ensure_responsibility_grids() -> int:
    """One responsibility grid per community; 20 inspectors cover 25 grids (the first five take two)."""
    User = get_user_model()
    inspectors = list(User.objects.filter(username__startswith="inspector").order_by("username")[:INSPECTOR_COUNT])
    n = 0
    for i, community in enumerate(Community.objects.filter(code__startswith="620402").order_by("code")):
        grid, was_created = ResponsibilityGrid.objects.get_or_create(
            code=community.code, defaults={"name": f"{community.name}责任网格"}
        )
        if was_created:
            grid.cells.set(GridCell.objects.filter(community=community))
            if inspectors:
                grid.inspectors.set([inspectors[i % len(inspectors)]])
            n += 1
    return n
