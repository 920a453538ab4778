"""Password hashing and the development-only rule for well-known passwords."""

import pytest

from services.auth.passwords import WeakPassword, check_allowed, hash_password, verify_password


def test_hash_verifies_only_the_right_password():
    stored = hash_password("s3cret-enough")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "s3cret-enough")
    assert not verify_password(stored, "s3cret-enougH")
    assert not verify_password(None, "s3cret-enough")
    assert not verify_password("not-a-hash", "s3cret-enough")


@pytest.mark.parametrize("password", ["demo", "Password", "123456", "short"])
def test_well_known_or_short_passwords_are_refused_outside_development(password):
    with pytest.raises(WeakPassword):
        check_allowed(password, development=False)
    check_allowed(password, development=True)
