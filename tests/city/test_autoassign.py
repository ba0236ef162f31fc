"""city.autoassign: 自动分拨 by routing rules, longest area prefix first."""

from types import SimpleNamespace

import pytest

from city.autoassign import suggest_department, suggest_department_for_case
from city.models import Category, Department, RoutingRule

DEPARTMENTS = [
    ("huanwei", "环卫"), ("shizheng", "市政"), ("yuanlin", "园林"), ("zhifa", "城管执法"),
    ("gongshui", "供水"), ("paishui", "排水"), ("ranqi", "燃气"), ("gongdian", "供电"),
    ("ludeng", "路灯"), ("jiaojing", "交警"), ("tongxin", "通信"), ("zhujian", "住建"),
]  # fmt: skip
CELL = "62040200100101"


@pytest.fixture
def depts(db):
    return {code: Department.objects.create(code=code, name=name) for code, name in DEPARTMENTS}


@pytest.fixture
def rubbish(depts):
    return Category.objects.create(
        kind="event", major_code="01", minor_code="02", major_name="市容环境", name="暴露垃圾",
        default_department=depts["huanwei"],
    )  # fmt: skip


def rule(category, area, dept):
    return RoutingRule.objects.create(category=category, area_code=area, department=dept)


def test_default_department_without_rules(rubbish, depts):
    assert suggest_department(rubbish, CELL) == depts["huanwei"]
    assert suggest_department(rubbish, None) == depts["huanwei"]


def test_no_rule_and_no_default(rubbish):
    rubbish.default_department = None
    rubbish.save()
    assert suggest_department(rubbish, CELL) is None


def test_city_wide_rule_beats_default(rubbish, depts):
    rule(rubbish, "", depts["zhifa"])
    assert suggest_department(rubbish, CELL) == depts["zhifa"]
    assert suggest_department(rubbish, None) == depts["zhifa"]


def test_longest_prefix_wins(rubbish, depts):
    rule(rubbish, "", depts["zhifa"])
    rule(rubbish, "620402", depts["shizheng"])
    rule(rubbish, "620402001", depts["yuanlin"])
    rule(rubbish, "620402001002", depts["paishui"])  # another community
    rule(rubbish, "620403", depts["ranqi"])  # another district
    assert suggest_department(rubbish, CELL) == depts["yuanlin"]
    assert suggest_department(rubbish, "62040200200101") == depts["shizheng"]
    assert suggest_department(rubbish, "62040200100201") == depts["paishui"]
    assert suggest_department(rubbish, "62040300100101") == depts["ranqi"]
    assert suggest_department(rubbish, "11010200100101") == depts["zhifa"]
    # Without a cell only the city-wide rule applies.
    assert suggest_department(rubbish, None) == depts["zhifa"]
    rule(rubbish, CELL, depts["tongxin"])  # a rule for one cell
    assert suggest_department(rubbish, CELL) == depts["tongxin"]


def test_rules_of_other_categories_ignored(rubbish, depts):
    other = Category.objects.create(
        kind="event", major_code="01", minor_code="03", major_name="市容环境", name="道路不洁"
    )
    rule(other, "620402", depts["jiaojing"])
    assert suggest_department(rubbish, CELL) == depts["huanwei"]


def deactivate(dept):
    dept.active = False
    dept.save()  # the signal rebuilds the reference table (city.reference)


def test_inactive_departments_skipped(rubbish, depts):
    rule(rubbish, "", depts["zhifa"])
    rule(rubbish, "620402001", depts["yuanlin"])
    deactivate(depts["yuanlin"])
    assert suggest_department(rubbish, CELL) == depts["zhifa"]
    deactivate(depts["zhifa"])
    assert suggest_department(rubbish, CELL) == depts["huanwei"]
    deactivate(depts["huanwei"])
    assert suggest_department(rubbish, CELL) is None


def test_no_query_for_rules_once_the_reference_table_is_loaded(rubbish, depts, django_assert_max_num_queries):
    rule(rubbish, "", depts["zhifa"])
    rule(rubbish, "620402", depts["shizheng"])
    assert suggest_department(rubbish, CELL) == depts["shizheng"]  # loads the table
    with django_assert_max_num_queries(0):
        assert suggest_department(rubbish, CELL) == depts["shizheng"]


def test_a_rule_added_by_another_process_is_seen_within_the_tables_age(rubbish, depts, monkeypatch):
    from city import reference

    assert suggest_department(rubbish, CELL) == depts["huanwei"]  # the category's default
    RoutingRule.objects.bulk_create([RoutingRule(category=rubbish, area_code="", department=depts["zhifa"])])
    assert suggest_department(rubbish, CELL) == depts["huanwei"]  # no signal: this process does not know yet
    monkeypatch.setattr(reference, "MAX_AGE", 0.0)
    assert suggest_department(rubbish, CELL) == depts["zhifa"]


def test_for_case(rubbish, depts):
    rule(rubbish, "620402001", depts["yuanlin"])
    cell = SimpleNamespace(code=CELL)
    assert suggest_department_for_case(SimpleNamespace(category=rubbish, cell=cell, cell_id=1)) == depts["yuanlin"]
    assert suggest_department_for_case(SimpleNamespace(category=rubbish, cell=None, cell_id=None)) == depts["huanwei"]
