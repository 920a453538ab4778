"""A category's extra questions and a report's answers to them, without a database."""

from __future__ import annotations

import pytest

from services.domain.questions import QuestionError, answered, check_answers, check_questions

DEPTH = {"code": "depth", "text_zh": " 积水深度 ", "kind": "choice",
         "choices": ["没过脚踝", "没过膝盖"], "required": True}  # fmt: skip
NOTE = {"code": "note", "text_zh": "补充", "text_en": "Note", "kind": "text", "choices": ["x"],
        "required": False}  # fmt: skip


def test_questions_are_kept_trimmed_with_choices_only_for_a_choice():
    assert check_questions([DEPTH, NOTE]) == [
        {"code": "depth", "text_zh": "积水深度", "text_en": "", "kind": "choice",
         "choices": ["没过脚踝", "没过膝盖"], "required": True},
        {"code": "note", "text_zh": "补充", "text_en": "Note", "kind": "text", "choices": [],
         "required": False},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("questions", "field"),
    [
        ([DEPTH | {"code": "9lives"}], "questions[0].code"),
        ([DEPTH | {"code": "ongoing"}], "questions[0].code"),
        ([DEPTH, NOTE | {"code": "depth"}], "questions[1].code"),
        ([DEPTH | {"text_zh": "  "}], "questions[0].text_zh"),
        ([DEPTH | {"choices": ["一个"]}], "questions[0].choices"),
        ([DEPTH | {"choices": ["一", " "]}], "questions[0].choices"),
        ([NOTE | {"kind": "date"}], "questions[0].kind"),
        ([NOTE | {"code": f"q{i}"} for i in range(11)], "questions"),
    ],
)
def test_bad_questions_name_the_field(questions, field):
    with pytest.raises(QuestionError) as caught:
        check_questions(questions)
    assert caught.value.field == field


def test_answers_are_trimmed_checked_and_the_required_enforced():
    questions = check_questions([DEPTH, NOTE])
    assert check_answers(questions, {"depth": "没过膝盖", "note": "  "}) == {"depth": "没过膝盖"}
    for answers, field in (
        ({}, "depth"),
        ({"depth": "没过头顶"}, "depth"),
        ({"depth": "没过膝盖", "mood": "ok"}, "mood"),
        ({"depth": "没过膝盖", "note": "x" * 501}, "note"),
        ({"depth": 3}, "depth"),
    ):
        with pytest.raises(QuestionError) as caught:
            check_answers(questions, answers)
        assert caught.value.field == field, answers
    assert check_answers([], {}) == {}


def test_answers_are_shown_in_the_questions_order_worded_by_them():
    questions = [
        {"code": "bins", "text_zh": "垃圾桶是否满溢", "text_en": "Are the bins full?",
         "kind": "choice", "choices": ["满溢", "未满"], "required": True},
        {"code": "shop", "text_zh": "附近商铺名称", "text_en": "", "kind": "text", "choices": [],
         "required": False},
    ]  # fmt: skip
    attributes = {"landmark": "菜场", "shop": "好又多", "old": "旧问题的回答", "bins": "满溢"}
    assert answered(questions, attributes) == [
        {"code": "bins", "text_zh": "垃圾桶是否满溢", "text_en": "Are the bins full?",
         "answer": "满溢"},
        {"code": "shop", "text_zh": "附近商铺名称", "text_en": "附近商铺名称", "answer": "好又多"},
        {"code": "old", "text_zh": "old", "text_en": "old", "answer": "旧问题的回答"},
    ]  # fmt: skip
    assert answered(questions, {"landmark": "菜场"}) == []
