// The case panel's helpers for the operator's actions: the outcome of an action in the
// user's language (a refusal — 409 with the actions `allowed` now — named in Chinese, never
// the API's English message), the duplicate suggestions beside the merge form (open cases of
// the same category nearby), the departments a dispatch may name, the follow-up call's rating
// and the moderation form (hide the report, redact its text, hide its photos, with the
// reason).
"use strict";

window.gf = window.gf || {};

// Shows the answer of an action in `status`: done, refused (the case's state and what it
// allows now), or which field to correct.
gf.showOutcome = function showOutcome(status, resp) {
  status.className = resp.ok ? "status ok" : "status failed";
  if (resp.ok) {
    const state = resp.data && resp.data.state;
    status.textContent = gf.t("action.done") + (state ? ` · ${gf.t("state." + state)}` : "");
    return;
  }
  const err = (resp.data && resp.data.error) || {};
  const details = err.details || {};
  if (resp.status === 409 && Array.isArray(details.allowed)) {
    const allowed = details.allowed.map(gf.allowedName).join(gf.t("refusal.sep"))
      || gf.t("refusal.nothing");
    const why = details.why ? gf.t("refusal.why." + details.why) : "";
    status.textContent = `${gf.t("refusal.not_now")}${gf.t("state." + details.state)}`
      + `${gf.t("refusal.allowed")}${allowed}${why}`;
    status.classList.add("refused");
    return;
  }
  const field = err.field ? gf.t("field." + err.field) : "";
  status.textContent = gf.t("action.failed") + (field ? `${gf.t("refusal.check")}${field}` : "");
};

gf.allowedName = function allowedName(action) {
  const key = "allowed." + action;
  return gf.t(key) === key ? action : gf.t(key);
};

// Lists the open cases of the same category near a waiting report under the merge form; a
// click puts the case number in the form.
gf.mergeSuggestions = async function mergeSuggestions(form, handling) {
  const box = gf.el("ul", { class: "merge-suggestions" });
  form.after(box);
  if (handling.lat === null || handling.lng === null) return;
  const q = new URLSearchParams({ category: handling.category.code, lat: handling.lat,
    lng: handling.lng });
  const resp = await gf.api(`/api/v1/operator/hotline/nearby?${q}`);
  const items = resp.ok ? resp.data.items.filter((c) => c.id !== handling.id) : [];
  if (!items.length) {
    box.append(gf.el("li", { class: "none", text: gf.t("merge.none_nearby") }));
    return;
  }
  const input = form.querySelector("input[name=duplicate_of]");
  for (const c of items) {
    box.append(gf.el("li", { "data-case-id": c.id },
      gf.el("button", { type: "button", class: "pick", text: c.case_no,
        onclick: () => { input.value = c.case_no; } }),
      gf.el("span", { text: ` ${gf.t("state." + c.state)} · ${Math.round(c.distance_m)} m · `
        + `${c.summary || c.address || ""}` })));
  }
};

// Lists the departments the case may go to by hand under a dispatch form (the routing rules'
// choice and the one holding it marked); a click puts the code in the form.
gf.departmentChoices = async function departmentChoices(form, caseId) {
  const box = gf.el("ul", { class: "department-choices" });
  form.after(box);
  const resp = await gf.api(`/api/v1/operator/cases/${caseId}/departments`);
  if (!resp.ok) return;
  const input = form.querySelector("input[name=department_code]");
  for (const d of resp.data.items) {
    const marks = [d.routed && gf.t("dispatch.routed"), d.current && gf.t("dispatch.current")]
      .filter(Boolean).join(" · ");
    box.append(gf.el("li", { "data-code": d.code, class: d.current ? "current" : null },
      gf.el("button", { type: "button", class: "pick", text: d.name[gf.lang] || d.code,
        onclick: () => { input.value = d.code; } }),
      gf.el("span", { text: ` ${d.code}${marks ? " · " + marks : ""}` })));
  }
};

const RATINGS = ["satisfied", "basically_satisfied", "dissatisfied"];

// The follow-up call's rating (回访评价) of a closed case not rated yet, as the resident gave
// it on the phone; a 不满意 opens a revisit.
gf.ratingForm = function ratingForm(handling) {
  const choice = gf.el("select", { name: "rating" }, RATINGS.map((r) =>
    gf.el("option", { value: r, text: gf.t("rating." + r) })));
  const comment = gf.el("input", { name: "comment", placeholder: gf.t("rating.comment") });
  const status = gf.el("span", { class: "status" });
  const form = gf.el("form", { class: "action action-rate" }, choice, comment,
    gf.el("button", { type: "submit", text: gf.t("action.rate") }), status);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const json = { rating: choice.value, comment: comment.value.trim() };
    const resp = await gf.api(`/api/v1/cases/${handling.id}/rating`, { method: "POST", json });
    gf.showOutcome(status, resp);
  });
  return form;
};

const MODERATION_FLAGS = ["hidden", "redacted", "photos_hidden"];

// The moderation form of the case's report, its boxes as the report is moderated now.
gf.moderationForm = function moderationForm(handling) {
  const boxes = MODERATION_FLAGS.map((flag) => gf.el("input", { type: "checkbox", name: flag,
    checked: Boolean(handling.moderation[flag]) }));
  const reason = gf.el("input", { name: "reason", placeholder: gf.t("moderate.reason") });
  const status = gf.el("span", { class: "status" });
  const form = gf.el("form", { class: "action action-moderate" },
    gf.el("span", { class: "label", text: gf.t("moderate.title") }),
    MODERATION_FLAGS.map((flag, i) => gf.el("label", {}, boxes[i], gf.t("moderate." + flag))),
    reason, gf.el("button", { type: "submit", text: gf.t("action.moderate") }), status);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const json = { reason: reason.value.trim() };
    MODERATION_FLAGS.forEach((flag, i) => { json[flag] = boxes[i].checked; });
    const resp = await gf.api(`/api/v1/operator/reports/${handling.report_id}/moderate`,
      { method: "POST", json });
    gf.showOutcome(status, resp);
  });
  return form;
};

gf.addText({
  "refusal.not_now": "当前不能执行此操作：案件状态为「",
  "refusal.allowed": "」，现在可执行：",
  "refusal.nothing": "无",
  "refusal.sep": "、",
  "refusal.check": "，请检查：",
  "allowed.register": "立案", "allowed.reject": "不予立案", "allowed.merge": "合并",
  "allowed.dispatch": "派遣", "allowed.acknowledge": "签收", "allowed.return": "退回",
  "allowed.resolve": "处置", "allowed.verify_pass": "核查通过", "allowed.verify_fail": "核查不通过",
  "allowed.close_on_spot": "现场处置结案", "allowed.request_extension": "申请延期",
  "allowed.approve_extension": "批准延期", "allowed.reject_extension": "驳回延期",
  "allowed.rate": "评价", "allowed.unmerge": "撤销合并",
  "action.unmerge": "撤销合并", "action.unmerge_reason": "撤销合并的理由",
  "event.CaseUnmerged": "撤销合并",
  "refusal.why.unmerge_window": "（合并已超过一天，不能撤销）",
  "field.reason": "理由", "field.department_code": "部门编码", "field.duplicate_of": "主案件编号",
  "field.note": "意见", "field.new_due": "新期限",
  "merge.none_nearby": "附近没有同类未结案件",
  "dispatch.routed": "路由建议",
  "dispatch.current": "当前承办",
  "moderate.title": "内容审核：",
  "moderate.hidden": "对公众隐藏",
  "moderate.redacted": "隐去描述",
  "moderate.photos_hidden": "隐藏照片",
  "moderate.reason": "审核理由",
  "action.moderate": "保存审核",
  "action.rate": "记录回访评价",
  "rating.satisfied": "满意",
  "rating.basically_satisfied": "基本满意",
  "rating.dissatisfied": "不满意",
  "rating.comment": "评价意见（可选）",
  "field.rating": "评价", "field.comment": "评价意见",
}, {
  "refusal.not_now": "Not possible now: the case is “",
  "refusal.allowed": "”; allowed now: ",
  "refusal.nothing": "nothing",
  "refusal.sep": ", ",
  "refusal.check": "; check: ",
  "allowed.register": "register", "allowed.reject": "reject", "allowed.merge": "merge",
  "allowed.dispatch": "dispatch", "allowed.acknowledge": "acknowledge", "allowed.return": "return",
  "allowed.resolve": "resolve", "allowed.verify_pass": "verify (pass)",
  "allowed.verify_fail": "verify (fail)", "allowed.close_on_spot": "close on the spot",
  "allowed.request_extension": "request an extension",
  "allowed.approve_extension": "approve the extension",
  "allowed.reject_extension": "reject the extension", "allowed.rate": "rate",
  "allowed.unmerge": "un-merge",
  "action.unmerge": "Un-merge", "action.unmerge_reason": "Why it is un-merged",
  "event.CaseUnmerged": "Un-merged",
  "refusal.why.unmerge_window": " (merged more than a day ago: it can no longer be un-merged)",
  "field.reason": "reason", "field.department_code": "department code",
  "field.duplicate_of": "main case number", "field.note": "note", "field.new_due": "new due time",
  "merge.none_nearby": "No open case of this category nearby",
  "dispatch.routed": "routing rules' choice",
  "dispatch.current": "holds it now",
  "moderate.title": "Moderation:",
  "moderate.hidden": "hide from the public",
  "moderate.redacted": "redact the text",
  "moderate.photos_hidden": "hide the photos",
  "moderate.reason": "Reason",
  "action.moderate": "Save moderation",
  "action.rate": "Record the follow-up rating",
  "rating.satisfied": "satisfied",
  "rating.basically_satisfied": "basically satisfied",
  "rating.dissatisfied": "dissatisfied",
  "rating.comment": "Comment (optional)",
  "field.rating": "rating", "field.comment": "comment",
});
