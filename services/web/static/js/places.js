// Place search over the gazetteer (by pinyin initials such as "zbs" → 招宝山, or part of the
// name): as the operator types, the matching places are listed under the field; a click on
// one hands it to `onPick` ({kind, name, code, lat, lng}).
"use strict";

window.gf = window.gf || {};

gf.placeSearch = function placeSearch(input, list, onPick) {
  let asked = 0;
  input.addEventListener("input", async () => {
    const q = input.value.trim();
    const mine = ++asked;
    if (!q) { gf.clear(list); return; }
    const resp = await gf.api(`/api/v1/operator/hotline/places?${new URLSearchParams({ q })}`);
    if (mine !== asked || !resp.ok) return;   // a later keystroke asked again
    gf.clear(list);
    for (const p of resp.data.items) {
      list.append(gf.el("li", { "data-kind": p.kind, "data-code": p.code || "",
        text: `${p.name} · ${gf.t("place." + p.kind)}`,
        onmousedown: (ev) => { ev.preventDefault(); gf.clear(list); input.value = p.name; onPick(p); } }));
    }
  });
};
