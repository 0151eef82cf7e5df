"""LSTM and GRU language models: embedding, stacked recurrent layers, dense head.

Layer settings stay cuDNN-eligible (default activations, no recurrent dropout, ``unroll=False``,
GRU ``reset_after=True``) so Keras picks the fused GPU kernels when a GPU is there. Generation
reuses the same weights through each layer's cell, one step at a time.
"""

from __future__ import annotations

import keras
from keras import layers, ops

from seqgen.models.base import AutoregressiveModel, InputEmbedding
from seqgen.models.config import RNNConfig


@keras.saving.register_keras_serializable(package="seqgen")
class RNNModel(AutoregressiveModel):
    """Tokens ``(batch, time)`` -> logits ``(batch, time, vocab)``; see :mod:`models.base`."""

    def __init__(self, config: RNNConfig, **kwargs):
        super().__init__(config, **kwargs)
        rnn = layers.LSTM if config.cell == "lstm" else layers.GRU
        self.embed = InputEmbedding(config.vocab_size, config.embedding_dim, config.period, name="embed")
        self.rnns = [rnn(config.units, return_sequences=True, name=f"{config.cell}_{i}") for i in range(config.layers)]
        self.drop = layers.Dropout(config.dropout)
        # float32 logits even under mixed precision, so the softmax stays accurate.
        self.head = layers.Dense(config.vocab_size, dtype="float32", name="head")
        self.build_now()

    def call(self, tokens, training=False):
        x = self.embed(tokens)  # (batch, time, embedding)
        for rnn in self.rnns:
            x = self.drop(rnn(x, training=training), training=training)  # (batch, time, units)
        return self.head(x)  # (batch, time, vocab)

    def initial_state(self, batch_size: int):
        """``(position, [per-layer states])``: LSTM states are ``[h, c]``, GRU ``[h]``, each ``(batch, units)``."""
        zeros = ops.zeros((batch_size, self.config.units), dtype=self.compute_dtype)
        per_layer = [[zeros, zeros] if self.config.cell == "lstm" else [zeros] for _ in self.rnns]
        return ops.convert_to_tensor(0, "int32"), per_layer

    def step(self, tokens, state):
        """``tokens (batch,)`` -> ``(logits (batch, vocab), state)`` at a cost independent of the history."""
        position, per_layer = state
        x = self.embed.step(tokens, position)  # (batch, embedding)
        new_states = []
        for rnn, layer_state in zip(self.rnns, per_layer):
            x, layer_state = rnn.cell(x, layer_state)
            new_states.append(list(layer_state) if isinstance(layer_state, (list, tuple)) else [layer_state])
        return self.head(x), (position + 1, new_states)
