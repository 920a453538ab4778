"""The case search part of `./scripts/bench scale`: the command center's list and search
(GET /api/v1/operator/cases/search) timed per query kind over the scale database's cases.

The generated history gives every report the same description and no phone; before timing,
`vary_reports` gives each report one of a few dozen descriptions and addresses (a road, a
compound, a problem, a number) and one report in ten a caller's phone, as a city's hotline
and patrols would, so that the text index and the phone index have real work to do.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import text

ROADS = ["招宝山路", "庄市大道", "骆驼街道中心路", "蛟川北路", "沿江路", "车站路", "静远路"]
PLACES = ["明海花园", "东方名城", "世纪广场", "南洪小区", "聚秀苑", "金港家园"]
PROBLEMS = ["窨井盖松动", "路灯不亮", "垃圾满溢", "占道经营", "污水外溢", "绿化带破损",
            "乱停车", "违章张贴", "道路坑洼"]  # fmt: skip
PHONE_OF = "'139' || lpad((abs(hashtext(r.id::text)) % 100000000)::text, 8, '0')"


def vary_reports(engine) -> None:
    """Descriptions, addresses and (one in ten) phones varied across every report."""
    arrays = {name: "ARRAY[" + ", ".join(f"'{v}'" for v in values) + "]"
              for name, values in (("roads", ROADS), ("places", PLACES),
                                   ("problems", PROBLEMS))}  # fmt: skip
    with engine.begin() as conn:
        conn.execute(text(
            f"UPDATE report r SET "
            f"description = ({arrays['places']})[1 + abs(hashtext(r.id::text || 'p')) % "
            f"{len(PLACES)}] || ({arrays['problems']})[1 + abs(hashtext(r.id::text)) % "
            f"{len(PROBLEMS)}] || '，第' || (abs(hashtext(r.id::text || 'n')) % 500) || '号', "
            f"address = ({arrays['roads']})[1 + abs(hashtext(r.id::text || 'r')) % {len(ROADS)}]"
            f" || (abs(hashtext(r.id::text || 'a')) % 900 + 1) || '号', "
            f"reporter_phone = CASE WHEN abs(hashtext(r.id::text || 'f')) % 10 = 0 "
            f"THEN {PHONE_OF} END"
        ))  # fmt: skip
        conn.execute(text("ANALYZE report"))


def queries(engine) -> dict[str, str]:
    """Each query kind's query string, its values taken from the loaded cases."""
    with engine.connect() as conn:
        number = conn.execute(
            text("SELECT case_no FROM case_file ORDER BY created_at DESC OFFSET 1000 LIMIT 1")
        ).scalar_one()
        phone = conn.execute(
            text("SELECT reporter_phone FROM report WHERE reporter_phone IS NOT NULL LIMIT 1")
        ).scalar_one()
    return {
        "list_first_page": "limit=50",
        "number_whole": f"number={number}",
        "number_tail": f"number={number[-6:]}",
        "phone": f"phone={phone}",
        "text_substring": "q=窨井盖松动",
        "text_fuzzy": "q=明海花园窨井盖松了",
        "filters": "state=dispatched,acknowledged&overdue=true&channel=grid&limit=50",
    }


def search_figures(
    engine, base: str, get: Callable[[str], None], timed, summary, repeats: int
) -> dict[str, dict]:
    """p50/p99 of each query kind (`timed`/`summary` of the scale bench), one request at a
    time after one untimed request of each."""
    urls = {kind: f"{base}/api/v1/operator/cases/search?{q}" for kind, q in queries(engine).items()}
    for url in urls.values():
        get(url)
    return {kind: summary(timed(lambda u=url: get(u), repeats)) for kind, url in urls.items()}
