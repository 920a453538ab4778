"""The seed catalog shipped with gridflow."""

from services.store.catalog import catalog_rows


def test_catalog_has_at_least_40_small_classes_with_unique_codes():
    rows = catalog_rows()
    assert len(rows) >= 40
    codes = [r["code"] for r in rows]
    assert len(set(codes)) == len(codes)
    assert {r["family"] for r in rows} == {"component", "event"}
    for r in rows:
        assert r["code"][0] == {"component": "1", "event": "2"}[r["family"]]
        assert r["code"][1:3] == r["big_class"]
        assert r["name_zh"] and r["name_en"] and r["big_class_zh"] and r["big_class_en"]
        assert r["ack_limit_minutes"] == (10 if r["priority"] == "urgent" else 30)


def test_time_limits_follow_the_city_standards():
    by_name = {r["name_en"]: r for r in catalog_rows()}
    assert by_name["Exposed garbage"]["resolve_limit_minutes"] == 4 * 60
    assert by_name["Road not clean"]["resolve_limit_minutes"] == 2 * 60
    assert by_name["Illegal construction"]["resolve_limit_minutes"] == 4 * 60
    cover = by_name["Sewage manhole cover"]
    assert cover["resolve_limit_minutes"] == 120 and cover["around_the_clock"]
    assert cover["priority"] == "urgent"


def test_only_listed_matters_are_admissible_to_community_committees():
    rows = catalog_rows()
    admissible = {r["name_en"] for r in rows if r["community_admissible"]}
    assert "Exposed garbage" in admissible
    assert "Illegal construction" not in admissible
    assert "Gas leak" not in admissible
    assert 0 < len(admissible) < len(rows)
