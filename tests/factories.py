"""A small city built in the database: two departments, two categories with time limits, a block of
grid cells with one responsibility grid, and one user per role. The tests' `city` fixture and the
benchmarks (bench/_django.py) both build it here, so there is one definition of the test city."""

from dataclasses import dataclass, field

LNG, LAT = 104.1700, 36.5450  # inside cell 62040200100101 of the default two-cell city
CELL_W, CELL_H = 0.0011183, 0.000899


def square(lng, lat, w=CELL_W, h=CELL_H):
    return {
        "type": "Polygon",
        "coordinates": [[[lng, lat], [lng + w, lat], [lng + w, lat + h], [lng, lat + h], [lng, lat]]],
    }


@dataclass
class City:
    users: dict = field(default_factory=dict)
    departments: dict = field(default_factory=dict)
    categories: dict = field(default_factory=dict)
    cells: list = field(default_factory=list)

    def user(self, name):
        return self.users[name]


def build_city(columns=2, rows=1, origin=(LNG - CELL_W / 2, LAT - CELL_H / 2), password="pw-12319-test") -> City:
    """Cells `620402001001NN` in `rows` × `columns` from the south-west corner `origin`; users with
    `password` (None: no usable password, which is much faster under PBKDF2)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from city import calendar, grid
    from city.models import (
        Category,
        Community,
        Department,
        District,
        GridCell,
        ResponsibilityGrid,
        Role,
        RoutingRule,
        StaffProfile,
        Street,
        TimeLimit,
    )

    calendar.ensure_default_work_periods()
    c = City()
    for role in Role.values:
        Group.objects.get_or_create(name=role)
    for code, name in [("huanwei", "环卫"), ("shizheng", "市政")]:
        c.departments[code] = Department.objects.create(code=code, name=name)

    district = District.objects.create(code="620402", name="白银区")
    street = Street.objects.create(district=district, code="620402001", name="人民路街道")
    community = Community.objects.create(street=street, code="620402001001", name="金鱼社区")
    x0, y0 = origin
    cells = []
    for i in range(columns * rows):
        x, y = x0 + (i % columns) * CELL_W, y0 + (i // columns) * CELL_H
        cells.append(
            GridCell(
                community=community, code=f"620402001001{i + 1:02d}", geometry=square(x, y), area_m2=10000,
                min_lng=x, min_lat=y, max_lng=x + CELL_W, max_lat=y + CELL_H,
                center_lng=x + CELL_W / 2, center_lat=y + CELL_H / 2,
            )
        )  # fmt: skip
    c.cells = GridCell.objects.bulk_create(cells)
    grid.invalidate()

    def category(kind, major, minor, name, dept, handle, auto=False):
        cat = Category.objects.create(
            kind=kind, major_code=major, minor_code=minor, major_name="市容环境", name=name,
            default_department=c.departments[dept], auto_dispatch=auto,
        )  # fmt: skip
        limits = {"register": (30, "minutes"), "dispatch": (30, "minutes"), "verify": (60, "minutes")}
        limits |= {"check": (60, "minutes"), "handle": handle}
        for stage, (amount, unit) in limits.items():
            TimeLimit.objects.create(category=cat, stage=stage, urgency="normal", amount=amount, unit=unit)
            TimeLimit.objects.create(category=cat, stage=stage, urgency="urgent", amount=max(1, amount // 2), unit=unit)
        RoutingRule.objects.create(category=cat, area_code="", department=c.departments[dept])
        return cat

    c.categories["rubbish"] = category("event", "01", "02", "暴露垃圾", "huanwei", (4, "work_hours"))
    c.categories["manhole"] = category("component", "01", "03", "雨水井盖", "shizheng", (120, "minutes"), auto=True)

    User = get_user_model()

    def user(username, role, department=None):
        u = User.objects.create_user(username=username, password=password)
        u.groups.add(Group.objects.get(name=role))
        StaffProfile.objects.create(user=u, department=department)
        c.users[username] = u
        return u

    inspector = user("inspector1", Role.INSPECTOR)
    user("inspector2", Role.INSPECTOR)
    user("calltaker", Role.CALL_TAKER)
    user("supervisor", Role.SUPERVISOR)
    user("dispatcher", Role.DISPATCHER)
    user("staff_huanwei", Role.DEPARTMENT_STAFF, c.departments["huanwei"])
    user("staff_shizheng", Role.DEPARTMENT_STAFF, c.departments["shizheng"])
    user("leader", Role.LEADER)
    user("admin", Role.ADMIN)
    rgrid = ResponsibilityGrid.objects.create(code="620402001001", name="金鱼社区责任网格")
    rgrid.cells.set(c.cells)
    rgrid.inspectors.set([inspector])
    return c
