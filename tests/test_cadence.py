"""Cadences on hand-made chord progressions, and the phrase search's phrase-end rule."""

import numpy as np
import pytest

from seqgen.data_prep.chorale_codec import ChoraleCodec
from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.grid import Grid
from seqgen.generate.cadence import cadence_kind, ends_on_cadence, key_in_mode, phrase_cadence
from seqgen.generate.phrase_search import PhraseConfig, _phrase_end, phrase_pieces
from seqgen.generate.sampling import SamplingConfig

# S, A, T, B in C major
I = (72, 67, 64, 48)
IV = (72, 65, 60, 53)
V = (71, 67, 62, 55)
V7 = (71, 65, 62, 55)
VI = (72, 64, 60, 57)
I6 = (72, 67, 60, 52)  # first inversion: E in the bass
I_MINOR = (72, 67, 63, 48)  # C minor tonic
I_OPEN = (72, 72, 67, 48)  # no third


def _grid(*chords, length=4) -> Grid:
    pitches = np.repeat(np.array(chords, np.int16), length, axis=0)  # (steps, 4)
    return Grid.from_pitches(pitches)


def test_authentic_cadence_v_i_and_v7_i():
    assert ends_on_cadence(_grid(I, IV, V, I), 0, "major")
    assert ends_on_cadence(_grid(I, V7, I), 0, "major")
    assert cadence_kind(_grid(I, V, I), 11, 0, "major") == "authentic"


def test_not_a_final_cadence():
    assert not ends_on_cadence(_grid(I, V, I6), 0, "major")  # inversion
    assert not ends_on_cadence(_grid(I, IV, I), 0, "major")  # plagal, not from the dominant
    assert not ends_on_cadence(_grid(I, V, I_OPEN), 0, "major")  # no third
    assert not ends_on_cadence(_grid(I, V, I, length=2), 0, "major", hold=4)  # not held
    assert not ends_on_cadence(_grid(I, V, I_MINOR), 0, "major")  # minor third in a major key


def test_minor_keys_allow_the_picardy_third():
    assert ends_on_cadence(_grid(I_MINOR, V, I_MINOR), 0, "minor")
    assert ends_on_cadence(_grid(I_MINOR, V, I), 0, "minor")


def test_cadence_kinds():
    assert cadence_kind(_grid(I, IV, V), 11, 0, "major") == "half"
    assert cadence_kind(_grid(I, IV, I), 11, 0, "major") == "plagal"
    assert cadence_kind(_grid(I, V, VI), 11, 0, "major") == "deceptive"
    assert cadence_kind(_grid(I, V, I6), 11, 0, "major") == "other"
    # V - I in G major (D7 - G) counts as an inner phrase's cadence in a related key
    g = _grid(I, (72, 66, 62, 50), (71, 67, 62, 43))
    assert cadence_kind(g, 11, 0, "major") == "half" and phrase_cadence(g, 11, 0, "major") == "half"
    e_minor = _grid(I, (71, 66, 63, 47), (71, 67, 64, 52))  # B - E minor
    assert phrase_cadence(e_minor, 11, 0, "major") == "authentic"


def test_key_in_mode_keeps_the_asked_mode():
    tonic, mode = key_in_mode(_grid(I_MINOR, V, I_MINOR), "minor")
    assert (tonic, mode) == (0, "minor")
    assert key_in_mode(_grid(I, IV, V, I), None) == (0, "major")


def test_phrase_end_needs_a_held_fermata_after_the_shortest_phrase():
    config = PhraseConfig(hold=4, min_phrase_steps=12)
    f = np.zeros(40, bool)
    f[5:7] = True  # a slip: two steps
    f[8:12] = True  # held, but too early (phrase of 12 steps ends at 11: accepted)
    assert _phrase_end(f, 0, config) == 11
    assert _phrase_end(f, 2, config) is None  # from step 2 the run ends after 10 steps: too short
    f[30:34] = True
    assert _phrase_end(f, 2, config) == 33
    f[36:] = True  # runs to the end of the window: not surely ended
    assert _phrase_end(f, 34, config) is None


def test_phrase_config_names_the_bad_value():
    with pytest.raises(SeqgenError, match="particles must be in 1..256, got 0"):
        PhraseConfig(particles=0)


def test_phrases_need_a_phrase_codec():
    with pytest.raises(SeqgenError, match="--phrases"):
        phrase_pieces(None, ChoraleCodec(40, 80), 1, SamplingConfig(), PhraseConfig(2))
