// The handheld: a phone on the venue LAN signs in with a staff PIN and scans with its camera.
// Codes are found by the browser's BarcodeDetector where it has one for QR codes, otherwise
// frames go to the gate (POST /api/v1/decode) as JPEGs; a code can also be typed or pasted,
// and is then scanned the same way. Scans that cannot reach the gate are kept on the phone
// with their nonces and sent when it is back; the nonce makes a resend safe. Supervisors can
// also find a ticket by holder, seat or id and admit it without its code.
//
// Query parameters: ?decoder=gate forces frames to the gate; ?display=SECONDS.

import { ResultScreen, unlockAudio } from "./result.js";
import {
  GateError, NetworkError, admitFound, currentStaff, decodeFrame, gateStatus, newNonce, postScan,
  reasonForm, searchTickets, signIn, signInProblem, signOut, supervisorActions,
} from "./gate_api.js";
import { UTC_CLOCK, describeDoor, formatTime } from "./door_time.js";

const $ = (id) => document.getElementById(id);
const query = new URLSearchParams(location.search);
const QUEUE = "vg.handheld.queue";
const STAFF = "vg.handheld.staff";
const DIRECTION = "vg.handheld.direction";
const GATE = "vg.handheld.gate"; // the gate's clock and door window, for when it is away
const MAX_FRAME_BYTES = 512 * 1024;
const SAME_CODE_PAUSE_MS = 3000; // a ticket held in front of the camera is one scan

let staff = null;
let direction = localStorage.getItem(DIRECTION) === "out" ? "out" : "in";
let camera = null; // {stream, detector, running}

const device = (() => {
  let id = localStorage.getItem("vg.device");
  if (!id) {
    id = `handheld-${newNonce().slice(0, 8)}`;
    localStorage.setItem("vg.device", id);
  }
  return id;
})();

const screen = new ResultScreen($("result"), {
  displayMs: (Number(query.get("display")) || 3) * 1000,
  actions: supervisorActions(() => staff, (answer, meta) => present(answer, meta)),
});

// Each answer shows once, also when a supervisor's override comes back from the live feed.
const shown = new Set();
function present(answer, meta) {
  if (answer.scan_id) {
    if (shown.has(answer.scan_id)) return;
    shown.add(answer.scan_id);
    if (shown.size > 500) shown.delete(shown.values().next().value);
  }
  screen.show(answer, meta);
}

// --- the offline queue -------------------------------------------------------------------

const readQueue = () => {
  try {
    return JSON.parse(localStorage.getItem(QUEUE) ?? "[]");
  } catch {
    return [];
  }
};
const writeQueue = (items) => {
  localStorage.setItem(QUEUE, JSON.stringify(items));
  const label = $("queue-state");
  label.dataset.count = String(items.length);
  label.textContent = `${items.length} queued`;
};

let flushing = false;
/** Send queued scans in order; stops at the first that still cannot reach the gate. */
async function flushQueue() {
  if (flushing) return;
  flushing = true;
  try {
    for (let items = readQueue(); items.length; items = readQueue()) {
      const item = items[0];
      try {
        const answer = await postScan(item, { attempts: 1 });
        present(answer, { direction: item.direction, source: "sent from queue" });
      } catch (err) {
        if (err instanceof NetworkError) {
          setNet("reconnecting");
          return;
        }
        if (err instanceof GateError && err.code === "not_signed_in") {
          showSignIn("Your session ended: sign in again to send the queued scans.");
          return;
        }
        // Any other refusal is final for this scan (e.g. a nonce conflict): drop it.
        console.warn("queued scan refused", item, err);
      }
      writeQueue(readQueue().filter((x) => x.nonce !== item.nonce));
      setNet("live");
    }
  } finally {
    flushing = false;
  }
}

function setNet(state) {
  $("net").dataset.state = state;
  document.body.dataset.net = state;
}

// --- the gate's clock and door window ----------------------------------------------------

let gate = (() => {
  try {
    return JSON.parse(localStorage.getItem(GATE) ?? "null") ?? { clock: UTC_CLOCK, door: null };
  } catch {
    return { clock: UTC_CLOCK, door: null };
  }
})();

function showDoor() {
  const { state, text, note } = describeDoor(gate.door, gate.clock);
  const line = $("door");
  line.dataset.state = state;
  line.textContent = note || text;
}

async function describeGate() {
  try {
    const status = await gateStatus();
    gate = { clock: status.clock ?? UTC_CLOCK, door: status.door ?? null };
    localStorage.setItem(GATE, JSON.stringify(gate));
  } catch {
    // Offline: the last known clock and window stay.
  }
  screen.configure({ clock: gate.clock });
  showDoor();
}
setInterval(showDoor, 30000); // "not open yet" turns into the window when the doors open

// --- scanning --------------------------------------------------------------------------------

async function scan(code) {
  const item = { code, direction, nonce: newNonce(), device, queued_at: new Date().toISOString() };
  if (readQueue().length) {
    // Keep the order of scans: behind a queue, a new scan waits its turn.
    writeQueue([...readQueue(), item]);
    screen.queued(readQueue().length);
    flushQueue();
    return;
  }
  try {
    const answer = await postScan(item, { attempts: 3, maxDelayMs: 400 });
    setNet("live");
    present(answer, { direction: item.direction });
  } catch (err) {
    if (err instanceof NetworkError) {
      setNet("reconnecting");
      writeQueue([...readQueue(), item]);
      screen.queued(readQueue().length);
    } else if (err instanceof GateError && err.code === "not_signed_in") {
      showSignIn("Sign in again to scan.");
    } else {
      screen.error(err.code ? err.code.replaceAll("_", " ").toUpperCase() : "ERROR", err.message);
    }
  }
}

async function browserDetector() {
  if (query.get("decoder") === "gate" || !("BarcodeDetector" in window)) return null;
  try {
    const formats = await window.BarcodeDetector.getSupportedFormats();
    if (!formats.includes("qr_code")) return null;
    const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    return { name: "browser", intervalMs: 150, detect: async (video) => (await detector.detect(video)).map((b) => b.rawValue) };
  } catch {
    return null;
  }
}

function gateDetector() {
  const canvas = $("frame");
  const context = canvas.getContext("2d", { willReadFrequently: false });
  const toJpeg = (quality) => new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", quality));
  return {
    name: "gate",
    intervalMs: 250,
    async detect(video) {
      if (!video.videoWidth) return [];
      // 640 pixels across is plenty for a ticket held at arm's length, and keeps frames small.
      const scale = Math.min(1, 640 / video.videoWidth);
      canvas.width = Math.round(video.videoWidth * scale);
      canvas.height = Math.round(video.videoHeight * scale);
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      let jpeg = await toJpeg(0.85);
      if (jpeg && jpeg.size > MAX_FRAME_BYTES) jpeg = await toJpeg(0.5);
      if (!jpeg || jpeg.size > MAX_FRAME_BYTES) return [];
      return (await decodeFrame(jpeg)).codes;
    },
  };
}

async function startCamera() {
  if (camera) return;
  const video = $("camera");
  try {
    const stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: "environment", width: { ideal: 1280 }, height: { ideal: 720 } },
      audio: false,
    });
    video.srcObject = stream;
    await video.play();
    const detector = (await browserDetector()) ?? gateDetector();
    camera = { stream, detector, running: true };
    document.body.dataset.decoder = detector.name;
    $("camera-state").textContent = detector.name === "browser" ? "Camera on" : "Camera on (decoded by the gate)";
    loop(video);
  } catch (err) {
    const why = window.isSecureContext ? String(err.message || err) : "the camera needs HTTPS (or localhost)";
    $("camera-state").textContent = `No camera: ${why}`;
  }
}

function stopCamera() {
  if (!camera) return;
  camera.running = false;
  for (const track of camera.stream.getTracks()) track.stop();
  camera = null;
}

let last = { code: "", at: 0 };
async function loop(video) {
  const current = camera;
  while (current.running) {
    // While an answer is up, the camera waits: the steward is reading it.
    if ($("result").dataset.state === "idle" && $("find").hidden) {
      try {
        const codes = await current.detector.detect(video);
        const code = codes.find((c) => c && !(c === last.code && Date.now() - last.at < SAME_CODE_PAUSE_MS));
        if (code) {
          last = { code, at: Date.now() };
          await scan(code);
        } else if (codes.includes(last.code)) {
          last.at = Date.now(); // still in view: keep pausing
        }
      } catch (err) {
        if (err instanceof NetworkError) setNet("reconnecting");
        else if (err instanceof GateError && err.code === "not_signed_in") showSignIn("Sign in again to scan.");
      }
    }
    await new Promise((resolve) => setTimeout(resolve, current.detector.intervalMs));
  }
}

// --- signing in --------------------------------------------------------------------------

function showSignIn(message = "") {
  stopCamera();
  staff = null;
  localStorage.removeItem(STAFF);
  $("scanner").hidden = true;
  $("signin").hidden = false;
  $("signin-error").textContent = message;
  $("pin").value = "";
  $("pin").focus();
}

function showScanner(member) {
  staff = member;
  localStorage.setItem(STAFF, JSON.stringify(member));
  $("signin").hidden = true;
  $("scanner").hidden = false;
  $("staff-name").textContent = `${member.name} · ${member.role}`;
  document.body.dataset.role = member.role;
  if (member.role !== "supervisor") closeFind();
  setDirection(direction);
  writeQueue(readQueue());
  describeGate();
  startCamera();
  flushQueue();
}

// --- a code typed or pasted ----------------------------------------------------------------

$("manual").addEventListener("submit", (event) => {
  event.preventDefault();
  unlockAudio();
  const code = $("manual-code").value.trim();
  $("manual-code").value = "";
  $("manual-code").blur();
  if (code) scan(code); // the camera's path: the same nonce, queue and answer
});

// --- supervisors: find a ticket without its code ------------------------------------------

function closeFind() {
  $("find").hidden = true;
  $("find-results").replaceChildren();
  $("find-state").textContent = "";
}

$("find-open").addEventListener("click", () => {
  $("find").hidden = false;
  $("find-q").focus();
});
$("find-close").addEventListener("click", closeFind);

function line(className, text) {
  const p = document.createElement("p");
  p.className = className;
  p.textContent = text;
  return p;
}

/** What a found ticket's state is, in words: inside or not, where and when. */
function stateText(t) {
  const at = (passage) => `${passage.gate} at ${formatTime(passage.at, gate.clock, new Date())}`;
  if (t.revoked) return `REVOKED (${t.revoked})`;
  if (t.blocked) return `BLOCKED (${t.blocked})`;
  if (!t.last_passage) return "Not admitted yet";
  if (t.inside) return `Inside: admitted ${at(t.last_passage)}`;
  return `Not inside: left ${at(t.last_passage)}`;
}

function foundItem(t) {
  const item = document.createElement("li");
  item.className = "found";
  item.dataset.ticketId = t.id;
  if (t.revoked) item.dataset.revoked = "";
  if (t.blocked) item.dataset.blocked = "";
  if (t.check) item.dataset.check = t.check.status;
  const kind = [t.type_name, t.seat].filter(Boolean).join(" · ");
  item.append(line("who", t.holder || "(no name)"));
  if (kind) item.append(line("kind", kind));
  item.append(line("state", stateText(t)));
  if (t.first_admitted && t.entries > 1) {
    item.append(line("first", `${t.entries} entries, first ${t.first_admitted.gate} at ${formatTime(t.first_admitted.at, gate.clock, new Date())}`));
  }
  if (t.check) item.append(line("check", `A scan now: ${t.check.message}`));
  item.append(line("id", t.id));
  const admit = document.createElement("button");
  admit.type = "button";
  admit.textContent = "Admit…";
  admit.addEventListener("click", () => {
    const form = reasonForm({
      label: "Admit",
      placeholder: "Reason (required)",
      act: async (reason) => {
        const answer = await admitFound(t.id, reason, device);
        closeFind();
        setNet("live");
        // On the result screen, with the supervisor's actions: a rejection can be overridden.
        present(answer, { direction: "in", source: "found by search" });
      },
      onCancel: () => form.replaceWith(admit),
      onError: (err) => {
        $("find-state").textContent = err instanceof NetworkError ? "Cannot reach the gate." : err.message;
      },
    });
    admit.replaceWith(form);
    form.querySelector("input").focus();
  });
  item.append(admit);
  return item;
}

$("find-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const q = $("find-q").value.trim();
  $("find-results").replaceChildren();
  $("find-state").textContent = "Searching…";
  try {
    const answer = await searchTickets(q);
    const n = answer.tickets.length;
    $("find-state").textContent = n === 0
      ? `No ticket matches “${answer.query}”.`
      : `${n} ticket${n === 1 ? "" : "s"}${answer.truncated ? " (the first ones: type more to narrow it down)" : ""}`;
    $("find-results").replaceChildren(...answer.tickets.map(foundItem));
  } catch (err) {
    if (err instanceof GateError && err.code === "not_signed_in") {
      showSignIn("Sign in again to search.");
      return;
    }
    $("find-state").textContent = err instanceof NetworkError ? "Cannot reach the gate: searching needs it." : err.message;
  }
});

function setDirection(value) {
  direction = value;
  localStorage.setItem(DIRECTION, value);
  for (const button of document.querySelectorAll("[data-direction]")) {
    button.setAttribute("aria-pressed", String(button.dataset.direction === value));
  }
  screen.idle(value === "out" ? "Point at a ticket to scan an exit" : "Point at a ticket to scan");
}

$("signin-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  unlockAudio();
  $("signin-error").textContent = "";
  try {
    const { staff: member } = await signIn($("pin").value);
    showScanner(member);
  } catch (err) {
    $("signin-error").textContent = signInProblem(err);
    $("pin").value = "";
  }
});

$("sign-out").addEventListener("click", async () => {
  try {
    await signOut();
  } catch {
    // Signed out here in any case; the gate's session expires by itself.
  }
  showSignIn();
});

for (const button of document.querySelectorAll("[data-direction]")) {
  button.addEventListener("click", () => {
    unlockAudio();
    setDirection(button.dataset.direction);
  });
}
document.addEventListener("pointerdown", unlockAudio);

window.addEventListener("online", flushQueue);
setInterval(() => {
  if (readQueue().length) flushQueue();
}, 2000);

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js", { scope: "/handheld" }).catch((err) => {
    console.warn("service worker not registered", err);
  });
}

(async () => {
  try {
    const member = await currentStaff();
    if (member) showScanner(member);
    else showSignIn();
  } catch (err) {
    // Offline (the page came from the service worker's cache): scan as the last signed-in
    // member; the scans queue and are sent when the gate is reachable.
    const saved = JSON.parse(localStorage.getItem(STAFF) ?? "null");
    if (err instanceof NetworkError && saved) {
      setNet("reconnecting");
      showScanner(saved);
    } else showSignIn(err instanceof NetworkError ? "Cannot reach the gate." : err.message);
  }
})();
