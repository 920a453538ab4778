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
  await gf.accounts.start();
  gf.onLanguage.push(() => gf.accounts.search());
})();
