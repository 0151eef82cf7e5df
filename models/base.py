"""What every autoregressive family shares: the input embedding and the one-step contract.

Besides the full-sequence ``call`` used to train and evaluate, each family implements

* ``initial_state(batch_size) -> state`` (nested tensors), and
* ``step(tokens (batch,), state) -> (logits (batch, vocab), state)``,

so the sampler can generate at a constant cost per step without knowing the family. Feeding a
sequence through ``step`` one token at a time gives the logits ``call`` gives over the whole
sequence (``tests/test_models.py`` holds every family to it).
"""

from __future__ import annotations

import keras
from keras import layers, ops

from seqgen.models.config import ModelConfig, config_from_dict, config_to_dict


@keras.saving.register_keras_serializable(package="seqgen")
class InputEmbedding(layers.Layer):
    """Token embedding plus, when ``period > 1``, an embedding of ``position % period``.

    For chorales the period is 4 (one token per voice), so the model is told which voice it is
    predicting instead of having to count.
    """

    def __init__(self, vocab_size: int, dim: int, period: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size, self.dim, self.period = vocab_size, dim, period
        self.tokens = layers.Embedding(vocab_size, dim, name="tokens")
        self.phase = layers.Embedding(period, dim, name="phase") if period > 1 else None

    def build(self, input_shape):
        self.tokens.build(input_shape)
        if self.phase is not None:
            self.phase.build(input_shape)
        super().build(input_shape)

    def call(self, tokens):
        """``tokens (batch, time)`` starting at a multiple of the period -> ``(batch, time, dim)``."""
        x = self.tokens(tokens)
        if self.phase is not None:
            positions = ops.arange(ops.shape(tokens)[1]) % self.period
            x = x + ops.expand_dims(self.phase(positions), 0)
        return x

    def step(self, tokens, position):
        """``tokens (batch,)`` at absolute ``position`` (scalar int) -> ``(batch, dim)``."""
        x = self.tokens(tokens)
        if self.phase is not None:
            x = x + self.phase(ops.expand_dims(position % self.period, 0))
        return x

    def get_config(self):
        return {**super().get_config(), "vocab_size": self.vocab_size, "dim": self.dim, "period": self.period}


class AutoregressiveModel(keras.Model):
    """Base of the families: config (de)serialisation and the step contract."""

    def __init__(self, config: ModelConfig, **kwargs):
        super().__init__(**kwargs)
        self.config = config

    def build_now(self) -> None:
        """Create every weight eagerly (a call on one period of tokens), so loading can fill them."""
        self(ops.zeros((1, self.config.period), dtype="int32"))

    def initial_state(self, batch_size: int):
        raise NotImplementedError

    def step(self, tokens, state):
        raise NotImplementedError

    def get_config(self):
        return {"name": self.name, "config": config_to_dict(self.config)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        return cls(config_from_dict(config.pop("config")), name=config.get("name"))
