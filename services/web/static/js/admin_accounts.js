// The accounts page: search, the editor (role and scope, cells picked on the map), disable and
// enable, password reset, and the bulk import with its per-row errors.
"use strict";

window.gf = window.gf || {};

gf.accounts = {
  roles: [],
  editing: null, // the account being edited, or null for a new one
  picker: null,

  place(u) {
    if (u.role === "grid_worker") return u.cell_codes.join(", ");
    if (u.role === "operator") return u.jurisdiction_code || "";
    if (u.role === "department_staff") return u.department_code || "";
    return "";
  },

  async search() {
    const params = new URLSearchParams();
    for (const [key, id] of [["q", "#search-q"], ["role", "#search-role"], ["within", "#search-within"]]) {
      const value = gf.$(id).value.trim();
      if (value) params.set(key, value);
    }
    const resp = await gf.api(`/api/v1/admin/users?${params}`);
    if (!resp.ok) { gf.accounts.notice(gf.errorText(resp.data), true); return; }
    gf.accounts.setRoles(resp.data.roles);
    const body = gf.clear(gf.$("#account-table tbody"));
    for (const u of resp.data.items) body.append(gf.accounts.row(u));
    if (!resp.data.items.length) {
      body.append(gf.el("tr", {}, gf.el("td", { colspan: 7, text: gf.t("accounts.none") })));
    }
  },

  row(u) {
    const state = !u.active ? "accounts.disabled" : u.must_change_password ? "accounts.must_change" : "accounts.active";
    const act = (key, handler) => gf.el("button", { type: "button", text: gf.t(key), onclick: handler });
    return gf.el("tr", { "data-username": u.username, class: u.active ? "" : "inactive" },
      gf.el("td", { text: u.username }), gf.el("td", { text: u.display_name }),
      gf.el("td", { text: gf.t("role." + u.role) }), gf.el("td", { class: "place", text: gf.accounts.place(u) }),
      gf.el("td", { text: u.last_sign_in ? new Date(u.last_sign_in).toLocaleString() : "—" }),
      gf.el("td", { class: "state", text: gf.t(state) }),
      gf.el("td", { class: "buttons" },
        act("accounts.edit", () => gf.accounts.open(u)),
        act(u.active ? "accounts.disable" : "accounts.enable",
          () => gf.accounts.post(`/api/v1/admin/users/${u.id}/${u.active ? "disable" : "enable"}`)),
        act("accounts.reset", () => gf.accounts.reset(u))));
  },

  async post(path) {
    const resp = await gf.api(path, { method: "POST" });
    if (!resp.ok) gf.accounts.notice(gf.errorText(resp.data), true);
    await gf.accounts.search();
    return resp;
  },

  async reset(u) {
    const resp = await gf.accounts.post(`/api/v1/admin/users/${u.id}/password`);
    if (resp.ok) gf.accounts.notice(gf.tf("accounts.reset_done", { name: u.username, password: resp.data.password }));
  },

  notice(text, failed) {
    const node = gf.$("#one-time");
    node.textContent = text;
    node.classList.toggle("error", !!failed);
    node.hidden = false;
  },

  setRoles(roles) {
    if (gf.accounts.roles.length) return;
    gf.accounts.roles = roles;
    for (const select of [gf.$("#search-role"), gf.$("#f-role")]) {
      for (const role of roles) select.append(gf.el("option", { value: role, text: gf.t("role." + role) }));
    }
  },

  async loadDepartments() {
    const resp = await gf.api("/api/v1/admin/departments");
    const select = gf.clear(gf.$("#f-department"));
    select.append(gf.el("option", { value: "", text: "—" }));
    for (const d of (resp.ok ? resp.data.items : [])) {
      select.append(gf.el("option", { value: d.code, text: `${gf.lang === "zh" ? d.name_zh : d.name_en || d.name_zh} (${d.code})` }));
    }
  },

  showScope() {
    const role = gf.$("#f-role").value;
    gf.$(".scope-cells").hidden = role !== "grid_worker";
    gf.$(".scope-jurisdiction").hidden = role !== "operator";
    gf.$(".scope-department").hidden = role !== "department_staff";
    if (role === "grid_worker") gf.accounts.picker.refresh();
  },

  showCells(codes) {
    const list = gf.clear(gf.$("#f-cells"));
    for (const code of codes) {
      list.append(gf.el("li", { "data-code": code, text: code,
        onclick: () => gf.accounts.picker.toggle(code) }));
    }
  },

  open(u) {
    gf.accounts.editing = u;
    const form = gf.$("#account-form");
    form.reset();
    for (const node of form.querySelectorAll(".create-only")) node.hidden = !!u;
    gf.$("#editor-title").textContent = u ? gf.tf("accounts.editing", { name: u.username }) : gf.t("accounts.creating");
    gf.$("#f-display").value = u ? u.display_name : "";
    gf.$("#f-phone").value = u ? u.phone || "" : "";
    gf.$("#f-role").value = u ? u.role : "grid_worker";
    gf.$("#f-jurisdiction").value = u ? u.jurisdiction_code || "" : "";
    gf.$("#f-department").value = u ? u.department_code || "" : "";
    gf.$("#editor-error").hidden = true;
    gf.$("#account-editor").hidden = false;
    gf.accounts.picker.set(u ? u.cell_codes : []);
    gf.accounts.showScope();
    if (u && u.cell_codes.length) gf.accounts.picker.find(u.cell_codes[0]);
    gf.$("#account-editor").scrollIntoView();
  },

  async save(ev) {
    ev.preventDefault();
    const u = gf.accounts.editing;
    const role = gf.$("#f-role").value;
    const body = {
      role, display_name: gf.$("#f-display").value.trim(), phone: gf.$("#f-phone").value.trim() || null,
      cell_codes: role === "grid_worker" ? [...gf.accounts.picker.chosen].sort() : [],
      jurisdiction_code: role === "operator" ? gf.$("#f-jurisdiction").value.trim() || null : null,
      department_code: role === "department_staff" ? gf.$("#f-department").value || null : null,
    };
    if (!u) Object.assign(body, { username: gf.$("#f-username").value.trim(), password: gf.$("#f-password").value });
    const resp = u
      ? await gf.api(`/api/v1/admin/users/${u.id}`, { method: "PUT", json: body })
      : await gf.api("/api/v1/admin/users", { method: "POST", json: body });
    if (!resp.ok) {
      gf.$("#editor-error").textContent = gf.errorText(resp.data);
      gf.$("#editor-error").hidden = false;
      return;
    }
    gf.$("#account-editor").hidden = true;
    gf.$("#search-q").value = resp.data.username;
    await gf.accounts.search();
  },

  async findCell() {
    const code = gf.$("#cell-find").value.trim();
    if (!(await gf.accounts.picker.find(code))) {
      gf.$("#editor-error").textContent = gf.tf("accounts.cell_missing", { code });
      gf.$("#editor-error").hidden = false;
    }
  },

  async importSheet(commit) {
    const file = gf.$("#import-file").files[0];
    if (!file) return;
    const form = new FormData();
    form.append("file", file);
    form.append("commit", commit ? "true" : "false");
    const resp = await gf.api("/api/v1/admin/users/import", { method: "POST", form });
    const table = gf.$("#import-errors");
    const body = gf.clear(gf.$("#import-errors tbody"));
    const data = resp.data || {};
    if (!data.errors) {
      gf.$("#import-summary").textContent = gf.errorText(data);
      table.hidden = true;
      return;
    }
    for (const e of data.errors) {
      body.append(gf.el("tr", { "data-line": e.line }, gf.el("td", { text: e.line }),
        gf.el("td", { text: gf.t("field." + e.field) }), gf.el("td", { text: e.message })));
    }
    for (const c of data.created) {
      body.append(gf.el("tr", { class: "created" }, gf.el("td", { text: "✓" }),
        gf.el("td", { text: c.username }), gf.el("td", { text: c.password })));
    }
    table.hidden = !data.errors.length && !data.created.length;
    const counts = { rows: data.rows, errors: data.errors.length };
    gf.$("#import-summary").textContent = data.committed ? gf.tf("import.done", counts)
      : gf.tf(data.errors.length ? "import.faulty" : "import.clean", counts);
    gf.$("#import-commit").disabled = data.committed || data.errors.length > 0;
    if (data.committed) await gf.accounts.search();
  },

  async start() {
    gf.accounts.picker = new gf.CellPicker(gf.$("#cell-map"), {
      onChange: gf.accounts.showCells,
    });
    gf.$("#account-search").addEventListener("submit", (ev) => { ev.preventDefault(); gf.accounts.search(); });
    gf.$("#account-new").addEventListener("click", () => gf.accounts.open(null));
    gf.$("#account-form").addEventListener("submit", gf.accounts.save);
    gf.$("#editor-cancel").addEventListener("click", () => { gf.$("#account-editor").hidden = true; });
    gf.$("#f-role").addEventListener("change", gf.accounts.showScope);
    gf.$("#cell-go").addEventListener("click", gf.accounts.findCell);
    gf.$("#import-file").addEventListener("change", () => { gf.$("#import-commit").disabled = true; });
    gf.$("#import-check").addEventListener("click", () => gf.accounts.importSheet(false));
    gf.$("#import-commit").addEventListener("click", () => gf.accounts.importSheet(true));
    await Promise.all([gf.accounts.search(), gf.accounts.loadDepartments()]);
  },
};
