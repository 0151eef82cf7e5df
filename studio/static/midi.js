// The MIDI page: N seconds from a MIDI run, on the roll (0.1 s per step), played by the page's synthesiser.
"use strict";
(function () {
  const $ = id => document.getElementById(id);
  let roll, piece = null;

  async function generate(event) {
    event.preventDefault();
    const form = $("midi-form"), body = {};
    for (const el of form.elements) if (el.name) body[el.name] = el.value;
    studio.showError("");
    try {
      piece = await studio.runJob("/api/midi/generate", body);
      studio.midiPiece = piece;
      roll.setPiece(piece);
      $("midi-messages").textContent = piece.messages.join("\n");
    } catch (e) { if (e.message !== "cancelled") studio.showError(e.message); }
  }

  function download() {
    if (!piece) return studio.showError("generate a piece first");
    const bytes = Uint8Array.from(atob(piece.midi), ch => ch.charCodeAt(0));
    studio.download(new Blob([bytes], { type: "audio/midi" }), "piece.mid");
  }

  window.addEventListener("DOMContentLoaded", () => {
    roll = studio.midiRoll = new studio.PianoRoll($("midi-roll"));
    $("midi-form").addEventListener("submit", generate);
    // 0.1 s per step is a 16th note at 150 quarter notes per minute.
    $("midi-play").onclick = () => piece ? studio.synth.play(piece, 150, roll) : studio.showError("generate a piece first");
    $("midi-stop").onclick = () => studio.synth.stop(roll);
    $("midi-download").onclick = download;
  });
  studio.pages.midi = () => studio.fillRunPickers();
})();
