// The result screen shared by the kiosk and the handheld: one big, unmistakable answer per
// scan (colour field, icon, title, the gate's message, holder and seat), a sound per outcome,
// and a return to "Ready to scan" after the display time. UIs switch on the reason code,
// never on the message (docs/api.md); the message is shown as the gate wrote it.

import { UTC_CLOCK, formatTime } from "./door_time.js";

// Titles and tones per reason code. "warn" (amber) is a genuine ticket that may not pass now:
// staff can resolve it (a supervisor may admit anyway). "bad" (red) is not a valid ticket.
export const OUTCOMES = {
  ok_in: { title: "ADMITTED", tone: "ok", icon: "✓" },
  ok_out: { title: "EXIT RECORDED", tone: "ok", icon: "↤" },
  already_scanned: { title: "ALREADY SCANNED", tone: "warn", icon: "!" },
  invalid_time: { title: "NOT VALID NOW", tone: "warn", icon: "!" },
  product: { title: "WRONG GATE", tone: "warn", icon: "!" },
  rules: { title: "NOT ALLOWED NOW", tone: "warn", icon: "!" },
  invalid: { title: "NOT A TICKET", tone: "bad", icon: "✕" },
  forged: { title: "FORGED", tone: "bad", icon: "✕" },
  wrong_event: { title: "WRONG EVENT", tone: "bad", icon: "✕" },
  revoked: { title: "REVOKED", tone: "bad", icon: "✕" },
  blocked: { title: "BLOCKED", tone: "bad", icon: "✕" },
};
const UNKNOWN_REJECTION = { title: "REJECTED", tone: "bad", icon: "✕" };
// An admission to look at twice: the banner on the green screen; the message says why.
export const WARNINGS = {
  outside_door_window: "⚠ CHECK THE DATE",
};

/** The title, tone and icon for a scan answer (a ScanAnswer of the gate API). */
export function outcomeOf(answer, direction = "in") {
  if (answer.status === "ok") return direction === "out" ? OUTCOMES.ok_out : OUTCOMES.ok_in;
  return OUTCOMES[answer.reason] ?? UNKNOWN_REJECTION;
}

// --- sound -----------------------------------------------------------------------------

let audio = null;

/** Make (or wake) the audio context; call from a key press or tap, as browsers require. */
export function unlockAudio() {
  try {
    audio ??= new AudioContext();
    if (audio.state === "suspended") audio.resume();
  } catch {
    audio = null; // no WebAudio: the screen still says everything
  }
}

function tone(freq, start, length, type = "sine", gain = 0.25) {
  const osc = audio.createOscillator();
  const amp = audio.createGain();
  osc.type = type;
  osc.frequency.value = freq;
  const t0 = audio.currentTime + start;
  // Short ramps avoid the click of a hard start and stop.
  amp.gain.setValueAtTime(0, t0);
  amp.gain.linearRampToValueAtTime(gain, t0 + 0.01);
  amp.gain.setValueAtTime(gain, t0 + length - 0.02);
  amp.gain.linearRampToValueAtTime(0, t0 + length);
  osc.connect(amp).connect(audio.destination);
  osc.start(t0);
  osc.stop(t0 + length + 0.01);
}

/** One short high beep for ok, two middle beeps for warn, a low buzz for bad. */
export function beep(toneName) {
  unlockAudio();
  if (!audio) return;
  if (toneName === "ok") tone(1320, 0, 0.12);
  else if (toneName === "warn") {
    tone(660, 0, 0.14, "triangle");
    tone(660, 0.22, 0.14, "triangle");
  } else if (toneName === "bad") tone(180, 0, 0.6, "square", 0.18);
  else if (toneName === "queued") tone(880, 0, 0.08);
}

// --- the screen ----------------------------------------------------------------------------

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * The result screen inside `root`. Options: displayMs (how long an answer stays), sound
 * (bool), readyText, idleNote (a line under the waiting prompt), clock (the gate's, see
 * door_time.js), actions(answer, direction, screen) -> [{label, run}] for buttons
 * (supervisor actions), onIdle().
 */
export class ResultScreen {
  constructor(root, options = {}) {
    this.root = root;
    this.options = {
      displayMs: 4000, sound: true, readyText: "Ready to scan", idleNote: "", clock: UTC_CLOCK, ...options,
    };
    this.timer = null;
    this.shownCount = 0; // answers shown so far, exposed for tests and diagnostics
    root.classList.add("result");
    root.setAttribute("role", "status");
    root.setAttribute("aria-live", "assertive");
    this.icon = el("div", "result-icon");
    this.title = el("h1", "result-title");
    this.warning = el("p", "result-warning");
    this.message = el("p", "result-message");
    this.holder = el("p", "result-holder");
    this.seat = el("p", "result-seat");
    this.meta = el("p", "result-meta");
    this.actions = el("div", "result-actions");
    root.replaceChildren(
      this.icon, this.title, this.warning, this.message, this.holder, this.seat, this.meta, this.actions,
    );
    this.idle();
  }

  configure(options) {
    Object.assign(this.options, options);
  }

  _paint(state, { icon = "", title = "", warning = "", message = "", holder = "", seat = "", meta = "" }) {
    this.root.dataset.state = state;
    this.icon.textContent = icon;
    this.title.textContent = title;
    this.warning.textContent = warning;
    this.warning.hidden = !warning;
    this.message.textContent = message;
    this.holder.textContent = holder;
    this.seat.textContent = seat;
    this.meta.textContent = meta;
    this.actions.replaceChildren();
    delete this.root.dataset.reason;
    delete this.root.dataset.scanId;
    delete this.root.dataset.warning;
  }

  _later(ms) {
    clearTimeout(this.timer);
    this.timer = ms > 0 ? setTimeout(() => this.idle(), ms) : null;
  }

  /** Back to the waiting screen. */
  idle(text) {
    clearTimeout(this.timer);
    if (text !== undefined) this.idleText = text;
    this._paint("idle", {
      icon: "▣", title: this.idleText ?? this.options.readyText, message: this.options.idleNote,
    });
    this.options.onIdle?.();
  }

  /** Show one scan answer; it stays for the display time (or until the next scan). */
  show(answer, { direction = "in", gate = "", at = "", source = "" } = {}) {
    const outcome = outcomeOf(answer, direction);
    const ticket = answer.ticket ?? {};
    const when = formatTime(at, this.options.clock, new Date());
    const bits = [gate, when, source, ticket.type_name].filter(Boolean);
    const warning = answer.warning ? WARNINGS[answer.warning] ?? "⚠ CHECK" : "";
    this._paint(outcome.tone, {
      icon: outcome.icon,
      title: outcome.title,
      warning,
      message: answer.message ?? "",
      holder: ticket.holder ?? "",
      seat: ticket.seat ?? "",
      meta: bits.join(" · "),
    });
    this.root.dataset.reason = answer.reason ?? (direction === "out" ? "exit" : "admitted");
    this.root.dataset.scanId = answer.scan_id ?? "";
    if (answer.warning) this.root.dataset.warning = answer.warning;
    this.root.dataset.shown = String(++this.shownCount);
    if (this.options.sound) beep(outcome.tone);
    const buttons = this.options.actions?.(answer, direction, this) ?? [];
    for (const { label, run } of buttons) {
      const button = el("button", "result-action", label);
      button.type = "button";
      button.addEventListener("click", () => {
        clearTimeout(this.timer); // a supervisor at work: do not move on under them
        run(button);
      });
      this.actions.append(button);
    }
    this._later(this.options.displayMs);
  }

  /** A scan on its way (shown only if the gate is slow to answer). */
  pending(text = "Checking…") {
    clearTimeout(this.timer);
    this._paint("pending", { icon: "…", title: text });
  }

  /** A scan saved on this device, to be sent when the gate is reachable again. */
  queued(count) {
    this._paint("queued", {
      icon: "⇪",
      title: "QUEUED",
      message: "No connection to the gate. The scan is saved and will be sent automatically.",
      meta: `${count} waiting`,
    });
    if (this.options.sound) beep("queued");
    this._later(this.options.displayMs);
  }

  /** An error that is not a scan answer (no event loaded, not signed in, ...). */
  error(title, message) {
    this._paint("bad", { icon: "✕", title, message });
    if (this.options.sound) beep("bad");
    this._later(Math.max(this.options.displayMs, 5000));
  }

  /** A plain notice (e.g. "ANNULLED"), neutral in colour. */
  notice(title, message) {
    this._paint("notice", { icon: "i", title, message });
    this._later(this.options.displayMs);
  }

  /** Keep the current screen until the next scan or `idle()`. */
  hold() {
    clearTimeout(this.timer);
  }
}
