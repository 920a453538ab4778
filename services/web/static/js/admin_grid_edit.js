// Editing the grid on the map (Leaflet-Geoman): one chosen cell is split along a drawn line or
// given a new code, two chosen neighbours get a drawn line as their shared edge, several chosen
// neighbours are merged. Each edit is first checked (the importer's report), then committed as
// a new grid version; open cases keep the cell version they were given.
"use strict";

window.gf = window.gf || {};

gf.gridEdit = {
  picker: null,
  pending: null, // {path, body} of the edit checked last
  drawing: null, // what a drawn line is for: "split" or "edge"

  chosen(codes) {
    gf.$("#grid-chosen").textContent = codes.length ? gf.tf("grid.chosen", { cells: codes.join(", ") }) : "";
    gf.$("#grid-split").disabled = codes.length !== 1;
    gf.$("#grid-merge").disabled = codes.length < 2;
    gf.$("#grid-edge").disabled = codes.length !== 2;
    gf.$("#grid-renumber").disabled = codes.length !== 1;
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

  draw(purpose) {
    gf.gridEdit.drawing = purpose;
    gf.gridEdit.picker.map.pm.enableDraw("Line", { snappable: false, finishOn: "dblclick" });
  },

  async drawn(event) {
    const line = event.layer.getLatLngs().map((p) => gfTiles.fromMap(p.lat, p.lng).reverse());
    event.layer.remove();
    const chosen = [...gf.gridEdit.picker.chosen];
    if (gf.gridEdit.drawing === "edge") {
      await gf.gridEdit.check("/api/v1/admin/grid/edge", { cell_codes: chosen, line });
    } else {
      await gf.gridEdit.check("/api/v1/admin/grid/split", { cell_code: chosen[0], line });
    }
  },

  renumber() {
    const [cell] = [...gf.gridEdit.picker.chosen];
    return gf.gridEdit.check("/api/v1/admin/grid/renumber",
      { cell_code: cell, new_code: gf.$("#grid-new-code").value.trim() });
  },

  start(picker) {
    gf.gridEdit.picker = picker;
    picker.map.on("pm:create", gf.gridEdit.drawn);
    gf.$("#grid-go").addEventListener("click", () => picker.find(gf.$("#grid-find").value.trim()));
    gf.$("#grid-split").addEventListener("click", () => gf.gridEdit.draw("split"));
    gf.$("#grid-edge").addEventListener("click", () => gf.gridEdit.draw("edge"));
    gf.$("#grid-renumber").addEventListener("click", gf.gridEdit.renumber);
    gf.$("#grid-merge").addEventListener("click", () => gf.gridEdit.check("/api/v1/admin/grid/merge",
      { cell_codes: [...picker.chosen].sort() }));
    gf.$("#grid-edit-commit").addEventListener("click", gf.gridEdit.commit);
  },
};
