// Departments and routing rules: the departments (create, rename, deactivate with their open
// cases said plainly), the rules per category and place, and the preview "which department
// would get a report here?" (a category and a point on the map → the winning rule and why).
"use strict";

window.gf = window.gf || {};

gf.routing = {
  departments: [],
  openCases: {},

  name(code) {
    const d = gf.routing.departments.find((x) => x.code === code);
    if (!d) return code;
    return `${gf.lang === "en" && d.name_en ? d.name_en : d.name_zh} (${code})`;
  },

  level(code) { return gf.t(`level.${{ 6: "district", 9: "street", 12: "community", 15: "cell" }[code.length]}`); },

  categoryText(code) { return code || gf.t("rules.any"); },

  async loadDepartments() {
    const [list, open] = await Promise.all([
      gf.api("/api/v1/admin/departments"), gf.api("/api/v1/admin/departments/open-cases")]);
    gf.routing.departments = list.ok ? list.data.items : [];
    gf.routing.openCases = open.ok ? open.data.counts : {};
    const body = gf.clear(gf.$("#department-table tbody"));
    for (const d of gf.routing.departments) {
      const act = (key, handler) => gf.el("button", { type: "button", text: gf.t(key), onclick: handler });
      body.append(gf.el("tr", { "data-code": d.code, class: d.active ? "" : "inactive" },
        gf.el("td", { text: d.code }), gf.el("td", { class: "name", text: d.name_zh }),
        gf.el("td", { text: gf.t("kind." + d.kind) }), gf.el("td", { text: d.jurisdiction_code }),
        gf.el("td", { text: d.admitted_categories.join(", ") }),
        gf.el("td", { class: "open", text: gf.routing.openCases[d.code] || 0 }),
        gf.el("td", { text: gf.t(d.active ? "accounts.active" : "accounts.disabled") }),
        gf.el("td", { class: "buttons" }, act("accounts.edit", () => gf.routing.edit(d)),
          d.active ? act("accounts.disable", () => gf.routing.confirm(d)) : act("accounts.enable", () => gf.routing.put(d, { active: true })))));
    }
    const select = gf.clear(gf.$("#r-department"));
    for (const d of gf.routing.departments.filter((x) => x.active)) {
      select.append(gf.el("option", { value: d.code, text: gf.routing.name(d.code) }));
    }
  },

  edit(d) {
    gf.$("#d-code").value = d.code;
    gf.$("#d-name-zh").value = d.name_zh;
    gf.$("#d-name-en").value = d.name_en;
    gf.$("#d-kind").value = d.kind;
    gf.$("#d-jurisdiction").value = d.jurisdiction_code;
    gf.$("#d-admitted").value = d.admitted_categories.join(",");
    gf.$("#department-form").scrollIntoView();
  },

  // Deactivating says what happens to the department's open cases before it is done.
  confirm(d) {
    gf.$("#dept-confirm-text").textContent = gf.tf("dept.deactivate_open", {
      name: gf.routing.name(d.code), n: gf.routing.openCases[d.code] || 0 });
    gf.$("#dept-confirm").hidden = false;
    gf.$("#dept-confirm-yes").onclick = async () => {
      gf.$("#dept-confirm").hidden = true;
      await gf.routing.put(d, { active: false });
    };
  },

  async put(d, changes) {
    const keys = ["name_zh", "name_en", "kind", "jurisdiction_code", "admitted_categories", "active"];
    const body = Object.fromEntries(keys.map((k) => [k, d[k]]));
    const resp = await gf.api(`/api/v1/admin/departments/${encodeURIComponent(d.code)}`,
      { method: "PUT", json: { ...body, ...changes } });
    gf.routing.showError("#dept-error", resp);
    await gf.routing.loadDepartments();
    return resp;
  },

  async saveDepartment(ev) {
    ev.preventDefault();
    const admitted = gf.$("#d-admitted").value.split(/[\s,;，]+/).filter(Boolean);
    const resp = await gf.routing.put({ code: gf.$("#d-code").value.trim(), active: true }, {
      name_zh: gf.$("#d-name-zh").value.trim(), name_en: gf.$("#d-name-en").value.trim(),
      kind: gf.$("#d-kind").value, jurisdiction_code: gf.$("#d-jurisdiction").value.trim(),
      admitted_categories: admitted,
      active: (gf.routing.departments.find((x) => x.code === gf.$("#d-code").value.trim()) || { active: true }).active,
    });
    if (resp.ok) gf.$("#department-form").reset();
  },

  // A refusal by the admission list is said in words; other errors name their field.
  showError(selector, resp) {
    const node = gf.$(selector);
    node.hidden = resp.ok;
    if (resp.ok) return;
    const error = (resp.data && resp.data.error) || {};
    node.textContent = error.code === "not_admitted" ? gf.t("rules.not_admitted") : gf.errorText(resp.data);
    node.dataset.code = error.code || "";
  },

  async loadRules() {
    const generation = (gf.routing.generation = (gf.routing.generation || 0) + 1);
    const resp = await gf.api("/api/v1/admin/rules");
    if (generation !== gf.routing.generation) return; // a newer filter is on its way
    const category = gf.$("#rule-filter-category").value.trim();
    const place = gf.$("#rule-filter-place").value.trim();
    const rules = (resp.ok ? resp.data.items : []).filter((r) =>
      (!category || r.category_code === category || r.category_code === null)
      && (!place || place.startsWith(r.jurisdiction_code) || r.jurisdiction_code.startsWith(place)));
    // The order the router tries them in: most specific place, category before catch-all, priority.
    rules.sort((a, b) => b.jurisdiction_code.length - a.jurisdiction_code.length
      || (a.category_code === null) - (b.category_code === null) || b.priority - a.priority
      || (a.category_code || "").localeCompare(b.category_code || ""));
    const body = gf.clear(gf.$("#rule-table tbody"));
    for (const r of rules.slice(0, 300)) {
      body.append(gf.el("tr", { "data-id": r.id },
        gf.el("td", { text: gf.routing.categoryText(r.category_code) }),
        gf.el("td", { text: `${gf.routing.level(r.jurisdiction_code)} ${r.jurisdiction_code}` }),
        gf.el("td", { text: gf.routing.name(r.department_code) }), gf.el("td", { text: r.priority }),
        gf.el("td", {}, gf.el("button", { type: "button", text: gf.t("rules.remove"), onclick: async () => {
          await gf.api(`/api/v1/admin/rules/${r.id}`, { method: "DELETE" });
          await gf.routing.loadRules();
        } }))));
    }
  },

  async addRule(ev) {
    ev.preventDefault();
    const resp = await gf.api("/api/v1/admin/rules", { method: "POST", json: {
      category_code: gf.$("#r-category").value.trim() || null,
      jurisdiction_code: gf.$("#r-jurisdiction").value.trim(),
      department_code: gf.$("#r-department").value,
      priority: Number(gf.$("#r-priority").value || 0),
    } });
    gf.routing.showError("#rule-error", resp);
    if (resp.ok) await gf.routing.loadRules();
  },

  async loadCategories() {
    const resp = await gf.api("/api/v1/categories");
    const select = gf.clear(gf.$("#p-category"));
    for (const c of (resp.ok ? resp.data.items : [])) {
      select.append(gf.el("option", { value: c.code, text: `${c.code} ${gf.lang === "en" ? c.name_en : c.name_zh}` }));
    }
  },

  async preview(latlng) {
    const q = new URLSearchParams({ category: gf.$("#p-category").value, lat: latlng.lat, lng: latlng.lng });
    const resp = await gf.api(`/api/v1/admin/rules/preview?${q}`);
    gf.$("#preview-result").hidden = false;
    const answer = gf.$("#preview-answer");
    if (!resp.ok) { answer.textContent = gf.errorText(resp.data); return; }
    const p = resp.data;
    answer.dataset.department = p.department_code || "";
    if (p.fallback) {
      answer.textContent = gf.tf("preview.fallback", { department: p.department_code ? gf.routing.name(p.department_code) : gf.t("preview.unassigned"), cell: p.cell_code || gf.t("preview.outside") });
    } else {
      answer.textContent = gf.tf("preview.answer", { department: gf.routing.name(p.department_code),
        cell: p.cell_code, category: gf.routing.categoryText(p.rule.category_code),
        level: gf.routing.level(p.rule.jurisdiction_code), place: p.rule.jurisdiction_code });
    }
    const body = gf.clear(gf.$("#preview-candidates tbody"));
    for (const c of p.candidates) {
      body.append(gf.el("tr", { "data-outcome": c.outcome, "data-department": c.department_code },
        gf.el("td", { text: gf.routing.categoryText(c.category_code) }),
        gf.el("td", { text: `${gf.routing.level(c.jurisdiction_code)} ${c.jurisdiction_code}` }),
        gf.el("td", { text: gf.routing.name(c.department_code) }), gf.el("td", { text: c.priority }),
        gf.el("td", { text: gf.t("outcome." + c.outcome) })));
    }
  },

  started: false,
  async start() {
    if (gf.routing.started) { gf.routing.map.refresh(); return; }
    gf.routing.started = true;
    gf.routing.map = new gf.CellPicker(gf.$("#preview-map"), {
      onClick: (code, latlng) => gf.routing.preview(latlng),
    });
    gf.$("#p-go").addEventListener("click", () => gf.routing.map.find(gf.$("#p-find").value.trim()));
    gf.$("#department-form").addEventListener("submit", gf.routing.saveDepartment);
    gf.$("#dept-confirm-no").addEventListener("click", () => { gf.$("#dept-confirm").hidden = true; });
    gf.$("#rule-form").addEventListener("submit", gf.routing.addRule);
    for (const id of ["#rule-filter-category", "#rule-filter-place"]) {
      gf.$(id).addEventListener("input", () => gf.routing.loadRules());
    }
    await Promise.all([gf.routing.loadDepartments(), gf.routing.loadCategories()]);
    await gf.routing.loadRules();
    gf.routing.map.refresh();
  },
};
