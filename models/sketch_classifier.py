"""Sketch classifiers: Conv1D stack -> recurrent layers -> pooling -> logits, from a frozen config.

Input: zero-padded stroke-3 batches ``(batch, time, 3)`` float32 (see
:mod:`data_prep.sketch_pipeline`); output: float32 logits ``(batch, num_classes)`` for
``SparseCategoricalCrossentropy(from_logits=True)``. Masks are exact: extra zero rows at the end
of a drawing never change its logits (:mod:`models.sketch_layers`).

Presets (:data:`PRESETS`):

* ``textbook``: Hands-On ML (2nd ed., ch. 15 exercise 9): Conv1D 32/64/128, kernels 5/5/3,
  strides 2, ReLU then batch norm, two LSTM-128 (the last one's final state), then the
  classes. Differences: logits instead of softmax, and convolutions pad the tail with zeros
  ("valid" anchoring but ``ceil(T/2)`` outputs) so short drawings still give outputs.
  (The 3rd edition uses kernel 5 for the third convolution too.)
* ``default``: three convolutions (one strided), two bidirectional LSTM-128, masked mean+max
  pooling, dropout.
* ``tiny``: one Conv1D-32 and one GRU-32, no batch norm (its moving averages need more
  steps than a test runs), for tests.
"""

from __future__ import annotations

import dataclasses

import keras
from keras import layers

from seqgen.data_prep.errors import SeqgenError
from seqgen.models.sketch_layers import LengthMask, MaskedConv1D, MaskedPooling, StrokeLengths

RNN_CELLS = ("lstm", "gru")
POOLINGS = ("last", "mean", "max", "mean_max")


@dataclasses.dataclass(frozen=True)
class SketchClassifierConfig:
    """Architecture of a sketch classifier; every field has the ``default`` preset's value."""

    name: str = "default"  # recorded in the run; the preset it came from
    conv_filters: tuple[int, ...] = (64, 96, 128)  # one Conv1D per entry; () for none
    conv_kernels: tuple[int, ...] = (5, 5, 3)  # kernel size of each Conv1D
    conv_strides: tuple[int, ...] = (1, 2, 1)  # stride of each Conv1D (2 halves the time axis)
    conv_padding: str = "same"  # "same": centred windows; "valid": windows start at the step
    batch_norm: bool = True  # batch norm (over real steps only) after each Conv1D's ReLU
    rnn_cell: str = "lstm"  # "lstm" or "gru"
    rnn_units: tuple[int, ...] = (128, 128)  # one recurrent layer per entry; () for none
    bidirectional: bool = True  # read each drawing both ways
    pooling: str = "mean_max"  # "last" (final RNN state), "mean", "max" or "mean_max" over time
    dense_units: int = 0  # a hidden ReLU layer before the logits; 0 for none
    dropout: float = 0.3  # before the hidden layer and the logits

    def __post_init__(self) -> None:
        for field in ("conv_filters", "conv_kernels", "conv_strides", "rnn_units"):
            values = tuple(getattr(self, field))
            object.__setattr__(self, field, values)  # lists from JSON become tuples
            if any(int(v) != v or v < 1 for v in values):
                raise SeqgenError(f"sketch classifier {field} must be positive integers, got {values}")
        if not len(self.conv_filters) == len(self.conv_kernels) == len(self.conv_strides):
            raise SeqgenError(f"conv_filters, conv_kernels and conv_strides differ in length: "
                              f"{self.conv_filters}, {self.conv_kernels}, {self.conv_strides}")
        if self.conv_padding not in ("same", "valid"):
            raise SeqgenError(f"conv_padding must be 'same' or 'valid', got {self.conv_padding!r}")
        if self.rnn_cell not in RNN_CELLS:
            raise SeqgenError(f"rnn_cell must be one of {', '.join(RNN_CELLS)}, got {self.rnn_cell!r}")
        if self.pooling not in POOLINGS:
            raise SeqgenError(f"pooling must be one of {', '.join(POOLINGS)}, got {self.pooling!r}")
        if self.pooling == "last" and not self.rnn_units:
            raise SeqgenError("pooling 'last' needs at least one recurrent layer (rnn_units)")
        if self.dense_units < 0:
            raise SeqgenError(f"dense_units must be >= 0, got {self.dense_units}")
        if not 0.0 <= self.dropout < 1.0:
            raise SeqgenError(f"dropout must be in [0, 1), got {self.dropout}")

    def to_dict(self) -> dict:
        """JSON-able dict; :meth:`from_dict` rebuilds an equal config."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "SketchClassifierConfig":
        """Rebuild from :meth:`to_dict` output; unknown keys are a SeqgenError."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise SeqgenError(f"unknown sketch classifier setting {unknown[0]!r}; "
                              f"known: {', '.join(sorted(known))}")
        return cls(**data)


PRESETS: dict[str, SketchClassifierConfig] = {
    "textbook": SketchClassifierConfig(
        name="textbook", conv_filters=(32, 64, 128), conv_kernels=(5, 5, 3), conv_strides=(2, 2, 2),
        conv_padding="valid", rnn_units=(128, 128), bidirectional=False, pooling="last", dropout=0.0),
    "default": SketchClassifierConfig(),
    "tiny": SketchClassifierConfig(
        name="tiny", conv_filters=(32,), conv_kernels=(5,), conv_strides=(1,), batch_norm=False,
        rnn_cell="gru", rnn_units=(32,), bidirectional=False, pooling="mean_max", dropout=0.0),
}


def sketch_classifier_config(preset: str = "default", **overrides) -> SketchClassifierConfig:
    """A preset's config, with some fields replaced."""
    if preset not in PRESETS:
        raise SeqgenError(f"unknown sketch classifier preset {preset!r}; choose from {', '.join(PRESETS)}")
    return dataclasses.replace(PRESETS[preset], **overrides)


def _recurrent(config: SketchClassifierConfig, units: int, return_sequences: bool, index: int):
    cell = layers.LSTM if config.rnn_cell == "lstm" else layers.GRU
    rnn = cell(units, return_sequences=return_sequences, name=f"{config.rnn_cell}_{index}")
    return layers.Bidirectional(rnn, name=f"bi_{config.rnn_cell}_{index}") if config.bidirectional else rnn


def build_sketch_classifier(config: SketchClassifierConfig, num_classes: int) -> keras.Model:
    """The functional model: strokes ``(batch, time, 3)`` -> float32 logits ``(batch, num_classes)``."""
    if num_classes < 2:
        raise SeqgenError(f"a classifier needs at least 2 classes, got {num_classes}")
    strokes = keras.Input(shape=(None, 3), dtype="float32", name="strokes")
    lengths = StrokeLengths(name="lengths")(strokes)  # (batch,)
    x = strokes
    for i, (filters, kernel, stride) in enumerate(
            zip(config.conv_filters, config.conv_kernels, config.conv_strides)):
        x, lengths = MaskedConv1D(filters, kernel, stride, config.conv_padding, "relu",
                                  config.batch_norm, name=f"conv_{i}")([x, lengths])
    if config.rnn_units:
        mask = LengthMask(name="mask")([x, lengths])  # (batch, time') bool
        for i, units in enumerate(config.rnn_units):
            last = i == len(config.rnn_units) - 1
            x = _recurrent(config, units, not (last and config.pooling == "last"), i)(x, mask=mask)
    if config.pooling != "last":
        x = MaskedPooling(config.pooling, name="pool")([x, lengths])  # (batch, features)
    if config.dense_units:
        x = layers.Dropout(config.dropout, name="dropout_hidden")(x)
        x = layers.Dense(config.dense_units, activation="relu", name="hidden")(x)
    x = layers.Dropout(config.dropout, name="dropout")(x)
    # float32 logits whatever the compute policy, so the loss is stable under mixed precision.
    logits = layers.Dense(num_classes, dtype="float32", name="logits")(x)
    return keras.Model(strokes, logits, name=f"sketch_{config.name}")
