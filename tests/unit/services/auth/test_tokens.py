"""Access tokens checked once by signature, then remembered: expiry still counts every time."""

import time
import uuid

import pytest

from services.auth import tokens
from services.auth.tokens import InvalidToken
from services.config import Config

CONFIG = Config(secret_key="a unit-test secret that is long enough to be accepted " * 2)


def _access(config: Config, ttl_s: int) -> str:
    config = config.with_(access_token_ttl_s=ttl_s)
    return tokens._pair(config, 42, uuid.uuid4(), uuid.uuid4()).access_token


def test_a_remembered_token_is_refused_once_it_expires(monkeypatch):
    token = _access(CONFIG, ttl_s=60)
    claims = tokens._decode(CONFIG, token, "access")
    assert claims["user_id"] == 42
    assert tokens._decode(CONFIG, token, "access")["sid"] == claims["sid"]  # from memory now
    later = time.time() + 61
    monkeypatch.setattr(tokens.time, "time", lambda: later)
    with pytest.raises(InvalidToken, match="expired"):
        tokens._decode(CONFIG, token, "access")


def test_a_token_signed_with_another_secret_is_refused_every_time():
    other = CONFIG.with_(secret_key="another secret, just as long as the first one is " * 2)
    token = _access(other, ttl_s=60)
    assert tokens._decode(other, token, "access")["user_id"] == 42
    for _ in range(2):
        with pytest.raises(InvalidToken, match="invalid"):
            tokens._decode(CONFIG, token, "access")


def test_a_refresh_token_is_not_an_access_token_even_when_remembered():
    pair = tokens._pair(CONFIG, 42, uuid.uuid4(), uuid.uuid4())
    assert tokens._decode(CONFIG, pair.refresh_token, "refresh")["user_id"] == 42
    with pytest.raises(InvalidToken, match="not an access token"):
        tokens._decode(CONFIG, pair.refresh_token, "access")
