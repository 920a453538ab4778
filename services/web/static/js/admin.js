// The administration page: signed in, admins only (any other role sees a refusal and nothing
// else); warns while next year's holidays are not entered; then the accounts.
"use strict";

(async function main() {
  await gf.startPage();
  const me = await gf.api("/api/v1/auth/me");
  if (!me.ok || me.data.role !== "admin") {
    gf.$("#refused").hidden = false;
    return;
  }
  gf.$("#scope").textContent = me.data.username;
  gf.$("#admin-main").hidden = false;
  const calendar = await gf.api("/api/v1/admin/calendar");
  if (calendar.ok && calendar.data.missing_years.length) {
    const warning = gf.$("#calendar-warning");
    const show = () => {
      warning.textContent = gf.tf("admin.missing_years", { years: calendar.data.missing_years.join(", ") });
    };
    show();
    gf.onLanguage.push(show);
    warning.hidden = false;
  }
  const show = async () => {
    const name = { "#routing": "routing", "#calendar": "calendar", "#catalog": "catalog", "#grid": "grid" }[location.hash] || "accounts";
    for (const node of document.querySelectorAll("[data-page]")) node.hidden = node.dataset.page !== name;
    for (const link of document.querySelectorAll(".admin-nav a[href^='#']")) {
      link.classList.toggle("current", link.getAttribute("href") === `#${name}`);
    }
    if (name === "routing") await gf.routing.start();
    if (name === "catalog") await gf.catalog.start();
    if (name === "grid") await gf.grid.start();
    if (name === "calendar") await gf.calendar.start(calendar.ok ? calendar.data.missing_years : []);
  };
  window.addEventListener("hashchange", show);
  await gf.accounts.start();
  await show();
  gf.onLanguage.push(() => gf.accounts.search());
})();
