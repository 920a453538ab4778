// The command center's case list: the search form beside the map (number, phone, text, place
// from the gazetteer, state, channel, overdue, supervised), a page of results at a time ("more" follows the keyset
// cursor), each row opening the case panel, and the result exported as an XLSX workbook.
"use strict";

window.gf = window.gf || {};

gf.caseList = function caseList(openCase) {
  const form = gf.$("#search-form");
  const list = gf.$("#search-results");
  const more = gf.$("#search-more");
  const status = gf.$("#search-status");
  let query = null;
  let next = null;

  function current() {
    const params = new URLSearchParams();
    for (const [key, value] of new FormData(form).entries()) {
      if (key !== "place" && String(value).trim()) params.set(key, String(value).trim());
    }
    return params;
  }

  // A jurisdiction or cell picked from the gazetteer limits the search to it; a road, POI or
  // compound is looked for in the cases' addresses and descriptions.
  const within = form.elements.within;
  form.elements.place.addEventListener("input", () => { within.value = ""; });
  gf.placeSearch(form.elements.place, gf.$(".place-matches", form), (p) => {
    const area = ["district", "street", "community", "cell"].includes(p.kind);
    within.value = area ? p.code : "";
    if (!area) form.elements.q.value = p.name;
  });

  function row(c) {
    const state = gf.t("state." + c.state);
    return gf.el("li", { class: `search-row state-${c.state}${c.overdue ? " overdue" : ""}`,
      "data-case-id": c.id, onclick: () => openCase(c.id) },
      gf.el("span", { class: "case-no", text: c.case_no || "" }),
      gf.el("span", { class: "state", text: state }),
      gf.el("span", { class: "what", text: [(c.category || {})[gf.lang], c.address]
        .filter(Boolean).join(" · ") }),
      gf.el("time", { text: gf.fmtDateTime(c.created_at) }));
  }

  async function load(params, append) {
    const resp = await gf.api(`/api/v1/operator/cases/search?${params}`);
    if (!resp.ok) {
      const err = resp.data && resp.data.error;
      status.textContent = `${gf.t("search.bad")}${err && err.field ? ": " + err.field : ""}`;
      status.className = "status failed";
      return;
    }
    if (!append) gf.clear(list);
    for (const c of resp.data.items) list.append(row(c));
    next = resp.data.next;
    more.hidden = !next;
    status.className = "status";
    status.textContent = list.children.length ? "" : gf.t("search.none");
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    query = current();
    load(query, false);
  });
  more.addEventListener("click", () => {
    const params = new URLSearchParams(query);
    params.set("after", next);
    load(params, true);
  });
  gf.$("#search-export").addEventListener("click", async () => {
    const resp = await gf.api(`/api/v1/operator/cases/search/export?${current()}`);
    if (!resp.ok || !(resp.data instanceof Blob)) return;
    const link = gf.el("a", { href: URL.createObjectURL(resp.data), download: "cases.xlsx" });
    document.body.append(link);
    link.click();
    link.remove();
  });
};
