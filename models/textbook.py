"""The textbook chorale model, rebuilt so benchmarks can run it beside ours.

Hands-On Machine Learning (2nd ed.), chapter 15, exercise 10: an embedding of size 5, four causal
Conv1D layers (32/48/64/96 filters, kernel 2, dilations 1/2/4/8, ReLU) each followed by batch
normalisation, an LSTM of 256 units and a softmax over the notes; chords flattened into four notes.
It honours the one-step contract like the other families (convolution caches + LSTM state).
"""

from __future__ import annotations

import keras
from keras import layers, ops

from seqgen.models.base import AutoregressiveModel
from seqgen.models.config import TextbookConfig


@keras.saving.register_keras_serializable(package="seqgen")
class TextbookModel(AutoregressiveModel):
    """Tokens ``(batch, time)`` -> logits ``(batch, time, vocab)``; see :mod:`models.base`."""

    xla_sampling = True  # convolution caches: many small ops per step, which XLA fuses

    def __init__(self, config: TextbookConfig, **kwargs):
        super().__init__(config, **kwargs)
        self.embed = layers.Embedding(config.vocab_size, config.embedding_dim, name="embed")
        self.convs, self.norms = [], []
        for i, filters in enumerate(config.filters):
            self.convs.append(layers.Conv1D(filters, 2, dilation_rate=2**i, padding="causal",
                                            activation="relu", name=f"conv_{i}"))
            self.norms.append(layers.BatchNormalization(name=f"bn_{i}"))
        self.lstm = layers.LSTM(config.units, return_sequences=True, name="lstm")
        self.head = layers.Dense(config.vocab_size, dtype="float32", name="head")  # logits; softmax in the loss
        self.build_now()

    def call(self, tokens, training=False):
        x = self.embed(tokens)  # (batch, time, 5)
        for conv, norm in zip(self.convs, self.norms):
            x = norm(conv(x), training=training)
        return self.head(self.lstm(x, training=training))  # (batch, time, vocab)

    def initial_state(self, batch_size: int):
        widths = [self.config.embedding_dim, *self.config.filters[:-1]]
        caches = [ops.zeros((batch_size, 2**i, w), self.compute_dtype) for i, w in enumerate(widths)]
        zeros = ops.zeros((batch_size, self.config.units), self.compute_dtype)
        return ops.convert_to_tensor(0, "int32"), caches, [zeros, zeros]

    def step(self, tokens, state):
        position, caches, lstm_state = state
        x = self.embed(tokens)  # (batch, 5)
        new_caches = []
        for i, (conv, norm, cache) in enumerate(zip(self.convs, self.norms, caches)):
            window = ops.concatenate([cache, ops.expand_dims(x, 1)], axis=1)  # (batch, 2**i + 1, width)
            taps = window[:, :: 2**i]  # (batch, 2, width): x[t - d], x[t]
            h = ops.einsum("bkc,kco->bo", taps, ops.cast(conv.kernel, x.dtype)) + ops.cast(conv.bias, x.dtype)
            x = _batch_norm_inference(norm, ops.relu(h))
            new_caches.append(window[:, 1:])
        x, lstm_state = self.lstm.cell(x, lstm_state)
        return self.head(x), (position + 1, new_caches, list(lstm_state))


def _batch_norm_inference(norm: layers.BatchNormalization, x):
    """What ``norm(x, training=False)`` computes, for ``x (batch, channels)`` (the layer wants 3-D)."""
    scale = ops.rsqrt(ops.cast(norm.moving_variance, x.dtype) + norm.epsilon) * ops.cast(norm.gamma, x.dtype)
    return (x - ops.cast(norm.moving_mean, x.dtype)) * scale + ops.cast(norm.beta, x.dtype)
