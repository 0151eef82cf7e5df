"""Phrase ends as Bach writes them: a processor keeping the soprano's fermata tokens on whole beats.

In music21's chorales every fermata starts on a beat and lasts whole beats (2,012 of 2,012: 4, 8, 12,
16 or 24 sixteenths). The shipped model slips: 36-44% of its fermata runs last one sixteenth, and
the score then carries fermatas on passing sixteenths (12 marks in the 4-phrase sample of seed 1).
So at the soprano's token (a phrase end is marked there, :class:`data_prep.chorale_codec.ChoraleCodec`)
of a step inside a beat, the fermata goes on if it was on one step before and stays off if it was
off; on a beat the model decides. A run that starts on a beat therefore ends on one. The lower voices
never carry the mark (the codec writes it on the soprano only; the model put it there in 5-9% of runs).
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

STEPS_PER_BEAT = 4  # the chorale grid's 16ths per quarter: the beat a fermata starts and ends on


def fermata_beats(codec, beat: int = STEPS_PER_BEAT):
    """The processor for ``codec`` (a chorale codec with phrase ends), or None for a codec without them."""
    if not getattr(codec, "phrases", False):
        return None
    voices = codec.voices
    ids = np.arange(codec.vocab_size)
    under = tf.constant((ids >= codec.fermata_start) & (ids < codec.mode_ids[0]))  # (vocab,) fermata tokens

    def apply(logits: tf.Tensor, context) -> tf.Tensor:
        soprano = tf.equal(tf.math.floormod(context.position, voices), 0)
        on_beat = tf.equal(tf.math.floormod(context.position // voices, beat), 0)
        was = tf.gather(under, context.recent[:, -voices])  # (batch,): the soprano one step back (BOS: no)
        same = tf.equal(under[None, :], was[:, None])  # (batch, vocab): keeps the fermata as it was
        keep = tf.where(soprano, tf.logical_or(on_beat, same), tf.logical_not(under)[None, :])
        return tf.where(keep, logits, tf.constant(-math.inf, logits.dtype))

    apply.history = voices  # the last step's tokens; the soprano's is the oldest of them when it is drawn
    return apply
