"""WaveNet over tokens: causal dilated convolutions, gated residual blocks, skip connections.

Each residual layer computes ``z = tanh(f) * sigmoid(g)`` from one causal dilated convolution
(``f`` and ``g`` are its two halves), adds a 1x1 projection of ``z`` to the residual stream and
another to the skip sum. Dilations double per layer and the cycle repeats in blocks.

For generation each layer keeps a cache of the inputs its dilated convolution reads: the last
``(kernel_size - 1) * dilation`` positions. A step reads its taps from that cache, so its cost is the
same at step 10 and step 10,000 (fast WaveNet generation, Paine et al. 2016).
"""

from __future__ import annotations

import keras
from keras import layers, ops

from seqgen.models.base import AutoregressiveModel, InputEmbedding
from seqgen.models.config import WaveNetConfig


@keras.saving.register_keras_serializable(package="seqgen")
class GatedResidualLayer(layers.Layer):
    """One WaveNet layer: ``x (batch, time, channels)`` -> ``(residual out, skip)``."""

    def __init__(self, channels: int, skip_channels: int, kernel_size: int, dilation: int,
                 residual: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.channels, self.skip_channels = channels, skip_channels
        self.kernel_size, self.dilation = kernel_size, dilation
        self.conv = layers.Conv1D(2 * channels, kernel_size, dilation_rate=dilation, padding="causal", name="conv")
        # The last layer feeds only the skip sum: a residual projection there would get no gradient.
        self.residual = layers.Dense(channels, name="residual") if residual else None
        self.skip = layers.Dense(skip_channels, name="skip")

    def build(self, input_shape):
        self.conv.build(input_shape)
        if self.residual is not None:
            self.residual.build((*input_shape[:-1], self.channels))
        self.skip.build((*input_shape[:-1], self.channels))
        super().build(input_shape)

    @property
    def cache_length(self) -> int:
        """Past positions the dilated convolution reads besides the current one."""
        return (self.kernel_size - 1) * self.dilation

    def _gate(self, h):
        f, g = ops.split(h, 2, axis=-1)
        return ops.tanh(f) * ops.sigmoid(g)

    def _residual(self, x, z):
        return x + self.residual(z) if self.residual is not None else x

    def call(self, x):
        z = self._gate(self.conv(x))  # (batch, time, channels)
        return self._residual(x, z), self.skip(z)

    def step(self, x, cache):
        """``x (batch, channels)``, ``cache (batch, cache_length, channels)`` -> ``(out, skip, cache)``."""
        window = ops.concatenate([cache, ops.expand_dims(x, 1)], axis=1)  # (batch, cache_length + 1, channels)
        taps = window[:, :: self.dilation]  # (batch, kernel_size, channels), oldest first like the kernel
        kernel = ops.cast(self.conv.kernel, x.dtype)  # (kernel_size, channels, 2 * channels)
        h = ops.einsum("bkc,kco->bo", taps, kernel) + ops.cast(self.conv.bias, x.dtype)
        z = self._gate(h)  # (batch, channels)
        return self._residual(x, z), self.skip(z), window[:, 1:]

    def get_config(self):
        return {**super().get_config(), "channels": self.channels, "skip_channels": self.skip_channels,
                "kernel_size": self.kernel_size, "dilation": self.dilation, "residual": self.residual is not None}


@keras.saving.register_keras_serializable(package="seqgen")
class WaveNetModel(AutoregressiveModel):
    """Tokens ``(batch, time)`` -> logits ``(batch, time, vocab)``; see :mod:`models.base`."""

    xla_sampling = True  # its step is many small ops: XLA fuses them (see generate.sampler)

    def __init__(self, config: WaveNetConfig, **kwargs):
        super().__init__(config, **kwargs)
        c = config
        self.embed = InputEmbedding(c.vocab_size, c.embedding_dim, c.period, name="embed")
        self.inputs_proj = layers.Dense(c.channels, name="input_proj")
        self.stack = [
            GatedResidualLayer(c.channels, c.skip_channels, c.kernel_size, d, residual=i < len(c.dilations) - 1,
                               name=f"res_{i}_d{d}")
            for i, d in enumerate(c.dilations)
        ]
        self.drop = layers.Dropout(c.dropout)
        self.out1 = layers.Dense(c.skip_channels, activation="relu", name="out1")
        self.head = layers.Dense(c.vocab_size, dtype="float32", name="head")  # float32 logits
        self.build_now()

    def _output(self, skips, training=False):
        x = self.drop(ops.relu(skips), training=training)
        return self.head(self.out1(x))

    def call(self, tokens, training=False):
        x = self.inputs_proj(self.embed(tokens))  # (batch, time, channels)
        skips = 0
        for layer in self.stack:
            x, skip = layer(x)
            skips = skips + skip  # (batch, time, skip_channels)
        return self._output(skips, training)  # (batch, time, vocab)

    def initial_state(self, batch_size: int):
        """``(position, [per-layer caches (batch, cache_length, channels)])``, zeros = causal padding."""
        caches = [ops.zeros((batch_size, layer.cache_length, self.config.channels), self.compute_dtype)
                  for layer in self.stack]
        return ops.convert_to_tensor(0, "int32"), caches

    def step(self, tokens, state):
        position, caches = state
        x = self.inputs_proj(self.embed.step(tokens, position))  # (batch, channels)
        skips, new_caches = 0, []
        for layer, cache in zip(self.stack, caches):
            x, skip, cache = layer.step(x, cache)
            skips = skips + skip
            new_caches.append(cache)
        return self._output(skips), (position + 1, new_caches)
