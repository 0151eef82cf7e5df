// A small WebAudio synthesiser in the page (no samples, no download): one voice per part, a moving playhead.
"use strict";
(function () {
  const WAVES = ["triangle", "triangle", "sine", "sawtooth"];
  const LEVELS = [0.16, 0.12, 0.12, 0.08];

  class Synth {
    constructor() { this.nodes = []; this.timer = null; this.context = null; }
    ensure() {
      if (!this.context) this.context = new (window.AudioContext || window.webkitAudioContext)();
      studio.audio = this.context;
      return this.context.state === "suspended" ? this.context.resume() : Promise.resolve();
    }
    async play(piece, bpm, roll, onEnd) {
      this.stop(roll);
      if (!piece) return;
      await this.ensure();
      const ctx = this.context, step = 60 / bpm / 4, t0 = ctx.currentTime + 0.08;
      const out = ctx.createGain(); out.gain.value = 0.9; out.connect(ctx.destination);
      for (const [voice, pitch, start, length] of piece.notes) {
        const osc = ctx.createOscillator(), gain = ctx.createGain();
        osc.type = WAVES[voice % 4];
        osc.frequency.value = 440 * Math.pow(2, (pitch - 69) / 12);
        const on = t0 + start * step, off = on + length * step, level = LEVELS[voice % 4];
        gain.gain.setValueAtTime(0, on);
        gain.gain.linearRampToValueAtTime(level, on + 0.015);
        gain.gain.setTargetAtTime(level * 0.7, on + 0.02, 0.1);
        gain.gain.setTargetAtTime(0, off - 0.01, 0.03);
        osc.connect(gain).connect(out);
        osc.start(on); osc.stop(off + 0.2);
        this.nodes.push(osc);
      }
      this.nodes.push(out);
      const tick = () => {
        const now = (ctx.currentTime - t0) / step;
        if (now > piece.steps) { this.stop(roll); if (onEnd) onEnd(); return; }
        roll.playhead = Math.max(0, now); roll.draw();
        this.timer = requestAnimationFrame(tick);
      };
      this.playing = true;
      this.timer = requestAnimationFrame(tick);
    }
    stop(roll) {
      if (this.timer) cancelAnimationFrame(this.timer);
      this.timer = null;
      for (const node of this.nodes) { try { node.stop ? node.stop() : node.disconnect(); } catch (e) { /* already stopped */ } }
      this.nodes = []; this.playing = false;
      if (roll) { roll.playhead = null; roll.draw(); }
    }
  }
  studio.synth = new Synth();
})();
