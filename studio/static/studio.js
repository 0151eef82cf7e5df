// seqgen studio: the token, API calls, one-line errors, the status line, pages, and jobs.
"use strict";
const studio = window.studio = {};

(function () {
  const params = new URLSearchParams(location.search);
  if (params.get("token")) sessionStorage.setItem("seqgen-token", params.get("token"));
  studio.token = sessionStorage.getItem("seqgen-token") || "";

  studio.showError = function (message) {
    const box = document.getElementById("error");
    box.textContent = message ? String(message).split("\n")[0] : "";
    box.hidden = !message;
  };

  // Every API call carries the token; errors come back as {"error": "one line"}.
  studio.api = async function (path, body, raw) {
    const options = { headers: { "X-Studio-Token": studio.token } };
    if (body !== undefined) {
      options.method = "POST";
      if (raw) { options.body = body; options.headers["Content-Type"] = "application/octet-stream"; }
      else { options.body = JSON.stringify(body); options.headers["Content-Type"] = "application/json"; }
    }
    const response = await fetch(path, options);
    const type = response.headers.get("content-type") || "";
    if (!response.ok) {
      let message = `${response.status} ${response.statusText}`;
      if (type.includes("json")) message = (await response.json()).error || message;
      throw new Error(message);
    }
    return type.includes("json") ? response.json() : response.blob();
  };

  // A job: start it, poll it (progress, streamed chunks), resolve with its result; cancel() stops it.
  studio.runJob = async function (path, body, hooks) {
    hooks = hooks || {};
    let job = await studio.api(path, body);
    studio.currentJob = job.id;
    let next = 0;
    for (;;) {
      if (hooks.onChunk && job.chunks) job.chunks.forEach(hooks.onChunk);
      next = job.next === undefined ? next : job.next;
      if (hooks.onProgress) hooks.onProgress(job);
      if (job.status === "done") return job.result;
      if (job.status === "failed") throw new Error(job.error);
      if (job.status === "cancelled") throw new Error("cancelled");
      await new Promise(r => setTimeout(r, 150));
      job = await studio.api(`/api/jobs/${job.id}?since=${next}`);
    }
  };
  studio.cancel = function (id) {
    if (id) studio.api(`/api/jobs/${id}/cancel`, {}).catch(e => studio.showError(e.message));
  };

  studio.download = function (blob, name) {
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  };

  function showPage() {
    const name = (location.hash || "#chorale").slice(1);
    document.querySelectorAll(".page").forEach(p => { p.hidden = p.id !== `page-${name}`; });
    document.querySelectorAll("nav a").forEach(a => a.classList.toggle("active", a.dataset.page === name));
    const hook = studio.pages && studio.pages[name];
    if (hook) hook();
  }
  studio.pages = {};
  window.addEventListener("hashchange", showPage);

  async function pollStatus() {
    const line = document.getElementById("status");
    try {
      const s = await studio.api("/api/status");
      const loader = s.loader;
      line.textContent = loader.state === "ready" ? loader.detail : loader.state === "failed" ? loader.detail
        : "TensorFlow and the models are loading in the background…";
      line.className = "status " + (loader.state === "ready" ? "" : loader.state === "failed" ? "failed" : "loading");
      studio.ready = loader.state === "ready";
      if (loader.state !== "ready" && loader.state !== "failed") setTimeout(pollStatus, 700);
    } catch (e) {
      line.textContent = "no connection"; line.className = "status failed";
      studio.showError(e.message);
    }
  }

  // Runs for the run pickers (chorale, text), once.
  studio.fillRunPickers = async function () {
    try {
      const data = await studio.api("/api/runs");
      document.querySelectorAll(".run-select").forEach(select => {
        const have = new Set([...select.options].map(o => o.value));
        data.runs.filter(r => r.task === select.dataset.task && r.has_model && !have.has(r.name)).forEach(r => {
          select.add(new Option(`${r.name} (${r.family}/${r.preset})`, r.name));
        });
      });
      return data;
    } catch (e) { studio.showError(e.message); }
  };

  window.addEventListener("DOMContentLoaded", () => {
    if (!studio.token) studio.showError("no token: open the URL with ?token=... that `seqgen studio` printed");
    showPage();
    pollStatus();
    studio.fillRunPickers();
  });
})();
