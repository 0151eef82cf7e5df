"""The series task: CSV -> normaliser -> windows for a regression model; evaluation against the
baselines and forecasts live in :mod:`seqgen.models.series_eval`.

Windows: inputs ``(window, features)``; at every position ``t`` the targets are the next
``horizon`` target values (sequence to sequence). Training windows lie wholly in the training part;
validation windows may read history from the training part but only their forecasts of validation
steps count (sample weights), and evaluation forecasts from every origin of the test part with the
``window`` steps before it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.series import SeriesTable, describe_table, read_series_csv, split_points
from seqgen.data_prep.series_codec import SeriesCodec
from seqgen.data_prep.series_synthetic import synthetic_table
from seqgen.models import run_dir as rd
from seqgen.models.forecast import build_forecaster, direct_forecast, forecast_config, forecast_config_from_dict
from seqgen.models.forecast_baselines import detect_season, window_arrays
from seqgen.models.task import Evaluation, Prepared, Task

INTERVAL = (0.1, 0.9)  # quantiles of the validation errors that bound the forecast interval (80%)


@dataclass(frozen=True)
class SeriesSource:
    """Where a series comes from: a CSV and its columns, or the built-in synthetic series."""

    csv: str | None = None  # path of the CSV file
    time: str | None = None  # time column (ISO dates or numbers); None: rows are the steps
    target: str | None = None  # the column to forecast
    features: tuple = ()  # other input columns
    fill: str = "interpolate"  # missing values: interpolate, ffill, drop, error
    synthetic: bool = False  # the built-in noisy two-sine series instead of a CSV
    synthetic_steps: int = 2000  # its length

    def __post_init__(self) -> None:
        object.__setattr__(self, "features", tuple(self.features))
        if self.synthetic == bool(self.csv):
            raise SeqgenError("give a CSV file (FILE.csv, or --csv FILE for train) or --synthetic, one of the two")
        if self.csv and not self.target:
            raise SeqgenError("name the column to forecast with --target COLUMN")

    def load(self, csv: str | None = None) -> SeriesTable:
        """The table, from ``csv`` when given (same columns) instead of the source's own file."""
        if self.synthetic and csv is None:
            return synthetic_table(self.synthetic_steps)
        target = self.target or "value"
        time = self.time if (self.csv or self.time) else "date"  # the synthetic CSV layout
        return read_series_csv(csv or self.csv, time=time, target=target, features=self.features, fill=self.fill)

    def to_dict(self) -> dict:
        values = asdict(self)
        values["csv"] = str(Path(self.csv).resolve()) if self.csv else None  # absolute: evaluate from anywhere
        values["features"] = list(self.features)
        return values


@dataclass(frozen=True)
class SeriesDataConfig:
    """How a series becomes training windows and which part is held out."""

    window: int = 64  # steps of history per input window
    horizon: int = 10  # steps forecast at once
    batch_size: int = 32  # windows per batch
    stride: int = 1  # steps between training window starts
    valid_fraction: float = 0.15  # the part after training, for early stopping and intervals
    test_fraction: float = 0.15  # the last part, for evaluation only
    season: int | None = None  # seasonal-naive season in steps; None: detected from the training part

    def __post_init__(self) -> None:
        for name in ("window", "horizon", "batch_size", "stride"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise SeqgenError(f"SeriesDataConfig.{name} must be an integer >= 1, got {value!r}")
        split_points(100, self.valid_fraction, self.test_fraction)  # validates the fractions


@dataclass
class SeriesData:
    """A table ready for a model: standardised values and where each part ends."""

    table: SeriesTable
    codec: SeriesCodec
    values: np.ndarray  # (n, features) float32, standardised with training statistics
    train_end: int
    valid_end: int
    season: int = 1
    notes: list[str] = field(default_factory=list)


def prepare(table: SeriesTable, data: SeriesDataConfig, codec: SeriesCodec | None = None) -> SeriesData:
    """Split, check the parts are long enough, standardise with the training part's statistics."""
    n, w, h = len(table), data.window, data.horizon
    train_end, valid_end = split_points(n, data.valid_fraction, data.test_fraction)
    if train_end < w + h:
        raise SeqgenError(f"{table.source}: the series is too short: its training part has {train_end} of {n} steps, "
                          f"but a window of --window {w} plus --horizon {h} needs {w + h}; lower --window or give more data")
    for part, length, option in (("validation", valid_end - train_end, "--valid-fraction"),
                                 ("test", n - valid_end, "--test-fraction")):
        if length < h:
            raise SeqgenError(f"{table.source}: --horizon {h} is longer than the {part} part ({length} steps); "
                              f"lower --horizon or raise {option}")
    codec = codec or SeriesCodec.fit(table.values[:train_end], table.columns)
    season = data.season or detect_season(table.target[:train_end], max_lag=w)
    return SeriesData(table, codec, codec.encode(table.values), train_end, valid_end, season)


def _windows_dataset(prep: SeriesData, starts: np.ndarray, data: SeriesDataConfig, first_target: int,
                     shuffle: bool, seed: int = 0) -> tf.data.Dataset:
    """``(inputs (w, features), targets (w, horizon), weights (w,))`` batches from window ``starts``;
    a position counts (weight 1) when its first target step is ``>= first_target``."""
    w = data.window
    _, future = window_arrays(prep.values, np.arange(len(prep.values)), 1, data.horizon)  # (n, horizon)
    values, future = tf.constant(prep.values), tf.constant(np.nan_to_num(future))

    def window(start):
        positions = start + tf.range(w)
        weights = tf.cast(positions + 1 >= first_target, tf.float32)  # (w,)
        return tf.gather(values, positions), tf.gather(future, positions), weights

    ds = tf.data.Dataset.from_tensor_slices(starts.astype(np.int32))
    if shuffle:
        ds = ds.shuffle(len(starts), seed=seed, reshuffle_each_iteration=True)
    return ds.map(window, num_parallel_calls=tf.data.AUTOTUNE).batch(data.batch_size).prefetch(tf.data.AUTOTUNE)


def series_datasets(prep: SeriesData, data: SeriesDataConfig, seed: int = 0):
    """``(train, valid)``: training windows end before the validation part; validation forecasts count
    only from the first validation step on."""
    w, h = data.window, data.horizon
    train_starts = np.arange(0, prep.train_end - w - h + 1, data.stride)
    valid_starts = np.arange(max(0, prep.train_end - w), prep.valid_end - w - h + 1)
    if not len(valid_starts):
        raise SeqgenError(f"the validation part ({prep.valid_end - prep.train_end} steps) is too short for --horizon {h}")
    train = _windows_dataset(prep, train_starts, data, 0, shuffle=True, seed=seed)
    return train, _windows_dataset(prep, valid_starts, data, prep.train_end, shuffle=False)


def origins(prep: SeriesData, part: str, window: int, horizon: int) -> np.ndarray:
    """Forecast origins whose whole horizon lies in ``part`` ("valid" or "test") and whose window fits."""
    lo, hi = (prep.train_end, prep.valid_end) if part == "valid" else (prep.valid_end, len(prep.values))
    return np.arange(max(lo - 1, window - 1), hi - horizon)


def validation_interval(model, prep: SeriesData, data: SeriesDataConfig) -> dict:
    """Quantiles of the direct forecast's errors on the validation part, per step ahead (standardised)."""
    inputs, target = window_arrays(prep.values, origins(prep, "valid", data.window, data.horizon), data.window,
                                   data.horizon)
    errors = target - direct_forecast(model, inputs)  # (origins, horizon)
    low, high = np.nanquantile(errors, INTERVAL, axis=0)
    return {"quantiles": list(INTERVAL), "low": low.tolist(), "high": high.tolist()}


def load_series_run(run: str | Path):
    """The loaded series run (:class:`seqgen.models.driver.LoadedRun`), its source and data config."""
    from seqgen.models.driver import load_run

    loaded = load_run(run, "series")
    return loaded, SeriesSource(**loaded.info.source), SeriesTask().new_data_config(loaded.info.data)


def data_summary(source: SeriesSource, data: SeriesDataConfig = SeriesDataConfig()) -> str:
    """What ``seqgen data series`` prints: steps, gaps, missing values, split, detected season."""
    table = source.load()
    text = describe_table(table, data.valid_fraction, data.test_fraction)
    train_end, _ = split_points(len(table), data.valid_fraction, data.test_fraction)
    season = data.season or detect_season(table.target[:train_end], max_lag=data.window)
    what = "none found (seasonal naive = naive)" if season == 1 else f"{season} steps"
    return f"{text}\nseason (autocorrelation of the training part, lags up to --window {data.window}): {what}"


class SeriesTask(Task):
    """Numeric series from a CSV (or the built-in synthetic one), forecast by a regression model."""

    name = "series"
    data_config = SeriesDataConfig
    default_split = "test"

    def normalise_source(self, source: dict) -> dict:
        return SeriesSource(**source).to_dict()

    def prepare(self, source, data, *, seed=0, data_dir=None, codec=None, record=None) -> Prepared:
        series = prepare(SeriesSource(**source).load(), data, codec)
        train, valid = series_datasets(series, data, seed)
        record = {**(record or {}), "season": series.season, "axis": series.table.axis.to_dict()}
        return Prepared(series.codec, train, valid, record, [describe_table(series.table, data.valid_fraction,
                                                                         data.test_fraction)], data=series)

    def check_model(self, family: str, preset: str) -> None:
        forecast_config(family, preset, 1, 1)

    def model_config(self, family, preset, codec, overrides, data=None):
        return forecast_config(family, preset, codec.n_features, (data or SeriesDataConfig()).horizon, **overrides)

    def config_to_dict(self, config) -> dict:
        return asdict(config)

    def config_from_dict(self, values: dict):
        return forecast_config_from_dict(values)

    def build_model(self, config, codec):
        return build_forecaster(config)

    def load_codec(self, values):
        if values is None:
            raise SeqgenError("run.json: a series run needs its normaliser (codec) and has none; the run is damaged")
        return SeriesCodec.from_config(values)

    def compile_options(self) -> dict:
        return {"loss": keras.losses.MeanSquaredError(), "metrics": [keras.metrics.MeanAbsoluteError(name="mae")]}

    def after_training(self, run, info, prepared: Prepared) -> dict:
        """The forecast interval, from the saved (best) model's errors on the validation part."""
        interval = validation_interval(rd.load_model_file(run), prepared.data, self.new_data_config(info.data))
        return {**info.record, "interval": interval}

    def evaluate(self, run, split, data_dir=None) -> Evaluation:
        from seqgen.models.series_eval import evaluation_lines, series_scores

        scores = series_scores(run, split)
        means = {f"mae {k}": float(v.mean()) for k, v in scores["mae"].items()}
        return Evaluation(evaluation_lines(scores), means)
