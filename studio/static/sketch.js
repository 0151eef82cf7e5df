// The sketch page: draw with pointer events (mouse, pen, touch); the top-5 classes update as you draw.
"use strict";
(function () {
  const $ = id => document.getElementById(id);
  let strokes = [], current = null, t0 = 0, busy = false, again = false, lastSent = 0;

  function draw() {
    const c = $("sketch-pad").getContext("2d");
    c.fillStyle = "#fff"; c.fillRect(0, 0, 400, 400);
    c.strokeStyle = "#222"; c.lineWidth = 3; c.lineCap = "round";
    for (const [xs, ys] of strokes) {
      c.beginPath(); xs.forEach((x, i) => (i ? c.lineTo(x, ys[i]) : c.moveTo(x, ys[i]))); c.stroke();
    }
  }

  // The prepared stroke-3 (dx, dy, pen lifted after this point), scaled into the small canvas.
  function drawSeen(seen) {
    const canvas = $("sketch-seen"), c = canvas.getContext("2d");
    c.fillStyle = "#fff"; c.fillRect(0, 0, canvas.width, canvas.height);
    let x = 0, y = 0; const points = [[0, 0, 0]];
    for (const [dx, dy, lift] of seen) { x += dx; y += dy; points.push([x, y, lift]); }
    const xs = points.map(p => p[0]), ys = points.map(p => p[1]);
    const lo = [Math.min(...xs), Math.min(...ys)], span = Math.max(Math.max(...xs) - lo[0], Math.max(...ys) - lo[1]) || 1;
    const s = (canvas.width - 20) / span, px = p => 10 + (p[0] - lo[0]) * s, py = p => 10 + (p[1] - lo[1]) * s;
    c.strokeStyle = "#00798c"; c.lineWidth = 2; c.beginPath(); c.moveTo(px(points[0]), py(points[0]));
    for (let i = 1; i < points.length; i++) {
      if (points[i - 1][2] > 0.5) c.moveTo(px(points[i]), py(points[i])); else c.lineTo(px(points[i]), py(points[i]));
    }
    c.stroke();
  }

  async function classify() {
    const run = $("sketch-run").value;
    if (!run || !strokes.some(s => s[0].length >= 2)) return;
    if (busy) { again = true; return; }
    busy = true; lastSent = Date.now();
    try {
      const result = await studio.runJob("/api/sketch/classify", { run, strokes });
      $("sketch-top").innerHTML = result.top.map(([name, p]) => `<li>${name} <small>${(100 * p).toFixed(1)}%</small></li>`).join("");
      drawSeen(result.seen); studio.showError("");
    } catch (e) { studio.showError(e.message); }
    busy = false;
    if (again) { again = false; classify(); }
  }

  function point(event) {
    const r = $("sketch-pad").getBoundingClientRect();
    current[0].push(Math.round(event.clientX - r.left)); current[1].push(Math.round(event.clientY - r.top));
    current[2].push(Date.now() - t0);
  }

  window.addEventListener("DOMContentLoaded", () => {
    const pad = $("sketch-pad");
    draw();
    pad.addEventListener("pointerdown", e => { if (!t0) t0 = Date.now(); current = [[], [], []]; strokes.push(current); point(e); pad.setPointerCapture(e.pointerId); });
    pad.addEventListener("pointermove", e => {
      if (!current) return;
      point(e); draw();
      if (Date.now() - lastSent > 400) classify();  // as you draw, a few times a second
    });
    pad.addEventListener("pointerup", () => { current = null; classify(); });
    $("sketch-clear").onclick = () => { strokes = []; t0 = 0; draw(); $("sketch-top").innerHTML = ""; };
    $("sketch-run").onchange = classify;
  });
  studio.pages.sketch = () => studio.fillRunPickers();
})();
