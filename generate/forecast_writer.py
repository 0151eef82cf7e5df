"""Writing a forecast: a CSV (time, forecast, interval) and a PNG of history, forecast and interval.

Figures use ``matplotlib.figure.Figure`` on an Agg canvas (no pyplot, no display needed); both
files are written atomically and never replace an existing file without ``force``.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np

from seqgen.data_prep.files import atomic_path, check_writable


def forecast_rows(forecast) -> list[list[str]]:
    """Header and one row per forecast step: time, forecast, low, high."""
    pct = round(forecast.coverage * 100)
    rows = [["time", f"{forecast.column}_forecast", f"low_{pct}", f"high_{pct}"]]
    for t, v, lo, hi in zip(forecast.times, forecast.values, forecast.low, forecast.high):
        rows.append([t, f"{v:.6g}", f"{lo:.6g}", f"{hi:.6g}"])
    return rows


def write_forecast_csv(forecast, path: str | os.PathLike, force: bool = False) -> Path:
    path = check_writable(path, force)
    with atomic_path(path) as tmp:
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(forecast_rows(forecast))
    return path


def forecast_figure(forecast):
    """History (last steps), forecast and its interval, against step index with time labels."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    n, h = len(forecast.history), len(forecast.values)
    past, future = np.arange(n), np.arange(n - 1, n + h)  # the forecast line starts at the last known value
    ax.plot(past, forecast.history, color="tab:blue", label="history")
    ax.plot(future, np.r_[forecast.history[-1], forecast.values], color="tab:orange", label=f"forecast ({forecast.method})")
    ax.fill_between(future[1:], forecast.low, forecast.high, color="tab:orange", alpha=0.25,
                    label=f"{forecast.coverage:.0%} interval")
    times = list(forecast.history_times) + list(forecast.times)
    ticks = np.linspace(0, n + h - 1, min(6, n + h)).astype(int)
    ax.set_xticks(ticks, [times[i] for i in ticks], fontsize=8)
    ax.set_ylabel(forecast.column)
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    return fig


def write_forecast_png(forecast, path: str | os.PathLike, force: bool = False) -> Path:
    path = check_writable(path, force)
    with atomic_path(path, suffix=".png") as tmp:
        forecast_figure(forecast).savefig(tmp, format="png")
    return path
