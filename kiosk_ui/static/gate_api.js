// Talking to the gate: scans with nonces and retries, staff sessions, supervisor actions and
// the live feed. Every error of the gate API is {"error": {"code", "message"}}; callers switch
// on `code`.

/** A fresh scan nonce. crypto.randomUUID needs a secure context (HTTPS or localhost); on a
 *  plain-HTTP LAN page it is missing, and getRandomValues (always there) builds the same. */
export function newNonce() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The network failed (no answer at all): the scan may or may not have been recorded. */
export class NetworkError extends Error {}

/** The gate answered with an error: {status, code, message}. */
export class GateError extends Error {
  constructor(status, code, message) {
    super(message || code);
    this.status = status;
    this.code = code;
  }
}

async function call(method, path, body, { contentType = "application/json" } = {}) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: body === undefined ? {} : { "content-type": contentType },
      body: body === undefined ? undefined : contentType === "application/json" ? JSON.stringify(body) : body,
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch (err) {
    throw new NetworkError(String(err));
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    // A proxy or captive portal answered with something else: treat as no answer.
    if (!response.ok) throw new NetworkError(`HTTP ${response.status} without a JSON body`);
  }
  if (!response.ok) {
    const error = data?.error ?? {};
    throw new GateError(response.status, error.code ?? "http_error", error.message ?? "");
  }
  return data;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * POST one scan. On a network failure it retries with the SAME nonce (the gate answers a
 * repeated nonce with the first answer and records nothing), up to `attempts` tries, calling
 * onRetry(attempt) before each retry; then it throws NetworkError. Gate errors are thrown
 * at once (retrying would not change them).
 */
export async function postScan({ code, direction = "in", nonce = newNonce(), device }, options = {}) {
  const { attempts = Infinity, onRetry = () => {}, maxDelayMs = 2000 } = options;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call("POST", "/api/v1/scan", { code, direction, nonce, ...(device ? { device } : {}) });
    } catch (err) {
      if (!(err instanceof NetworkError) || attempt >= attempts) throw err;
      onRetry(attempt, nonce);
      await sleep(Math.min(maxDelayMs, 150 * 2 ** (attempt - 1)));
    }
  }
}

/** The signed-in staff member ({id, name, role}) or null. */
export async function currentStaff() {
  try {
    return await call("GET", "/api/v1/staff/me");
  } catch (err) {
    if (err instanceof GateError && (err.status === 401 || err.status === 404)) return null;
    throw err;
  }
}

export const signIn = (pin) => call("POST", "/api/v1/staff/sign-in", { pin });
/** What a failed PIN sign-in tells the person at the door. */
export function signInProblem(err) {
  const words = {
    bad_pin: "Wrong PIN.",
    too_many_attempts: "Too many attempts: wait a minute and try again.",
  };
  return err instanceof NetworkError ? "Cannot reach the gate." : words[err.code] ?? err.message;
}
export const signOut = () => call("POST", "/api/v1/staff/sign-out", {});
export const annulScan = (scanId, reason) =>
  call("POST", `/api/v1/scans/${encodeURIComponent(scanId)}/annul`, { reason });
export const overrideScan = (scanId, reason) =>
  call("POST", `/api/v1/scans/${encodeURIComponent(scanId)}/override`, { reason });
export const decodeFrame = (jpeg) =>
  call("POST", "/api/v1/decode", jpeg, { contentType: "image/jpeg" });
/** The gate's status: its name, event, door window (`door`) and clock (`clock`). */
export const gateStatus = () => call("GET", "/api/v1/status");
/** Supervisors: tickets whose holder or seat holds `q`, or whose id starts with it. */
export const searchTickets = (q, limit) =>
  call("GET", `/api/v1/supervision/search?${new URLSearchParams(limit ? { q, limit } : { q })}`);
/** Supervisors: admit a found ticket without its code, with a reason; a scan answer. */
export const admitFound = (ticketId, reason, device) =>
  call("POST", `/api/v1/supervision/tickets/${encodeURIComponent(ticketId)}/admit`, {
    reason, ...(device ? { device } : {}),
  });

/**
 * A form asking for a supervisor's reason: an input, `label` to submit, Cancel. Calls
 * act(reason) with the trimmed reason; onCancel() on Cancel; onError(err) when act throws.
 */
export function reasonForm({ label, placeholder, act, onCancel, onError }) {
  const form = document.createElement("form");
  form.className = "reason-form";
  const input = document.createElement("input");
  input.name = "reason";
  input.required = true;
  input.minLength = 3;
  input.maxLength = 500;
  input.placeholder = placeholder;
  input.autocomplete = "off";
  const ok = document.createElement("button");
  ok.type = "submit";
  ok.textContent = label.replace("…", "");
  const cancel = document.createElement("button");
  cancel.type = "button";
  cancel.textContent = "Cancel";
  cancel.addEventListener("click", onCancel);
  form.append(input, ok, cancel);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const reason = input.value.trim();
    if (!reason) return;
    ok.disabled = true;
    try {
      await act(reason);
    } catch (err) {
      ok.disabled = false;
      onError(err);
    }
  });
  return form;
}

/**
 * Subscribe to the gate's live feed (server-sent events). onScan(event) gets each
 * {answer, gate, direction, at}; onState("live" | "reconnecting") reports the connection.
 * EventSource reconnects by itself (the gate asks for 2 s).
 */
export function subscribeScans(onScan, onState = () => {}) {
  const source = new EventSource("/api/v1/events");
  source.addEventListener("open", () => onState("live"));
  source.addEventListener("error", () => onState("reconnecting"));
  source.addEventListener("scan", (event) => {
    try {
      onScan(JSON.parse(event.data));
    } catch (err) {
      console.error("bad scan event", err);
    }
  });
  return source;
}

/**
 * Supervisor buttons for the result screen: "Annul" on an admission (within 15 minutes, the
 * gate checks), "Admit anyway…" on a rejection; both need a typed reason. `getStaff()` says
 * who is signed in; only supervisors see the buttons. `present(answer, meta)` shows the
 * override's answer.
 */
export function supervisorActions(getStaff, present) {
  return (answer, direction, screen) => {
    const staff = getStaff();
    if (staff?.role !== "supervisor" || !answer.scan_id) return [];
    const withReason = (label, placeholder, act) => ({
      label,
      run(button) {
        const form = reasonForm({
          label,
          placeholder,
          act,
          onCancel: () => screen.idle(),
          onError: (err) => screen.error("NOT DONE", err.message || String(err)),
        });
        button.replaceWith(form);
        form.querySelector("input").focus();
      },
    });
    if (answer.status === "ok" && direction === "in") {
      return [
        withReason("Annul", "Why annul this admission?", async (reason) => {
          await annulScan(answer.scan_id, reason);
          screen.notice("ANNULLED", `The admission was annulled: ${reason}`);
        }),
      ];
    }
    if (answer.status !== "ok") {
      return [
        withReason("Admit anyway…", "Reason (required)", async (reason) => {
          const admitted = await overrideScan(answer.scan_id, reason);
          // Through `present`, so the live feed's echo of the override is not shown twice.
          present(admitted, { direction, source: `override: ${reason}` });
        }),
      ];
    }
    return [];
  };
}
