// The working calendar's year view: every day coloured by what it is (weekday, weekend,
// official holiday, make-up working day) with the admin's overrides marked; a day is made
// working or closed, or given back to the official calendar, from the bar above the months.
"use strict";

window.gf = window.gf || {};

gf.calendar = {
  year: null,
  selected: null,

  async load() {
    const resp = await gf.api(`/api/v1/admin/calendar/year?year=${gf.calendar.year}`);
    if (!resp.ok) { gf.calendar.error(resp); return; }
    const data = resp.data;
    gf.$("#cal-year").value = data.year;
    gf.$("#cal-hours").textContent = gf.tf("cal.hours", { hours: data.office_hours.map((h) => h.join("–")).join(", ") });
    gf.$("#cal-official").textContent = gf.t(data.official ? "cal.official" : "cal.not_official");
    const months = gf.clear(gf.$("#cal-months"));
    for (let m = 0; m < 12; m += 1) {
      const days = data.days.filter((d) => Number(d.day.slice(5, 7)) === m + 1);
      const grid = gf.el("div", { class: "month-days" });
      const offset = (new Date(`${days[0].day}T00:00:00`).getDay() + 6) % 7; // Monday first
      for (let i = 0; i < offset; i += 1) grid.append(gf.el("span", {}));
      for (const d of days) {
        grid.append(gf.el("button", {
          type: "button", class: `day ${d.kind} ${d.working ? "working" : "closed"}`,
          "data-day": d.day, "data-kind": d.kind, "data-working": String(d.working),
          title: d.note || gf.t("cal." + d.kind), text: Number(d.day.slice(8)),
          onclick: () => gf.calendar.select(d),
        }));
      }
      months.append(gf.el("div", { class: "month" },
        gf.el("h4", { text: gf.tf("cal.month", { m: m + 1 }) }), grid));
    }
  },

  select(d) {
    gf.calendar.selected = d;
    gf.$("#cal-day").hidden = false;
    gf.$("#cal-day-label").textContent = `${d.day} · ${gf.t("cal." + d.kind)}${d.note ? ` · ${d.note}` : ""}`;
    gf.$("#cal-note").value = d.note || "";
    gf.$("#cal-clear").hidden = d.kind !== "override";
  },

  error(resp) {
    gf.$("#cal-error").hidden = resp.ok;
    if (!resp.ok) gf.$("#cal-error").textContent = gf.errorText(resp.data);
  },

  async set(working) {
    const d = gf.calendar.selected;
    const resp = await gf.api("/api/v1/admin/calendar/days", { method: "PUT", json: {
      days: [{ day: d.day, working, note: gf.$("#cal-note").value.trim() }] } });
    gf.calendar.done(resp);
  },

  async clear() {
    const resp = await gf.api(`/api/v1/admin/calendar/days/${gf.calendar.selected.day}`, { method: "DELETE" });
    gf.calendar.done(resp);
  },

  async done(resp) {
    gf.calendar.error(resp);
    gf.$("#cal-day").hidden = true;
    await gf.calendar.load();
  },

  started: false,
  async start(missingYears) {
    if (gf.calendar.started) return;
    gf.calendar.started = true;
    gf.calendar.year = missingYears.length ? missingYears[0] : new Date().getFullYear();
    const go = (delta) => { gf.calendar.year += delta; gf.calendar.load(); };
    gf.$("#cal-prev").addEventListener("click", () => go(-1));
    gf.$("#cal-next").addEventListener("click", () => go(1));
    gf.$("#cal-year").addEventListener("change", (e) => { gf.calendar.year = Number(e.target.value); gf.calendar.load(); });
    gf.$("#cal-set-working").addEventListener("click", () => gf.calendar.set(true));
    gf.$("#cal-set-closed").addEventListener("click", () => gf.calendar.set(false));
    gf.$("#cal-clear").addEventListener("click", () => gf.calendar.clear());
    await gf.calendar.load();
  },
};
