// The category catalog: each category's priority, time limits, duplicate radius and window and
// admission flag, edited one at a time; the whole catalog exported and imported as the YAML
// `gridflow catalog load` reads.
"use strict";

window.gf = window.gf || {};

gf.catalog = {
  items: [],
  editing: null,

  async load() {
    const resp = await gf.api("/api/v1/admin/categories");
    gf.catalog.items = resp.ok ? resp.data.items : [];
    gf.catalog.render();
  },

  render() {
    const filter = gf.$("#cat-filter").value.trim().toLowerCase();
    const body = gf.clear(gf.$("#cat-table tbody"));
    for (const c of gf.catalog.items) {
      const name = gf.lang === "en" ? c.name_en : c.name_zh;
      if (filter && !`${c.code} ${c.name_zh} ${c.name_en}`.toLowerCase().includes(filter)) continue;
      body.append(gf.el("tr", { "data-code": c.code },
        gf.el("td", { text: c.code }), gf.el("td", { text: name }),
        gf.el("td", { text: gf.t("cat." + c.priority) }),
        gf.el("td", { class: "limits", text: `${c.ack_limit_minutes} / ${c.resolve_limit_minutes}${c.around_the_clock ? " ⏱" : ""}` }),
        gf.el("td", { text: `${c.duplicate_radius_m} m · ${c.duplicate_window_minutes} min` }),
        gf.el("td", { text: c.community_admissible ? "✓" : "" }),
        gf.el("td", { class: "asked", text: (c.questions || []).length || "" }),
        gf.el("td", {}, gf.el("button", { type: "button", text: gf.t("accounts.edit"), onclick: () => gf.catalog.edit(c) }))));
    }
  },

  edit(c) {
    gf.catalog.editing = c;
    gf.$("#cat-form-title").textContent = `${c.code} ${c.name_zh}`;
    gf.$("#c-name-zh").value = c.name_zh;
    gf.$("#c-name-en").value = c.name_en;
    gf.$("#c-priority").value = c.priority;
    gf.$("#c-ack").value = c.ack_limit_minutes;
    gf.$("#c-resolve").value = c.resolve_limit_minutes;
    gf.$("#c-dup-radius").value = c.duplicate_radius_m;
    gf.$("#c-dup-window").value = c.duplicate_window_minutes;
    gf.$("#c-clock").checked = c.around_the_clock;
    gf.$("#c-community").checked = c.community_admissible;
    gf.questions.show(c.questions || []);
    gf.$("#cat-error").hidden = true;
    gf.$("#cat-form").hidden = false;
    gf.$("#cat-form").scrollIntoView();
  },

  async save(ev) {
    ev.preventDefault();
    const c = gf.catalog.editing;
    const resp = await gf.api(`/api/v1/admin/categories/${c.code}`, { method: "PUT", json: {
      name_zh: gf.$("#c-name-zh").value.trim(), name_en: gf.$("#c-name-en").value.trim(),
      priority: gf.$("#c-priority").value, ack_limit_minutes: Number(gf.$("#c-ack").value),
      resolve_limit_minutes: Number(gf.$("#c-resolve").value),
      duplicate_radius_m: Number(gf.$("#c-dup-radius").value),
      duplicate_window_minutes: Number(gf.$("#c-dup-window").value),
      around_the_clock: gf.$("#c-clock").checked, community_admissible: gf.$("#c-community").checked,
    } });
    const asked = resp.ok ? await gf.questions.save(c.code) : resp;
    if (!asked.ok) {
      gf.$("#cat-error").textContent = gf.errorText(asked.data);
      gf.$("#cat-error").hidden = false;
      return;
    }
    gf.$("#cat-form").hidden = true;
    await gf.catalog.load();
  },

  async exportFile() {
    const resp = await gf.api("/api/v1/admin/categories/export");
    if (!resp.ok) return;
    const link = gf.el("a", { href: URL.createObjectURL(resp.data), download: "categories.yaml" });
    document.body.append(link);
    link.click();
    link.remove();
  },

  async importFile() {
    const file = gf.$("#cat-file").files[0];
    if (!file) return;
    const form = new FormData();
    form.append("file", file);
    const resp = await gf.api("/api/v1/admin/categories/import", { method: "POST", form });
    gf.$("#cat-status").textContent = resp.ok ? gf.tf("cat.imported", { n: resp.data.categories }) : gf.errorText(resp.data);
    gf.$("#cat-status").className = resp.ok ? "" : "error";
    if (resp.ok) await gf.catalog.load();
  },

  started: false,
  async start() {
    if (gf.catalog.started) return;
    gf.catalog.started = true;
    gf.$("#cat-filter").addEventListener("input", gf.catalog.render);
    gf.$("#cat-form").addEventListener("submit", gf.catalog.save);
    gf.$("#cat-cancel").addEventListener("click", () => { gf.$("#cat-form").hidden = true; });
    gf.$("#cat-export").addEventListener("click", gf.catalog.exportFile);
    gf.$("#cat-import").addEventListener("click", gf.catalog.importFile);
    gf.questions.start();
    gf.onLanguage.push(gf.catalog.render);
    await gf.catalog.load();
  },
};
