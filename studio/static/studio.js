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

  // Jobs this tab follows, kept in sessionStorage so that a reloaded page follows them again.
  const JOBS = "seqgen-jobs";
  const followed = () => JSON.parse(sessionStorage.getItem(JOBS) || "[]");
  const keep = ids => sessionStorage.setItem(JOBS, JSON.stringify(ids));

  // A job: start it, follow it, resolve with its result; studio.cancel(id) stops it.
  studio.runJob = async function (path, body, hooks) {
    return studio.follow(await studio.api(path, body), hooks);
  };

  // Follows a job by server-sent events (progress, then done, failed or cancelled). EventSource cannot
  // send headers, so the token goes in the query (the server takes it there for this endpoint only).
  studio.follow = function (job, hooks) {
    hooks = hooks || {};
    studio.currentJob = job.id;
    if (!followed().includes(job.id)) keep([...followed(), job.id]);
    return new Promise((resolve, reject) => {
      const source = new EventSource(`/api/jobs/${encodeURIComponent(job.id)}/events?token=${encodeURIComponent(studio.token)}`);
      const end = (settle, value) => { source.close(); keep(followed().filter(id => id !== job.id)); settle(value); };
      const update = event => {
        const view = JSON.parse(event.data);
        if (hooks.onChunk) view.chunks.forEach(hooks.onChunk);
        if (hooks.onProgress) hooks.onProgress(view);
        return view;
      };
      source.addEventListener("progress", update);
      source.addEventListener("done", e => end(resolve, update(e).result));
      source.addEventListener("failed", e => end(reject, new Error(update(e).error)));
      source.addEventListener("cancelled", e => { update(e); end(reject, new Error("cancelled")); });
      source.onerror = () => {
        if (source.readyState !== EventSource.CLOSED) return;  // the browser reconnects by itself
        // Refused (no job, wrong token): the JSON call says why in one line.
        studio.api(`/api/jobs/${encodeURIComponent(job.id)}`).then(() => end(reject, new Error("lost the job's event stream")),
                                                                     e => end(reject, e));
      };
    });
  };
  studio.cancel = function (id) {
    if (id) studio.api(`/api/jobs/${id}/cancel`, {}).catch(e => studio.showError(e.message));
  };

  // After a reload: each job this tab followed goes back to the page that started it (by its kind).
  studio.resumers = {};
  async function resumeJobs() {
    for (const id of followed()) {
      let job;
      try { job = await studio.api(`/api/jobs/${encodeURIComponent(id)}`); } catch (e) { job = null; }
      const resume = job && studio.resumers[job.kind];
      if (resume) resume(job); else keep(followed().filter(k => k !== id));
    }
  }

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
    resumeJobs();
  });
})();
