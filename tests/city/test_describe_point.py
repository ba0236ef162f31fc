"""An address for a point: the nearest gazetteer place within 150 m, else the area's names with
the grid code; the in-memory index follows the places as they change."""

import pytest

from city import gazetteer
from city.models import Place
from dispatch import services
from dispatch.models import Source
from tests.conftest import LAT, LNG

M_LNG = 1 / (111320 * 0.8038)  # one metre of longitude at 36.545°N
M_LAT = 1 / 110540


def test_far_from_every_place_the_area_names_and_the_code(city):
    Place.objects.create(name="金鱼公园", kind="park", lng=LNG + 400 * M_LNG, lat=LAT)
    described = gazetteer.describe_point(LNG, LAT)
    assert described.text == "白银区 人民路街道 金鱼社区 (62040200100101)"
    assert described.place == "" and described.cell_code == "62040200100101"


def test_nearest_place_within_150_m_names_the_point(city):
    Place.objects.create(name="人民路", kind="road", lng=LNG + 100 * M_LNG, lat=LAT)
    Place.objects.create(name="金鱼公园", kind="park", lng=LNG, lat=LAT + 60 * M_LAT)
    assert gazetteer.describe_point(LNG, LAT).text == "金鱼公园 附近"
    # At the place itself (within 30 m): its name alone.
    assert gazetteer.describe_point(LNG + 95 * M_LNG, LAT).text == "人民路"
    # 140 m from the road and 160 m from the park: the road; past 150 m from both: the area.
    described = gazetteer.describe_point(LNG + 100 * M_LNG, LAT - 140 * M_LAT)
    assert described.text == "人民路 附近" and 135 < described.distance_m < 145
    assert gazetteer.describe_point(LNG + 100 * M_LNG, LAT - 160 * M_LAT).place == ""


def test_outside_the_grid_near_a_place_still_named_and_else_empty(city):
    Place.objects.create(name="黄河桥", kind="landmark", lng=LNG - 0.01, lat=LAT)
    assert gazetteer.describe_point(LNG - 0.01 + 20 * M_LNG, LAT).text == "黄河桥"
    assert gazetteer.describe_point(LNG - 0.05, LAT).text == ""


def test_the_index_follows_places_added_moved_and_removed(city):
    assert gazetteer.describe_point(LNG, LAT).place == ""
    place = Place.objects.create(name="银光广场", kind="square", lng=LNG, lat=LAT)
    assert gazetteer.describe_point(LNG, LAT).text == "银光广场"
    place.lng += 1000 * M_LNG
    place.save()
    assert gazetteer.describe_point(LNG, LAT).place == ""
    assert [m.place.name for m in gazetteer.search("ygg")] == ["银光广场"]
    place.delete()
    assert gazetteer.search("银光") == []


@pytest.mark.parametrize("given, expected", [("", "金鱼公园 附近"), ("  ", "金鱼公园 附近"), ("门口", "门口")])
def test_a_report_without_an_address_gets_one_from_its_point(city, given, expected):
    Place.objects.create(name="金鱼公园", kind="park", lng=LNG + 50 * M_LNG, lat=LAT)
    case, _ = services.report_case(
        actor=city.user("inspector1"), source=Source.INSPECTOR, category="E0102", lng=LNG, lat=LAT, address=given
    )
    assert case.address == expected


def test_a_report_far_from_places_reads_as_its_area(city):
    case, _ = services.report_case(
        actor=city.user("inspector1"), source=Source.INSPECTOR, category="E0102", lng=LNG, lat=LAT
    )
    assert case.address == "白银区 人民路街道 金鱼社区 (62040200100101)"
