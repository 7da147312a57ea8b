// The LAN dashboard: figures from GET /api/v1/dashboard, refreshed on every live scan event
// (server-sent events) and every 10 s in case the live feed is down.
//
// The figures name ticket holders, so the gate gives them to signed-in staff and to the
// gate's own screen only: on any other device a venue manager signs in with a staff PIN
// first (the handheld's sign-in), and the page asks again when the session ends.

import {
  GateError, NetworkError, currentStaff, signIn, signInProblem, signOut, subscribeScans,
} from "./gate_api.js";
import { UTC_CLOCK, formatTime } from "./door_time.js";

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const POLL_MS = 10000;
const REASON_WORDS = {
  already_scanned: "already scanned", invalid: "not a ticket", forged: "forged",
  wrong_event: "wrong event", revoked: "revoked", blocked: "blocked",
  invalid_time: "not valid now", product: "wrong gate", rules: "rule",
};

// Every time on the event's clock, labelled, as the kiosk and the gate's messages write it.
let clock = UTC_CLOCK;
const fmtTime = (iso) => (iso ? formatTime(iso, clock, new Date()) : "—");
// A chart label: the minute on the event's clock ("20:13").
const minuteOf = (iso) => formatTime(iso, clock, iso).slice(0, 5);

function cell(text) {
  const td = document.createElement("td");
  td.textContent = text;
  return td;
}

function reasons(byReason) {
  const parts = Object.entries(byReason).map(([r, n]) => `${REASON_WORDS[r] ?? r}: ${n}`);
  return parts.length ? parts.join(", ") : "—";
}

function renderGates(gates) {
  $("gates").replaceChildren(
    ...gates.map((g) => {
      const tr = document.createElement("tr");
      tr.dataset.gate = g.gate;
      if (g.this_gate) tr.className = "this-gate";
      tr.append(
        cell(g.gate + (g.this_gate ? " (this gate)" : "")),
        cell(g.admitted),
        cell(g.admitted_last_minute),
        cell(g.admissions_per_minute.toFixed(1)),
        cell(g.exits),
        cell(g.rejected),
        cell(reasons(g.rejected_by_reason)),
        cell(fmtTime(g.last_scan_at)),
      );
      return tr;
    }),
  );
}

function renderAlerts(list, alerts, emptyText) {
  if (!alerts.length) {
    const li = document.createElement("li");
    li.className = "none";
    li.textContent = emptyText;
    list.replaceChildren(li);
    return;
  }
  list.replaceChildren(
    ...alerts.map((a) => {
      const li = document.createElement("li");
      li.className = a.kind;
      li.dataset.kind = a.kind;
      li.textContent = a.last_at ? `${a.message} (last ${fmtTime(a.last_at)})` : a.message;
      return li;
    }),
  );
}

function renderPeers(peers) {
  $("peers").replaceChildren(
    ...peers.map((p) => {
      const li = document.createElement("li");
      li.dataset.gate = p.name;
      const name = document.createElement("span");
      name.textContent = p.name + (p.this_gate ? " (this gate)" : "");
      const state = document.createElement("span");
      state.className = `state-${p.state ?? "unreached"}`;
      state.dataset.state = p.state ?? "unreached";
      const skew = p.skew_ms !== null && Math.abs(p.skew_ms) > 5000
        ? ` · clock ${p.skew_ms > 0 ? "+" : ""}${Math.round(p.skew_ms / 1000)} s` : "";
      const sync = p.this_gate ? "" : ` · ${p.sync}`;
      // The state comes from the replicated scans: every gate shows the same words for it.
      const activity = p.state === null
        ? "not reached yet"
        : `${p.state} · ${p.last_scan_at ? `last scan ${fmtTime(p.last_scan_at)}` : "never scanned"}`;
      state.textContent = `${activity}${sync}${skew}`;
      if (p.sync === "unreachable") state.className = "state-quiet";
      li.append(name, state);
      return li;
    }),
  );
}

// Bars per minute, drawn into the SVG's own 800x220 coordinate space.
function renderChart(buckets) {
  const svg = $("chart");
  const W = 800, H = 220, left = 34, bottom = 20, top = 10;
  const max = Math.max(1, ...buckets.map((b) => b.admitted));
  const step = (W - left) / Math.max(1, buckets.length);
  const y = (v) => H - bottom - (v / max) * (H - bottom - top);
  const nodes = [];
  const add = (tag, attrs, text) => {
    const n = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
    if (text !== undefined) n.textContent = text;
    nodes.push(n);
    return n;
  };
  add("line", { class: "axis", x1: left, y1: H - bottom, x2: W, y2: H - bottom });
  add("line", { class: "axis", x1: left, y1: top, x2: left, y2: H - bottom });
  add("text", { x: 2, y: top + 10 }, String(max));
  add("text", { x: 2, y: H - bottom }, "0");
  buckets.forEach((b, i) => {
    const x = left + i * step;
    if (b.admitted > 0) {
      const bar = add("rect", {
        class: "bar", x: x + 1, y: y(b.admitted), width: Math.max(1, step - 2),
        height: H - bottom - y(b.admitted),
      });
      const title = document.createElementNS(SVG, "title");
      title.textContent = `${fmtTime(b.at)}: ${b.admitted}`;
      bar.append(title);
    }
    const lastBar = i === buckets.length - 1;
    if ((i % 5 === 0 && i < buckets.length - 3) || lastBar) {
      const label = minuteOf(b.at);
      // The newest minute's label ends at the right edge instead of running off it.
      add("text", lastBar ? { x: W, y: H - 4, "text-anchor": "end" } : { x: x + 1, y: H - 4 }, label);
    }
  });
  svg.replaceChildren(...nodes);
  svg.dataset.total = String(buckets.reduce((n, b) => n + b.admitted, 0));
  $("chart-range").textContent = `last ${buckets.length} minutes`;
}

function renderTypes(types) {
  $("types").replaceChildren(
    ...types.map((t) => {
      const tr = document.createElement("tr");
      tr.dataset.type = t.name;
      const share = t.tickets ? Math.min(100, (100 * t.admitted) / t.tickets) : 0;
      const bar = document.createElement("td");
      bar.className = "bar-cell";
      const track = document.createElement("div");
      track.className = "share";
      track.title = `${share.toFixed(0)}% admitted`;
      const fill = document.createElement("span");
      fill.style.width = `${share}%`;
      track.append(fill);
      bar.append(track);
      tr.append(cell(t.name), cell(t.admitted), cell(t.tickets), cell(t.inside), bar);
      return tr;
    }),
  );
}

function render(view) {
  $("inside").textContent = view.inside;
  $("admitted").textContent = view.totals.admitted;
  $("exits").textContent = view.totals.exits;
  $("rejected").textContent = view.totals.rejected;
  renderChart(view.admissions);
  renderGates(view.gates);
  renderAlerts($("alerts"), view.alerts, "No alerts");
  renderPeers(view.peers);
  renderTypes(view.ticket_types);
  $("updated").textContent = `updated ${fmtTime(view.generated_at)}`;
  document.body.dataset.generatedAt = view.generated_at;
}

const shortId = (id) => `…${id.slice(-6)}`;

// The person first, as a manager looks for them; the ticket id when the replica does not
// list the ticket or its type hides holders.
function whoEntered(d) {
  const t = d.ticket;
  const about = [t?.type_name, t?.seat ? `seat ${t.seat}` : null].filter(Boolean).join(", ");
  const name = t?.holder || `Ticket ${shortId(d.ticket_id)}`;
  return about ? `${name} (${about})` : name;
}

// Double admissions are judged by the scan service from the replicated scans.
function renderDoubles(doubles) {
  renderAlerts(
    $("doubles"),
    doubles.map((d) => ({
      kind: "double_admission",
      message: `${whoEntered(d)} admitted again at ${d.double.gate} ${fmtTime(d.double.at)}` +
        ` (first: ${d.stands.gate} ${fmtTime(d.stands.at)})`,
    })),
    "None found",
  );
}

async function fetchJSON(path) {
  let response;
  try {
    response = await fetch(path, { cache: "no-store", credentials: "same-origin" });
  } catch (err) {
    throw new NetworkError(String(err));
  }
  if (!response.ok) {
    const error = (await response.json().catch(() => null))?.error ?? {};
    throw new GateError(response.status, error.code ?? "http_error", error.message ?? `HTTP ${response.status}`);
  }
  return response.json();
}

const needsSignIn = (err) => err instanceof GateError && err.code === "not_signed_in";

let inFlight = null;
let again = false;
// Coalesce bursts of scan events into at most one request at a time (plus one after it).
async function refresh() {
  if (inFlight) {
    again = true;
    return;
  }
  inFlight = (async () => {
    try {
      const [view, alerts] = await Promise.all([
        fetchJSON("/api/v1/dashboard"),
        fetchJSON("/api/v1/alerts").catch((err) => (needsSignIn(err) ? Promise.reject(err) : null)),
      ]);
      render(view);
      if (alerts) renderDoubles(alerts.double_admissions);
    } catch (err) {
      if (needsSignIn(err)) showSignIn("Your session ended: sign in again.");
      else $("updated").textContent = `gate unreachable — retrying (${err.message})`;
    }
  })();
  await inFlight;
  inFlight = null;
  if (again) {
    again = false;
    refresh();
  }
}

async function describeEvent() {
  try {
    const status = await (await fetch("/api/v1/status", { cache: "no-store" })).json();
    $("event-name").textContent = status.event ? `${status.event.name} · ${status.event.venue}` : "no event loaded";
    if (status.clock) {
      clock = status.clock;
      if (!$("figures").hidden) refresh(); // drawn before the clock came: draw its times again
    }
  } catch {
    // The title stays short; the figures still load.
  }
}

// --- live updates, once the gate lets this device see the figures ------------------------

let source = null;
let poll = null;

function startLive() {
  if (source) return;
  source = subscribeScans(() => refresh(), (state) => { $("live").dataset.state = state; });
  source.addEventListener("annul", () => refresh());
  source.addEventListener("replicated", () => refresh()); // scans that other gates recorded
  source.addEventListener("open", () => refresh()); // catch up on what was missed while away
  poll = setInterval(refresh, POLL_MS);
}

function stopLive() {
  source?.close();
  source = null;
  clearInterval(poll);
  poll = null;
  $("live").dataset.state = "connecting";
}

// --- signing in ------------------------------------------------------------------------

function showSignIn(message = "") {
  stopLive();
  $("figures").hidden = true;
  $("signin").hidden = false;
  $("sign-out").hidden = true;
  $("staff-name").textContent = "";
  $("updated").textContent = "signed out";
  $("signin-error").textContent = message;
  $("pin").value = "";
  $("pin").focus();
}

function showFigures(staff) {
  $("signin").hidden = true;
  $("figures").hidden = false;
  // The gate's own screen sees the figures without a session; staff see who is signed in.
  $("staff-name").textContent = staff ? `${staff.name} · ${staff.role}` : "this gate's screen";
  $("sign-out").hidden = !staff;
  document.body.dataset.viewer = staff ? "staff" : "kiosk";
  startLive();
}

async function open() {
  try {
    const view = await fetchJSON("/api/v1/dashboard");
    showFigures(await currentStaff().catch(() => null));
    render(view);
    refresh();
  } catch (err) {
    if (needsSignIn(err)) showSignIn();
    else {
      $("updated").textContent = `gate unreachable — retrying (${err.message})`;
      setTimeout(open, 2000);
    }
  }
}

$("signin-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("signin-error").textContent = "";
  try {
    await signIn($("pin").value);
    await open();
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
  open(); // the gate's own screen keeps its figures; any other device asks for a PIN
});

describeEvent();
open();
