// Every role's own password change: the current password, the new one twice. A one-time
// password set by an admin is replaced here (the page says so).
"use strict";

(async function main() {
  await gf.startPage();
  gf.$("#password-required").hidden = !gf.session.mustChange;
  gf.$("#password-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const error = gf.$("#password-error");
    error.hidden = true;
    gf.$("#password-done").hidden = true;
    const fresh = gf.$("#new-password").value;
    if (fresh !== gf.$("#new-password-2").value) {
      error.textContent = gf.t("password.mismatch");
      error.hidden = false;
      return;
    }
    const resp = await gf.api("/api/v1/auth/password", {
      method: "POST", json: { old_password: gf.$("#old-password").value, new_password: fresh },
    });
    if (!resp.ok) {
      error.textContent = gf.errorText(resp.data);
      error.hidden = false;
      return;
    }
    gf.session.mustChange = false;
    gf.$("#password-required").hidden = true;
    gf.$("#password-form").reset();
    gf.$("#password-done").hidden = false;
  });
})();
