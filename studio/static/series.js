// The series page: upload a CSV, forecast with a series run, plot history, forecast and interval, download.
"use strict";
(function () {
  const $ = id => document.getElementById(id);
  let upload = null, result = null;

  function plot(f) {
    const canvas = $("series-plot"), c = canvas.getContext("2d"), W = canvas.width, H = canvas.height;
    c.fillStyle = "#fff"; c.fillRect(0, 0, W, H);
    const n = f.history.length, h = f.values.length, all = [...f.history, ...f.low, ...f.high];
    const lo = Math.min(...all), hi = Math.max(...all);
    const px = i => 50 + i * (W - 70) / Math.max(1, n + h - 1), py = v => H - 30 - (v - lo) * (H - 60) / ((hi - lo) || 1);
    c.strokeStyle = "#ccc"; c.strokeRect(50, 20, W - 70, H - 50);
    c.fillStyle = "#333"; c.font = "12px sans-serif";
    c.fillText(hi.toPrecision(4), 4, 26); c.fillText(lo.toPrecision(4), 4, H - 30);
    c.fillText(f.history_times[0], 50, H - 12); c.fillText(f.times[h - 1], W - 120, H - 12);
    c.fillStyle = "rgba(237, 174, 73, 0.35)"; c.beginPath();  // the interval band
    f.high.forEach((v, i) => (i ? c.lineTo(px(n + i), py(v)) : c.moveTo(px(n + i), py(v))));
    for (let i = h - 1; i >= 0; i--) c.lineTo(px(n + i), py(f.low[i]));
    c.closePath(); c.fill();
    const line = (values, start, colour) => {
      c.strokeStyle = colour; c.lineWidth = 2; c.beginPath();
      values.forEach((v, i) => (i ? c.lineTo(px(start + i), py(v)) : c.moveTo(px(start + i), py(v)))); c.stroke(); c.lineWidth = 1;
    };
    line(f.history, 0, "#30638e");
    line([f.history[n - 1], ...f.values], n - 1, "#d1495b");
    c.fillStyle = "#30638e"; c.fillText("history", 60, 36);
    c.fillStyle = "#d1495b"; c.fillText(`forecast (${f.method}), ${Math.round(100 * f.coverage)}% interval`, 120, 36);
  }

  async function chooseCsv(event) {
    const file = event.target.files[0];
    if (!file) return;
    try {
      const info = await studio.api(`/api/series/upload?name=${encodeURIComponent(file.name)}`, file, true);
      upload = info.upload;
      $("series-upload-info").textContent = `${info.name}: ${info.rows} lines, columns ${info.header}`;
    } catch (e) { studio.showError(e.message); }
  }

  async function forecast(event) {
    event.preventDefault();
    const form = $("series-form");
    studio.showError("");
    try {
      result = await studio.runJob("/api/series/forecast", { run: form.run.value, horizon: form.horizon.value, upload });
      plot(result);
      $("series-info").textContent = `${result.column}: ${result.values.length} steps forecast after ${result.history_times[result.history_times.length - 1]}`;
    } catch (e) { studio.showError(e.message); }
  }

  window.addEventListener("DOMContentLoaded", () => {
    $("series-form").addEventListener("submit", forecast);
    $("series-csv").addEventListener("change", chooseCsv);
    $("series-download").onclick = () => result ? studio.download(new Blob([result.csv], { type: "text/csv" }), "forecast.csv")
      : studio.showError("forecast first");
  });
})();
