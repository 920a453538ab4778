"""Every word of the phone client exists in Chinese and English, and every key the page and
the modules use is in the dictionary."""

from __future__ import annotations

import re

from services.mobile_web import assets

# The dictionary, and the words of the account screens and the notifications it takes in.
I18N = [path.read_text(encoding="utf-8")
        for path in sorted((assets.STATIC / "js").glob("i18n*.js"))]  # fmt: skip
INDEX = (assets.HERE / "templates" / "mobile" / "index.html").read_text(encoding="utf-8")
KEY = re.compile(r"^\s+'([a-z0-9_.]+)': '", re.M)


def dictionaries() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {"zh": set(), "en": set()}
    for source in I18N:
        zh_part, _, en_part = source.partition("\n  en: {")
        found["zh"] |= set(KEY.findall(zh_part))
        found["en"] |= set(KEY.findall(en_part))
    return found


def used_keys() -> set[str]:
    keys = set(re.findall(r'data-i18n="([a-z0-9_.]+)"', INDEX))
    for pairs in re.findall(r'data-i18n-attr="([^"]+)"', INDEX):
        keys |= {pair.split(":")[1] for pair in pairs.split(";")}
    for path in (assets.STATIC / "js").glob("*.js"):
        keys |= set(re.findall(r"\bt\('([a-z0-9_.]+)'", path.read_text(encoding="utf-8")))
    return keys


def test_chinese_and_english_have_the_same_words():
    found = dictionaries()
    assert len(found["zh"]) > 100
    assert found["zh"] == found["en"]


def test_every_key_in_use_is_translated():
    assert used_keys() - dictionaries()["zh"] == set()


def test_every_case_state_has_a_label():
    states = {"reported", "registered", "rejected", "merged", "dispatched", "acknowledged",
              "returned", "resolved", "closed"}  # fmt: skip
    assert {f"status.{s}" for s in states} <= dictionaries()["en"]


def test_no_module_writes_markup_from_strings():
    for path in (assets.STATIC / "js").glob("*.js"):
        source = path.read_text(encoding="utf-8")
        assert "innerHTML" not in source and "insertAdjacentHTML" not in source, path.name
