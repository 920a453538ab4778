// The department console: the department's open cases with live countdowns to their due
// times, and the department's actions: acknowledge, resolve (with a photo), return, request an
// extension. A new case arriving shows a notification. A case the command center supervised
// (督办) or urged (催办) by hand goes to the top, marked, with the operator's note.
"use strict";

(function departmentConsole() {
  const ACTIVE = ["dispatched", "acknowledged"];
  const PRESSING = { CaseSupervised: "console.supervised", CaseUrged: "console.urged" };
  const cases = new Map();   // case id → newest case view (by seq)
  let department = null;

  function countdownOf(c) {
    const due = c.state === "dispatched" ? c.ack_due : c.resolve_due;
    const label = c.state === "dispatched" ? "console.ack_in" : "console.resolve_in";
    return { due: due ? new Date(due).getTime() : null, label };
  }

  function actionForm(c, kind, fields) {
    const status = gf.el("span", { class: "status" });
    const form = gf.el("form", { class: `form-${kind}`, hidden: true }, fields,
      gf.el("button", { type: "submit", text: gf.t("console.submit") }), status);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const data = new FormData(form);
      const options = kind === "resolve" ? { method: "POST", form: data }
        : { method: "POST", json: Object.fromEntries(data.entries()) };
      if (kind === "extension" && options.json.requested_due) {
        options.json.requested_due = new Date(options.json.requested_due).toISOString();
      }
      await act(c, kind, options, status);
    });
    return form;
  }

  async function act(c, kind, options, status) {
    const resp = await gf.api(`/api/v1/department/cases/${c.id}/${kind}`, options);
    const err = resp.data && resp.data.error;
    status.textContent = resp.ok ? gf.t("action.done")
      : `${gf.t("action.failed")}${err ? ": " + err.message : ""}`;
    status.className = resp.ok ? "status ok" : "status failed";
  }

  function pressedNote(p) {
    if (!p) return null;
    const by = p.respond_by
      ? ` · ${gf.t("console.respond_by")} ${new Date(p.respond_by).toLocaleString(gf.lang)}` : "";
    return gf.el("p", { class: `pressed pressed-${p.type}` },
      gf.el("strong", { class: "pressed-kind", text: gf.t(PRESSING[p.type]) }), " ",
      gf.el("span", { class: "pressed-note", text: p.note || "" }), by);
  }

  function card(c) {
    const count = countdownOf(c);
    const status = gf.el("span", { class: "status" });
    const forms = {
      resolve: actionForm(c, "resolve", [
        gf.el("textarea", { name: "note", placeholder: gf.t("console.note"), rows: 2 }),
        gf.el("label", {}, gf.el("span", { text: gf.t("console.photo") }),
          gf.el("input", { type: "file", name: "photo", accept: "image/*" })),
      ]),
      return: actionForm(c, "return", [
        gf.el("input", { name: "reason", placeholder: gf.t("console.reason"), required: true }),
      ]),
      extension: actionForm(c, "extension", [
        gf.el("label", {}, gf.el("span", { text: gf.t("console.requested_due") }),
          gf.el("input", { type: "datetime-local", name: "requested_due", required: true })),
        gf.el("input", { name: "reason", placeholder: gf.t("console.reason"), required: true }),
      ]),
    };
    const toggle = (kind) => () => { forms[kind].hidden = !forms[kind].hidden; };
    const buttons = gf.el("div", { class: "buttons" },
      c.state === "dispatched" ? gf.el("button", { type: "button", class: "acknowledge",
        text: gf.t("console.acknowledge"),
        onclick: () => act(c, "acknowledge", { method: "POST", json: {} }, status) }) : null,
      c.state === "acknowledged" ? gf.el("button", { type: "button", class: "resolve",
        text: gf.t("console.resolve"), onclick: toggle("resolve") }) : null,
      gf.el("button", { type: "button", class: "return", text: gf.t("console.return"),
        onclick: toggle("return") }),
      gf.el("button", { type: "button", class: "extension", text: gf.t("console.extension"),
        onclick: toggle("extension") }),
      status);
    return gf.el("article", {
      class: `case-card state-${c.state}${c.overdue ? " overdue" : ""}${c.pressed ? " pressed" : ""}`,
      "data-case-id": c.id, "data-state": c.state },
      gf.el("h3", {}, gf.el("span", { class: "case-no", text: c.case_no || "" }), " · ",
        gf.el("span", { class: "state", text: gf.t("state." + c.state) })),
      pressedNote(c.pressed),
      gf.el("div", { class: "meta",
        text: [(c.category || {})[gf.lang], c.address].filter(Boolean).join(" · ") }),
      gf.el("p", { class: "description", text: c.summary || "" }),
      gf.el("div", {}, gf.el("span", { text: `${gf.t(count.label)}: ` }),
        gf.el("span", { class: "countdown", "data-due": count.due === null ? "" : count.due })),
      buttons, forms.resolve, forms.return, forms.extension);
  }

  function render() {
    const list = gf.clear(gf.$("#cases"));
    // Pressed cases first, the latest pressed on top; then the nearest due time.
    const pressedAt = (c) => (c.pressed ? new Date(c.pressed.at).getTime() : -Infinity);
    const active = [...cases.values()].filter((c) => ACTIVE.includes(c.state))
      .sort((a, b) => (pressedAt(b) - pressedAt(a))  // NaN (neither pressed) is falsy
        || (countdownOf(a).due || Infinity) - (countdownOf(b).due || Infinity));
    for (const c of active) list.append(card(c));
    gf.$("#empty").hidden = active.length > 0;
    tick();
  }

  function tick() {
    const now = Date.now();
    for (const node of document.querySelectorAll(".countdown")) {
      if (!node.dataset.due) { node.textContent = "—"; continue; }
      const left = (Number(node.dataset.due) - now) / 1000;
      node.textContent = gf.fmtDuration(left);
      node.classList.toggle("late", left < 0);
    }
  }

  function notify(c) {
    const text = `${gf.t("console.new_case")}: ${c.case_no || ""} ${(c.category || {})[gf.lang] || ""}`;
    const toast = gf.el("div", { class: "toast", role: "status", text });
    gf.$("#toasts").append(toast);
    setTimeout(() => toast.remove(), 8000);
    if (window.Notification && Notification.permission === "granted") {
      new Notification(gf.t("console.new_case"), { body: text });
    }
  }

  function keepNewest(c) {
    const known = cases.get(c.id);
    if (known && (known.seq || 0) > (c.seq || 0)) return false;
    cases.set(c.id, c);
    return true;
  }

  // What a message says of the case's pressing: the event's own, else the one known while
  // the same department holds it.
  function pressingOf(m, c) {
    if (PRESSING[m.type]) {
      return { type: m.type, at: m.at, note: m.detail.note, respond_by: m.detail.respond_by };
    }
    const known = cases.get(c.id);
    return known && known.department_code === c.department_code ? known.pressed : null;
  }

  function onEvent(m) {
    const c = m.case;
    if (!c) return;
    c.pressed = pressingOf(m, c);
    const mine = c.department_code === department;
    const wasActive = cases.has(c.id) && ACTIVE.includes(cases.get(c.id).state);
    if (!keepNewest(c)) return;
    if (!mine) cases.delete(c.id);
    if (mine && ACTIVE.includes(c.state) && !wasActive) notify(c);
    render();
  }

  function onSnapshot(s) {
    department = s.principal.department_code;
    const scope = s.principal.scope_name;
    gf.$("#scope").textContent = (scope && scope[gf.lang]) || department || s.principal.role;
    gf.takeSnapshotCases(cases, s);
    render();
  }

  async function start() {
    await gf.startPage();
    gf.onLanguage.push(render);
    if (window.Notification && Notification.permission === "default") {
      Notification.requestPermission().catch(() => null);
    }
    window.gridflowLive = gf.live({ onSnapshot, onEvent, onStatus: gf.showConnection });
    setInterval(tick, 1000);
  }

  start();
})();
