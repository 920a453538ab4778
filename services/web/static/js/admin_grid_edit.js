// Editing the grid on the map (Leaflet-Geoman): one chosen cell is split along a drawn line,
// several chosen neighbours are merged. Each edit is first checked (the importer's report),
// then committed as a new grid version; open cases keep the cell version they were given.
"use strict";

window.gf = window.gf || {};

gf.gridEdit = {
  picker: null,
  pending: null, // {path, body} of the edit checked last

  chosen(codes) {
    gf.$("#grid-chosen").textContent = codes.length ? gf.tf("grid.chosen", { cells: codes.join(", ") }) : "";
    gf.$("#grid-split").disabled = codes.length !== 1;
    gf.$("#grid-merge").disabled = codes.length < 2;
  },

  async check(path, body) {
    const resp = await gf.api(path, { method: "POST", json: body });
    const summary = gf.$("#grid-edit-summary");
    if (!resp.ok && !(resp.data && resp.data.report)) {
      summary.textContent = gf.errorText(resp.data);
      summary.className = "error";
      gf.$("#grid-edit-commit").disabled = true;
      return resp;
    }
    const r = resp.data.report;
    summary.className = r.ok ? "notice" : "error";
    summary.dataset.cells = resp.data.cells.join(",");
    if (resp.data.committed) {
      summary.textContent = gf.tf("grid.edit_done", { version: resp.data.version, cells: resp.data.cells.join(", ") });
    } else {
      summary.textContent = gf.tf(r.ok ? "grid.edit_clean" : "grid.faulty",
        { cells: resp.data.cells.join(", "), errors: r.errors, warnings: r.warnings });
    }
    gf.gridEdit.pending = r.ok && !resp.data.committed ? { path, body } : null;
    gf.$("#grid-edit-commit").disabled = !gf.gridEdit.pending;
    return resp;
  },

  async commit() {
    const edit = gf.gridEdit.pending;
    if (!edit) return;
    const resp = await gf.gridEdit.check(edit.path, { ...edit.body, commit: true });
    if (resp.ok) {
      gf.gridEdit.picker.set([]);
      await gf.gridEdit.picker.load();
      await gf.grid.versions();
    }
  },

  split() {
    const map = gf.gridEdit.picker.map;
    map.pm.enableDraw("Line", { snappable: false, finishOn: "dblclick" });
  },

  async drawn(event) {
    const line = event.layer.getLatLngs().map((p) => gfTiles.fromMap(p.lat, p.lng).reverse());
    event.layer.remove();
    const [cell] = [...gf.gridEdit.picker.chosen];
    await gf.gridEdit.check("/api/v1/admin/grid/split", { cell_code: cell, line });
  },

  start(picker) {
    gf.gridEdit.picker = picker;
    picker.map.on("pm:create", gf.gridEdit.drawn);
    gf.$("#grid-go").addEventListener("click", () => picker.find(gf.$("#grid-find").value.trim()));
    gf.$("#grid-split").addEventListener("click", gf.gridEdit.split);
    gf.$("#grid-merge").addEventListener("click", () => gf.gridEdit.check("/api/v1/admin/grid/merge",
      { cell_codes: [...picker.chosen].sort() }));
    gf.$("#grid-edit-commit").addEventListener("click", gf.gridEdit.commit);
  },
};
