"""Which accounts may be created: the jurisdiction levels operators and leaders are bound to."""

import pytest

from services.auth.users import AccountError, NewAccount

PASSWORD = "correct horse battery staple"


def account(role: str, jurisdiction: str | None) -> NewAccount:
    return NewAccount("someone", PASSWORD, role, jurisdiction_code=jurisdiction)


@pytest.mark.parametrize("role", ["operator", "leader"])
@pytest.mark.parametrize("code", ["330211", "330211001", "330211001002"])
def test_operators_and_leaders_of_a_district_street_or_community(role, code):
    account(role, code).validate(development=False)


@pytest.mark.parametrize("role", ["operator", "leader"])
@pytest.mark.parametrize("code", [None, "", "3302", "330211001002003", "33021100100A"])
def test_other_jurisdictions_are_refused_naming_the_field(role, code):
    with pytest.raises(AccountError) as raised:
        account(role, code).validate(development=False)
    assert raised.value.field == "jurisdiction"
    assert "6-digit, 9-digit, 12-digit" in raised.value.message


def test_an_unknown_role_is_refused_naming_the_roles():
    with pytest.raises(AccountError) as raised:
        account("mayor", "330211").validate(development=False)
    assert raised.value.field == "role" and "leader" in raised.value.message
