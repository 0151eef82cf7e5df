"""Forecasting quality: the textbook's synthetic table, and real series shipped by statsmodels.

    python benchmarks/series_quality.py --part textbook            # naive, linear, each family; 1 and 10 steps
    python benchmarks/series_quality.py --part real --seconds 90   # sunspots and co2 (pip install ".[bench]")

Textbook part: 10,000 noisy two-sine series of 60 steps (Geron's ``generate_time_series``), 7,000
for training, 2,000 for validation, 1,000 for test; inputs are the first 50 steps; the MSE over the
next step (1) or the next ten (10), as in the book. The families train sequence to sequence (a
forecast at every position) with the series trainer and early stopping; the book's figures are
printed beside ours. Real part: ``seqgen train series`` on CSV files of statsmodels' datasets
module (read by seqgen's own CSV reader) with a time budget per model, then the test-part figures
of ``seqgen evaluate`` (MAE mean over the steps ahead, relative to each baseline).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
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
REAL = {  # statsmodels dataset -> (csv, time, target, window, horizon)
    "sunspots": ("sunspots/sunspots.csv", "YEAR", "SUNACTIVITY", 24, 5),
    "co2": ("co2/co2.csv", "date", "co2", 64, 13),
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
    parser.add_argument("--datasets", default=",".join(REAL))
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


def real(args) -> list[dict]:
    import statsmodels.datasets

    from seqgen.models import driver
    from seqgen.models.series_eval import series_scores
    from seqgen.models.series_task import SeriesDataConfig, SeriesSource

    root = Path(statsmodels.datasets.__file__).parent
    rows = []
    for name in args.datasets.split(","):
        path, time_column, target, window, horizon = REAL[name]
        source = SeriesSource(csv=str(root / path), time=time_column, target=target)
        data = SeriesDataConfig(window=window, horizon=horizon)
        for family in args.families.split(","):
            with tempfile.TemporaryDirectory() as tmp:
                start = time.perf_counter()
                request = driver.TrainRequest(family, args.preset, source.to_dict(), data,
                                              TrainConfig(epochs=200, patience=10, time_budget_s=args.seconds))
                run = driver.train("series", Path(tmp) / "run", request, verbose=0).run
                seconds = time.perf_counter() - start
                s = series_scores(driver.load_run(run, "series"), "test")
            row = {"series": name, "model": f"{family}/{args.preset}", "train s": seconds, "season": s["season"]}
            for method, mae in s["mae"].items():  # MAE, mean over the steps ahead
                key = "seasonal naive" if method.startswith("seasonal") else method.replace("model ", "")
                row[key] = float(mae.mean())
            row.setdefault("seasonal naive", float("nan"))
            rows.append(row)
            print(row, flush=True)
    return rows


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.part in ("textbook", "all"):
        print(table(textbook(args)))
    if args.part in ("real", "all"):
        print(table(real(args)))


if __name__ == "__main__":
    main()
