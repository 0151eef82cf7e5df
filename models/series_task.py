"""The series task: CSV -> normaliser -> windows for a regression model. The source, split, season
and window are :mod:`seqgen.data_prep.series_config`'s; evaluation against the baselines and
forecasts live in :mod:`seqgen.models.series_eval`, which this module imports (never the reverse).

Windows: inputs ``(window, features)``; at every position ``t`` the targets are the next
``horizon`` target values (sequence to sequence). Training windows lie wholly in the training part;
validation windows may read history from the training part but only their forecasts of validation
steps count (sample weights), and evaluation forecasts from every origin of the test part with the
``window`` steps before it.
"""

from __future__ import annotations

from dataclasses import asdict

import keras
import numpy as np
import tensorflow as tf

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.series import describe_table
from seqgen.data_prep.series_codec import SeriesCodec
from seqgen.data_prep.series_config import (SeriesData, SeriesDataConfig, SeriesSource, data_summary, origins,
                                            prepare)
from seqgen.models import run_dir as rd
from seqgen.models.forecast import build_forecaster, direct_forecast, forecast_config, forecast_config_from_dict
from seqgen.models.forecast_baselines import window_arrays
from seqgen.models.series_eval import evaluation_lines, series_scores
from seqgen.models.task import Evaluation, Prepared, Task

# The data pieces live in data_prep.series_config (no TensorFlow); named here for the task's users.
__all__ = ["SeriesTask", "SeriesSource", "SeriesDataConfig", "SeriesData", "prepare", "origins", "data_summary",
           "series_datasets", "validation_interval", "INTERVAL"]

INTERVAL = (0.1, 0.9)  # quantiles of the validation errors that bound the forecast interval (80%)


def _windows_dataset(prep: SeriesData, starts: np.ndarray, data: SeriesDataConfig, first_target: int,
                     shuffle: bool, seed: int = 0) -> tf.data.Dataset:
    """``(inputs (w, features), targets (w, horizon), weights (w,))`` batches from window ``starts``;
    a position counts (weight 1) when its first target step is ``>= first_target``."""
    w = prep.window
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
    w, h = prep.window, data.horizon
    train_starts = np.arange(0, prep.train_end - w - h + 1, data.stride)
    valid_starts = np.arange(max(0, prep.train_end - w), prep.valid_end - w - h + 1)
    if not len(valid_starts):
        raise SeqgenError(f"the validation part ({prep.valid_end - prep.train_end} steps) is too short for --horizon {h}")
    train = _windows_dataset(prep, train_starts, data, 0, shuffle=True, seed=seed)
    return train, _windows_dataset(prep, valid_starts, data, prep.train_end, shuffle=False)


def validation_interval(model, prep: SeriesData, data: SeriesDataConfig) -> dict:
    """Quantiles of the direct forecast's errors on the validation part, per step ahead (standardised)."""
    inputs, target = window_arrays(prep.values, origins(prep, "valid", prep.window, data.horizon), prep.window,
                                   data.horizon)
    errors = target - direct_forecast(model, inputs)  # (origins, horizon)
    low, high = np.nanquantile(errors, INTERVAL, axis=0)
    return {"quantiles": list(INTERVAL), "low": low.tolist(), "high": high.tolist()}


class SeriesTask(Task):
    """Numeric series from a CSV (or the built-in synthetic one), forecast by a regression model."""

    name = "series"
    data_config = SeriesDataConfig
    default_split = "test"

    def normalise_source(self, source: dict) -> dict:
        return SeriesSource(**source).to_dict()

    def prepare(self, source, data, *, seed=0, data_dir=None, codec=None, record=None) -> Prepared:
        series = prepare(SeriesSource(**source).load(), data, codec, record)
        train, valid = series_datasets(series, data, seed)
        record = {**(record or {}), "season": series.season, "season_why": series.why, "window": series.window,
                  "axis": series.table.axis.to_dict()}
        report = [describe_table(series.table, data.valid_fraction, data.test_fraction),
                  f"season: {series.why}", f"window: {series.window} steps"]
        return Prepared(series.codec, train, valid, record, report, data=series)

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
        scores = series_scores(run, split)
        means = {f"mae {k}": float(v.mean()) for k, v in scores["mae"].items()}
        return Evaluation(evaluation_lines(scores), means)
