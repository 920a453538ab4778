// The case panel of the command center: the case, its timeline, its photos and the operator
// actions (dispatch, re-dispatch, approve or reject an extension, merge or un-merge, and the
// revisit —
// 回访 — of a case its reporter rated 不满意: close it with a note, or send it back as rework;
// supervise — 督办 — or urge — 催办 — the department holding it, with a note; moderate the
// report). Outcomes, duplicate suggestions and moderation: caseactions.js.
"use strict";

window.gf = window.gf || {};

// Operator actions: the endpoint (under /api/v1/operator/), the states it applies to, the
// field it takes. Extension decisions show only while a request is pending.
gf.OPERATOR_ACTIONS = {
  register: { path: (c) => `reports/${c.report_id}/register`, states: ["reported"],
    field: "department_code" },
  reject: { path: (c) => `reports/${c.report_id}/reject`, states: ["reported"], field: "reason" },
  dispatch: { path: (c) => `cases/${c.id}/dispatch`, states: ["registered", "returned"],
    field: "department_code" },
  redispatch: { path: (c) => `cases/${c.id}/dispatch`, states: ["dispatched"],
    field: "department_code" },
  approve_extension: { path: (c) => `cases/${c.id}/extension/approve`, extension: true },
  reject_extension: { path: (c) => `cases/${c.id}/extension/reject`, extension: true,
    field: "reason" },
  merge: { path: (c) => `cases/${c.id}/merge`, states: ["reported"], field: "duplicate_of" },
  // Within a day of the merge; later the server refuses it (409) and the panel says why.
  unmerge: { path: (c) => `cases/${c.id}/unmerge`, states: ["merged"], field: "reason",
    hint: "action.unmerge_reason" },
  revisit_close: { path: (c) => `cases/${c.id}/revisit`, revisit: true, field: "note",
    body: { outcome: "closed" } },
  revisit_rework: { path: (c) => `cases/${c.id}/revisit`, revisit: true, field: "note",
    body: { outcome: "rework" } },
  supervise: { path: (c) => `cases/${c.id}/supervise`, states: ["dispatched", "acknowledged"],
    field: "note", hint: "action.press_note" },
  urge: { path: (c) => `cases/${c.id}/urge`, states: ["dispatched", "acknowledged"],
    field: "note", hint: "action.press_note" },
};
const FIELD_HINTS = { department_code: "action.department", duplicate_of: "action.duplicate_of",
  reason: "console.reason", note: "action.revisit_note" };

gf.renderCasePanel = function renderCasePanel(panel, detail) {
  const c = detail.case;
  const r = detail.report || {};
  panel.dataset.caseId = c.id;
  panel.hidden = false;
  const fields = [
    ["case.state", gf.t("state." + c.state) + (c.overdue ? ` · ${gf.t("case.overdue")}` : "")],
    ["case.category", (c.category || {})[gf.lang] || c.category_code],
    ["case.department", (c.department || {})[gf.lang] || c.department_code || "—"],
    ["case.ack_due", gf.fmtDateTime(c.ack_due)],
    ["case.resolve_due", gf.fmtDateTime(c.resolve_due)],
    ["case.address", r.address || "—"],
    ["case.description", r.description || ""],
  ];
  // The answers to the category's extra questions (none when moderation withholds the text).
  const answers = (r.answers || []).map((a) => [
    gf.el("dt", { class: "answer", text: gf.lang === "en" ? a.text_en : a.text_zh }),
    gf.el("dd", { class: "answer", "data-code": a.code, text: a.answer })]);
  const dl = gf.el("dl", {}, fields.map(([k, v]) => [gf.el("dt", { text: gf.t(k) }),
    gf.el("dd", { text: v })]), answers);
  const timeline = gf.el("ol", { class: "timeline" }, detail.timeline.map((e) =>
    gf.el("li", { class: `event-${e.type}` },
      gf.el("time", { text: gf.fmtDateTime(e.at) }),
      gf.el("span", { class: "type", text: gf.t("event." + e.type) }),
      gf.el("span", { class: "actor", text: e.actor || "" }),
      gf.el("span", { class: "note",
        text: e.detail.reason || e.detail.note || e.note || "" }))));
  const photos = gf.el("div", { class: "photos" });
  const actions = gf.el("div", { class: "actions" });
  gf.clear(panel).append(
    gf.el("header", {},
      gf.el("h2", { text: `${gf.t("case.title")} ${c.case_no || ""}` }),
      gf.el("button", { type: "button", class: "close", text: gf.t("case.close"),
        onclick: () => { panel.hidden = true; delete panel.dataset.caseId; } })),
    dl,
    gf.el("h3", { text: gf.t("case.timeline") }), timeline,
    gf.el("h3", { text: gf.t("case.photos") }), photos,
    actions);
  for (const p of detail.photos) loadPhoto(photos, `/api/v1/photos/${p.id}?thumbnail=1`, p.kind);
  enrich(panel, c, photos, actions);
};

// Operators also get the handling view of the case: resolution and verification photos, and
// whether an extension request is pending. Other roles keep what the live feed gave.
async function enrich(panel, c, photos, actions) {
  const resp = await gf.api(`/api/v1/operator/cases/${c.id}`);
  if (panel.dataset.caseId !== c.id) return;
  const handling = resp.ok ? resp.data : null;
  if (handling) {
    for (const p of handling.photos || []) {
      if (p.kind !== "before") loadPhoto(photos, p.thumbnail_url, p.kind);
    }
  }
  const pending = Boolean(handling && handling.extension && handling.extension.status === "pending");
  // A 不满意 rating of a closed case opened a revisit; the server refuses one already done.
  const revisit = Boolean(handling && handling.state === "closed" && handling.rating
    && handling.rating.rating === "dissatisfied");
  renderActions(actions, c, { extension: pending, revisit }, Boolean(handling));
  if (!handling) return;
  const merge = actions.querySelector("form.action-merge");
  if (merge) gf.mergeSuggestions(merge, handling);
  for (const form of actions.querySelectorAll("form")) {
    if (form.querySelector("input[name=department_code]")) gf.departmentChoices(form, c.id);
  }
  if (handling.state === "closed" && !handling.rating) actions.append(gf.ratingForm(handling));
  actions.append(gf.moderationForm(handling));
}

async function loadPhoto(container, url, kind) {
  const resp = await gf.api(url);
  if (!resp.ok || !(resp.data instanceof Blob)) return;
  container.append(gf.el("img", { src: URL.createObjectURL(resp.data), alt: kind,
    class: `photo ${kind}` }));
}

function renderActions(container, c, open, isOperator) {
  gf.clear(container);
  if (!isOperator) return;
  for (const [name, action] of Object.entries(gf.OPERATOR_ACTIONS)) {
    const applies = action.extension ? open.extension
      : action.revisit ? open.revisit : action.states.includes(c.state);
    if (!applies) continue;
    const input = action.field ? gf.el("input", {
      name: action.field, list: action.field === "department_code" ? "department-codes" : null,
      placeholder: gf.t(action.hint || FIELD_HINTS[action.field]),
    }) : null;
    const status = gf.el("span", { class: "status" });
    const form = gf.el("form", { class: `action action-${name}` }, input,
      gf.el("button", { type: "submit", text: gf.t("action." + name) }), status);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const json = { ...(action.body || {}) };
      if (input && input.value.trim()) json[action.field] = input.value.trim();
      const resp = await gf.api(`/api/v1/operator/${action.path(c)}`, { method: "POST", json });
      gf.showOutcome(status, resp);
    });
    container.append(form);
  }
}
