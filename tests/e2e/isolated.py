"""A page test module's own database, topics and `gridflow serve`: its cases stay out of the
other tests' lists, searches and duplicate checks. In a module:

    stack, engine, live_server, writer = own_module("search")

(pytest finds fixtures by their names in the module)."""

from __future__ import annotations

import pytest

from tests.integration.services.live.cases import CaseWriter
from tests.integration.services.live.isolated import own_engine, own_stack
from tests.processes import serving


def own_module(name: str):
    """The fixtures `stack` (the module's Config), `engine` (its database), `live_server` (the
    URL of its `serve`) and `writer` (writes cases and events into it), each named after
    `name` (databases, topics, process logs)."""

    @pytest.fixture(scope="module")
    def stack(config):
        with own_stack(config, f"e2e{name}") as own:
            yield own

    @pytest.fixture(scope="module")
    def engine(stack):
        with own_engine(stack) as own:
            yield own

    @pytest.fixture(scope="module")
    def live_server(stack):
        with serving(f"e2e-{name}-serve", stack) as url:
            yield url

    @pytest.fixture()
    def writer(stack, engine):
        w = CaseWriter(stack, engine)
        yield w
        w.close()

    return stack, engine, live_server, writer
