import pytest

from tests.integration.apps import media_app
from tests.integration.services.accounts import signed_in
from tests.integration.services.grid_fixtures import cell_points


@pytest.fixture(scope="session")
def cells(engine):
    """Points inside six cells of the demo grid (the last one in another street)."""
    return cell_points(engine)


@pytest.fixture(scope="session")
def capture_app(config, tmp_path_factory):
    """The app with photos stored in a temporary media directory; one worker files dozens of
    reports at once here, past any per-account burst (test_bad_input tests the limit)."""
    yield from media_app(config, tmp_path_factory, rate_limit_per_minute=10_000)


@pytest.fixture()
def api(capture_app):
    return capture_app.test_client()


@pytest.fixture()
def worker(api, engine, cells):
    """A grid worker bound to the first two cells: (user id, auth headers)."""
    return signed_in(api, engine, "grid_worker", cells=(cells[0].code, cells[1].code))
