"""city.importers.categories, the import_categories command and the shipped category table."""

import csv
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from city.importers import DataFileError
from city.importers.categories import COLUMNS, import_categories, parse_categories_csv
from city.importers.categories import SHIPPED_TABLE as DEFAULT_CSV
from city.models import Category, Department, RoutingRule, TimeLimit

pytestmark = pytest.mark.django_db

DEPARTMENTS = [
    ("huanwei", "环卫"),
    ("shizheng", "市政"),
    ("yuanlin", "园林"),
    ("zhifa", "城管执法"),
    ("gongshui", "供水"),
    ("paishui", "排水"),
    ("ranqi", "燃气"),
    ("gongdian", "供电"),
    ("ludeng", "路灯"),
    ("jiaojing", "交警"),
    ("tongxin", "通信"),
    ("zhujian", "住建"),
]
LIMITS = ["30min", "30min", "4wh", "60min", "60min", "10min", "10min", "2wh", "30min", "30min"]


@pytest.fixture
def departments(db):
    return {code: Department.objects.create(code=code, name=name) for code, name in DEPARTMENTS}


def row(kind="event", major="01", minor="02", name="暴露垃圾", dept="huanwei", auto="false", limits=None, **over):
    values = dict(
        kind=kind,
        major_code=major,
        major_name=over.pop("major_name", "市容环境"),
        major_name_en="City appearance",
        minor_code=minor,
        name=name,
        name_en=over.pop("name_en", "Exposed rubbish"),
        department=dept,
        auto_dispatch=auto,
    )
    values.update(zip(COLUMNS[9:], limits or LIMITS, strict=True))
    values.update(over)
    return values


def as_csv(*rows, columns=COLUMNS) -> io.StringIO:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    buf.seek(0)
    return buf


def snapshot():
    return {
        model.__name__: sorted(map(repr, model.objects.values_list()))
        for model in (Category, TimeLimit, RoutingRule, Department)
    }


# ---------------------------------------------------------------------------------------------- the shipped table


def test_shipped_table_imports(departments):
    summary = import_categories(DEFAULT_CSV)
    components = Category.objects.filter(kind="component")
    events = Category.objects.filter(kind="event")
    assert components.count() >= 65
    assert events.count() >= 55
    assert summary["created"] == Category.objects.count() == summary["categories"]
    assert summary["updated"] == summary["unchanged"] == 0
    assert set(components.values_list("major_code", flat=True)) == {"01", "02", "03", "04", "05", "06"}
    assert {"01", "02", "03", "04", "05"} <= set(events.values_list("major_code", flat=True))
    majors = dict(components.values_list("major_code", "major_name").distinct())
    assert majors == {
        "01": "公用设施", "02": "道路交通", "03": "市容环境", "04": "园林绿化", "05": "房屋土地", "06": "其他设施",
    }  # fmt: skip
    event_majors = dict(events.values_list("major_code", "major_name").distinct())
    assert {k: event_majors[k] for k in ("01", "02", "03", "04", "05")} == {
        "01": "市容环境", "02": "宣传广告", "03": "施工管理", "04": "突发事件", "05": "街面秩序",
    }  # fmt: skip

    # Every category: 10 limits (5 stages × 2 urgencies), a default department and its city-wide rule.
    for cat in Category.objects.prefetch_related("time_limits", "routing_rules"):
        pairs = {(t.stage, t.urgency) for t in cat.time_limits.all()}
        assert len(pairs) == 10, cat
        assert cat.default_department is not None, cat
        rules = [(r.area_code, r.department_id) for r in cat.routing_rules.all()]
        assert rules == [("", cat.default_department_id)], cat
        assert cat.name and cat.name_en and cat.major_name_en, cat

    def limit(cat, stage, urgency="normal"):
        t = cat.time_limits.get(stage=stage, urgency=urgency)
        return t.amount, t.unit

    rubbish = Category.objects.get(kind="event", code="0102")
    assert (rubbish.full_code, rubbish.name, rubbish.default_department.code) == ("E0102", "暴露垃圾", "huanwei")
    assert limit(rubbish, "handle") == (4, "work_hours")
    assert limit(rubbish, "register") == (30, "minutes")
    assert limit(rubbish, "register", "urgent") == (10, "minutes")
    assert Category.objects.get(kind="event", code="0101").name == "私搭乱建"
    assert limit(Category.objects.get(kind="event", code="0101"), "handle") == (15, "work_days")
    assert Category.objects.get(kind="event", code="0103").name == "道路不洁"
    assert Category.objects.get(kind="event", code="0501").name == "无照经营游商"
    assert events.filter(name="机动车乱停放", major_code="05").exists()
    bbq = events.get(name="露天烧烤")
    assert limit(bbq, "handle") == (120, "minutes")
    assert limit(events.get(name="道路积水"), "handle") == (4, "work_hours")
    water_cover = Category.objects.get(kind="component", code="0101")
    assert water_cover.name == "上水井盖"
    lamp = Category.objects.get(kind="component", code="0118")
    assert (lamp.name, lamp.default_department.code) == ("路灯", "ludeng")
    assert limit(lamp, "handle") == (1, "work_days")
    sewer = components.get(name="污水井盖")
    assert limit(sewer, "handle") == (120, "minutes") and sewer.auto_dispatch
    assert events.get(name="燃气管道破裂").auto_dispatch
    assert events.get(name="路面塌陷").auto_dispatch
    assert not rubbish.auto_dispatch
    assert limit(components.get(name="绿地"), "handle") == (5, "work_days")
    # Urgent handling is never slower than normal handling, in comparable units.
    minutes = {"minutes": 1, "work_hours": 60, "work_days": 7 * 60}
    for cat in Category.objects.prefetch_related("time_limits"):
        by = {(t.stage, t.urgency): t.amount * minutes[t.unit] for t in cat.time_limits.all()}
        for stage in ("register", "dispatch", "handle", "verify", "check"):
            assert by[(stage, "urgent")] <= by[(stage, "normal")], (cat, stage)


def test_reimport_changes_nothing(departments):
    import_categories(DEFAULT_CSV)
    before = snapshot()
    summary = import_categories(DEFAULT_CSV)
    assert summary["created"] == summary["updated"] == 0
    assert summary["unchanged"] == summary["categories"] == Category.objects.count()
    assert snapshot() == before


def test_reimport_updates_changed_rows(departments):
    import_categories(as_csv(row(), row(minor="03", name="道路不洁")))
    # Someone routed a street to another department: the import leaves area rules alone.
    rubbish = Category.objects.get(code="0102")
    RoutingRule.objects.create(category=rubbish, area_code="620402001", department=departments["zhifa"])
    changed = row(dept="zhifa", auto="true", limits=[*LIMITS[:2], "5wh", *LIMITS[3:]])
    summary = import_categories(as_csv(changed, row(minor="03", name="道路不洁")))
    assert (summary["created"], summary["updated"], summary["unchanged"]) == (0, 1, 1)
    rubbish.refresh_from_db()
    assert rubbish.default_department.code == "zhifa" and rubbish.auto_dispatch
    assert rubbish.time_limits.get(stage="handle", urgency="normal").amount == 5
    assert rubbish.time_limits.count() == 10
    assert RoutingRule.objects.get(category=rubbish, area_code="").department.code == "zhifa"
    assert RoutingRule.objects.filter(category=rubbish).count() == 2


def test_five_digit_codes_and_mixed_widths(departments, tmp_path):
    path = tmp_path / "categories.csv"
    text = as_csv(
        row(major="06", minor="010", name="暴露垃圾"),
        row(major="06", minor="011", name="道路不洁"),
        row(major="01", minor="03", name="道路不洁(旧编码)"),
        row(kind="component", major="01", minor="001", name="上水井盖", major_name="公用设施", dept="gongshui"),
    ).getvalue()
    path.write_bytes(("\ufeff" + text).encode())  # a spreadsheet's UTF-8 BOM is fine
    summary = import_categories(path)
    assert summary["created"] == 4
    cat = Category.objects.get(kind="event", code="06010")
    assert (cat.major_code, cat.minor_code, cat.full_code) == ("06", "010", "E06010")
    assert Category.objects.get(kind="event", code="0103").name == "道路不洁(旧编码)"
    assert Category.objects.get(kind="component", code="01001").full_code == "C01001"
    # The same code may exist once per kind.
    import_categories(as_csv(row(minor="02"), row(kind="component", minor="02", major_name="公用设施")))
    assert sorted(c.full_code for c in Category.objects.filter(code="0102")) == ["C0102", "E0102"]


def test_parse_returns_rows(departments):
    rows = parse_categories_csv(as_csv(row(auto="是", limits=["1min", "2MIN", "3 wh", *LIMITS[3:]])))
    assert len(rows) == 1
    r = rows[0]
    assert (r.row, r.kind, r.code, r.auto_dispatch) == (2, "event", "0102", True)
    assert r.limits[("dispatch", "normal")] == (2, "minutes")
    assert r.limits[("handle", "normal")] == (3, "work_hours")
    assert r.limits[("handle", "urgent")] == (2, "work_hours")


# ---------------------------------------------------------------------------------------------- bad files

GOOD = [row(minor="01", name="私搭乱建"), row(minor="02"), row(minor="03", name="道路不洁")]


def bad(**kwargs):
    kwargs.setdefault("minor", "04")
    kwargs.setdefault("name", "积存垃圾渣土")
    return row(**kwargs)


BAD_ROWS = [
    (bad(kind="incident"), "column kind: unknown kind 'incident'"),
    (bad(kind=""), "column kind"),
    (bad(major="1"), "column major_code: '1' must be exactly 2 digits"),
    (bad(major="0A"), "column major_code"),
    (bad(minor="4"), "column minor_code: '4' must be 2 digits"),
    (bad(minor="0104"), "column minor_code"),
    (bad(minor="x1"), "column minor_code"),
    (bad(minor="01"), "duplicate code event 0101: row 2 has the same kind and code"),
    (bad(dept="chengguan"), "column department: unknown department code 'chengguan'"),
    (bad(dept=""), "column department: empty"),
    (bad(handle="4h"), "column handle: bad time limit '4h'"),
    (bad(urgent_check="min"), "column urgent_check: bad time limit 'min'"),
    (bad(verify="0min"), "column verify: bad time limit '0min': the amount must be between 1"),
    (bad(dispatch="-5min"), "column dispatch: bad time limit"),
    (bad(register="1.5wh"), "column register: bad time limit"),
    (bad(urgent_handle=""), "column urgent_handle: empty"),
    (bad(name=""), "column name: empty"),
    (bad(name="   "), "column name: empty"),
    (bad(major_name=""), "column major_name: empty"),
    (bad(name="长" * 101), "column name: longer than 100 characters"),
    (bad(auto="maybe"), "column auto_dispatch: 'maybe' is not a boolean"),
    (bad(major_name="市容"), "column major_name: '市容' differs from '市容环境'"),
]


@pytest.mark.parametrize(("bad_row", "message"), BAD_ROWS, ids=[m for _, m in BAD_ROWS])
def test_bad_last_row_rejects_whole_file(departments, bad_row, message):
    """The bad row comes last, after good ones: still nothing is written, and the row is named."""
    import_categories(as_csv(row(minor="09", name="焚烧垃圾树叶")))
    before = snapshot()
    with pytest.raises(DataFileError) as exc:
        import_categories(as_csv(*GOOD, bad_row))
    assert any(p.startswith("row 5: ") and message in p for p in exc.value.problems), exc.value.problems
    assert snapshot() == before


def test_every_problem_reported_at_once(departments):
    before = snapshot()
    rows = [row(minor="01", kind="x"), row(minor="02", dept="nobody", handle="4hours"), row(minor="01", kind="x")]
    with pytest.raises(DataFileError) as exc:
        import_categories(as_csv(*rows, row(minor="05")))
    problems = exc.value.problems
    assert len(problems) == 4
    assert problems[0].startswith("row 2: column kind")
    assert problems[1].startswith("row 3: column department") and problems[2].startswith("row 3: column handle")
    assert problems[3].startswith("row 4: column kind")
    assert snapshot() == before


def test_missing_columns(departments):
    columns = [c for c in COLUMNS if c not in ("department", "urgent_check")]
    with pytest.raises(DataFileError) as exc:
        import_categories(as_csv(row(), columns=columns))
    assert exc.value.problems == ["row 1 (header): missing column(s): department, urgent_check"]
    assert Category.objects.count() == 0


def test_optional_english_names_and_extra_columns(departments):
    import_categories(as_csv(row(name_en="", remark="备注"), columns=[*COLUMNS, "remark"]))
    assert Category.objects.get().name_en == ""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (",".join(COLUMNS).encode() + b"\n", "the file has no category rows"),
        ("kind,名称\n".encode("gbk"), "not UTF-8"),
    ],
)
def test_unusable_files(departments, content, message):
    with pytest.raises(DataFileError) as exc:
        import_categories(io.BytesIO(content))
    assert message in exc.value.problems[0]


def test_too_many_cells(departments):
    buf = as_csv(row())
    text = buf.getvalue().rstrip("\n") + ",extra\n"
    with pytest.raises(DataFileError) as exc:
        import_categories(io.StringIO(text))
    assert exc.value.problems == ["row 2: 1 cell(s) more than the header has columns"]


def test_unknown_department_checked_against_database(departments):
    departments["zhujian"].delete()
    with pytest.raises(DataFileError) as exc:
        import_categories(DEFAULT_CSV)
    assert exc.value.problems
    assert all("unknown department code 'zhujian'" in p for p in exc.value.problems)
    assert Category.objects.count() == 0


def test_missing_file():
    with pytest.raises(DataFileError) as exc:
        import_categories("/nonexistent/categories.csv")
    assert "cannot read the file" in exc.value.problems[0]


def test_failed_write_leaves_nothing(departments, monkeypatch):
    """A failure after some rows were written rolls the whole import back."""
    from city.importers import categories as importer

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer.RoutingRule.objects, "bulk_create", boom)
    with pytest.raises(RuntimeError):
        import_categories(DEFAULT_CSV)
    assert (Category.objects.count(), TimeLimit.objects.count()) == (0, 0)


# ---------------------------------------------------------------------------------------------- the command


def test_command_imports_shipped_table_by_default(departments):
    out = io.StringIO()
    call_command("import_categories", stdout=out)
    assert Category.objects.count() >= 120
    assert "0 updated" in out.getvalue() and "unchanged" in out.getvalue()
    out = io.StringIO()
    call_command("import_categories", str(DEFAULT_CSV), stdout=out)
    assert " 0 new, 0 updated" in out.getvalue()


def test_command_reports_problems(departments, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(as_csv(row(minor="01", kind="x"), row(dept="nobody")).getvalue(), encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("import_categories", str(path), stderr=err)
    assert "2 problem(s)" in str(exc.value)
    assert "row 2: column kind" in err.getvalue()
    assert "row 3: column department: unknown department code 'nobody'" in err.getvalue()
    assert Category.objects.count() == 0
