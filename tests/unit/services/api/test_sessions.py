"""The API's cookie session behaves as Flask's: no cookie for requests that leave it alone, a
signed cookie that comes back, tampered or foreign cookies ignored, a new secret key honoured."""

from __future__ import annotations

from flask import Flask, session

from services.api.sessions import CookieSessions


def _app(secret: str = "s3cret") -> Flask:
    app = Flask(__name__)
    app.secret_key = secret
    app.session_interface = CookieSessions()

    @app.get("/plain")
    def plain():
        return "ok"

    @app.get("/set/<value>")
    def set_value(value: str):
        session["value"] = value
        return "set"

    @app.get("/get")
    def get_value():
        return session.get("value", "-")

    @app.get("/clear")
    def clear():
        session.clear()
        return "cleared"

    return app


def test_a_request_that_leaves_the_session_alone_gets_no_cookie_and_no_vary():
    response = _app().test_client().get("/plain")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert "Vary" not in response.headers


def test_a_session_written_by_one_request_is_read_by_the_next():
    client = _app().test_client()
    written = client.get("/set/42")
    assert "session=" in written.headers["Set-Cookie"]
    assert client.get("/get").text == "42"
    assert client.get("/get").headers["Vary"] == "Cookie"
    cleared = client.get("/clear")
    assert "session=;" in cleared.headers["Set-Cookie"]
    assert client.get("/get").text == "-"


def test_a_tampered_cookie_or_one_signed_with_another_key_is_an_empty_session():
    other = _app("another key").test_client()
    other.get("/set/theirs")
    foreign = other.get_cookie("session").value
    client = _app().test_client()
    client.set_cookie("session", foreign)
    assert client.get("/get").text == "-"
    client.get("/set/mine")
    good = client.get_cookie("session").value
    client.set_cookie("session", good[:-2] + ("AA" if not good.endswith("AA") else "BB"))
    assert client.get("/get").text == "-"


def test_a_changed_secret_key_signs_new_cookies_and_refuses_old_ones():
    app = _app("first")
    client = app.test_client()
    client.get("/set/before")
    app.secret_key = "second"
    assert client.get("/get").text == "-"
    client.get("/set/after")
    assert client.get("/get").text == "after"
