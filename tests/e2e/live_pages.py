"""Helpers of the live-page tests: accounts, signing in on a page, reading the ticker."""

from __future__ import annotations

from sqlalchemy import Engine

from tests.integration.services.accounts import PASSWORD, make_user


def account(engine: Engine, role: str, **scope) -> tuple[int, str]:
    """A fresh account of `role`: (user id, username)."""
    return make_user(engine, role, **scope)


def sign_in(page, base_url: str, path: str, username: str) -> None:
    """Opens `path`, signs in through the page's form and waits for the live connection."""
    page.goto(base_url + path)
    page.fill("#login-username", username)
    page.fill("#login-password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#connection.online", timeout=10_000)


def ticker_ids(page) -> list[int]:
    """The case-event ids shown in the command center's ticker, top (newest) first."""
    return [
        int(x)
        for x in page.eval_on_selector_all(
            "#ticker li[data-event-id]", "items => items.map(i => i.dataset.eventId)"
        )
    ]
