// The live page: swap in each figures update from the stream, and draw the admissions chart
// as plain SVG from the JSON beside its table. No framework, no build step.
"use strict";
(function () {
  const root = document.getElementById("live-figures");
  const status = document.getElementById("live-status");
  if (!root) return;
  const SVG = "http://www.w3.org/2000/svg";
  const H = 180, LEFT = 36, BOTTOM = 22, TOP = 8, RIGHT = 8;

  function el(name, attrs) {
    const node = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    return node;
  }

  function draw() {
    const holder = document.getElementById("admissions-chart");
    const source = document.getElementById("admissions-data");
    if (!holder || !source) return;
    const data = JSON.parse(source.textContent);
    // Drawn at the holder's own width, so the labels keep their size on a phone.
    const W = Math.max(240, holder.clientWidth || 720);
    const top = Math.max(1, ...data.gates.flatMap((g) => g.points.map((p) => p[1])));
    const x = (m) => LEFT + (m / Math.max(1, data.minutes)) * (W - LEFT - RIGHT);
    const y = (n) => H - BOTTOM - (n / top) * (H - BOTTOM - TOP);
    const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "presentation" });
    svg.append(el("line", { class: "axis", x1: LEFT, y1: H - BOTTOM, x2: W - RIGHT, y2: H - BOTTOM }));
    svg.append(el("line", { class: "axis", x1: LEFT, y1: TOP, x2: LEFT, y2: H - BOTTOM }));
    for (const n of [0, top]) {
      const label = el("text", { x: LEFT - 4, y: y(n) + 4, "text-anchor": "end" });
      label.textContent = String(n);
      svg.append(label);
    }
    for (const [offset, text] of data.ticks) {
      const anchor = offset < data.minutes * 0.05 ? "start" : offset > data.minutes * 0.95 ? "end" : "middle";
      const label = el("text", { x: x(offset), y: H - 6, "text-anchor": anchor });
      label.textContent = text;
      svg.append(label);
    }
    data.gates.forEach((gate, i) => {
      // Every minute of the window, zero where the gate admitted nobody.
      const counts = new Map(gate.points.map((p) => [p[0], p[1]]));
      const points = [];
      for (let m = 0; m < data.minutes; m += 1) points.push(`${x(m).toFixed(1)},${y(counts.get(m) || 0).toFixed(1)}`);
      svg.append(el("polyline", { class: `series-${i % 5}`, points: points.join(" ") }));
    });
    holder.replaceChildren(svg);
  }

  function show(text, on) {
    if (!status) return;
    status.textContent = text;
    status.classList.toggle("on", on);
  }

  function swap(html) {
    // Keep what the reader opened (the per-minute table) across updates.
    const open = new Set([...root.querySelectorAll("details[open]")].map((d) => d.id));
    root.innerHTML = html;
    for (const id of open) {
      const details = document.getElementById(id);
      if (details) details.open = true;
    }
    draw();
  }

  draw();
  window.addEventListener("resize", draw);
  if (!window.EventSource || !root.dataset.stream) return;
  const stream = new EventSource(root.dataset.stream);
  stream.addEventListener("figures", (event) => {
    swap(JSON.parse(event.data).html);
    show("Live: the figures update as the gates' scans arrive.", true);
  });
  stream.addEventListener("open", () => show("Live: the figures update as the gates' scans arrive.", true));
  stream.addEventListener("error", () => show("Connection lost: reconnecting…", false));
})();
