// A category's extra questions in the catalog editor: each a code, its wording in Chinese and
// English, free text or a choice list (answers separated by commas), required or not; asked on
// the phone's report form and in the category's Open311 service definition.
"use strict";

window.gf = window.gf || {};

gf.questions = {
  // Fills the editor with the category's questions.
  show(questions) {
    const list = gf.clear(gf.$("#q-list"));
    for (const q of questions) list.append(gf.questions.row(q));
  },

  row(q) {
    const field = (cls, key, input) => gf.el("label", { class: cls }, gf.el("span", { text: gf.t(key) }), input);
    const kind = gf.el("select", { class: "q-kind" },
      gf.el("option", { value: "text", text: gf.t("q.text") }),
      gf.el("option", { value: "choice", text: gf.t("q.choice") }));
    kind.value = q.kind || "text";
    const choices = gf.el("input", { class: "q-choices", value: (q.choices || []).join(", ") });
    const required = gf.el("input", { type: "checkbox", class: "q-required" });
    required.checked = Boolean(q.required);
    const row = gf.el("fieldset", { class: "question", "data-code": q.code || "" },
      field("", "q.code", gf.el("input", { class: "q-code", value: q.code || "" })),
      field("", "q.text_zh", gf.el("input", { class: "q-text-zh", value: q.text_zh || "" })),
      field("", "q.text_en", gf.el("input", { class: "q-text-en", value: q.text_en || "" })),
      field("", "q.kind", kind),
      field("q-choices-field", "q.choices", choices),
      gf.el("label", { class: "check" }, required, gf.el("span", { text: gf.t("q.required") })),
      gf.el("button", { type: "button", class: "q-remove", text: gf.t("q.remove"), onclick: () => row.remove() }));
    const showChoices = () => row.querySelector(".q-choices-field").classList.toggle("off", kind.value !== "choice");
    kind.addEventListener("change", showChoices);
    showChoices();
    return row;
  },

  // The questions as the editor holds them, in order.
  read() {
    return [...document.querySelectorAll("#q-list .question")].map((row) => {
      const value = (cls) => row.querySelector(cls).value.trim();
      const kind = value(".q-kind");
      return {
        code: value(".q-code"), text_zh: value(".q-text-zh"), text_en: value(".q-text-en"), kind,
        choices: kind === "choice" ? value(".q-choices").split(/[,，、]/).map((c) => c.trim()).filter(Boolean) : [],
        required: row.querySelector(".q-required").checked,
      };
    });
  },

  // Saves them for category `code`: {ok, data} of the API.
  save(code) {
    return gf.api(`/api/v1/admin/categories/${code}/questions`, { method: "PUT", json: { questions: gf.questions.read() } });
  },

  start() {
    gf.$("#q-add").addEventListener("click", () => gf.$("#q-list").append(gf.questions.row({ kind: "text" })));
  },
};
