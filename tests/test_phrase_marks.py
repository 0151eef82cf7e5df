"""The fermata processor on hand-made tokens: inside a beat the soprano's fermata stays as it was one
step before; on a beat the logits are left alone; the lower voices never take a fermata token."""

import math

import numpy as np
import tensorflow as tf

from seqgen.data_prep.chorale_codec import ChoraleCodec
from seqgen.generate.phrase_marks import fermata_beats
from seqgen.generate.processors import Context

CODEC = ChoraleCodec(60, 62, phrases=True)  # plain notes 2-7, fermata notes 8-13, modes 14-15
PLAIN, UNDER = 3, 9  # a struck C4, plain and under a fermata


def drawn(step: int, voice: int, soprano_before: int) -> np.ndarray:
    """The logits (all 0 before) for ``voice`` of ``step`` after a step whose soprano was ``soprano_before``."""
    recent = [soprano_before, PLAIN, PLAIN, PLAIN][voice:] + [PLAIN] * voice  # the last 4 tokens, oldest first
    context = Context(tf.constant(4 * step + voice), tf.constant([recent], tf.int32))
    return fermata_beats(CODEC)(tf.zeros([1, CODEC.vocab_size]), context).numpy()[0]


def test_inside_a_beat_a_fermata_goes_on():
    out = drawn(5, 0, UNDER)
    assert np.isfinite(out[8:14]).all() and (out[:8] == -math.inf).all() and (out[14:] == -math.inf).all()


def test_inside_a_beat_no_fermata_starts():
    out = drawn(6, 0, PLAIN)
    assert (out[8:14] == -math.inf).all() and (out[:8] == 0).all()


def test_on_a_beat_the_model_decides_and_the_lower_voices_carry_no_fermata():
    assert (drawn(8, 0, UNDER) == 0).all() and (drawn(8, 0, PLAIN) == 0).all()
    lower = drawn(5, 2, UNDER)
    assert (lower[:8] == 0).all() and (lower[8:14] == -math.inf).all()


def test_after_the_start_token_no_fermata_starts_off_the_beat():
    context = Context(tf.constant(4 * 3), tf.fill([1, 4], CODEC.mode_ids[0]))  # step 3's soprano, a start token before
    out = fermata_beats(CODEC)(tf.zeros([1, CODEC.vocab_size]), context).numpy()[0]
    assert (out[8:14] == -math.inf).all() and (out[2:8] == 0).all()


def test_a_codec_without_phrase_ends_gets_no_processor():
    assert fermata_beats(ChoraleCodec(60, 62)) is None
