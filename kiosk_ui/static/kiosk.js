// The kiosk at a gate: a keyboard-wedge scanner types into the entry field (Enter submits),
// and scans by any other source at this gate (the camera loop, a handheld) arrive live over
// server-sent events. Every answer is shown once, whichever way it arrived first.
//
// Settings come from localStorage ("vg.kiosk"), overridden by query parameters:
// ?display=SECONDS&sound=0|1&direction=in|out&live=0|1

import { ResultScreen, unlockAudio } from "./result.js";
import {
  GateError, NetworkError, currentStaff, gateStatus, newNonce, postScan, subscribeScans,
  supervisorActions,
} from "./gate_api.js";
import { UTC_CLOCK, describeDoor } from "./door_time.js";

const STORE = "vg.kiosk";
const DEFAULTS = { display: 4, sound: true, direction: "in", live: true };

function loadSettings() {
  let saved = {};
  try {
    saved = JSON.parse(localStorage.getItem(STORE) ?? "{}");
  } catch {
    saved = {};
  }
  const settings = { ...DEFAULTS, ...saved };
  const q = new URLSearchParams(location.search);
  if (q.has("display")) settings.display = Number(q.get("display")) || DEFAULTS.display;
  if (q.has("sound")) settings.sound = q.get("sound") !== "0";
  if (q.has("live")) settings.live = q.get("live") !== "0";
  if (["in", "out"].includes(q.get("direction"))) settings.direction = q.get("direction");
  return settings;
}

const settings = loadSettings();
const save = () => localStorage.setItem(STORE, JSON.stringify(settings));
let staff = null;

const $ = (id) => document.getElementById(id);
const screen = new ResultScreen($("result"), {
  displayMs: settings.display * 1000,
  sound: settings.sound,
  actions: supervisorActions(() => staff, (answer, meta) => present(answer, meta)),
});
const input = $("code");

// A scan seen by POST and by its SSE echo must show once: remember the last scan ids.
const shown = new Set();
function present(answer, meta, { again = false } = {}) {
  if (answer.scan_id) {
    if (shown.has(answer.scan_id) && !again) return;
    shown.add(answer.scan_id);
    if (shown.size > 500) shown.delete(shown.values().next().value);
  }
  screen.show(answer, meta);
}

function setDirection(direction) {
  settings.direction = direction;
  save();
  for (const button of document.querySelectorAll("[data-direction]")) {
    button.setAttribute("aria-pressed", String(button.dataset.direction === direction));
  }
  document.body.dataset.direction = direction;
  screen.idle(direction === "out" ? "Ready to scan exits" : "Ready to scan");
}

async function submit(code) {
  const direction = settings.direction;
  const nonce = newNonce();
  // Only show "Checking…" when the gate is slow; a normal answer takes about a millisecond.
  let covered = false; // a pending screen may have covered this scan's live echo
  const slow = setTimeout(() => {
    covered = true;
    screen.pending();
  }, 150);
  try {
    const answer = await postScan(
      { code, direction, nonce, device: "kiosk" },
      {
        onRetry: (n) => {
          covered = true;
          screen.pending(`No answer from the gate — retrying (${n})…`);
        },
      },
    );
    present(answer, { direction }, { again: covered && screen.root.dataset.state === "pending" });
  } catch (err) {
    if (err instanceof GateError) {
      const hint = err.code === "not_signed_in" ? "Sign in on this device to scan." : err.message;
      screen.error(err.code.replaceAll("_", " ").toUpperCase(), hint);
    } else if (!(err instanceof NetworkError)) {
      screen.error("ERROR", String(err));
    }
  } finally {
    clearTimeout(slow);
  }
}

$("entry").addEventListener("submit", (event) => {
  event.preventDefault();
  unlockAudio();
  const code = input.value.trim();
  input.value = "";
  if (code) submit(code);
});

// A wedge scanner types wherever the focus is: keep it in the entry field unless the
// settings panel or a supervisor's reason field is in use.
function keepFocus() {
  const active = document.activeElement;
  if (!$("settings").hidden || active?.closest(".reason-form")) return;
  if (active !== input) input.focus();
}
input.addEventListener("blur", () => setTimeout(keepFocus, 0));
document.addEventListener("keydown", (event) => {
  unlockAudio();
  if (event.target === document.body) keepFocus();
});
screen.configure({ onIdle: () => setTimeout(keepFocus, 0) });

for (const button of document.querySelectorAll("[data-direction]")) {
  button.addEventListener("click", () => setDirection(button.dataset.direction));
}

// Settings panel.
$("settings-open").addEventListener("click", () => {
  $("set-display").value = settings.display;
  $("set-sound").checked = settings.sound;
  $("set-live").checked = settings.live;
  $("settings").hidden = false;
  $("set-display").focus();
});
$("settings").addEventListener("submit", (event) => {
  event.preventDefault();
  settings.display = Math.min(60, Math.max(1, Number($("set-display").value) || DEFAULTS.display));
  settings.sound = $("set-sound").checked;
  settings.live = $("set-live").checked;
  save();
  screen.configure({ displayMs: settings.display * 1000, sound: settings.sound });
  $("settings").hidden = true;
  keepFocus();
});

// Live scans from other sources at this gate.
subscribeScans(
  (event) => {
    if (settings.live) present(event.answer, { direction: event.direction, gate: event.gate, at: event.at });
  },
  (state) => { $("live").dataset.state = state; document.body.dataset.live = state; },
);

// The event's door window in the header; outside it, the waiting screen says so too.
let gate = { clock: UTC_CLOCK, door: null };
function showDoor() {
  const { state, text, note } = describeDoor(gate.door, gate.clock);
  $("door").dataset.state = state;
  $("door").textContent = text;
  document.body.dataset.door = state;
  screen.configure({ clock: gate.clock, idleNote: note });
  if (screen.root.dataset.state === "idle") screen.idle();
}

async function describeGate() {
  try {
    const status = await gateStatus();
    $("gate-name").textContent = status.gate;
    $("event-name").textContent = status.event?.name ?? "no event loaded";
    gate = { clock: status.clock ?? UTC_CLOCK, door: status.door ?? null };
    showDoor();
  } catch {
    // The header stays generic; scans still work once the gate answers.
  }
  try {
    staff = await currentStaff();
  } catch {
    staff = null;
  }
}

setDirection(settings.direction);
describeGate();
setInterval(showDoor, 30000); // "not open yet" turns into the window when the doors open
keepFocus();
