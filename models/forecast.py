"""Forecasters: the LSTM, GRU and WaveNet stacks with a regression head instead of a softmax.

Every forecaster maps ``inputs (batch, time, features)`` (standardised; the target is feature 0)
to ``(batch, time, horizon)``: at every step ``t`` the values of the target at ``t+1 .. t+horizon``
(sequence-to-sequence training, every position a forecast origin). A forecast from a history is the
last position's row: all ``horizon`` steps at once ("direct").

The target enters relative to its first value in the window and forecasts are offsets from its
last value (``anchored``, ``relative``), so a model is blind to the series' level: a trend that
leaves the training range does not push it off the inputs it learnt from.

They keep the one-step contract of :mod:`models.base`: ``initial_state(batch)`` and
``step(inputs (batch, features), state) -> (outputs (batch, horizon), state)``, equal to ``call``
position by position. :func:`autoregressive_forecast` uses it to forecast any number of steps of a
univariate series by feeding each one-step prediction back as the next input.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from seqgen.data_prep.errors import SeqgenError
from seqgen.models.wavenet import GatedResidualLayer

FORECAST_FAMILIES = ("lstm", "gru", "wavenet")


@dataclass(frozen=True)
class ForecastConfig:
    """A forecaster's shape; ``n_features`` and ``horizon`` come from the data, the rest from a preset."""

    family: str = "gru"  # "lstm", "gru" or "wavenet"
    n_features: int = 1  # input columns, the target first
    horizon: int = 1  # target values predicted at every step (t+1 .. t+horizon)
    units: int = 32  # recurrent units per layer (lstm, gru)
    layers: int = 2  # stacked recurrent layers (lstm, gru)
    channels: int = 32  # residual stream width (wavenet)
    skip_channels: int = 64  # skip-sum width (wavenet)
    kernel_size: int = 2  # taps per dilated convolution (wavenet)
    layers_per_block: int = 4  # dilations 1, 2, 4, ... (wavenet)
    blocks: int = 2  # repeats of the dilation cycle (wavenet)
    dropout: float = 0.0  # between recurrent layers / on the skip sum
    relative: bool = True  # outputs are offsets from the last observed target value (the naive forecast)
    anchored: bool = True  # the target is seen minus its first value in the window: blind to the level

    def __post_init__(self) -> None:
        if self.family not in FORECAST_FAMILIES:
            raise SeqgenError(f"ForecastConfig.family must be one of {', '.join(FORECAST_FAMILIES)}, got {self.family!r}")
        for name in ("n_features", "horizon", "units", "layers", "channels", "skip_channels", "kernel_size",
                     "layers_per_block", "blocks"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise SeqgenError(f"ForecastConfig.{name} must be an integer >= 1, got {value!r}")
        for name in ("relative", "anchored"):
            if not isinstance(getattr(self, name), bool):
                raise SeqgenError(f"ForecastConfig.{name} must be true or false, got {getattr(self, name)!r}")
        if not 0.0 <= self.dropout < 1.0:
            raise SeqgenError(f"ForecastConfig.dropout must be in [0, 1), got {self.dropout!r}")

    @property
    def dilations(self) -> list[int]:
        return [2**i for i in range(self.layers_per_block)] * self.blocks

    @property
    def receptive_field(self) -> int:
        """Steps of history one WaveNet prediction sees (recurrent models: unbounded, reported as 0)."""
        return 1 + (self.kernel_size - 1) * sum(self.dilations) if self.family == "wavenet" else 0


# Named sizes per family: keyword overrides of the defaults above.
FORECAST_PRESETS: dict[str, dict] = {
    "tiny": dict(units=8, layers=1, channels=8, skip_channels=8, layers_per_block=2, blocks=1),
    "small": dict(units=32, layers=2, channels=32, skip_channels=64, layers_per_block=4, blocks=2),
    "medium": dict(units=128, layers=2, channels=64, skip_channels=128, layers_per_block=6, blocks=2, dropout=0.1),
}


def forecast_config(family: str, preset: str, n_features: int, horizon: int, **overrides) -> ForecastConfig:
    if preset not in FORECAST_PRESETS:
        raise SeqgenError(f"unknown preset {preset!r} for a forecaster; choose one of {', '.join(FORECAST_PRESETS)}")
    return ForecastConfig(**{**FORECAST_PRESETS[preset], **overrides, "family": family, "n_features": n_features,
                             "horizon": horizon})


def forecast_config_from_dict(values: dict) -> ForecastConfig:
    unknown = set(values) - {f.name for f in fields(ForecastConfig)}
    if unknown:
        raise SeqgenError(f"unknown forecaster config keys {sorted(unknown)}; the run was saved by another version")
    return ForecastConfig(**values)


class Forecaster(keras.Model):
    """Config (de)serialisation shared by the forecasters."""

    def __init__(self, config: ForecastConfig, **kwargs):
        super().__init__(**kwargs)
        self.config = config

    def build_now(self) -> None:
        self(ops.zeros((1, 1, self.config.n_features)))

    def call(self, inputs, training=False):
        """``inputs (batch, time, features)`` -> ``(batch, time, horizon)``."""
        return self._finish(self._body(self._anchor(inputs, inputs[:, :1, :1]), training), inputs)

    def initial_state(self, batch_size):
        """``(position, anchor (batch, 1), layer states)``; the anchor is set by the first step."""
        anchor = ops.zeros((batch_size, 1), self.compute_dtype)
        return ops.convert_to_tensor(0, "int32"), anchor, self._initial_body(batch_size)

    def step(self, inputs, state):
        """``inputs (batch, features)`` -> ``(outputs (batch, horizon), state)``, as ``call`` gives position by position."""
        position, anchor, layer_state = state
        anchor = ops.where(position == 0, ops.cast(inputs[:, :1], anchor.dtype), anchor)
        outputs, layer_state = self._step_body(self._anchor(inputs, anchor), layer_state)
        return self._finish(outputs, inputs), (position + 1, anchor, layer_state)

    def _anchor(self, inputs, anchor):
        """The target minus the window's first target value when ``anchored`` (other features unchanged)."""
        if not self.config.anchored:
            return inputs
        target = inputs[..., :1] - ops.cast(anchor, inputs.dtype)
        return ops.concatenate([target, inputs[..., 1:]], axis=-1)

    def _finish(self, outputs, inputs):
        """Add the last observed target value to the head's offsets when ``relative``."""
        if not self.config.relative:
            return outputs
        return outputs + ops.cast(inputs[..., :1], outputs.dtype)  # (..., horizon) + (..., 1)

    def get_config(self):
        return {"name": self.name, "config": asdict(self.config)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        return cls(forecast_config_from_dict(config.pop("config")), name=config.get("name"))


@keras.saving.register_keras_serializable(package="seqgen")
class RecurrentForecaster(Forecaster):
    """Dense input projection, stacked LSTM/GRU layers, a dense regression head."""

    def __init__(self, config: ForecastConfig, **kwargs):
        super().__init__(config, **kwargs)
        rnn = layers.LSTM if config.family == "lstm" else layers.GRU
        self.proj = layers.Dense(config.units, name="input_proj")
        self.rnns = [rnn(config.units, return_sequences=True, name=f"{config.family}_{i}") for i in range(config.layers)]
        self.drop = layers.Dropout(config.dropout)
        self.head = layers.Dense(config.horizon, dtype="float32", name="head")
        self.build_now()

    def _body(self, inputs, training=False):
        x = self.proj(inputs)  # (batch, time, units)
        for rnn in self.rnns:
            x = self.drop(rnn(x, training=training), training=training)
        return self.head(x)  # (batch, time, horizon)

    def _initial_body(self, batch_size):
        zeros = ops.zeros((batch_size, self.config.units), dtype=self.compute_dtype)
        return [[zeros, zeros] if self.config.family == "lstm" else [zeros] for _ in self.rnns]

    def _step_body(self, inputs, state):
        x, new_states = self.proj(inputs), []
        for rnn, layer_state in zip(self.rnns, state):
            x, layer_state = rnn.cell(x, layer_state)
            new_states.append(list(layer_state) if isinstance(layer_state, (list, tuple)) else [layer_state])
        return self.head(x), new_states


@keras.saving.register_keras_serializable(package="seqgen")
class WaveNetForecaster(Forecaster):
    """Dense input projection, gated residual dilated causal convolutions, skip sum, regression head."""

    def __init__(self, config: ForecastConfig, **kwargs):
        super().__init__(config, **kwargs)
        c = config
        self.proj = layers.Dense(c.channels, name="input_proj")
        self.stack = [GatedResidualLayer(c.channels, c.skip_channels, c.kernel_size, d,
                                         residual=i < len(c.dilations) - 1, name=f"res_{i}_d{d}")
                      for i, d in enumerate(c.dilations)]
        self.drop = layers.Dropout(c.dropout)
        self.out1 = layers.Dense(c.skip_channels, activation="relu", name="out1")
        self.head = layers.Dense(c.horizon, dtype="float32", name="head")
        self.build_now()

    def _output(self, skips, training=False):
        return self.head(self.out1(self.drop(ops.relu(skips), training=training)))

    def _body(self, inputs, training=False):
        x, skips = self.proj(inputs), 0  # (batch, time, channels)
        for layer in self.stack:
            x, skip = layer(x)
            skips = skips + skip  # (batch, time, skip_channels)
        return self._output(skips, training)  # (batch, time, horizon)

    def _initial_body(self, batch_size):
        """Per-layer caches ``(batch, cache_length, channels)``; zeros = the causal padding."""
        return [ops.zeros((batch_size, layer.cache_length, self.config.channels), self.compute_dtype)
                for layer in self.stack]

    def _step_body(self, inputs, state):
        x, skips, caches = self.proj(inputs), 0, []
        for layer, cache in zip(self.stack, state):
            x, skip, cache = layer.step(x, cache)
            skips = skips + skip
            caches.append(cache)
        return self._output(skips), caches


def build_forecaster(config: ForecastConfig) -> Forecaster:
    """A freshly initialised forecaster for ``config`` (weights created eagerly)."""
    if config.family == "wavenet":
        return WaveNetForecaster(config, name="wavenet_forecaster")
    return RecurrentForecaster(config, name=f"{config.family}_forecaster")


def direct_forecast(model: Forecaster, history: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """``history (batch, time, features)`` -> the last position's forecast ``(batch, horizon)``."""
    outputs = [model(tf.constant(history[i : i + batch_size], tf.float32), training=False)[:, -1]
               for i in range(0, len(history), batch_size)]
    return np.concatenate([np.asarray(o, np.float32) for o in outputs])


@tf.function(reduce_retracing=True)
def _feed_back(model, history, steps):
    """Prime with ``history (batch, time, 1)`` one step at a time, then feed each prediction back."""
    state = model.initial_state(tf.shape(history)[0])
    outputs, state = model.step(history[:, 0], state)

    def prime(i, outputs, state):
        outputs, state = model.step(history[:, i], state)
        return i + 1, outputs, state

    _, outputs, state = tf.while_loop(lambda i, *_: i < tf.shape(history)[1], prime, (tf.constant(1), outputs, state))
    predictions = tf.TensorArray(tf.float32, size=steps)

    def generate(i, outputs, state, predictions):
        value = tf.cast(outputs[:, :1], tf.float32)  # (batch, 1): the one-step forecast
        outputs, state = model.step(tf.cast(value, model.compute_dtype), state)
        return i + 1, outputs, state, predictions.write(i, value[:, 0])

    _, _, _, predictions = tf.while_loop(lambda i, *_: i < steps, generate, (tf.constant(0), outputs, state, predictions))
    return tf.transpose(predictions.stack())  # (batch, steps)


def autoregressive_forecast(model: Forecaster, history: np.ndarray, steps: int) -> np.ndarray:
    """``steps`` values after ``history (batch, time, 1)``, each one-step forecast fed back as input."""
    if model.config.n_features != 1:
        raise SeqgenError("autoregressive forecasting needs a model of the target alone (its features' future "
                          "is unknown); use --method direct or train without --features")
    history = tf.constant(np.asarray(history, np.float32))
    return _feed_back(model, history, tf.constant(int(steps))).numpy()
