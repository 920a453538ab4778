// The password-change screen: an account signed in with a one-time password (an admin's
// reset or a new account) replaces it here before the app does anything else.

import * as i18n from './i18n.js';
import { $ } from './dom.js';
import * as session from './session.js';

const ERRORS = { old_password: 'password.wrong_old', new_password: 'password.weak' };

export function show() {
  for (const id of ['#login-view', '#app', '#tabs', '#patrol-toggle', '#settings-link']) $(id).hidden = true;
  $('#password-view').hidden = false;
  $('#password-error').hidden = true;
}

// `done`: what to do once the password is replaced (enter the app).
export function init(done) {
  $('#password-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const error = $('#password-error');
    error.hidden = true;
    let failure;
    try {
      failure = await session.changePassword($('#old-password').value, $('#new-password').value);
    } catch (err) {
      failure = { code: err instanceof session.NetworkError ? 'offline' : 'failed' };
    }
    if (failure) {
      const key = ERRORS[failure.field] || (failure.code === 'offline' ? 'login.offline' : 'password.failed');
      error.textContent = failure.message && key !== 'login.offline' ? `${i18n.t(key)}（${failure.message}）` : i18n.t(key);
      error.hidden = false;
      return;
    }
    $('#old-password').value = '';
    $('#new-password').value = '';
    $('#password-view').hidden = true;
    await done();
  });
}
