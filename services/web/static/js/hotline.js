// The hotline intake form (一门受理) of the command center: the caller's name and phone, the
// category found as the operator types (code, Chinese or English name; the first match is
// taken when the field is left), the place picked on the map or found in the gazetteer
// (pinyin initials or name), a description (the category's
// name when left empty), and the open cases of that category nearby — the call can be
// attached to one of them instead of filed as a new report.
"use strict";

window.gf = window.gf || {};

gf.hotlineForm = function hotlineForm(leafletMap, openCase) {
  const panel = gf.$("#hotline");
  const form = gf.$("#hotline-form");
  const search = form.elements.category_search;
  const matches = gf.$(".category-matches", form);
  const nearby = gf.$(".nearby", form);
  const status = gf.$(".status", form);
  let categories = [];
  let category = null;
  let place = null;      // {lat, lng} in WGS84 (a click on the tiles converted back)
  let marker = null;

  const label = (c) => `${c.code} ${gf.lang === "zh" ? c.name_zh : c.name_en}`;

  function found(text) {
    const t = text.trim().toLowerCase();
    if (!t) return [];
    return categories.filter((c) => c.code.startsWith(t) || c.name_zh.includes(t)
      || c.name_en.toLowerCase().includes(t) || c.big_class_zh.includes(t)).slice(0, 8);
  }

  function pick(c) {
    category = c;
    search.value = c ? label(c) : search.value;
    gf.clear(matches);
    suggest();
  }

  search.addEventListener("input", () => {
    category = null;
    gf.clear(matches);
    for (const c of found(search.value)) {
      matches.append(gf.el("li", { text: label(c), "data-code": c.code,
        onmousedown: (ev) => { ev.preventDefault(); pick(c); } }));
    }
  });
  search.addEventListener("blur", () => {
    if (!category && matches.firstChild) pick(found(search.value)[0]);
  });

  function placeAt(lat, lng) {
    place = { lat, lng };
    const onTiles = gfTiles.toMap(lat, lng);
    if (marker) marker.setLatLng(onTiles);
    else marker = L.circleMarker(onTiles, { radius: 8, color: "#d84315", className: "hotline-place" }).addTo(leafletMap);
    showPlace();
    suggest();
  }

  leafletMap.on("click", (ev) => {
    if (!panel.hidden) placeAt(...gfTiles.fromMap(ev.latlng.lat, ev.latlng.lng));
  });
  gf.placeSearch(form.elements.place_search, gf.$(".place-matches", form), (p) => {
    if (!form.elements.address.value.trim()) form.elements.address.value = p.name;
    leafletMap.setView(gfTiles.toMap(p.lat, p.lng), Math.max(leafletMap.getZoom(), 17));
    placeAt(p.lat, p.lng);
  });

  function showPlace() {
    gf.$(".place", form).textContent = place
      ? `${gf.t("hotline.place")}: ${place.lat.toFixed(6)}, ${place.lng.toFixed(6)}`
      : gf.t("hotline.pick_place");
  }
  gf.onLanguage.push(showPlace);

  async function suggest() {
    gf.clear(nearby);
    if (!category || !place) return;
    const q = new URLSearchParams({ category: category.code, lat: place.lat, lng: place.lng });
    const resp = await gf.api(`/api/v1/operator/hotline/nearby?${q}`);
    if (!resp.ok) return;
    if (!resp.data.items.length) nearby.append(gf.el("li", { text: gf.t("hotline.none_nearby") }));
    for (const c of resp.data.items) {
      nearby.append(gf.el("li", { class: "nearby-case", "data-case-id": c.id },
        gf.el("span", { class: "case-no", text: c.case_no, onclick: () => openCase(c.id) }),
        gf.el("span", { text: `${Math.round(c.distance_m)} m · ${c.summary || c.address || ""}` }),
        gf.el("button", { type: "button", class: "attach", text: gf.t("hotline.attach"),
          onclick: () => save(c.id) })));
    }
  }

  async function save(attachTo) {
    const data = Object.fromEntries(new FormData(form).entries());
    if (!category) { fail("category"); return; }
    if (!place) { fail("location"); return; }
    const body = {
      id: crypto.randomUUID(), category: category.code,
      description: data.description.trim() || `${gf.t("hotline.call_about")}${category.name_zh}`,
      location: { lat: place.lat, lng: place.lng, crs: "wgs84" },
    };
    for (const key of ["caller_name", "caller_phone", "address"]) {
      if (data[key].trim()) body[key] = data[key].trim();
    }
    if (attachTo) body.attach_to = attachTo;
    const resp = await gf.api("/api/v1/operator/hotline/calls", { method: "POST", json: body });
    if (!resp.ok) { fail((resp.data.error || {}).field); return; }
    status.className = "status ok";
    status.dataset.caseNo = resp.data.case_no;
    status.textContent = `${gf.t(attachTo ? "hotline.attached" : "hotline.saved")} ${resp.data.case_no}`;
  }

  function fail(field) {
    status.className = "status failed";
    status.textContent = `${gf.t("hotline.check")}: ${gf.t("hotline.field." + field)}`;
  }

  form.addEventListener("submit", (ev) => { ev.preventDefault(); save(null); });
  gf.$("header .close", panel).addEventListener("click", () => { panel.hidden = true; });
  gf.$("#hotline-open").addEventListener("click", async () => {
    form.reset();
    category = null; place = null;
    showPlace();
    gf.clear(nearby); gf.clear(matches); gf.clear(gf.$(".place-matches", form));
    status.textContent = ""; status.className = "status";
    panel.hidden = false;
    form.elements.caller_phone.focus();
    if (!categories.length) await loadCategories();
  });

  async function loadCategories() {
    const resp = await gf.api("/api/v1/categories");
    if (resp.ok) categories = resp.data.items;
  }
  loadCategories();
};
