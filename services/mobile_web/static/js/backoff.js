// When to try a delivery again: exponential backoff with jitter, capped, honouring Retry-After.

export const BASE_MS = 1000;
export const MAX_MS = 5 * 60 * 1000;

// Delay before attempt number `attempts + 1` (attempts >= 1 failures so far).
export function retryDelay(attempts, retryAfterS = null, random = Math.random) {
  const exp = Math.min(MAX_MS, BASE_MS * 2 ** Math.max(0, attempts - 1));
  const jittered = exp * (0.75 + 0.5 * random());
  const server = Number.isFinite(retryAfterS) && retryAfterS > 0 ? retryAfterS * 1000 : 0;
  return Math.round(Math.min(MAX_MS, Math.max(jittered, server)));
}

// Seconds of a Retry-After header (a number of seconds or an HTTP date), or null.
export function parseRetryAfter(value, now = Date.now()) {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, (at - now) / 1000) : null;
}

// Whether an HTTP answer means "try again later" rather than "the worker must look at it".
export const isTransient = (status) => status === 408 || status === 429 || status >= 500;
