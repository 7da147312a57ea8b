// Times as door staff read them: the event's wall clock, 24-hour, labelled with its zone,
// written exactly as the gate writes them in its messages (gate_node/door_time.py; both are
// held to tests/door_time_cases.json). A browser names zones from its locale's data ("GMT+2"
// in one, "SAST" in another), so the gate's status hands over its labels by UTC offset:
// clock = {zone: "Africa/Johannesburg", labels: {"120": "SAST"}}.

export const UTC_CLOCK = { zone: "UTC", labels: { 0: "UTC" } };

const formatters = new Map();

function formatter(zone) {
  let found = formatters.get(zone);
  if (!found) {
    found = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(zone, found);
  }
  return found;
}

function wallClock(date, zone) {
  const parts = {};
  for (const { type, value } of formatter(zone).formatToParts(date)) parts[type] = value;
  return parts;
}

function offsetMinutes(date, p) {
  const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  return Math.round((asUtc - Math.floor(date.getTime() / 1000) * 1000) / 60000);
}

/** A zone label from a UTC offset alone: UTC, UTC+2, UTC-3:30 (as offset_label in Python). */
export function offsetLabel(minutes) {
  if (minutes === 0) return "UTC";
  const sign = minutes > 0 ? "+" : "-";
  const hours = Math.floor(Math.abs(minutes) / 60);
  const rest = Math.abs(minutes) % 60;
  return `UTC${sign}${hours}${rest ? `:${String(rest).padStart(2, "0")}` : ""}`;
}

/**
 * `iso` on the event's clock: "20:13:05 SAST" when it falls on the local date of `now`,
 * else "2026-11-24 20:13 SAST". `now` null or left out: always with the date.
 */
export function formatTime(iso, clock = UTC_CLOCK, now = null) {
  if (!iso) return "";
  const date = iso instanceof Date ? iso : new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  let zone = clock?.zone || "UTC";
  try {
    formatter(zone);
  } catch {
    zone = "UTC"; // a zone this browser does not know: still one clock, and labelled
  }
  const p = wallClock(date, zone);
  const minutes = offsetMinutes(date, p);
  const label = (zone === clock?.zone ? clock.labels?.[String(minutes)] : null) ?? offsetLabel(minutes);
  if (now !== null && now !== undefined) {
    const q = wallClock(now instanceof Date ? now : new Date(now), zone);
    if (q.year === p.year && q.month === p.month && q.day === p.day) {
      return `${p.hour}:${p.minute}:${p.second} ${label}`;
    }
  }
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute} ${label}`;
}

/** Where `now` is in the gate's door window (status `door`): none, early, open or over. */
export function doorState(door, now = new Date()) {
  if (!door) return "none";
  const t = now.getTime();
  if (t < new Date(door.opens_at).getTime()) return "early";
  if (door.closes_at && t > new Date(door.closes_at).getTime()) return "over";
  return "open";
}

const OUTSIDE = { warn: "admitted with a warning", reject: "turned away" };

/**
 * The door window in words for a door screen: {text, state, note}. `note` says, outside
 * the window, that tickets are for another date and what the gate does with them.
 */
export function describeDoor(door, clock, now = new Date()) {
  const state = doorState(door, now);
  if (state === "none") return { state, text: "", note: "" };
  const opens = formatTime(door.opens_at, clock, now);
  const text = door.closes_at
    ? `Doors ${opens} – ${formatTime(door.closes_at, clock, now)}`
    : `Doors from ${opens}`;
  let note = "";
  if (state === "early") note = `Doors open ${opens}: tickets scanned now are for another date and are ${OUTSIDE[door.policy] ?? "checked"}.`;
  if (state === "over") note = `The event ended ${formatTime(door.closes_at, clock, now)}: tickets are ${OUTSIDE[door.policy] ?? "checked"}.`;
  return { state, text, note };
}
