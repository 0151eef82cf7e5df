"""Rhythm as Bach writes it, one lookup per token: phrase ends on whole beats, off-beat notes that last a 16th.

**Phrase ends.** In music21's chorales every fermata starts on a beat and lasts whole beats (2,012 of
2,012: 4, 8, 12, 16 or 24 sixteenths). The shipped model slips: 36-44% of its fermata runs last one
sixteenth, and the score then carries fermatas on passing sixteenths (12 marks in the 4-phrase sample of
seed 1). So at the soprano's token (a phrase end is marked there, :class:`data_prep.chorale_codec.ChoraleCodec`)
of a step inside a beat, the fermata goes on if it was on one step before and stays off if it was off; on a
beat the model decides. A run that starts on a beat therefore ends on one. The lower voices never carry the
mark (the codec writes it on the soprano only; the model put it there in 5-9% of runs).

**Off-beat sixteenths.** Of the 61,656 notes of the training chorales, every one struck on an off-beat
16th (the 2nd or 4th of a beat, 1.5% of notes) lasts one 16th. The shipped model strikes 3.1% of its notes
there and holds 1.1% of all notes on from there (syncopated 8ths, 16th-dotted 8th; dotted 8ths 8x as many
as Bach's). So a note struck on an off-beat 16th is not held on, and a "held" token of a new pitch (which
decodes as struck) is not drawn there. Measured (benchmarks/RESULTS.md, 180 pieces): the note-length
distance to Bach 0.086 -> 0.077, dotted 8ths 1.2% -> 0.3% of notes (Bach 0.15%). Also forbidding a note
to start on an off-beat 16th after a held one (Bach: 0.19% of notes do) made notes longer than Bach's
(distance 0.151) and is left off.

Each rule looks only at the voice's own token one step back, the voice and the step within the beat, so
both are one table ``(voices * beat * vocab, vocab)`` of allowed tokens, read with one gather per token.
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

STEPS_PER_BEAT = 4  # the chorale grid's 16ths per quarter: the beat a fermata starts and ends on


def bach_rhythm(codec, fermatas: bool = True, sixteenths: bool = True, beat: int = STEPS_PER_BEAT):
    """The processor for ``codec``'s grid of ``fermatas`` (phrase ends on beats; codecs that mark them) and
    off-beat ``sixteenths``; None when neither applies."""
    fermatas = fermatas and bool(getattr(codec, "phrases", False))
    if not (fermatas or sixteenths):
        return None
    voices = codec.voices
    table = tf.constant(allowed(codec, fermatas, sixteenths, beat).reshape(-1, codec.vocab_size))

    def apply(logits: tf.Tensor, context) -> tf.Tensor:
        step = context.position // voices
        phase = tf.math.floormod(context.position, voices) * beat + tf.math.floormod(step, beat)  # () voice, 16th
        keep = tf.gather(table, phase * codec.vocab_size + context.recent[:, -voices])  # (batch, vocab)
        return tf.where(keep, logits, tf.constant(-math.inf, logits.dtype))

    apply.history = voices  # the last step's tokens; the voice's own is the oldest of them when it is drawn
    return apply


def allowed(codec, fermatas: bool, sixteenths: bool, beat: int = STEPS_PER_BEAT) -> np.ndarray:
    """``(voices, beat, vocab, vocab)`` bool: may a token (last axis) follow the voice's token one step back
    (third axis), for the voice and the 16th within the beat (first two)."""
    out = np.ones((codec.voices, beat, codec.vocab_size, codec.vocab_size), bool)
    if fermatas:
        under = codec.phrase_end_ids()  # (vocab,) fermata tokens
        out[1:] &= ~under  # the lower voices never carry the mark
        out[0, 1:] &= under[:, None] == under[None, :]  # inside a beat the soprano's mark stays as it was
    if sixteenths:
        held, struck, pitch = codec.held_ids(), codec.struck_ids(), codec.pitch_groups()
        goes_on = held[None, :] & (held | struck)[:, None] & (pitch[:, None] == pitch[None, :])  # (before, token)
        out[:, 1::2] &= ~(held[None, :] & ~goes_on)  # no note starts on an off-beat by a "held" new pitch
        out[:, 0::2] &= ~(struck[:, None] & goes_on)  # a note struck on the off-beat before is not held on
    return out

