"""The rhythm processor on hand-made tokens: inside a beat the soprano's fermata stays as it was one
step before; on a beat the logits are left alone; the lower voices never take a fermata token; a note
struck on an off-beat 16th is not held on, and none starts there as a "held" new pitch."""

import math

import numpy as np
import tensorflow as tf

from seqgen.data_prep.chorale_codec import ChoraleCodec
from seqgen.generate.phrase_marks import bach_rhythm
from seqgen.generate.processors import Context

CODEC = ChoraleCodec(60, 62, phrases=True)  # plain notes 2-7, fermata notes 8-13, modes 14-15
PLAIN, UNDER = 3, 9  # a struck C4, plain and under a fermata


def drawn(step: int, voice: int, soprano_before: int) -> np.ndarray:
    """The logits (all 0 before) for ``voice`` of ``step`` after a step whose soprano was ``soprano_before``."""
    recent = [soprano_before, PLAIN, PLAIN, PLAIN][voice:] + [PLAIN] * voice  # the last 4 tokens, oldest first
    context = Context(tf.constant(4 * step + voice), tf.constant([recent], tf.int32))
    return bach_rhythm(CODEC, sixteenths=False)(tf.zeros([1, CODEC.vocab_size]), context).numpy()[0]


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
    out = bach_rhythm(CODEC, sixteenths=False)(tf.zeros([1, CODEC.vocab_size]), context).numpy()[0]
    assert (out[8:14] == -math.inf).all() and (out[2:8] == 0).all()


def test_a_codec_without_phrase_ends_gets_no_processor():
    assert bach_rhythm(ChoraleCodec(60, 62), sixteenths=False) is None


HELD_C, STRUCK_C, HELD_CS, STRUCK_CS, HELD_D, STRUCK_D, SILENT = 2, 3, 4, 5, 6, 7, 1


def allowed_after(before: int, step: int, voice: int = 2, fermatas: bool = False) -> set[int]:
    """The tokens left for ``voice`` of ``step`` when that voice's token one step back was ``before``."""
    recent = [before, STRUCK_C, STRUCK_C, STRUCK_C]  # the last 4 tokens: the oldest is this voice's, one step back
    context = Context(tf.constant(4 * step + voice), tf.constant([recent], tf.int32))
    processor = bach_rhythm(CODEC, fermatas=fermatas, sixteenths=True)
    out = processor(tf.zeros([1, CODEC.vocab_size]), context).numpy()[0]
    return set(np.flatnonzero(np.isfinite(out)).tolist())


NOTES = {HELD_C, STRUCK_C, HELD_CS, STRUCK_CS, HELD_D, STRUCK_D}


def test_on_an_off_beat_16th_a_note_starts_only_as_a_struck_token():
    for step in (5, 7):  # the 2nd and 4th 16th of a beat
        left = allowed_after(HELD_C, step)
        assert {HELD_C, SILENT, STRUCK_C, STRUCK_D} <= left  # held on, ended, struck again or moved
        assert not left & {HELD_CS, HELD_D}  # a "held" new pitch (decoded as struck, then looking held on)


def test_a_note_struck_on_an_off_beat_lasts_one_16th():
    assert HELD_C not in allowed_after(STRUCK_C, 6) and HELD_C not in allowed_after(STRUCK_C, 8)
    assert {STRUCK_C, HELD_D, STRUCK_D, SILENT} <= allowed_after(STRUCK_C, 6)  # struck again, moved, or a rest


def test_16th_runs_and_everything_on_the_beat_stay_free():
    assert {STRUCK_C, HELD_C, STRUCK_D} <= allowed_after(STRUCK_C, 5)  # after a struck note: a 16th pair, or held on
    assert NOTES <= allowed_after(HELD_C, 4) and NOTES <= allowed_after(HELD_C, 6)  # a beat, its middle 8th
    assert NOTES <= allowed_after(HELD_D, 4, voice=0)


def test_both_rules_at_once_under_a_fermata_on_an_off_beat_16th():
    held_under = CODEC.fermata_start  # the held C under a fermata; its struck C, C#, D follow
    assert allowed_after(held_under, 5, voice=0, fermatas=True) == {held_under} | {held_under + k for k in (1, 3, 5)}


def test_the_processor_is_one_table_per_voice_and_16th():
    from seqgen.generate.phrase_marks import allowed

    table = allowed(CODEC, fermatas=True, sixteenths=True)
    assert table.shape == (4, 4, CODEC.vocab_size, CODEC.vocab_size) and not table.all()
    assert bach_rhythm(ChoraleCodec(60, 62), fermatas=True, sixteenths=False) is None
