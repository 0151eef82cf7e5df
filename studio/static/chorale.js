// The chorale page: generate, play, download, upload, infill (with before/after and undo), harmonise, judge.
"use strict";
(function () {
  let roll, history = [], showingBefore = false;
  const $ = id => document.getElementById(id);

  function values(form) {
    const out = {};
    for (const el of form.elements) if (el.name) out[el.name] = el.type === "checkbox" ? el.checked : el.value;
    return out;
  }
  function messages(lines) { $("messages").textContent = (lines || []).join("\n"); }
  // The piece on screen survives a reload of the page (sessionStorage: this tab only).
  function remember(piece) {
    try { sessionStorage.setItem("seqgen-piece", JSON.stringify(piece)); } catch (e) { /* too big to keep: not kept */ }
  }
  function setPiece(piece, keep) {
    if (keep && studio.piece) history.push(studio.piece);
    studio.piece = piece; showingBefore = false; remember(piece);
    roll.setPiece(piece); messages(piece.messages);
    $("judge-table").hidden = true;
  }

  // Runs a job (or follows one already started: ``job``) with the progress bar and its Cancel button;
  // errors go to the one-line error box.
  async function withProgress(path, body, job) {
    const box = $("progress"), bar = box.querySelector(".bar"), label = box.querySelector(".label");
    studio.showError(""); box.hidden = false; bar.style.setProperty("--done", "0%"); label.textContent = "queued";
    box.querySelector(".cancel").onclick = () => studio.cancel(studio.currentJob);
    try {
      const hooks = { onProgress: view => {
        bar.style.setProperty("--done", `${Math.round(100 * view.progress)}%`);
        label.textContent = view.status === "queued" ? "queued" : (view.message || view.status) + (studio.ready ? "" : " (models still loading)");
      } };
      return await (job ? studio.follow(job, hooks) : studio.runJob(path, body, hooks));
    } catch (e) { if (e.message !== "cancelled") studio.showError(e.message); else messages(["cancelled"]); return null; }
    finally { box.hidden = true; }
  }

  async function generate(event) {
    event.preventDefault();
    const body = values($("chorale-form"));
    if ($("continue").checked) {
      if (!studio.piece) return studio.showError("nothing on screen to continue: generate or upload a piece first");
      body.primer_piece = studio.piece; body.primer_steps = studio.piece.steps;  // steps: the new total length
    }
    const piece = await withProgress("/api/chorale/generate", body);
    if (piece) { history = []; setPiece(piece); roll.melody = []; roll.selection = null; roll.draw(); }
  }

  async function infill() {
    if (!studio.piece) return studio.showError("generate or upload a piece first");
    if (!roll.selection) return studio.showError("select bars: drag across the roll first");
    const voices = [...document.querySelectorAll(".voice:checked")].map(v => Number(v.value));
    const body = { run: $("chorale-form").run.value, piece: studio.piece, bar_from: roll.selection.from,
                   bar_to: roll.selection.to, voices, sweeps: $("sweeps").value, seed: Math.floor(Math.random() * 1e6) };
    const piece = await withProgress("/api/chorale/infill", body);
    if (piece) { piece.key = studio.piece.key; setPiece(piece, true); }
  }

  async function harmonize() {
    const body = { run: $("chorale-form").run.value, particles: $("particles").value, seed: $("chorale-form").seed.value,
                   key: $("chorale-form").key.value };
    if ($("phrase-ends").value.trim()) body.phrase_ends = $("phrase-ends").value.trim();
    if (roll.melody.length) body.notes = roll.melody;
    else if ($("melody").value.trim()) body.text = $("melody").value;
    else if (studio.uploadedMelody) body.piece = studio.uploadedMelody;
    else return studio.showError("no melody: type note names, tick 'click notes on the roll', or upload a file");
    const piece = await withProgress("/api/chorale/harmonize", body);
    if (piece) setPiece(piece, true);
  }

  async function judge() {
    if (!studio.piece) return studio.showError("generate or upload a piece first");
    const report = await withProgress("/api/chorale/judge", { piece: studio.piece, reference: $("reference").value });
    if (!report) return;
    roll.marks = report.marks; roll.draw();
    const table = $("judge-table"), fmt = v => v === null || v === undefined ? "-" : v.toFixed(3);
    const broken = new Set(report.marks.map(m => m.rule));
    table.innerHTML = `<tr><th>measure</th><th>this piece (${report.key})</th><th>reference (${report.reference})</th></tr>` +
      report.rows.map(([name, mine, ref]) => `<tr class="${broken.has(name) ? "broken" : ""}"><td>${name}</td><td>${fmt(mine)}</td><td>${fmt(ref)}</td></tr>`).join("") +
      `<tr><td colspan="3">${report.note}; ${report.marks.length} marks on the roll (hover them)</td></tr>`;
    table.hidden = false;
  }

  async function exportAs(format) {
    if (!studio.piece) return studio.showError("generate or upload a piece first");
    try {
      const blob = await studio.api("/api/chorale/export", { piece: studio.piece, format, bpm: $("bpm").value });
      studio.download(blob, { midi: "chorale.mid", musicxml: "chorale.musicxml", wav: "chorale.wav" }[format]);
    } catch (e) { studio.showError(e.message); }
  }

  async function upload(event) {
    const file = event.target.files[0];
    if (!file) return;
    try {
      const piece = await studio.api(`/api/upload?name=${encodeURIComponent(file.name)}`, file, true);
      if (piece.voices === 4) setPiece(piece, true);
      else { studio.uploadedMelody = piece; roll.melody = piece.notes.filter(n => n[0] === 0).map(n => [n[1], n[2], n[3]]); roll.draw();
             messages([`melody of ${file.name} loaded: press Harmonise`]); }
    } catch (e) { studio.showError(e.message); }
    event.target.value = "";
  }

  function compare() {
    if (!history.length) return studio.showError("nothing to compare yet: infill or harmonise first");
    showingBefore = !showingBefore;
    roll.setPiece(showingBefore ? history[history.length - 1] : studio.piece);
    messages([showingBefore ? "showing BEFORE the last change (press again for after)" : "showing AFTER the last change"]);
  }
  function undo() {
    if (!history.length) return studio.showError("nothing to undo");
    studio.piece = history.pop(); showingBefore = false; remember(studio.piece); roll.setPiece(studio.piece); messages(["undone"]);
  }

  // A reloaded page follows the piece jobs it had started; their result lands on the roll.
  studio.resumers.chorale = async job => { const piece = await withProgress(null, null, job); if (piece) { history = []; setPiece(piece); } };
  studio.resumers.infill = studio.resumers.harmonize = async job => {
    const piece = await withProgress(null, null, job);
    if (piece) { if (studio.piece && job.kind === "infill") piece.key = studio.piece.key; setPiece(piece, true); }
  };

  window.addEventListener("DOMContentLoaded", () => {
    roll = studio.roll = new studio.PianoRoll($("roll"));
    const kept = sessionStorage.getItem("seqgen-piece");
    if (kept) setPiece(JSON.parse(kept));
    roll.onChange = () => {
      const s = roll.selection;
      if (s) $("selection-info").textContent = `selected bars ${s.from}-${s.to}`;
      if (roll.melody.length) $("melody").placeholder = `${roll.melody.length} clicked notes`;
    };
    $("chorale-form").addEventListener("submit", generate);
    $("play").onclick = () => studio.piece ? studio.synth.play(roll.piece, Number($("bpm").value) || 80, roll) : studio.showError("generate a piece first");
    $("stop").onclick = () => studio.synth.stop(roll);
    document.querySelectorAll("[data-export]").forEach(b => { b.onclick = () => exportAs(b.dataset.export); });
    $("upload").addEventListener("change", upload);
    $("infill").onclick = infill; $("compare").onclick = compare; $("undo").onclick = undo;
    $("harmonize").onclick = harmonize; $("judge").onclick = judge;
    $("click-mode").onchange = e => { roll.clickMode = e.target.checked; };
    $("clear-melody").onclick = () => { roll.melody = []; studio.uploadedMelody = null; $("melody").value = ""; roll.draw(); };
  });
})();
