// The runs page: every run in the folder with its learning curve; training started, watched and cancelled here.
"use strict";
(function () {
  const $ = id => document.getElementById(id);
  const watched = new Set();
  let runs = [];

  function curve(run) {
    const canvas = $("curve"), c = canvas.getContext("2d"), W = canvas.width, H = canvas.height;
    c.fillStyle = "#fff"; c.fillRect(0, 0, W, H);
    const series = ["loss", "val_loss"].filter(k => run.log[k]).map(k => [k, run.log[k].filter(v => v !== null)]);
    const all = series.flatMap(s => s[1]);
    c.fillStyle = "#333"; c.font = "12px sans-serif"; c.fillText(`${run.name}: learning curve`, 10, 16);
    if (!all.length) { c.fillText("no epochs in log.csv yet", 10, 40); return; }
    const lo = Math.min(...all), hi = Math.max(...all), n = Math.max(2, ...series.map(s => s[1].length));
    const px = i => 40 + i * (W - 60) / (n - 1), py = v => H - 25 - (v - lo) * (H - 55) / ((hi - lo) || 1);
    c.strokeStyle = "#bbb"; c.strokeRect(40, 25, W - 60, H - 50);
    c.fillText(hi.toFixed(3), 2, 30); c.fillText(lo.toFixed(3), 2, H - 25);
    series.forEach(([name, values], k) => {
      c.strokeStyle = k ? "#d1495b" : "#30638e"; c.lineWidth = 2; c.beginPath();
      values.forEach((v, i) => (i ? c.lineTo(px(i), py(v)) : c.moveTo(px(i), py(v))));
      c.stroke(); c.fillStyle = c.strokeStyle; c.fillText(name, W - 80, 40 + 14 * k);
      values.forEach((v, i) => c.fillRect(px(i) - 2.5, py(v) - 2.5, 5, 5));  // one epoch is a dot
    });
    c.lineWidth = 1;
  }

  function table(data) {
    runs = [...data.shipped, ...data.runs];
    $("runs-folder").textContent = data.folder;
    const last = r => { const v = (r.log.val_loss || []).filter(x => x !== null); return v.length ? v[v.length - 1].toFixed(4) : "-"; };
    $("runs-table").innerHTML = "<tr><th>run</th><th>task</th><th>model</th><th>preset</th><th>epochs</th><th>last val_loss</th><th></th></tr>" +
      runs.map((r, i) => `<tr data-i="${i}" class="run-row"><td>${r.name}</td><td>${r.task || "?"}</td><td>${r.family || "?"}</td>` +
        `<td>${r.preset || "?"}</td><td>${r.epochs}</td><td>${last(r)}</td><td><button class="evaluate">Evaluate</button></td></tr>`).join("");
    document.querySelectorAll(".run-row").forEach(row => {
      row.onclick = () => curve(runs[Number(row.dataset.i)]);
      row.querySelector(".evaluate").onclick = event => { event.stopPropagation(); evaluate(runs[Number(row.dataset.i)].name); };
    });
    // The curve of the run trained last from this page, else the first run listed.
    const lastJob = data.training[data.training.length - 1];
    const shown = runs.find(r => lastJob && r.name === lastJob.target) || runs[0];
    if (shown) curve(shown);
    data.training.filter(j => j.status === "queued" || j.status === "running").forEach(watch);
  }

  async function evaluate(name) {
    const out = $("evaluation");
    out.textContent = `evaluating ${name}…`; studio.showError("");
    try { out.textContent = (await studio.runJob("/api/evaluate", { run: name })).lines.join("\n"); }
    catch (e) { out.textContent = ""; studio.showError(e.message); }
  }

  async function refresh() {
    try { table(await studio.api("/api/runs")); } catch (e) { studio.showError(e.message); }
  }

  function jobLine(job) {
    let line = document.getElementById(`job-${job.id}`);
    if (!line) {
      line = document.createElement("div"); line.id = `job-${job.id}`; line.className = "train-job";
      line.innerHTML = `<span class="what"></span> <button class="cancel">Cancel</button>`;
      line.querySelector(".cancel").onclick = () => studio.cancel(job.id);
      $("train-jobs").prepend(line);
    }
    line.dataset.status = job.status;
    line.querySelector(".what").textContent = `${job.id} ${job.target}: ${job.status} ${Math.round(100 * job.progress)}% ${job.message}${job.error ? " - " + job.error : ""}`;
    line.querySelector(".cancel").hidden = !(job.status === "queued" || job.status === "running");
  }

  // Follows a training job by server-sent events (each epoch's losses) until it ends.
  async function watch(job) {
    if (watched.has(job.id)) return;
    watched.add(job.id);
    jobLine(job);
    try { await studio.follow(job, { onProgress: jobLine }); }
    catch (e) { if (e.message !== "cancelled") studio.showError(e.message); }
    refresh(); studio.fillRunPickers();
  }
  studio.resumers.train = watch;

  async function train(event) {
    event.preventDefault();
    const form = $("train-form"), body = {};
    for (const el of form.elements) if (el.name) body[el.name] = el.type === "checkbox" ? el.checked : el.value;
    try { studio.showError(""); watch(await studio.api("/api/train", body)); } catch (e) { studio.showError(e.message); }
  }

  studio.pages.runs = refresh;
  window.addEventListener("DOMContentLoaded", () => { $("train-form").addEventListener("submit", train); });
})();
