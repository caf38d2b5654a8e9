// The API key, where the service asks for one (it answers 401): kept in this tab's sessionStorage and sent
// as the Authorization header. Never a cookie, so no request carries it unless this page adds it.

const STORE = "capplan.apiKey";
const $ = (id) => document.getElementById(id);

export function apiKey() {
  try {
    return sessionStorage.getItem(STORE) || "";
  } catch {
    return ""; // storage refused (a sandboxed frame): the service stays open-only for this page
  }
}

/** The header that carries the key, or nothing when none is kept. */
export function authHeaders() {
  const key = apiKey();
  return key ? { Authorization: `Bearer ${key}` } : {};
}

/** The service refused the call (401) or shows only its status: forget a refused key and ask for one. */
export function askForKey(reason = "") {
  const refused = Boolean(apiKey());
  try {
    sessionStorage.removeItem(STORE);
  } catch { /* nothing kept */ }
  const form = $("key-form");
  if (!form) return;
  $("key-error").textContent = refused ? "That key was refused; enter another." : reason;
  if (form.hidden) {
    form.hidden = false;
    $("api-key").focus({ preventScroll: true });
  }
}

/** Wire the key field; `onSaved` runs once a key is kept (to read the service again with it). */
export function wireKeyForm(onSaved) {
  $("key-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const key = $("api-key").value.trim();
    if (!key) {
      $("key-error").textContent = "Enter the API key you were given (capplan keys create).";
      return;
    }
    try {
      sessionStorage.setItem(STORE, key);
    } catch {
      $("key-error").textContent = "This browser refuses to keep the key for this tab.";
      return;
    }
    $("api-key").value = "";
    $("key-error").textContent = "";
    $("key-form").hidden = true;
    onSaved?.();
  });
}
