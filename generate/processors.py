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


def force(tokens, mask) -> "callable":
    """Where ``mask[position]``, only ``tokens[position]`` may be drawn (its logit 0, all others ``-inf``).

    ``tokens`` and ``mask`` are ``(length,)`` over the piece's positions (BOS not counted); positions
    at or past ``length`` are left free. The forced token is kept even if an earlier processor
    masked it, so put this one last.
    """
    tokens, mask = _as_tokens(tokens, mask, "forced tokens")
    length = len(tokens)
    ids, where = tf.constant(tokens), tf.constant(mask)

    def apply(logits: tf.Tensor, context: Context) -> tf.Tensor:
        at = tf.minimum(context.position, length - 1)
        forced = tf.logical_and(context.position < length, where[at])  # () bool
        only = tf.one_hot(ids[at], tf.shape(logits)[-1], on_value=True, off_value=False)  # (vocab,)
        pinned = tf.where(only, tf.zeros_like(logits), tf.constant(-math.inf, logits.dtype))  # (batch, vocab)
        return tf.where(forced, pinned, logits)

    return apply


def region(tokens, inside) -> "callable":
    """Infill's mask: positions ``inside`` the region are drawn freely (logits untouched), every other
    position keeps its token from ``tokens``."""
    tokens, inside = _as_tokens(tokens, inside, "region")
    return force(tokens, ~inside)
