// The text page: the prompt, sampling settings, and the text streaming in chunk by chunk; Stop cancels.
"use strict";
(function () {
  const $ = id => document.getElementById(id);
  let running = null;

  async function generate(event) {
    event.preventDefault();
    const form = $("text-form"), out = $("text-out");
    const body = { run: form.run.value, temperature: form.temperature.value, top_p: form.top_p.value,
                   length: form.length.value, seed: form.seed.value, prompt: $("prompt").value };
    out.textContent = ""; studio.showError("");
    try {
      running = true;
      await studio.runJob("/api/text/generate", body, {
        onChunk: chunk => { out.textContent += chunk; },
        onProgress: job => { running = job.id; out.dataset.status = job.status; },
      });
      out.dataset.status = "done";
    } catch (e) {
      out.dataset.status = e.message === "cancelled" ? "cancelled" : "failed";
      if (e.message !== "cancelled") studio.showError(e.message);
    } finally { running = null; }
  }

  window.addEventListener("DOMContentLoaded", () => {
    $("text-form").addEventListener("submit", generate);
    $("text-stop").onclick = () => { if (typeof running === "string") studio.cancel(running); };
  });
})();
