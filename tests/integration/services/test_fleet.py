"""`gridflow simulate`'s fleet on the demo world: grid workers bound to one cell each, a staff
account per staffed department, the active categories; a second run re-binds the same
accounts instead of creating more."""

from dataclasses import replace

from sqlalchemy import text

from services.simulate.fleet import ensure_fleet


def test_the_fleet_is_made_once_and_bound_to_the_grid(engine, config, demo):
    dev = replace(config, env="development")
    fleet = ensure_fleet(engine, dev, workers=3, seed=7)
    again = ensure_fleet(engine, dev, workers=3, seed=7)
    assert again == fleet
    assert len(fleet.workers) == 3 and fleet.departments and fleet.categories
    usernames = [w.username for w in fleet.workers] + list(fleet.departments.values())
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT u.username, u.role, u.department_code, u.active, "
                "array(SELECT c.cell_code FROM user_cell c WHERE c.user_id = u.id) AS cells "
                "FROM app_user u WHERE u.username = ANY(:names)"
            ),
            {"names": usernames},
        ).all()
        queues = (
            conn.execute(text("SELECT code FROM department WHERE kind = 'operator_queue'"))
            .scalars()
            .all()
        )
    by_name = {r.username: r for r in rows}
    assert len(by_name) == len(usernames)
    for worker in fleet.workers:
        row = by_name[worker.username]
        assert (row.role, row.cells, row.active) == ("grid_worker", [worker.cell_code], True)
        assert -90 <= worker.lat <= 90 and -180 <= worker.lng <= 180
    for code, username in fleet.departments.items():
        assert (by_name[username].role, by_name[username].department_code) == (
            "department_staff", code,
        )  # fmt: skip
    assert not set(fleet.departments) & set(queues)


def test_the_fleets_workers_walk_plausible_paths_inside_their_cells(engine, config, demo):
    import random

    from services.simulate.streets import StreetWalk

    fleet = ensure_fleet(engine, replace(config, env="development"), workers=3, seed=11)
    for worker in fleet.workers:
        walker = StreetWalk(list(worker.ring), random.Random(1))
        points = [walker.step(25.0) for _ in range(300)]
        line = "LINESTRING(" + ",".join(f"{lng} {lat}" for lat, lng in points) + ")"
        with engine.connect() as conn:
            covered, length = conn.execute(
                text(
                    "SELECT ST_Covers(c.geom, ST_GeomFromText(:line, 4326)), "
                    "ST_Length(CAST(ST_GeomFromText(:line, 4326) AS geography)) "
                    "FROM grid_cell c JOIN grid_version v ON v.id = c.version_id "
                    "AND v.valid_to IS NULL WHERE c.code = :code"
                ),
                {"line": line, "code": worker.cell_code},
            ).one()
        assert covered, worker.cell_code
        assert 299 * 25 / 2 < length <= 299 * 25 + 1  # walked on, never jumping
