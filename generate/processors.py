"""History-aware logits processors: what the one sampling loop tells them, and forced tokens.

As transformers' ``LogitsProcessor`` sees the ids so far, a processor here is called inside the
compiled loop (:class:`generate.sampler.Sampler`, no Python per step) as
``processor(logits, context)``, ``logits (batch, vocab)`` -> same shape, with a :class:`Context`:
the position of the token being drawn and the recent tokens. The strategies of
:mod:`generate.sampling` (temperature, top-k, top-p, forbidden ids) ignore the context; forced
tokens (:func:`force`, harmonize's given voice), region masks (:func:`region`, infill) and the
part-writing rules (:mod:`generate.rules`) read it, and all compose with :func:`sampling.compose`.
A processor that reads ``H`` recent tokens carries ``history = H``; the loop then keeps that many.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import tensorflow as tf

from seqgen.data_prep.errors import SeqgenError


class Context(NamedTuple):
    """Where the loop stands when a token is drawn (all tensors, built inside the compiled loop)."""

    position: tf.Tensor  # () int32: index of the token being drawn in the piece, BOS not counted
    recent: tf.Tensor  # (batch, H) int32: the H tokens before it, oldest first (BOS before the piece starts)

    def voice(self, period: int, phase: int = 0) -> tf.Tensor:
        """() int32: the voice of the token drawn, for grid codecs of ``period`` tokens per step."""
        return tf.math.floormod(self.position - phase, period)


def _as_tokens(tokens, mask, what: str) -> tuple[np.ndarray, np.ndarray]:
    tokens, mask = np.asarray(tokens), np.asarray(mask)
    if tokens.ndim != 1 or mask.shape != tokens.shape or mask.dtype != bool:
        raise SeqgenError(f"{what}: need tokens (length,) and a bool mask of the same shape, got "
                          f"{tokens.shape} {tokens.dtype} and {mask.shape} {mask.dtype}")
    if tokens.size == 0 or not np.issubdtype(tokens.dtype, np.integer) or (tokens[mask] < 0).any():
        raise SeqgenError(f"{what}: tokens must be a non-empty row of integer ids >= 0, got {tokens[:8]!r}...")
    return tokens.astype(np.int32), mask


class Forced:
    """Where ``mask[position]``, only ``tokens[position]`` may be drawn (its logit 0, all others ``-inf``).

    ``tokens`` and ``mask`` are ``(length,)`` over the piece's positions (BOS not counted); positions
    at or past ``length`` are left free. The forced token is kept even if an earlier processor
    masked it, so put this one last. They live in variables of ``capacity`` positions, so
    :meth:`assign` gives a compiled loop new tokens (the next melody) without tracing it again.
    """

    def __init__(self, tokens, mask, capacity: int | None = None):
        tokens, mask = _as_tokens(tokens, mask, "forced tokens")
        self.capacity = max(int(capacity or 0), len(tokens))
        self.ids = tf.Variable(tf.zeros([self.capacity], tf.int32), trainable=False)
        self.where = tf.Variable(tf.zeros([self.capacity], tf.bool), trainable=False)
        self.length = tf.Variable(0, trainable=False)
        self.assign(tokens, mask)

    def assign(self, tokens, mask) -> None:
        """Force ``tokens`` where ``mask`` from now on (at most ``capacity`` positions)."""
        tokens, mask = _as_tokens(tokens, mask, "forced tokens")
        if len(tokens) > self.capacity:
            raise SeqgenError(f"forced tokens: {len(tokens)} positions, more than the capacity {self.capacity}")
        pad = self.capacity - len(tokens)
        self.ids.assign(np.pad(tokens, (0, pad)))
        self.where.assign(np.pad(mask, (0, pad)))
        self.length.assign(len(tokens))

    def pinned(self, context: Context) -> tf.Tensor:
        """() bool: whether the token at ``context.position`` is forced."""
        at = tf.minimum(context.position, self.capacity - 1)
        return tf.logical_and(context.position < self.length, self.where[at])

    def pin(self, logits: tf.Tensor, context: Context) -> tf.Tensor:
        """The forced token's logits: 0 for it, ``-inf`` for every other (whatever ``logits`` held)."""
        at = tf.minimum(context.position, self.capacity - 1)
        only = tf.one_hot(self.ids[at], tf.shape(logits)[-1], on_value=True, off_value=False)  # (vocab,)
        return tf.where(only[None, :], tf.zeros_like(logits), tf.constant(-math.inf, logits.dtype))  # (batch, vocab)

    def __call__(self, logits: tf.Tensor, context: Context) -> tf.Tensor:
        return tf.where(self.pinned(context), self.pin(logits, context), logits)


def force(tokens, mask) -> Forced:
    """A :class:`Forced` processor for ``tokens`` where ``mask``."""
    return Forced(tokens, mask)


def region(tokens, inside) -> "callable":
    """Infill's mask: positions ``inside`` the region are drawn freely (logits untouched), every other
    position keeps its token from ``tokens``."""
    tokens, inside = _as_tokens(tokens, inside, "region")
    return force(tokens, ~inside)
