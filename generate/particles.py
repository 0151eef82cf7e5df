"""Harmonize's particle filter, inside the one sampling loop (:class:`generate.sampler.Sampler`'s ``weigh``).

The batch is the particles. After each token: the model's untempered log-probability of it adds to
the particle's log-likelihood; at a given (forced) position it also multiplies the particle's
weight; each parallel fifth or octave the token writes (:mod:`data_prep.part_writing`, the judge's
rule) takes ``penalty`` nats off the weight. When the effective sample size falls below
``resample_below`` of the particles at a given note, the particles are resampled (systematic
resampling) and the loop reorders its state and recent tokens by the returned parents; the chosen
hypothesis is read back through the parents afterwards (:func:`trace_back`). Positions at or past the
forced tokens' length (where the loop's last chunk runs on past the piece, or past the phrase that
:mod:`generate.harmonize_phrases` is filling) add nothing to the log-likelihood or the penalty.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from seqgen.data_prep import part_writing as pw
from seqgen.generate.rules import pitch_table, scorer


class ParticleFilter:
    """Weights for ``particles`` rows; the given positions are those ``forced`` pins
    (a :class:`processors.Forced`, read at run time: a new melody needs no new trace)."""

    def __init__(self, codec, forced, particles: int, resample_below: float, penalty: float):
        self.forced, self.n = forced, particles
        self.threshold, self.penalty = float(resample_below) * particles, float(penalty)
        ranges = pw.RANGES[: codec.voices] if codec.voices == 4 else [(0, 127)] * codec.voices
        parallels = ("parallel_fifths", "parallel_octaves")
        self.rules = scorer(pitch_table(codec), codec.voices, parallels, ranges) if self.penalty else None
        # The parallels are counted across a breath, as the rules do: the scorer reads that much history.
        self.history = self.rules.history if self.rules is not None else 0

    def start(self, batch: int):
        zeros = tf.zeros([batch], tf.float32)
        return zeros, zeros, zeros, tf.constant(0.0), tf.constant(0)  # log_w, log_lik, penalty, evidence, resamples

    def _parallels(self, token, context) -> tf.Tensor:
        """``(batch,)`` parallel fifths and octaves the drawn ``token`` writes."""
        return self.rules.broken(context, token)[:, 0]

    def update(self, logits, token, context, carry, seed):
        """-> ``(carry, parents (batch,))`` after ``token (batch,)`` was drawn at ``context.position``."""
        log_w, log_lik, penalty, evidence, resamples = carry
        log_p = tf.gather(tf.nn.log_softmax(tf.cast(logits, tf.float32)), token, batch_dims=1)  # (batch,) untempered
        given = self.forced.pinned(context)
        inside = context.position < self.forced.length  # the loop's chunk may run past the piece: unweighed
        log_lik += tf.where(inside, log_p, 0.0)
        log_w += tf.where(given, log_p, 0.0)
        if self.penalty:
            cost = tf.where(inside, self.penalty * self._parallels(token, context), 0.0)
            log_w, penalty = log_w - cost, penalty + cost
        weights = tf.exp(log_w - tf.reduce_max(log_w))
        ess = tf.reduce_sum(weights) ** 2 / tf.reduce_sum(weights ** 2)
        due = given & (context.position < self.forced.length - 1) & (ess < self.threshold)
        parents = tf.where(due, systematic(weights / tf.reduce_sum(weights), seed), tf.range(tf.shape(token)[0]))
        evidence += tf.where(due, log_mean_exp(log_w), 0.0)
        log_w = tf.where(due, tf.zeros_like(log_w), log_w)
        log_lik, penalty = tf.gather(log_lik, parents), tf.gather(penalty, parents)
        return (log_w, log_lik, penalty, evidence, resamples + tf.cast(due, tf.int32)), parents


def systematic(weights: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """Systematic resampling: ``(n,)`` indices, each drawn with probability ``weights (n,)`` (summing to 1)."""
    n = tf.shape(weights)[0]
    positions = (tf.random.stateless_uniform([], seed) + tf.cast(tf.range(n), tf.float32)) / tf.cast(n, tf.float32)
    index = tf.searchsorted(tf.cumsum(weights), positions, side="left", out_type=tf.int32)
    return tf.minimum(index, n - 1)


def systematic_indices(weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """:func:`systematic` in numpy, between runs of the loop (harmonize's phrase ends): ``(n,)`` indices,
    each drawn with probability ``weights (n,)`` / their sum."""
    n = len(weights)
    positions = (rng.random() + np.arange(n)) / n
    return np.minimum(np.searchsorted(np.cumsum(weights) / weights.sum(), positions), n - 1)


def log_mean_exp(x: tf.Tensor) -> tf.Tensor:
    top = tf.reduce_max(x)
    return tf.math.log(tf.reduce_mean(tf.exp(x - top))) + top


def trace_back(tokens: np.ndarray, parents: np.ndarray, row: int) -> np.ndarray:
    """The tokens ``(length,)`` of final particle ``row``, following ``parents (length, batch)`` back.

    ``tokens[b, i]`` is what row ``b`` drew at step ``i``; after it the rows were reordered so that new
    row ``k`` continues old row ``parents[i, k]``.
    """
    out = np.empty(tokens.shape[1], np.int32)
    for i in range(tokens.shape[1] - 1, -1, -1):
        row = int(parents[i, row])
        out[i] = tokens[row, i]
    return out


def trace_all(tokens: np.ndarray, parents: np.ndarray) -> np.ndarray:
    """Every final row's tokens ``(batch, length)``, following ``parents (length, batch)`` back
    (:func:`trace_back`, all rows at once: harmonize's phrase search judges them all)."""
    out = np.empty_like(tokens)
    rows = np.arange(tokens.shape[0])
    for i in range(tokens.shape[1] - 1, -1, -1):
        rows = parents[i, rows]
        out[:, i] = tokens[rows, i]
    return out


def origins(parents: np.ndarray) -> np.ndarray:
    """``(batch,)``: the row of the run's start that each final row continues, following ``parents
    (length, batch)`` back (harmonize's phrase search carries each particle's past from phrase to phrase)."""
    rows = np.arange(parents.shape[1])
    for i in range(parents.shape[0] - 1, -1, -1):
        rows = parents[i, rows]
    return rows
