// The visual seating-plan builder: draws a layout's seats on their grid, lets the organiser
// select seats and change them locally, then saves the changes through the hub's JSON API
// (the session cookie, the org in X-Org and the session's CSRF token in X-CSRF-Token).
//
// Changes stay pending until "Save changes": people select, try a zone, undo by choosing
// another, and only the end result is sent. Seats are sent as a selection, not as a list
// of ids: the whole layout, or areas of the plan's grid (a dragged rectangle, a row, the
// runs of a ctrl-clicked pick), each with how many seats the builder saw there, so the hub
// refuses a change to a plan that has changed meanwhile. Removing the 7,020 seats of an
// arena is one small request. Each kind of change is one request (one per zone, one per
// section, one for labels, one for removals; a selection of more than 1,000 areas is split);
// what saved is cleared from the pending changes, so after an error the rest is still
// there to retry.
"use strict";

(() => {
  const root = document.getElementById("builder");
  if (!root) return;
  const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.content ?? "";
  const org = meta("org");
  const csrf = meta("csrf-token");
  const layoutId = root.dataset.layoutId;
  const canEdit = root.dataset.canEdit === "yes";
  const plan = document.getElementById("plan");
  const message = document.getElementById("builder-message");
  const count = document.getElementById("selection-count");
  const legend = document.getElementById("legend");
  const $ = (id) => document.getElementById(id);

  let detail = null; // the layout as the hub last said it is
  let seatsById = new Map();
  let gridRows = new Map(); // grid row -> its seats, left to right
  const pending = { zone: new Map(), section: new Map(), label: new Map(), remove: new Set() };
  const MAX_AREAS = 1000; // what one request may name (the hub's limit)
  const selected = new Set();
  let anchor = null;

  function setState(state, text = "", kind = "") {
    root.dataset.state = state;
    message.textContent = text;
    message.className = `builder-message ${kind}`;
  }

  async function api(method, path, body) {
    // Every call names this layout: `path` is below /api/v1/layouts/{id}.
    const headers = { "X-Org": org, Accept: "application/json" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      headers["X-CSRF-Token"] = csrf;
    }
    const response = await fetch(`/api/v1/layouts/${layoutId}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      throw new Error(data?.error?.message ?? `the hub answered ${response.status}`);
    }
    return data;
  }

  // What a seat looks like with the pending changes applied.
  function zoneOf(seat) {
    return pending.zone.has(seat.id) ? pending.zone.get(seat.id) : seat.zone_id;
  }
  function labelOf(seat) {
    return pending.label.get(seat.id) ?? seat.label;
  }
  function sectionOf(seat) {
    return pending.section.get(seat.id) ?? seat.section_id;
  }
  function pendingCount() {
    const ids = new Set([
      ...pending.zone.keys(),
      ...pending.section.keys(),
      ...pending.label.keys(),
      ...pending.remove,
    ]);
    return ids.size;
  }

  function adopt(data) {
    detail = data;
    seatsById = new Map(data.seats.map((s) => [s.id, s]));
    gridRows = new Map();
    for (const seat of data.seats) {
      if (!gridRows.has(seat.grid_row)) gridRows.set(seat.grid_row, []);
      gridRows.get(seat.grid_row).push(seat);
    }
    for (const seats of gridRows.values()) seats.sort((a, b) => a.grid_column - b.grid_column);
    for (const id of [...selected]) if (!seatsById.has(id)) selected.delete(id);
    const seatCount = $("seat-count");
    if (seatCount) seatCount.textContent = String(data.seats.length);
  }

  function draw() {
    const zones = new Map(detail.zones.map((z) => [z.id, z]));
    const sections = new Map(detail.sections.map((s) => [s.id, s.name]));
    plan.replaceChildren();
    for (const [gridRow, seats] of gridRows) {
      const rowLabel = seats[0].row_label;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "row-label";
      button.textContent = rowLabel;
      button.title = `Select row ${rowLabel} of ${sections.get(seats[0].section_id) ?? "?"}`;
      button.dataset.gridRow = String(gridRow);
      button.style.gridRow = String(gridRow + 1);
      button.style.gridColumn = "1";
      plan.append(button);
    }
    for (const seat of detail.seats) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "seat";
      button.dataset.id = seat.id;
      button.dataset.label = labelOf(seat);
      button.style.gridRow = String(seat.grid_row + 1);
      button.style.gridColumn = String(seat.grid_column + 2);
      const zone = zones.get(zoneOf(seat));
      if (zone) {
        button.style.background = zone.colour;
        button.dataset.zone = zone.name;
      } else {
        button.classList.add("unzoned");
        button.dataset.zone = "";
      }
      if (selected.has(seat.id)) button.classList.add("selected");
      if (pending.zone.has(seat.id) || pending.label.has(seat.id) || pending.section.has(seat.id)) {
        button.classList.add("changed");
      }
      if (pending.remove.has(seat.id)) button.classList.add("removed");
      button.textContent = labelOf(seat);
      button.dataset.section = sections.get(sectionOf(seat)) ?? "";
      button.title = `${button.dataset.section} ${labelOf(seat)} · ${zone ? zone.name : "no zone"}`;
      button.setAttribute("aria-pressed", selected.has(seat.id) ? "true" : "false");
      plan.append(button);
    }
    drawLegend(zones);
    drawToolbar();
  }

  function drawLegend(zones) {
    const tally = new Map();
    for (const seat of detail.seats) {
      if (pending.remove.has(seat.id)) continue;
      const key = zoneOf(seat) ?? "";
      tally.set(key, (tally.get(key) ?? 0) + 1);
    }
    legend.replaceChildren();
    for (const zone of zones.values()) {
      const item = document.createElement("li");
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = zone.colour;
      item.append(swatch, `${zone.name}: ${tally.get(zone.id) ?? 0} seats`);
      legend.append(item);
    }
    if (tally.get("")) {
      const item = document.createElement("li");
      item.textContent = `No zone: ${tally.get("")} seats`;
      legend.append(item);
    }
  }

  function drawToolbar() {
    const n = selected.size;
    count.textContent = n === 0 ? "No seats selected" : `${n} seat${n === 1 ? "" : "s"} selected`;
    if (!canEdit) return;
    const choice = $("zone-choice");
    const chosen = choice.value;
    choice.replaceChildren(
      ...detail.zones.map((z) => {
        const option = document.createElement("option");
        option.value = z.id;
        option.textContent = z.name;
        return option;
      }),
    );
    if (chosen && detail.zones.some((z) => z.id === chosen)) choice.value = chosen;
    const sectionChoice = $("section-choice");
    const chosenSection = sectionChoice.value;
    sectionChoice.replaceChildren(
      ...detail.sections.map((s) => {
        const option = document.createElement("option");
        option.value = s.id;
        option.textContent = s.name;
        return option;
      }),
    );
    if (chosenSection && detail.sections.some((s) => s.id === chosenSection)) {
      sectionChoice.value = chosenSection;
    }
    $("move-section").disabled = n === 0 || detail.sections.length < 2;
    $("assign-zone").disabled = n === 0 || detail.zones.length === 0;
    $("clear-zone").disabled = n === 0;
    $("relabel").disabled = n !== 1;
    $("seat-label").disabled = n !== 1;
    $("remove-seats").disabled = n === 0;
    const changes = pendingCount();
    $("save").disabled = changes === 0;
    $("pending").textContent =
      changes === 0 ? "No unsaved changes" : `${changes} seat${changes === 1 ? "" : "s"} with unsaved changes`;
  }

  function refreshSelection() {
    for (const button of plan.querySelectorAll(".seat")) {
      const on = selected.has(button.dataset.id);
      button.classList.toggle("selected", on);
      button.setAttribute("aria-pressed", on ? "true" : "false");
    }
    if (canEdit && selected.size === 1) {
      $("seat-label").value = labelOf(seatsById.get([...selected][0]));
    }
    drawToolbar();
  }

  // Selecting: click, ctrl-click, shift-click, drag a rectangle, or a row label.
  function rectangle(fromId, toId) {
    const a = seatsById.get(fromId);
    const b = seatsById.get(toId);
    const [r0, r1] = [Math.min(a.grid_row, b.grid_row), Math.max(a.grid_row, b.grid_row)];
    const [c0, c1] = [Math.min(a.grid_column, b.grid_column), Math.max(a.grid_column, b.grid_column)];
    return detail.seats
      .filter((s) => s.grid_row >= r0 && s.grid_row <= r1 && s.grid_column >= c0 && s.grid_column <= c1)
      .map((s) => s.id);
  }

  function seatAt(x, y) {
    const el = document.elementFromPoint(x, y);
    return el?.classList.contains("seat") ? el.dataset.id : null;
  }

  let drag = null;
  plan.addEventListener("pointerdown", (event) => {
    const target = event.target;
    if (event.button !== 0) return;
    if (target.classList.contains("row-label")) {
      const row = Number(target.dataset.gridRow);
      if (!(event.ctrlKey || event.metaKey)) selected.clear();
      for (const s of detail.seats) if (s.grid_row === row) selected.add(s.id);
      refreshSelection();
      return;
    }
    if (!target.classList.contains("seat")) return;
    event.preventDefault();
    const additive = event.ctrlKey || event.metaKey;
    drag = { start: target.dataset.id, moved: false, base: additive ? new Set(selected) : new Set() };
    if (event.shiftKey && anchor && seatsById.has(anchor)) {
      if (!additive) selected.clear();
      for (const id of rectangle(anchor, target.dataset.id)) selected.add(id);
      drag = null;
    } else if (additive) {
      if (selected.has(target.dataset.id)) selected.delete(target.dataset.id);
      else selected.add(target.dataset.id);
      anchor = target.dataset.id;
    } else {
      selected.clear();
      selected.add(target.dataset.id);
      anchor = target.dataset.id;
    }
    refreshSelection();
  });
  document.addEventListener("pointermove", (event) => {
    if (!drag || !(event.buttons & 1)) return;
    const over = seatAt(event.clientX, event.clientY);
    if (!over || (over === drag.start && !drag.moved)) return;
    drag.moved = true;
    selected.clear();
    for (const id of drag.base) selected.add(id);
    for (const id of rectangle(drag.start, over)) selected.add(id);
    refreshSelection();
  });
  document.addEventListener("pointerup", () => {
    drag = null;
  });
  // Keyboard users: Enter or Space on a seat toggles it (a click with no pointer).
  plan.addEventListener("click", (event) => {
    if (event.detail !== 0 || !event.target.classList.contains("seat")) return;
    const id = event.target.dataset.id;
    if (selected.has(id)) selected.delete(id);
    else selected.add(id);
    anchor = id;
    refreshSelection();
  });

  $("select-all").addEventListener("click", () => {
    for (const s of detail.seats) selected.add(s.id);
    refreshSelection();
  });
  $("select-none").addEventListener("click", () => {
    selected.clear();
    refreshSelection();
  });

  function setZone(zoneId) {
    for (const id of selected) {
      if (pending.remove.has(id)) continue;
      if (seatsById.get(id).zone_id === zoneId) pending.zone.delete(id);
      else pending.zone.set(id, zoneId);
    }
    setState("editing", "Unsaved: press Save changes to keep them.");
    draw();
  }

  function setSection(sectionId) {
    for (const id of selected) {
      if (pending.remove.has(id)) continue;
      if (seatsById.get(id).section_id === sectionId) pending.section.delete(id);
      else pending.section.set(id, sectionId);
    }
    setState("editing", "Unsaved: press Save changes to keep them.");
    draw();
  }

  // The seats `ids` as selections the hub takes: the whole layout if that is what they
  // are, else areas of the grid. Each grid row's runs of chosen seats (no unchosen seat
  // between them) are areas; a run with the same columns in the next row with seats
  // extends the area down. Each selection carries its seats (to clear what saved) and
  // how many there are (the hub checks that count against the plan it has).
  function selections(ids) {
    if (ids.size === detail.seats.length && detail.seats.every((s) => ids.has(s.id))) {
      return [{ select: { all: true }, ids: [...ids] }];
    }
    const areas = [];
    let open = new Map();
    for (const [gridRow, seats] of gridRows) {
      const next = new Map();
      let run = null;
      const close = () => {
        if (!run) return;
        const key = `${run.first}:${run.last}`;
        let area = open.get(key);
        if (area) {
          area.last_row = gridRow;
        } else {
          area = { first_row: gridRow, last_row: gridRow, first_column: run.first, last_column: run.last, ids: [] };
          areas.push(area);
        }
        area.ids.push(...run.ids);
        next.set(key, area);
        run = null;
      };
      for (const seat of seats) {
        if (!ids.has(seat.id)) {
          close();
        } else if (run) {
          run.last = seat.grid_column;
          run.ids.push(seat.id);
        } else {
          run = { first: seat.grid_column, last: seat.grid_column, ids: [seat.id] };
        }
      }
      close();
      open = next;
    }
    const out = [];
    for (let i = 0; i < areas.length; i += MAX_AREAS) {
      const part = areas.slice(i, i + MAX_AREAS);
      out.push({
        select: {
          areas: part.map(({ ids: _, ...area }) => area),
        },
        ids: part.flatMap((area) => area.ids),
      });
    }
    return out;
  }

  // One request per selection of `ids` for one change.
  function changeSteps(ids, change, done) {
    return selections(new Set(ids)).map((selection) => ({
      method: "POST",
      path: "/seats/change",
      body: { select: selection.select, expected_seats: selection.ids.length, ...change },
      seats: selection.ids.length,
      done: () => done(selection.ids),
    }));
  }

  function groupBy(changes) {
    const groups = new Map();
    for (const [id, value] of changes) {
      if (pending.remove.has(id)) continue;
      if (!groups.has(value)) groups.set(value, []);
      groups.get(value).push(id);
    }
    return groups;
  }

  async function save() {
    setState("saving", "Saving…");
    const steps = [];
    for (const [zone, ids] of groupBy(pending.zone)) {
      steps.push(
        ...changeSteps(ids, { action: "set_zone", zone_id: zone }, (done) =>
          done.forEach((id) => pending.zone.delete(id)),
        ),
      );
    }
    for (const [section, ids] of groupBy(pending.section)) {
      steps.push(
        ...changeSteps(ids, { action: "set_section", section_id: section }, (done) =>
          done.forEach((id) => pending.section.delete(id)),
        ),
      );
    }
    const labelled = [...pending.label.keys()].filter((id) => !pending.remove.has(id));
    if (labelled.length) {
      // Labels differ seat by seat: they go by id (one seat at a time in the builder).
      const labels = Object.fromEntries(labelled.map((id) => [id, pending.label.get(id)]));
      steps.push({
        method: "PATCH",
        path: "/seats",
        body: { seat_ids: labelled, labels },
        seats: labelled.length,
        done: () => labelled.forEach((id) => pending.label.delete(id)),
      });
    }
    if (pending.remove.size) {
      steps.push(
        ...changeSteps([...pending.remove], { action: "remove" }, (done) =>
          done.forEach((id) => {
            pending.remove.delete(id);
            pending.zone.delete(id);
            pending.section.delete(id);
            pending.label.delete(id);
          }),
        ),
      );
    }
    let changed = 0;
    let failure = null;
    try {
      for (const step of steps) {
        await api(step.method, step.path, step.body);
        step.done();
        changed += step.seats;
      }
    } catch (error) {
      failure = error;
    }
    try {
      adopt(await api("GET", ""));
    } catch (error) {
      failure = failure ?? error;
    }
    if (failure) {
      setState("error", `Not saved: ${failure.message}`, "error");
    } else {
      setState("saved", `Saved: ${changed} seat change${changed === 1 ? "" : "s"}.`, "ok");
    }
    draw();
  }

  if (canEdit) {
    $("assign-zone").addEventListener("click", () => setZone($("zone-choice").value));
    $("clear-zone").addEventListener("click", () => setZone(null));
    $("move-section").addEventListener("click", () => setSection($("section-choice").value));
    $("relabel").addEventListener("click", () => {
      const text = $("seat-label").value.trim();
      if (selected.size !== 1) return setState("editing", "Select exactly one seat to relabel.", "error");
      if (!text || text.length > 32) {
        return setState("editing", "A label has 1 to 32 characters.", "error");
      }
      const id = [...selected][0];
      if (seatsById.get(id).label === text) pending.label.delete(id);
      else pending.label.set(id, text);
      setState("editing", "Unsaved: press Save changes to keep them.");
      draw();
    });
    $("seat-label").addEventListener("keydown", (event) => {
      if (event.key === "Enter") $("relabel").click();
    });
    $("remove-seats").addEventListener("click", () => {
      for (const id of selected) pending.remove.add(id);
      selected.clear();
      setState("editing", "Unsaved: the faded seats go when you press Save changes.");
      draw();
    });
    $("save").addEventListener("click", save);
    window.addEventListener("beforeunload", (event) => {
      if (pendingCount()) event.preventDefault();
    });
  }

  root.hidden = false;
  setState("loading", "Loading the plan…");
  api("GET", "")
    .then((data) => {
      adopt(data);
      setState("ready", data.seats.length ? "" : "No seats yet: add rows of seats below.");
      draw();
    })
    .catch((error) => setState("error", `The plan could not be loaded: ${error.message}`, "error"));
})();
