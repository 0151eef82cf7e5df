"""The part-writing rules as lookup tables, built in numpy once per processor: a few gathers per token.

:func:`generate.rules.violations` evaluates :mod:`data_prep.part_writing`'s functions on ``(batch,
voices, vocab)`` tensors for every token: 100-240 small ops, which cost more than a small LSTM step
inside the sampling loop. But a pair rule is a function of four pitches only (``u0, l0, u1, l1``:
the upper and lower voice at steps ``t - 1`` and ``t``), and a chorale vocabulary holds few pitches
(``P``: 47 with silence for the shipped model), so here the very same functions are evaluated on
every combination of pitches, and the loop looks the counts up.

The table ``(rows, P)`` uint8 holds, for each candidate pitch, the number of the chosen rules broken:

- pair rows: ``block * P**3 + (u0 * P + l0) * P + u1``, one block per distinct ``pw.pair_flags``
  (which pair rules apply to the pair: adjacent, outer, spaced voices);
- voice rows: ``base + v * P + l0``: the melodic move from ``l0`` and the range of voice ``v``;
- one zero row, where a pair is not decided yet (voice ``u`` not above the voice drawn).

A token's rows are an affine function of the pitch indices of step ``t - 1`` and of step ``t`` so far
(:class:`processors.Context`), one matrix per voice drawn: a gather, a matmul, a gather of rows, a sum.
With ``look_back``, step ``t - 1`` is the nearest of that many steps before ``t`` in which a voice sounds
(:func:`generate.rules.across_rests`, here fused into the same gathers: one gather of the history's
pitch indices, an argmax over its steps).
"""

from __future__ import annotations

import functools

import numpy as np
import tensorflow as tf

from seqgen.data_prep import part_writing as pw

MAX_ENTRIES = 1 << 26  # bytes of the pair blocks (P = 63 for 4 voices); wider pitch sets keep the formula


@functools.lru_cache(maxsize=2)
def pair_bits(pitches: tuple, flags: tuple) -> np.ndarray:
    """``(len(flags), P, P, P, P)`` uint8 over ``(flags, u0, l0, u1, l1)``: bit ``r`` set where
    ``pw.PAIR_RULES[r]`` is broken (``pitches`` the ``P`` MIDI pitches, ``flags`` ``(adjacent, outer, spaced)``s).
    Shared by every rule subset; the bits are part_writing's own functions on broadcast grids."""
    p, n = np.asarray(pitches, np.int32), len(pitches)
    grids = [p.reshape([1] + [n if axis == k else 1 for axis in range(4)]) for k in range(4)]  # (1, P, 1, 1, 1) ...
    adjacent, outer, spaced = (np.array(f, bool).reshape(-1, 1, 1, 1, 1) for f in zip(*flags))  # (C, 1, 1, 1, 1)
    broken = pw.pair_rules(*grids, adjacent, outer, spaced)
    bits = np.zeros((len(flags),) + (n,) * 4, np.uint8)
    for r, name in enumerate(pw.PAIR_RULES):
        bits |= broken[name].astype(np.uint8) << r
    return bits


def _count_lut(rules: tuple) -> np.ndarray:
    """``(256,)`` uint8: how many of ``rules`` a :func:`pair_bits` byte sets."""
    chosen = [r for r, name in enumerate(pw.PAIR_RULES) if name in rules]
    return np.array([sum((m >> r) & 1 for r in chosen) for m in range(256)], np.uint8)


def _voice_rows(p: np.ndarray, rules: tuple, ranges: np.ndarray) -> np.ndarray:
    """``(voices * P, P)`` uint8 over ``(v, l0)`` x candidate: the voice rules broken by voice ``v``
    moving from ``l0`` to the candidate."""
    p0, p1 = p[:, None], p[None, :]  # (P, 1), (1, P)
    rows = []
    for low, high in ranges:
        count = np.zeros((len(p), len(p)), np.uint8)
        if "augmented_leaps" in rules:
            count += pw.augmented_leap(p0, p1)
        if "out_of_range" in rules:
            count += pw.out_of_range(p1, low, high)  # broadcast over l0
        rows.append(count)
    return np.concatenate(rows)


class RuleTables:
    """Counts of the ``rules`` broken, looked up: ``counts(context)`` for every candidate token,
    ``broken(context, tokens)`` for drawn ones; equal to :func:`generate.rules.violations`."""

    def __init__(self, table: np.ndarray, voices: int, rules: tuple, ranges, look_back: int = 1):
        """``table (vocab,)``: each token's MIDI pitch (0: none); ``ranges (voices, 2)``; ``look_back``:
        steps searched back for the last chord sounding (1: step ``t - 1`` as it is)."""
        pitches = np.unique(np.append(table, 0))  # (P,) sorted, 0 (silence) first
        n, ranges = len(pitches), np.asarray(ranges, np.int64).reshape(voices, 2)
        self.voices, self.size, self.look_back = voices, n, int(look_back)
        self.history = (self.look_back + 1) * voices  # recent tokens read
        pairs = [(v, d) for v in range(voices) for d in range(1, v + 1)]  # voice drawn, voices back to the upper one
        flags = {pair: pw.pair_flags(pair[0] - pair[1], pair[0], voices) for pair in pairs}
        combos = tuple(sorted(set(flags.values())))
        bits = pair_bits(tuple(int(p) for p in pitches), combos) if combos else np.zeros((0, n), np.uint8)
        counts = _count_lut(rules)[bits].reshape(-1, n)  # (blocks * P**3, P)
        base = len(counts)  # first voice row
        rows = np.concatenate([counts, _voice_rows(pitches, rules, ranges), np.zeros((1, n), np.uint8)])
        self.table = tf.constant(rows)  # (rows, P) uint8
        self.flat = tf.reshape(self.table, [-1])
        self.index = tf.constant(np.searchsorted(pitches, table).astype(np.int32))  # (vocab,) token -> pitch index
        block = {pair: combos.index(flags[pair]) for pair in pairs}
        weights, bias = self._affine(block, base, len(rows) - 1)
        self.weights, self.bias = tf.constant(weights), tf.constant(bias)

    def _affine(self, block: dict, base: int, zero: int) -> tuple[np.ndarray, np.ndarray]:
        """``(voices, 2V, V)`` and ``(voices, V)`` int32: row = pitch indices @ weights[v] + bias[v], the
        indices those of step ``t - 1``'s voices then step ``t``'s (:meth:`_window`).

        Column ``j < V - 1`` is the pair ``d = V - 1 - j`` voices up: ``u0`` (voice ``v - d`` at ``t - 1``),
        ``l0`` (voice ``v`` at ``t - 1``), ``u1`` (voice ``v - d`` at ``t``); column ``V - 1`` the voice row."""
        voices, n = self.voices, self.size
        weights = np.zeros((voices, 2 * voices, voices), np.int32)
        bias = np.full((voices, voices), zero, np.int32)
        for v in range(voices):
            for j in range(voices - 1):
                d = voices - 1 - j
                if d <= v:
                    weights[v, v - d, j], weights[v, v, j], weights[v, voices + v - d, j] = n * n, n, 1
                    bias[v, j] = block[(v, d)] * n ** 3
            weights[v, v, voices - 1], bias[v, voices - 1] = 1, base + v * n
        return weights, bias

    def _columns(self, width: int) -> np.ndarray:
        """``(voices, look_back + 1, voices)`` int32: for the voice drawn, where in a history of ``width``
        tokens step ``t``'s voices (row 0; voices not drawn yet point anywhere: their weights are 0) and
        steps ``t - 1 ... t - look_back`` (rows 1...) sit."""
        voices, k = self.voices, np.arange(self.look_back + 1)[:, None]
        if width < self.history:
            raise ValueError(f"the rules read {self.history} recent tokens, the loop keeps {width}")
        cols = [width - v - k * voices + np.arange(voices)[None, :] for v in range(voices)]
        return np.minimum(np.stack(cols), width - 1).astype(np.int32)  # a constant of the traced graph

    def _window(self, context, v: tf.Tensor) -> tf.Tensor:
        """``(batch, 2 * voices)`` pitch indices: the last chord sounding before step ``t`` (the nearest of
        ``look_back`` steps with a voice sounding; step ``t - 1`` when none does), then step ``t`` so far;
        ``v``: the voice drawn."""
        columns = tf.gather(self._columns(context.recent.shape[1]), v)
        steps = tf.gather(tf.gather(self.index, context.recent), columns, axis=1)
        # steps (batch, look_back + 1, voices); pitch index 0 is silence
        sounding = tf.cast(tf.reduce_max(steps[:, 1:], axis=-1) > 0, tf.int32)  # (batch, look_back)
        nearest = tf.argmax(sounding, axis=1, output_type=tf.int32) + 1  # 1 (t - 1) when none sounds
        before = tf.gather(steps, nearest, axis=1, batch_dims=1)  # (batch, voices)
        return tf.concat([before, steps[:, 0]], axis=1)

    def _rows(self, context) -> tf.Tensor:
        """``(batch, voices)`` int32: the table rows deciding the token at ``context.position``."""
        v = context.voice(self.voices)
        return tf.linalg.matmul(self._window(context, v), tf.gather(self.weights, v)) + tf.gather(self.bias, v)

    def counts(self, context) -> tf.Tensor:
        """``(batch, vocab)`` float32: the rules each candidate token breaks."""
        per_pitch = tf.reduce_sum(tf.cast(tf.gather(self.table, self._rows(context)), tf.float32), axis=1)  # (batch, P)
        return tf.gather(per_pitch, self.index, axis=1)

    def broken(self, context, tokens: tf.Tensor) -> tf.Tensor:
        """``(batch, 1)`` float32: the rules ``tokens (batch,)`` broke."""
        at = self._rows(context) * self.size + tf.gather(self.index, tokens)[:, None]  # (batch, voices)
        return tf.reduce_sum(tf.cast(tf.gather(self.flat, at), tf.float32), axis=1, keepdims=True)


def fits(table: np.ndarray, voices: int) -> bool:
    """Whether the pair blocks for ``table``'s pitches stay within :data:`MAX_ENTRIES` bytes."""
    n = len(np.unique(np.append(table, 0)))
    combos = {pw.pair_flags(v - d, v, voices) for v in range(voices) for d in range(1, v + 1)}
    return max(len(combos), 1) * n ** 4 <= MAX_ENTRIES
