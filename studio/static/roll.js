// The piano roll: four voices in colour on a canvas, bar selection, clicked melody notes, judge marks, playhead.
"use strict";
(function () {
  const COLOURS = ["#d1495b", "#edae49", "#00798c", "#30638e"];
  const STEP_W = 10, LEFT = 34, TOP = 16, STEPS_PER_BAR = 16;
  const BLACK = new Set([1, 3, 6, 8, 10]);

  class PianoRoll {
    constructor(canvas) {
      this.canvas = canvas; this.ctx = canvas.getContext("2d");
      this.piece = null; this.selection = null; this.marks = []; this.melody = []; this.playhead = null;
      this.clickMode = false; this.drawn = 0; this.onChange = () => {};
      canvas.addEventListener("mousedown", e => this.down(e));
      canvas.addEventListener("mousemove", e => this.move(e));
      window.addEventListener("mouseup", () => { this.dragFrom = null; });
      this.draw();
    }
    get steps() { return Math.max(this.piece ? this.piece.steps : 0, ...this.melody.map(n => n[1] + n[2]), 64); }
    range() {
      const pitches = [...(this.piece ? this.piece.notes.map(n => n[1]) : []), ...this.melody.map(n => n[0])];
      const low = Math.min(40, ...pitches) - 2, high = Math.max(81, ...pitches) + 2;
      return [low, high];
    }
    setPiece(piece) { this.piece = piece; this.marks = []; this.draw(); }
    x(step) { return LEFT + step * STEP_W; }
    y(pitch) { const [low, high] = this.range(); return TOP + (high - pitch) * this.rowH(); }
    rowH() { const [low, high] = this.range(); return (this.canvas.height - TOP - 4) / (high - low + 1); }
    at(event) {
      const r = this.canvas.getBoundingClientRect();
      const px = (event.clientX - r.left) * this.canvas.width / r.width, py = (event.clientY - r.top) * this.canvas.height / r.height;
      const [low, high] = this.range();
      return { step: Math.max(0, Math.floor((px - LEFT) / STEP_W)), pitch: high - Math.floor((py - TOP) / this.rowH()) };
    }
    down(event) {
      const where = this.at(event);
      if (this.clickMode) { this.toggleMelody(where); return; }
      this.dragFrom = Math.floor(where.step / STEPS_PER_BAR);
      this.select(this.dragFrom, this.dragFrom);
    }
    move(event) {
      const where = this.at(event);
      if (this.dragFrom != null) this.select(this.dragFrom, Math.floor(where.step / STEPS_PER_BAR));
      const here = this.marks.filter(m => Math.abs(m.step - where.step) <= 1).map(m => m.rule.replace(/_/g, " ") + (m.voice ? ` (${m.voice})` : ""));
      if (here.length) document.getElementById("selection-info").textContent = `step ${where.step}: ${[...new Set(here)].join(", ")}`;
    }
    select(a, b) {
      const bars = Math.ceil(this.steps / STEPS_PER_BAR);
      const lo = Math.max(0, Math.min(a, b)), hi = Math.min(bars - 1, Math.max(a, b));
      this.selection = { from: lo + 1, to: hi + 1 };
      this.draw(); this.onChange();
    }
    toggleMelody(where) {
      const start = Math.floor(where.step / 4) * 4;  // quarter notes on the beat
      const i = this.melody.findIndex(n => n[1] === start);
      if (i >= 0 && this.melody[i][0] === where.pitch) this.melody.splice(i, 1);
      else { if (i >= 0) this.melody.splice(i, 1); this.melody.push([where.pitch, start, 4]); }
      this.melody.sort((p, q) => p[1] - q[1]);
      this.draw(); this.onChange();
    }
    draw() {
      const steps = this.steps, [low, high] = this.range();
      const width = LEFT + steps * STEP_W + 10;
      if (this.canvas.width !== width) this.canvas.width = width;
      const c = this.ctx, h = this.rowH();
      c.fillStyle = "#fff"; c.fillRect(0, 0, width, this.canvas.height);
      for (let p = low; p <= high; p++) {
        if (BLACK.has(p % 12)) { c.fillStyle = "#f1f0ec"; c.fillRect(LEFT, this.y(p), width, h); }
        if (p % 12 === 0) { c.fillStyle = "#666"; c.font = "10px sans-serif"; c.fillText(`C${p / 12 - 1}`, 4, this.y(p) + h); }
      }
      if (this.selection) {
        c.fillStyle = "rgba(80, 120, 255, 0.13)";
        const x0 = this.x((this.selection.from - 1) * STEPS_PER_BAR), x1 = this.x(Math.min(steps, this.selection.to * STEPS_PER_BAR));
        c.fillRect(x0, TOP, x1 - x0, this.canvas.height - TOP);
      }
      for (let t = 0; t <= steps; t += 4) {
        c.strokeStyle = t % STEPS_PER_BAR === 0 ? "#999" : "#e3e3e3"; c.beginPath();
        c.moveTo(this.x(t) + 0.5, TOP); c.lineTo(this.x(t) + 0.5, this.canvas.height); c.stroke();
        if (t % STEPS_PER_BAR === 0 && t < steps) { c.fillStyle = "#444"; c.font = "10px sans-serif"; c.fillText(String(t / STEPS_PER_BAR + 1), this.x(t) + 3, 11); }
      }
      this.drawn = 0;
      for (const [voice, pitch, start, length] of (this.piece ? this.piece.notes : [])) {
        c.fillStyle = COLOURS[voice % 4];
        c.fillRect(this.x(start) + 1, this.y(pitch) + 0.5, length * STEP_W - 2, Math.max(2, h - 1));
        this.drawn++;
      }
      c.strokeStyle = "#111"; c.lineWidth = 2;
      for (const [pitch, start, length] of this.melody) c.strokeRect(this.x(start) + 1, this.y(pitch), length * STEP_W - 2, Math.max(3, h));
      c.lineWidth = 1;
      for (const mark of this.marks) {
        c.fillStyle = "rgba(220, 30, 30, 0.85)"; c.beginPath();
        const mx = this.x(mark.step) + STEP_W / 2;
        c.moveTo(mx - 5, TOP); c.lineTo(mx + 5, TOP); c.lineTo(mx, TOP + 8); c.fill();
        c.strokeStyle = "rgba(220, 30, 30, 0.35)"; c.beginPath(); c.moveTo(mx, TOP + 8); c.lineTo(mx, this.canvas.height); c.stroke();
      }
      if (this.playhead != null) {
        c.strokeStyle = "#000"; c.lineWidth = 2; c.beginPath();
        c.moveTo(this.x(this.playhead), 0); c.lineTo(this.x(this.playhead), this.canvas.height); c.stroke(); c.lineWidth = 1;
      }
    }
    // Pixels of a voice's colour now on the canvas (the browser tests check notes are really drawn).
    pixelsOf(voice) {
      const hex = COLOURS[voice], rgb = [1, 3, 5].map(i => parseInt(hex.slice(i, i + 2), 16));
      const data = this.ctx.getImageData(0, 0, this.canvas.width, this.canvas.height).data;
      let n = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i] === rgb[0] && data[i + 1] === rgb[1] && data[i + 2] === rgb[2]) n++;
      return n;
    }
  }
  studio.PianoRoll = PianoRoll;
  studio.COLOURS = COLOURS;
})();
