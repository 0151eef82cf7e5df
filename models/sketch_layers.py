"""Mask-exact layers for zero-padded stroke-3 batches (used by :mod:`models.sketch_classifier`).

Lengths travel beside the features as an int32 tensor ``(batch,)``; every layer here keeps the
rule "a real output depends only on real inputs", so padding a drawing with more zero rows never
changes its logits:

* :class:`StrokeLengths` reads the true lengths off the padding (last non-zero row + 1);
* :class:`MaskedConv1D` pads explicitly on the left by a FIXED amount (so windows do not move
  with the batch's length, unlike Keras' "same" with strides), zeroes padded outputs, normalises
  with statistics of real steps only, and returns the downsampled lengths;
* :class:`LengthMask` turns lengths into the boolean mask that Keras' RNN layers take;
* :class:`MaskedPooling` averages and maxes over real steps only.
"""

from __future__ import annotations

import keras
from keras import layers, ops

register = keras.saving.register_keras_serializable(package="seqgen")


def _mask(lengths, time):
    """Lengths ``(batch,)`` -> bool mask ``(batch, time)``."""
    return ops.arange(time)[None, :] < ops.cast(lengths, "int32")[:, None]


@register
class StrokeLengths(layers.Layer):
    """Zero-padded strokes ``(batch, time, 3)`` -> int32 true lengths ``(batch,)``."""

    def call(self, strokes):
        nonzero = ops.any(ops.not_equal(strokes, 0), axis=-1)  # (batch, time)
        positions = ops.arange(1, ops.shape(strokes)[1] + 1, dtype="int32")
        return ops.max(ops.where(nonzero, positions[None, :], 0), axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],)


@register
class LengthMask(layers.Layer):
    """``[features (batch, time, ...), lengths (batch,)]`` -> bool mask ``(batch, time)``."""

    def call(self, inputs):
        features, lengths = inputs
        return _mask(lengths, ops.shape(features)[1])

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0][:2])


@register
class MaskedConv1D(layers.Layer):
    """Conv1D (+ ReLU) (+ batch norm) on real steps: ``[x, lengths] -> [y, new_lengths]``.

    Output step ``j`` sees input steps ``j*strides - left ... j*strides - left + kernel - 1`` with
    ``left = (kernel - 1) // 2`` for "same" and 0 for "valid"; it is real when its anchor, input
    step ``j*strides``, is real: ``L_out = ceil(L / strides)``, ``T_out = ceil(T / strides)``.
    Windows reaching past a drawing's end read zeros, whatever the batch's padding.
    """

    def __init__(self, filters: int, kernel_size: int, strides: int = 1, padding: str = "same",
                 activation: str | None = "relu", batch_norm: bool = True, **kwargs):
        super().__init__(**kwargs)
        if padding not in ("same", "valid"):
            raise ValueError(f"padding must be 'same' or 'valid', got {padding!r}")
        self.filters, self.kernel_size, self.strides = int(filters), int(kernel_size), int(strides)
        self.padding, self.activation, self.batch_norm = padding, activation, bool(batch_norm)
        self.left = (self.kernel_size - 1) // 2 if padding == "same" else 0
        self.conv = layers.Conv1D(self.filters, self.kernel_size, strides=self.strides,
                                  padding="valid", activation=activation, name="conv")
        self.norm = layers.BatchNormalization(name="norm") if self.batch_norm else None

    def build(self, input_shape):
        channels = input_shape[0][-1]
        self.conv.build((None, None, channels))
        if self.norm is not None:
            self.norm.build((None, None, self.filters))

    def call(self, inputs, training=None):
        x, lengths = inputs  # (batch, time, channels), (batch,)
        time = ops.shape(x)[1]
        out_time = (time + self.strides - 1) // self.strides
        # Right padding: enough zeros for out_time windows (never negative).
        right = ops.maximum((out_time - 1) * self.strides + self.kernel_size - self.left - time, 0)
        x = ops.pad(x, [[0, 0], [self.left, right], [0, 0]])
        y = self.conv(x)[:, :out_time]  # (batch, out_time, filters)
        lengths = ops.cast(lengths, "int32")
        new_lengths = ops.where(lengths > 0, (lengths - 1) // self.strides + 1, 0)  # ceil(L / strides)
        mask = _mask(new_lengths, out_time)
        if self.norm is not None:
            y = self.norm(y, training=training, mask=mask)
        # Zero the padded steps, so the next layer sees exactly what a shorter batch would.
        return [y * ops.cast(mask, y.dtype)[:, :, None], new_lengths]

    def compute_output_shape(self, input_shape):
        time = input_shape[0][1]
        out_time = None if time is None else -(-time // self.strides)
        return [(input_shape[0][0], out_time, self.filters), (input_shape[0][0],)]

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "padding": self.padding, "activation": self.activation,
                "batch_norm": self.batch_norm}


@register
class MaskedPooling(layers.Layer):
    """``[x (batch, time, channels), lengths]`` -> float32 ``(batch, channels * k)`` over real steps.

    ``mode``: "mean", "max" or "mean_max" (both, concatenated). Computed in float32, so it is
    safe under mixed precision.
    """

    MODES = ("mean", "max", "mean_max")

    def __init__(self, mode: str = "mean_max", **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # the RNN's Keras mask is accepted, then dropped (lengths rule)
        if mode not in self.MODES:
            raise ValueError(f"pooling mode must be one of {self.MODES}, got {mode!r}")
        self.mode = mode

    def call(self, inputs):
        x, lengths = inputs
        x = ops.cast(x, "float32")
        mask = _mask(lengths, ops.shape(x)[1])[:, :, None]  # (batch, time, 1)
        pooled = []
        if self.mode in ("mean", "mean_max"):
            count = ops.maximum(ops.sum(ops.cast(mask, "float32"), axis=1), 1.0)
            pooled.append(ops.sum(ops.where(mask, x, 0.0), axis=1) / count)
        if self.mode in ("max", "mean_max"):
            biggest = ops.max(ops.where(mask, x, -3.0e38), axis=1)
            pooled.append(ops.where(ops.any(mask, axis=1), biggest, 0.0))  # empty rows: 0
        return pooled[0] if len(pooled) == 1 else ops.concatenate(pooled, axis=-1)

    def compute_mask(self, inputs, mask=None):
        return None  # one vector per drawing: no time axis left to mask

    def compute_output_shape(self, input_shape):
        channels = input_shape[0][-1]
        factor = 2 if self.mode == "mean_max" else 1
        return (input_shape[0][0], None if channels is None else channels * factor)

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}
