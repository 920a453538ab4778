"""Capture on the API's connections: a connection PostgreSQL dropped is replaced without the
phone seeing an error, and case numbers are used only by reports actually stored."""

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import text

from tests.integration.services.accounts import signed_in
from tests.integration.services.capture.payloads import report_body


def _backend_pids(app_engine) -> set[int]:
    """The server processes behind every connection idle in the app's pool."""
    pool = app_engine.pool
    held = [app_engine.connect() for _ in range(pool.checkedin())]
    try:
        return {c.execute(text("SELECT pg_backend_pid()")).scalar_one() for c in held}
    finally:
        for conn in held:
            conn.close()


def test_a_pooled_connection_the_database_dropped_is_replaced_without_an_error(
    config, make_app, engine, cells
):
    app = make_app(config)
    client = app.test_client()
    _, headers = signed_in(client, engine, "grid_worker", cells=(cells[0].code,))
    assert (
        client.post("/api/v1/reports", json=report_body(cells[0]), headers=headers).status_code
        == 201
    )
    app_engine = app.extensions["gridflow"].engine
    pids = _backend_pids(app_engine)
    assert pids
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(p) FROM unnest(CAST(:p AS int[])) p"),
                     {"p": sorted(pids)})  # fmt: skip
    try:
        body = report_body(cells[0])
        resp = client.post("/api/v1/reports", json=body, headers=headers)
        assert resp.status_code == 201, resp.get_json()
        assert resp.get_json()["id"] == body["id"]
        assert not pids & _backend_pids(app_engine)
    finally:
        app.extensions["gridflow"].locator.close()


def _seq(case_no: str) -> int:
    return int(case_no[14:])


def test_retries_and_lost_races_use_no_case_number(capture_app, api, cells, worker):
    _, headers = worker
    first = api.post("/api/v1/reports", json=report_body(cells[0]), headers=headers)
    assert first.status_code == 201
    assert api.post("/api/v1/reports", json=report_body(cells[0]) | {"id": first.get_json()["id"]},
                    headers=headers).status_code == 409  # fmt: skip
    racing = report_body(cells[0])

    def send(_):
        return capture_app.test_client().post("/api/v1/reports", json=racing, headers=headers)

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(send, range(10)))
    assert sorted(a.status_code for a in answers) == [200] * 9 + [201]
    raced = answers[0].get_json()["case_no"]
    assert api.post("/api/v1/reports", json=racing, headers=headers).status_code == 200
    last = api.post("/api/v1/reports", json=report_body(cells[0]), headers=headers).get_json()

    # Same district and day: consecutive numbers, whatever was retried or refused between.
    numbers = [first.get_json()["case_no"], raced, last["case_no"]]
    assert len({n[:14] for n in numbers}) == 1
    assert [_seq(n) for n in numbers] == [_seq(numbers[0]) + i for i in range(3)]
