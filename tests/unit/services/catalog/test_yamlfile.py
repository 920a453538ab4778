"""The catalog YAML with extra questions: what `dump` writes `parse` reads back the same, and a
bad question definition is refused naming its category and key."""

from __future__ import annotations

import pytest
import yaml

from services.catalog.yamlfile import CatalogFileError, dump, parse
from services.store.catalog import catalog_rows

QUESTIONS = [
    {"code": "bins", "text_zh": "垃圾桶是否满溢", "text_en": "Are the bins full?",
     "kind": "choice", "choices": ["满溢", "未满"], "required": True},
    {"code": "shop", "text_zh": "附近商铺名称", "text_en": "", "kind": "text", "choices": [],
     "required": False},
]  # fmt: skip


def _rows_with_questions() -> list[dict]:
    rows = catalog_rows()
    for row in rows:
        row["questions"] = QUESTIONS if row["code"] == "201001" else []
    return rows


def test_questions_round_trip_through_the_file():
    rows = _rows_with_questions()
    text = dump(rows)
    entry = yaml.safe_load(text)["event"]["01"]["classes"]["001"]
    assert [q["code"] for q in entry["questions"]] == ["bins", "shop"]
    assert "choices" not in entry["questions"][1]  # a text question lists no choices
    back = {r["code"]: r for r in parse(text)}
    assert back["201001"]["questions"] == QUESTIONS
    assert "questions" not in back["102007"]  # none written: the class keeps its own
    assert dump(list(back.values())) == text


def test_an_empty_list_removes_questions_and_no_key_keeps_them():
    document = yaml.safe_load(dump(_rows_with_questions()))
    document["event"]["01"]["classes"]["001"]["questions"] = []
    rows = {r["code"]: r for r in parse(yaml.safe_dump(document, allow_unicode=True))}
    assert rows["201001"]["questions"] == []


@pytest.mark.parametrize(
    ("question", "field"),
    [
        ({"kind": "number"}, "201001.questions[0].kind"),
        ({"code": "Bad Code"}, "201001.questions[0].code"),
        ({"code": "landmark"}, "201001.questions[0].code"),
        ({"kind": "choice", "choices": ["只有一个"]}, "201001.questions[0].choices"),
        ({"text_zh": ""}, "201001.questions[0].text_zh"),
        ({"colour": "red"}, "201001.questions[0].colour"),
        ({"required": "maybe"}, "201001.questions[0].required"),
    ],
)
def test_bad_question_definitions_are_refused_naming_the_field(question, field):
    document = yaml.safe_load(dump(_rows_with_questions()))
    good = {"code": "q", "text_zh": "问题", "kind": "text"}
    document["event"]["01"]["classes"]["001"]["questions"] = [good | question]
    with pytest.raises(CatalogFileError) as refused:
        parse(yaml.safe_dump(document, allow_unicode=True))
    assert refused.value.field == field
    assert field.split(".", 1)[1] in str(refused.value)


def test_questions_that_are_no_list_or_missing_a_key_are_refused():
    document = yaml.safe_load(dump(_rows_with_questions()))
    classes = document["event"]["01"]["classes"]
    classes["001"]["questions"] = "bins"
    with pytest.raises(CatalogFileError) as refused:
        parse(yaml.safe_dump(document, allow_unicode=True))
    assert refused.value.field == "201001.questions"
    classes["001"]["questions"] = [{"code": "q", "text_zh": "问题"}]
    with pytest.raises(CatalogFileError) as refused:
        parse(yaml.safe_dump(document, allow_unicode=True))
    assert refused.value.field == "201001.questions[0].kind"
