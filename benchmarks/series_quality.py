"""Forecasting quality: the textbook's synthetic table, and real series shipped by statsmodels.

    python benchmarks/series_quality.py --part textbook            # naive, linear, each family; 1 and 10 steps
    python benchmarks/series_quality.py --part real --seconds 90   # sunspots, co2, monthly sunspots (".[bench]")

Textbook part: 10,000 noisy two-sine series of 60 steps (Geron's ``generate_time_series``), 7,000
for training, 2,000 for validation, 1,000 for test; inputs are the first 50 steps; the MSE over the
next step (1) or the next ten (10), as in the book. The families train sequence to sequence (a
forecast at every position) with the series trainer and early stopping; the book's figures are
printed beside ours. Real part: ``seqgen train series`` on CSV files of statsmodels' datasets
module (read by seqgen's own CSV reader; the monthly sunspots written from its ``.dat`` table), the
window and season as seqgen chooses them, with a time budget per model, then the test-part figures
of ``seqgen evaluate`` (MAE mean over the steps ahead). Statistical anchors: statsmodels' SARIMAX
(three ARIMA orders, with and without Fourier terms of the season, and the airline model for
seasons up to 52) and ETSModel (level, damped trend or not, season or not), each fitted on the
training part only, the variant with the lowest validation MAE kept, then run over the whole series
with the fitted parameters (no refit) and forecast from the same test origins as our models; each
family's direct MAE is reported as a ratio of the best anchor's.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from benchmarks.common import table  # noqa: E402
from seqgen.data_prep.series_synthetic import generate_time_series  # noqa: E402
from seqgen.models import run_dir as rd  # noqa: E402
from seqgen.models.forecast import autoregressive_forecast, build_forecaster, direct_forecast, forecast_config  # noqa: E402
from seqgen.models.forecast_baselines import LinearBaseline, naive_forecast  # noqa: E402
from seqgen.models.train import TrainConfig, fit  # noqa: E402

BOOK = {("naive", 1): 0.020, ("linear", 1): 0.004, ("deep RNN", 1): 0.003,
        ("naive", 10): 0.223, ("linear", 10): 0.0188, ("seq2seq RNN", 10): 0.006}
REAL = {  # statsmodels dataset -> (csv, time, target, horizon); sunspots_monthly is built from its .dat
    "sunspots": ("sunspots/sunspots.csv", "YEAR", "SUNACTIVITY", 5),
    "co2": ("co2/co2.csv", "date", "co2", 13),
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["textbook", "real", "all"], default="all")
    parser.add_argument("--families", default="lstm,gru,wavenet")
    parser.add_argument("--preset", default="small")
    parser.add_argument("--epochs", type=int, default=20, help="textbook part (the book trains 20)")
    parser.add_argument("--textbook-seconds", type=float, default=180, help="textbook part: training budget per model")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument("--seconds", type=float, default=90, help="real part: training budget per model")
    parser.add_argument("--real-epochs", type=int, default=200, help="real part: most epochs per model")
    parser.add_argument("--datasets", default="sunspots,co2,sunspots_monthly")
    parser.add_argument("--no-anchor", action="store_true", help="textbook part: models see the level (anchored=False)")
    parser.add_argument("--horizons", default="1,10", help="textbook part: steps ahead to train for")
    return parser.parse_args(argv)


def seq2seq_targets(series: np.ndarray, inputs: int, horizon: int) -> np.ndarray:
    """``(n, inputs, horizon)``: at every input position, the next ``horizon`` values."""
    index = np.arange(inputs)[:, None] + np.arange(1, horizon + 1)  # (inputs, horizon)
    return series[:, index, 0]


def train_family(family, args, horizon, splits, out: Path):
    (x_train, y_train), (x_valid, y_valid) = splits
    config = forecast_config(family, args.preset, 1, horizon, anchored=not args.no_anchor)
    ds = lambda x, y, shuffle: (tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=0) if shuffle  # noqa: E731
                                else tf.data.Dataset.from_tensor_slices((x, y))).batch(args.batch_size).prefetch(2)
    run = rd.prepare_run_dir(out, force=True)
    rd.write_run_info(run, {"task": "benchmark"})
    start = time.perf_counter()
    fit(lambda: build_forecaster(config), ds(x_train, y_train, True), ds(x_valid, y_valid, False), run,
        TrainConfig(epochs=args.epochs, patience=5, learning_rate=args.learning_rate, time_budget_s=args.textbook_seconds),
        verbose=0, loss="mse")
    return rd.load_model_file(run), time.perf_counter() - start


def textbook(args) -> list[dict]:
    series = generate_time_series(10000, 60, seed=42)  # (10000, 60, 1)
    x = series[:, :50]
    rows = []
    for horizon in (int(h) for h in args.horizons.split(",")):
        y = series[:, 50 : 50 + horizon, 0]
        mse = lambda f: float(np.mean((f - y[9000:]) ** 2))  # noqa: E731
        linear = LinearBaseline().fit(x[:7000], y[:7000])
        rows.append({"steps": horizon, "method": "naive", "MSE": mse(naive_forecast(x[9000:], horizon)),
                     "book": BOOK[("naive", horizon)], "train s": 0.0})
        rows.append({"steps": horizon, "method": "linear (closed form)", "MSE": mse(linear.predict(x[9000:])),
                     "book": BOOK[("linear", horizon)], "train s": 0.0})
        targets = seq2seq_targets(series, 50, horizon)
        splits = ((x[:7000], targets[:7000]), (x[7000:9000], targets[7000:9000]))
        book = BOOK.get(("deep RNN", 1) if horizon == 1 else ("seq2seq RNN", 10))
        for family in args.families.split(","):
            with tempfile.TemporaryDirectory() as tmp:
                model, seconds = train_family(family, args, horizon, splits, Path(tmp) / "run")
            rows.append({"steps": horizon, "method": f"{family}/{args.preset} direct", "MSE": mse(direct_forecast(model, x[9000:])),
                         "book": book, "train s": seconds})
            if horizon == 1:
                ar = autoregressive_forecast(model, x[9000:], 10)  # the 1-step model fed back, 10 steps
                y10 = series[9000:, 50:60, 0]
                rows.append({"steps": 10, "method": f"{family}/{args.preset} 1-step fed back", "MSE": float(np.mean((ar - y10) ** 2)),
                             "book": 0.0, "train s": seconds})
            print(rows[-1], flush=True)
    return rows


def monthly_sunspots_csv(folder: Path) -> Path:
    """statsmodels' monthly sunspot numbers (1749-2009, a table of years x months) as a month,value CSV."""
    import statsmodels.datasets

    src = Path(statsmodels.datasets.__file__).parent / "sunspots" / "src" / "sunspots_monthly.dat"
    rows = ["month,sunspots"]
    for line in src.read_text().splitlines():
        cells = line.split()
        if cells and len(cells[0]) == 4 and cells[0].isdigit():
            rows += [f"{cells[0]}-{m:02d},{v}" for m, v in enumerate(cells[1:], 1)]
    path = folder / "sunspots_monthly.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def state_space_paths(res, starts: np.ndarray, horizon: int) -> np.ndarray:
    """``(origins, horizon)`` forecasts of a fitted statsmodels state-space result from each origin,
    using only the data up to it: the predicted state at ``origin + 1`` iterated through the
    system matrices (equal to ``get_prediction(start, end, dynamic=True)``, for all origins at once)."""
    f = res.filter_results  # noqa (system matrices: (k_endog, k_states, 1 or n) and so on)
    at = lambda m, t: m[..., t] if m.shape[-1] > 1 else m[..., 0]  # noqa: E731 (time-varying or not)
    state, out = f.predicted_state[:, starts + 1], np.empty((len(starts), horizon))  # (k_states, origins)
    for k in range(horizon):
        t = starts + 1 + k
        out[:, k] = at(f.design, 0)[0] @ state + at(f.obs_intercept, t)[0]
        state = at(f.transition, 0) @ state + at(f.state_intercept, t).reshape(len(state), -1)
    return out


def fourier(n: int, season: int, pairs: int) -> np.ndarray:
    """``(n, 2 * pairs)`` sines and cosines of the season: SARIMAX's seasonal part as regressors
    (a seasonal order of 52, 132 or 365 would give a state too large to fit in minutes)."""
    angle = np.arange(n)[:, None] * np.arange(1, pairs + 1) * 2 * np.pi / season
    return np.hstack([np.sin(angle), np.cos(angle)])


def sarimax_candidates(y: np.ndarray, train_end: int, season: int):
    """``(name, result over the whole series)`` per SARIMAX fitted on the training part: three ARIMA
    orders with and without Fourier terms of the season, and the airline model for seasons up to 52."""
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    pairs = min(4, season // 2) if season > 1 else 0
    exogs = [None] + ([fourier(len(y), season, pairs)] if pairs else [])
    for order in ((2, 0, 1), (2, 1, 1), (0, 1, 1)):
        for exog in exogs:
            part = None if exog is None else exog[:train_end]
            res = SARIMAX(y[:train_end], exog=part, order=order, trend="c").fit(disp=False)
            yield f"SARIMAX{order}" + (f" + {pairs} Fourier pairs of {season}" if exog is not None else ""), \
                res.apply(y, exog=exog)
    if 1 < season <= 52:
        res = SARIMAX(y[:train_end], order=(0, 1, 1), seasonal_order=(0, 1, 1, season)).fit(disp=False)
        yield f"SARIMAX(0, 1, 1)(0, 1, 1, {season})", res.apply(y)


def ets_candidates(y: np.ndarray, train_end: int, season: int):
    """``(name, forecast function of (starts, horizon))`` per ETSModel (additive errors; level, with or
    without a damped trend, with or without the season when two seasons fit the training part)."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    seasons = [False] + ([True] if season > 1 and train_end >= 2 * season else [])
    for trend, seasonal, init in itertools.product((None, "add"), seasons, ("heuristic", "estimated")):
        if init == "estimated" and seasonal and season > 52:
            continue  # one initial state per season step to optimise: minutes for a 123-month cycle
        spec = dict(error="add", trend=trend, damped_trend=trend is not None, seasonal="add" if seasonal else None,
                    seasonal_periods=season if seasonal else None, initialization_method=init)
        res = ETSModel(y[:train_end], **spec).fit(disp=False)
        states = np.asarray(ETSModel(y, **spec).smooth(res.params).states)
        phi = res.params[list(res.param_names).index("damping_trend")] if trend else 0.0
        name = "ETS(A," + ("Ad" if trend else "N") + "," + (f"A {season})" if seasonal else "N)") + f", {init} start"
        yield name, functools.partial(ets_paths, states, phi, season if seasonal else 0)


def ets_paths(states: np.ndarray, phi: float, season: int, starts: np.ndarray, horizon: int) -> np.ndarray:
    """``(origins, horizon)`` ETS forecasts from the states after each origin (row t: level, [trend],
    [seasonal] after observing y[t]): level + damped trend + the season's last matching state."""
    k = np.arange(1, horizon + 1)
    out = states[starts, :1] + np.cumsum(phi**k) * (states[starts, 1:2] if phi else 0.0)
    if season:
        out = out + states[starts[:, None] + k - season * np.ceil(k / season).astype(int), -1]
    return out


def anchor_rows(name: str, source, data) -> tuple[list[dict], float]:
    """Per family of anchors (SARIMAX, ETS): the candidate with the lowest validation MAE, scored on
    the test part from the same origins as ``seqgen evaluate``; and the best anchor's test MAE."""
    from seqgen.data_prep.series_config import origins, prepare

    prep = prepare(source.load(), data)
    y, h = prep.table.target, data.horizon
    parts = {part: origins(prep, part, prep.window, h) for part in ("valid", "test")}
    mae = lambda f, part: float(np.abs(f(parts[part], h) - y[parts[part][:, None] + np.arange(1, h + 1)]).mean())  # noqa: E731
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels' convergence and start-parameter notices
        for family, candidates in (("SARIMAX", sarimax_candidates), ("ETS", ets_candidates)):
            start, scored = time.perf_counter(), []
            for label, fitted in candidates(y, prep.train_end, prep.season):
                paths = fitted if family == "ETS" else functools.partial(state_space_paths, fitted)
                scored.append((mae(paths, "valid"), label, paths))
            valid, label, paths = min(scored, key=lambda c: c[0])
            rows.append({"series": name, "model": f"{label} (best of {len(scored)} on valid)",
                         "train s": time.perf_counter() - start, "(direct)": mae(paths, "test")})
            print(rows[-1], flush=True)
    return rows, min(r["(direct)"] for r in rows)


def real_sources(folder: Path) -> dict:
    """name -> (SeriesSource, horizon) of the real series."""
    import statsmodels.datasets

    from seqgen.models.series_task import SeriesSource

    root = Path(statsmodels.datasets.__file__).parent
    out = {name: (SeriesSource(csv=str(root / path), time=t, target=y), h) for name, (path, t, y, h) in REAL.items()}
    out["sunspots_monthly"] = (SeriesSource(csv=str(monthly_sunspots_csv(folder)), time="month", target="sunspots"), 12)
    return out


def family_row(name, family, args, source, data, folder: Path) -> dict:
    from seqgen.models import driver
    from seqgen.models.series_eval import series_scores

    start = time.perf_counter()
    request = driver.TrainRequest(family, args.preset, source.to_dict(), data,
                                  TrainConfig(epochs=args.real_epochs, patience=10, time_budget_s=args.seconds))
    run = driver.train("series", folder / f"{name}-{family}", request, verbose=0).run
    seconds = time.perf_counter() - start
    s = series_scores(driver.load_run(run, "series"), "test")
    row = {"series": name, "model": f"{family}/{args.preset}", "train s": seconds, "season": s["season"],
           "window": s["window"], "origins": s["origins"]}
    for method, mae in s["mae"].items():  # MAE, mean over the steps ahead
        key = "seasonal naive" if method.startswith("seasonal") else method.replace("model ", "")
        row[key] = float(mae.mean())
    row.setdefault("seasonal naive", float("nan"))
    return row


def real(args) -> list[dict]:
    from seqgen.models.series_task import SeriesDataConfig

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        sources = real_sources(Path(tmp))
        for name in args.datasets.split(","):
            source, horizon = sources[name]
            data = SeriesDataConfig(horizon=horizon)  # the window follows the detected season
            anchors, best = anchor_rows(name, source, data)
            for family in args.families.split(","):
                row = family_row(name, family, args, source, data, Path(tmp))
                row["direct / best anchor"] = row["(direct)"] / best
                rows.append(row)
                print(row, flush=True)
            rows += [{**{k: "" for k in rows[-1]}, **a} for a in anchors]
    return rows


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.part in ("textbook", "all"):
        print(table(textbook(args)))
    if args.part in ("real", "all"):
        print(table(real(args)))


if __name__ == "__main__":
    main()
