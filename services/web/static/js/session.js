// Signing in and calling the API: tokens live in sessionStorage (one tab, gone with it);
// an expired access token is refreshed once with the refresh token, then the call is retried.
"use strict";

window.gf = window.gf || {};

gf.session = {
  get access() { return sessionStorage.getItem("gridflow.access"); },
  get refreshToken() { return sessionStorage.getItem("gridflow.refresh"); },
  store(tokens) {
    sessionStorage.setItem("gridflow.access", tokens.access_token);
    if (tokens.refresh_token) sessionStorage.setItem("gridflow.refresh", tokens.refresh_token);
  },
  clear() {
    sessionStorage.removeItem("gridflow.access");
    sessionStorage.removeItem("gridflow.refresh");
    sessionStorage.removeItem("gridflow.must_change");
  },
  // The password is a one-time one an admin set: the pages send the user to /password.
  get mustChange() { return sessionStorage.getItem("gridflow.must_change") === "1"; },
  set mustChange(value) {
    if (value) sessionStorage.setItem("gridflow.must_change", "1");
    else sessionStorage.removeItem("gridflow.must_change");
  },
};

gf.login = async function login(username, password) {
  const resp = await fetch("/api/v1/auth/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  if (!resp.ok) return false;
  const tokens = await resp.json();
  gf.session.store(tokens);
  gf.session.mustChange = tokens.must_change_password;
  return true;
};

let refreshing = null;
gf.refresh = function refresh() {
  // One refresh at a time: refresh tokens are single-use.
  if (refreshing) return refreshing;
  refreshing = (async () => {
    const token = gf.session.refreshToken;
    if (!token) return false;
    const resp = await fetch("/api/v1/auth/refresh", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: token }),
    });
    if (!resp.ok) { gf.session.clear(); return false; }
    gf.session.store(await resp.json());
    return true;
  })().finally(() => { refreshing = null; });
  return refreshing;
};

gf.logout = async function logout() {
  const token = gf.session.access;
  gf.session.clear();
  if (token) {
    await fetch("/api/v1/auth/logout", {
      method: "POST", headers: { Authorization: `Bearer ${token}` },
    }).catch(() => null);
  }
  location.reload();
};

// api(path, {method, json, form}) → {ok, status, data}
gf.api = async function api(path, options) {
  const opts = options || {};
  const call = () => {
    const headers = { Authorization: `Bearer ${gf.session.access}` };
    let body;
    if (opts.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(opts.json);
    } else if (opts.form) {
      body = opts.form;
    }
    return fetch(path, { method: opts.method || "GET", headers, body });
  };
  let resp = await call();
  if (resp.status === 401 && (await gf.refresh())) resp = await call();
  const type = resp.headers.get("Content-Type") || "";
  const data = type.includes("json") ? await resp.json() : await resp.blob();
  if (resp.status === 403 && data.error && data.error.code === "password_change_required") {
    gf.session.mustChange = true;  // the server refuses all else until the password is replaced
    if (location.pathname !== "/password") location.assign("/password");
  }
  return { ok: resp.ok, status: resp.status, data };
};

// Shows the sign-in form until the user has a session, then resolves.
gf.requireLogin = function requireLogin() {
  if (gf.session.access) return Promise.resolve();
  const dialog = gf.$("#login");
  dialog.hidden = false;
  return new Promise((resolve) => {
    gf.$("#login-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const ok = await gf.login(gf.$("#login-username").value, gf.$("#login-password").value);
      gf.$("#login-error").hidden = ok;
      if (ok) { dialog.hidden = true; resolve(); }
    });
  });
};

// What every signed-in page does first: its texts in the chosen language, the language and
// sign-out buttons, and the sign-in form until there is a session.
gf.startPage = async function startPage() {
  gf.applyText();
  gf.$("#lang").addEventListener("click", () => gf.setLanguage(gf.lang === "zh" ? "en" : "zh"));
  gf.$("#logout").addEventListener("click", () => gf.logout());
  await gf.requireLogin();
  if (gf.session.mustChange && location.pathname !== "/password") location.assign("/password");
};
