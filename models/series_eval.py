"""Scoring a series run against the baselines, and forecasting from a history.

Evaluation forecasts from every origin of the test part (each with the ``window`` steps before
it) and reports, in the target's units and per step ahead, the MAE and RMSE of the model (direct,
and autoregressive for a univariate model) and of each baseline (naive, seasonal naive, linear on
the window, fitted on the training part), the model's MAE as a ratio of each baseline's, and MASE
(MAE over the training part's in-sample one-step seasonal-naive MAE, the usual scale).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.series_config import SeriesData, SeriesSource, origins, prepare
from seqgen.data_prep.series_limits import MAX_FORECAST_STEPS, check_int
from seqgen.models.driver import load_run
from seqgen.models.forecast import autoregressive_forecast, direct_forecast
from seqgen.models.forecast_baselines import LinearBaseline, naive_forecast, seasonal_naive_at, window_arrays

METHODS = ("auto", "direct", "autoregressive")


def baseline_forecasts(prep: SeriesData, starts: np.ndarray, inputs: np.ndarray, horizon: int) -> dict[str, np.ndarray]:
    """Standardised forecasts ``(origins, horizon)`` of each baseline from the origins ``starts``
    (``inputs``: their windows); seasonal naive reads the whole history, so the season may exceed the window."""
    window = inputs.shape[1]
    train_origins = np.arange(window - 1, prep.train_end - horizon)
    linear = LinearBaseline().fit(*window_arrays(prep.values, train_origins, window, horizon))
    out = {"naive": naive_forecast(inputs, horizon)}
    if prep.season > 1:
        out[f"seasonal naive ({prep.season})"] = seasonal_naive_at(prep.values, starts, horizon, prep.season)
    out["linear"] = linear.predict(inputs)
    return out


def mase_scale(prep: SeriesData) -> float:
    """In-sample MAE of the one-step seasonal-naive forecast (naive when no season), target units."""
    train = prep.table.target[: prep.train_end]
    return float(np.mean(np.abs(train[prep.season:] - train[: -prep.season])))


def series_scores(run, split: str = "test") -> dict:
    """Per-method errors of a loaded run (:class:`seqgen.models.driver.LoadedRun`) on ``split``:
    ``{"mae": {name: (horizon,)}, "rmse": ..., ...}`` in target units."""
    if split not in ("valid", "test"):
        raise SeqgenError(f"a series run is scored on --split valid or test, not {split!r}")
    model, codec = run.model, run.codec
    source, data = SeriesSource(**run.info.source), run.task.new_data_config(run.info.data)
    prep = prepare(source.load(), data, codec, run.info.record)
    w, h = prep.window, data.horizon
    starts = origins(prep, split, w, h)
    inputs, target = window_arrays(prep.values, starts, w, h)
    forecasts = {"model (direct)": direct_forecast(model, inputs)}
    if model.config.n_features == 1:
        forecasts["model (autoregressive)"] = autoregressive_forecast(model, inputs, h)
    forecasts.update(baseline_forecasts(prep, starts, inputs, h))
    scale = codec.std[0]
    errors = {name: (f - target) * scale for name, f in forecasts.items()}  # (origins, horizon)
    return {"split": split, "origins": len(starts), "horizon": h, "window": w, "season": prep.season, "why": prep.why,
            "step": prep.table.axis.describe(), "first": prep.table.axis.format(prep.table.positions[starts[0]]),
            "mae": {k: np.abs(e).mean(0) for k, e in errors.items()},
            "rmse": {k: np.sqrt((e**2).mean(0)) for k, e in errors.items()},
            "mase_scale": mase_scale(prep)}


def _summary_rows(s: dict) -> list[str]:
    rows = [f"{'method':<26}{'MAE':>12}{'RMSE':>12}{'MASE':>8}   (mean over the {s['horizon']} steps ahead)"]
    for name, mae in s["mae"].items():
        rmse = math.sqrt(float(np.mean(s["rmse"][name] ** 2)))
        rows.append(f"{name:<26}{mae.mean():>12.5g}{rmse:>12.5g}{mae.mean() / s['mase_scale']:>8.3f}")
    return rows


def _step_rows(s: dict) -> list[str]:
    baselines = [k for k in s["mae"] if not k.startswith("model")]
    model = s["mae"]["model (direct)"]
    header = f"{'step':>5}{'model MAE':>12}" + "".join(f"{'/' + b.split()[0]:>14}" for b in baselines)
    steps = sorted(set(range(1, min(s["horizon"], 12) + 1)) | {s["horizon"]})
    rows = ["model (direct) MAE per step ahead, and as a ratio of each baseline's MAE (below 1: better)", header]
    for k in steps:
        ratios = "".join(f"{model[k - 1] / max(s['mae'][b][k - 1], 1e-12):>14.3f}" for b in baselines)
        rows.append(f"{k:>5}{model[k - 1]:>12.5g}{ratios}")
    return rows


def evaluation_lines(s: dict) -> list[str]:
    """The report of ``seqgen evaluate`` for a series run, from :func:`series_scores`."""
    return [f"{s['split']}: {s['origins']} forecast origins from {s['first']}, {s['horizon']} steps ahead "
            f"(step: {s['step']}), window {s['window']}", f"season: {s['why']}", *_summary_rows(s), "", *_step_rows(s),
            f"MASE: MAE / {s['mase_scale']:.5g}, the training part's in-sample one-step "
            f"{'seasonal ' if s['season'] > 1 else ''}naive MAE"]


@dataclass
class Forecast:
    """A forecast in the target's units, with its interval and the history before it."""

    column: str
    times: list[str]  # of the forecast steps
    values: np.ndarray  # (horizon,)
    low: np.ndarray  # (horizon,) lower bound of the interval
    high: np.ndarray  # (horizon,) upper bound
    history_times: list[str]
    history: np.ndarray  # the last steps of the target before the forecast
    method: str
    coverage: float  # nominal coverage of the interval


def load_series_run(run: str | Path):
    """The loaded series run (:class:`seqgen.models.driver.LoadedRun`), its source and data config."""
    loaded = load_run(run, "series")
    return loaded, SeriesSource(**loaded.info.source), loaded.task.new_data_config(loaded.info.data)


def _choose_method(method: str, horizon: int, config) -> str:
    if method not in METHODS:
        raise SeqgenError(f"unknown --method {method!r}; choose one of {', '.join(METHODS)}")
    if method == "auto":
        method = "direct" if horizon <= config.horizon else "autoregressive"
    if method == "autoregressive" and config.n_features > 1:
        raise SeqgenError(f"--horizon {horizon}: this model forecasts {config.horizon} steps at once and, trained "
                          "with --features (whose future is unknown), cannot feed its forecasts back; "
                          "lower --horizon or train with a longer --horizon")
    if method == "direct" and horizon > config.horizon:
        raise SeqgenError(f"--horizon {horizon} is beyond the {config.horizon} steps this model forecasts at once; "
                          "use --method autoregressive or train with a longer --horizon")
    return method


def _interval(info: dict, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Standardised error quantiles per step; past the trained horizon they grow as sqrt(steps)."""
    low, high = (np.asarray(info["interval"][k]) for k in ("low", "high"))
    steps = np.arange(1, horizon + 1)
    grow = np.sqrt(np.maximum(steps / len(low), 1.0))
    index = np.minimum(steps, len(low)) - 1
    return low[index] * grow, high[index] * grow


def forecast_series(run: str | Path, csv: str | None = None, horizon: int | None = None,
                    method: str = "auto") -> Forecast:
    """Forecast ``horizon`` steps after the end of ``csv`` (default: the run's own data)."""
    if horizon is not None:  # before the run loads
        check_int("the forecast horizon", horizon, 1, MAX_FORECAST_STEPS, "--horizon")
    loaded, source, data = load_series_run(run)
    model, info, codec = loaded.model, loaded.info.record, loaded.codec
    horizon = horizon or data.horizon
    window = data.window or int(info["window"])
    method = _choose_method(method, horizon, model.config)
    table = source.load(csv)
    if len(table) < window:
        raise SeqgenError(f"{table.source} has {len(table)} steps; this run needs at least its window "
                          f"({window} steps) of history; give a longer --csv")
    if table.columns != list(codec.columns):
        raise SeqgenError(f"{table.source}: columns {table.columns} differ from the run's {list(codec.columns)}")
    history = codec.encode(table.values)[None, -window:]  # (1, window, features)
    if method == "direct":
        values = direct_forecast(model, history)[0, :horizon]
    else:
        values = autoregressive_forecast(model, history, horizon)[0]
    low, high = _interval(info, horizon)
    last, shown = table.positions[-1], min(len(table), max(4 * window, 4 * horizon))
    return Forecast(codec.columns[0], [table.axis.format(last + k) for k in range(1, horizon + 1)],
                    codec.decode_target(values), codec.decode_target(values + low), codec.decode_target(values + high),
                    [table.axis.format(p) for p in table.positions[-shown:]], table.target[-shown:], method,
                    info["interval"]["quantiles"][1] - info["interval"]["quantiles"][0])
