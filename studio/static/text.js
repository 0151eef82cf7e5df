// The text page: the prompt, sampling settings, and the text streaming in chunk by chunk; Stop cancels.
"use strict";
(function () {
  const $ = id => document.getElementById(id);
  let running = null;

  // Starts a text job, or (after a reload) follows ``job`` again from its first chunk.
  async function generate(event, job) {
    if (event) event.preventDefault();
    const form = $("text-form"), out = $("text-out");
    const body = { run: form.run.value, temperature: form.temperature.value, top_p: form.top_p.value,
                   length: form.length.value, seed: form.seed.value, prompt: $("prompt").value };
    out.textContent = ""; studio.showError("");
    try {
      running = true;
      const hooks = { onChunk: chunk => { out.textContent += chunk; },
                      onProgress: view => { running = view.id; out.dataset.status = view.status; } };
      await (job ? studio.follow(job, hooks) : studio.runJob("/api/text/generate", body, hooks));
      out.dataset.status = "done";
    } catch (e) {
      out.dataset.status = e.message === "cancelled" ? "cancelled" : "failed";
      if (e.message !== "cancelled") studio.showError(e.message);
    } finally { running = null; }
  }

  studio.resumers.text = job => generate(null, job);
  window.addEventListener("DOMContentLoaded", () => {
    $("text-form").addEventListener("submit", generate);
    $("text-stop").onclick = () => { if (typeof running === "string") studio.cancel(running); };
  });
})();
