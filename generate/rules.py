"""Part-writing rules as logits processors for the chorale grid (tokens S, A, T, B per 16th-note step).

The rule for voice ``v`` at step ``t`` sees voices ``< v`` of step ``t`` and all voices of step ``t - 1``
(the last ``2 * voices`` tokens, :class:`processors.Context`), and scores every candidate token at
once: ``(batch, vocab)`` violations of :mod:`data_prep.part_writing` (the very functions ``seqgen
judge`` counts with). ``strict`` masks a candidate that breaks more rules than the best candidate
left (so when every candidate breaks one, the least bad stay); ``soft`` takes ``penalty`` nats off a
candidate's logit per violation; ``off`` leaves the logits alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from seqgen.data_prep import part_writing as pw
from seqgen.data_prep.errors import SeqgenError

MODES = ("strict", "soft", "off")
ALL_RULES = pw.PAIR_RULES + pw.VOICE_RULES


@dataclass(frozen=True)
class RulesConfig:
    """Part-writing rules while sampling; validated in ``__post_init__``."""

    mode: str = "strict"  # strict: mask rule-breaking notes unless all break one; soft: penalise; off
    penalty: float = 3.0  # nats off a note's logit per violation, with soft
    rules: tuple = ALL_RULES  # which of part_writing's rules apply

    def __post_init__(self):
        if self.mode not in MODES:
            raise SeqgenError(f"--rules must be one of {', '.join(MODES)}, got {self.mode!r}")
        if not (isinstance(self.penalty, (int, float)) and math.isfinite(self.penalty) and self.penalty >= 0):
            raise SeqgenError(f"--rule-penalty must be a finite number >= 0 (nats), got {self.penalty!r}")
        unknown = [r for r in self.rules if r not in ALL_RULES]
        if unknown or not self.rules:
            raise SeqgenError(f"rules must be some of {', '.join(ALL_RULES)}, got {self.rules!r}")


def pitch_table(codec) -> np.ndarray:
    """``(vocab,)`` MIDI pitch of each token (0: not a note), read through the codec's own decoder."""
    steps = np.repeat(np.arange(codec.vocab_size), codec.voices)  # each token as one whole step
    return codec.decode(steps).pitches[:, 0].astype(np.int32)


def violations(context, table: tf.Tensor, voices: int, rules: tuple, ranges: tf.Tensor,
               tokens: tf.Tensor | None = None) -> tf.Tensor:
    """``(batch, vocab)`` float32: rules each candidate token breaks, at ``context``'s position; with
    ``tokens (batch,)``, ``(batch, 1)``: the rules those tokens broke (the particle filter's penalty)."""
    v = context.voice(voices)
    pitches = tf.gather(table, context.recent)  # (batch, 2 * voices)
    u = tf.range(voices)
    prev = tf.gather(pitches, voices - v + u, axis=1)  # (batch, voices): step t - 1
    cur = tf.gather(pitches, tf.minimum(2 * voices - v + u, 2 * voices - 1), axis=1)  # voices < v of step t
    upper = (u < v)[None, :, None]  # (1, voices, 1): the pairs (u above v) decided now
    flags = ((u == v - 1)[None, :, None], tf.logical_and(u == 0, v == voices - 1)[None, :, None],
             tf.logical_and(u == v - 1, v <= 2)[None, :, None])
    cand = table[None, None, :] if tokens is None else tf.gather(table, tokens)[:, None, None]  # (1 or batch, 1, K)
    l0 = tf.gather(prev, v, axis=1)[:, None, None]  # (batch, 1, 1)
    broken = pw.pair_rules(prev[:, :, None], l0, cur[:, :, None], cand, *flags)  # each (batch, voices, vocab)
    total = tf.zeros_like(tf.cast(broken["spacing"][:, 0], tf.float32))  # (batch, vocab)
    for name in rules:
        if name in broken:
            total += tf.reduce_sum(tf.cast(tf.logical_and(broken[name], upper), tf.float32), axis=1)
    if "augmented_leaps" in rules:
        total += tf.cast(pw.augmented_leap(l0[:, 0], cand[:, 0]), tf.float32)
    if "out_of_range" in rules:
        low, high = ranges[v, 0], ranges[v, 1]
        total += tf.cast(pw.out_of_range(cand[:, 0], low, high), tf.float32)
    return total


def part_writing(codec, config: RulesConfig = RulesConfig()):
    """The processor for ``config`` on ``codec``'s grid (four voices), or None when ``config.mode`` is off."""
    if config.mode == "off":
        return None
    if codec.voices != len(pw.RANGES):
        raise SeqgenError(f"part-writing rules need {len(pw.RANGES)} voices, the model writes {codec.voices}; "
                          "use --rules off")
    table, ranges = tf.constant(pitch_table(codec)), tf.constant(pw.RANGES, tf.int32)
    voices, rules, penalty = codec.voices, tuple(config.rules), float(config.penalty)

    def apply(logits: tf.Tensor, context) -> tf.Tensor:
        counts = violations(context, table, voices, rules, ranges)  # (batch, vocab)
        if config.mode == "soft":
            return logits - tf.cast(penalty * counts, logits.dtype)
        finite = logits > tf.constant(-math.inf, logits.dtype)
        best = tf.reduce_min(tf.where(finite, counts, math.inf), axis=-1, keepdims=True)  # (batch, 1)
        return tf.where(tf.logical_and(finite, counts <= best), logits, tf.constant(-math.inf, logits.dtype))

    apply.history = 2 * voices
    return apply
