"""seqgen judge: each part-writing rule counted exactly on hand-made chords, distances, files and CLI."""

import json

import numpy as np
import pytest

from seqgen.data_prep import music_metrics as mm
from seqgen.data_prep.grid import Grid
from seqgen.generate.midi_writer import grid_to_midi
from seqgen.generate.score_writer import grid_to_musicxml
from tests.cli_helpers import assert_one_line_error, run

RULE_NAMES = mm.RULES


def chords(*sonorities, hold: int = 4) -> Grid:
    """Each S/A/T/B sonority held for ``hold`` steps."""
    return Grid.from_pitches(np.repeat(np.array(sonorities, np.int16), hold, axis=0), name="hand")


CASES = {  # two sonorities -> the one rule they break
    "parallel_fifths": ([67, 64, 55, 48], [69, 65, 55, 50]),  # soprano-bass G/C -> A/D, both up
    "parallel_octaves": ([72, 64, 55, 48], [74, 65, 55, 50]),  # soprano-bass C/C -> D/D
    "hidden_fifths": ([64, 60, 55, 48], [69, 60, 55, 50]),  # outer voices up into a fifth, soprano leaps
    "hidden_octaves": ([64, 60, 55, 48], [74, 63, 55, 50]),  # outer voices up into an octave, soprano leaps
    "voice_crossing": ([67, 60, 57, 48], [67, 58, 59, 48]),  # tenor above alto
    "voice_overlap": ([67, 64, 57, 48], [63, 60, 57, 48]),  # soprano below where the alto was
    "spacing": ([72, 64, 55, 48], [79, 64, 55, 48]),  # soprano-alto a tenth apart
}


@pytest.mark.parametrize("rule", list(CASES))
def test_each_rule_is_counted_exactly_once(rule):
    counts = mm.rule_counts(chords(*CASES[rule]))
    assert counts["transitions"] == 6  # six voice pairs, one transition
    assert {name: counts[name] for name in RULE_NAMES} == {name: int(name == rule) for name in RULE_NAMES}
    assert mm.rates(counts)[rule] == pytest.approx(100 / 6)


def test_parallel_moves_agree_with_the_rule_counts():
    prev = np.array([CASES[r][0] for r in CASES] + [[67, 64, 55, 0]])  # (cases, 4); the last has a silent bass
    now = np.array([CASES[r][1] for r in CASES] + [[69, 65, 55, 50]])
    expected = [int(r.startswith("parallel")) for r in CASES] + [0]
    np.testing.assert_array_equal(mm.parallel_moves(prev, now), expected)


def test_good_voice_leading_breaks_nothing_and_repeats_count_each_time():
    clean = chords([72, 67, 64, 48], [71, 67, 62, 55], [72, 67, 64, 48])  # I - V - I, contrary motion
    assert {name: mm.rule_counts(clean)[name] for name in RULE_NAMES} == dict.fromkeys(RULE_NAMES, 0)
    twice = chords(*CASES["parallel_fifths"], *CASES["parallel_fifths"])  # fifths up, down, up again
    counts = mm.rule_counts(twice)
    assert counts["parallel_fifths"] == 3 and counts["transitions"] == 18


def test_rests_and_range():
    grid = chords([67, 64, 55, 36], [69, 65, 55, 0])  # bass too low, then silent
    counts = mm.rule_counts(grid)
    assert counts["transitions"] == 3  # only the pairs among the three upper voices
    assert counts["out_of_range"] == 1 and counts["notes"] == 6


def test_key_distances_and_general_measures():
    scale = Grid.from_pitches(np.array([[p, 0, 0, 0] for p in (60, 62, 64, 65, 67, 69, 71, 72, 67, 64, 60)], np.int16))
    assert mm.estimate_key(scale) == (0, "major")
    assert mm.estimate_key(scale.transposed(9)) == (9, "major")
    assert mm.wasserstein([1, 0, 0], [0, 0, 1]) == pytest.approx(2)
    assert mm.wasserstein([1, 0, 0, 0], [0, 0, 0, 1], circular=True) == pytest.approx(1)  # the short way round
    hists = mm.histograms(scale)
    assert mm.distances(hists, mm.histograms(scale.transposed(2)))["pitch_class"] == pytest.approx(0)  # key-normalised
    assert hists["interval_0"][mm.MAX_INTERVAL + 2] == 5  # five whole steps up
    general = mm.general_measures(scale)
    assert general["scale_consistency"] == 1.0 and general["polyphony"] == 1.0
    assert general["pitch_class_entropy"] == pytest.approx(np.log2(7), abs=0.3)


def test_judge_reads_midi_and_musicxml_and_prints_json(tmp_path):
    grid = chords(*CASES["parallel_fifths"])
    midi = grid_to_midi(grid, tmp_path / "p5.mid")
    xml = grid_to_musicxml(grid, tmp_path / "p5.musicxml")
    result = run("judge", midi, xml, "--reference", "none", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    for name in (str(midi), str(xml)):
        assert report["files"][name]["parallel_fifths"] == pytest.approx(100 / 6)
        assert report["files"][name]["voice_crossing"] == 0


def test_judge_against_a_folder_reference_table(tmp_path):
    ref = tmp_path / "ref"
    ref.mkdir()
    grid = chords([72, 67, 64, 48], [71, 67, 62, 55], [72, 67, 64, 48])
    grid_to_midi(grid, ref / "a.mid")
    same = grid_to_midi(grid, tmp_path / "same.mid")
    result = run("judge", same, "--reference", ref)
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if line.startswith("harmonic_intervals"))
    assert float(line.split()[1]) == 0.0  # identical to the reference
    assert_one_line_error(run("judge", same, "--reference", tmp_path / "nowhere"), "--reference")


def test_share_in_key_counts_notes_outside_the_estimated_scale():
    c_major = [60, 62, 64, 65, 67, 69, 71, 72, 61]  # C major scale and one C sharp
    assert mm.share_in_key(c_major, [1] * 9) == (pytest.approx(8 / 9), (0, "major"))
    a_minor = [57, 59, 60, 62, 64, 65, 68, 69]  # G sharp: minor's leading tone counts as in the key
    share, key = mm.share_in_key(a_minor, [2, 1, 1, 1, 2, 1, 1, 2])
    assert key == (9, "minor") and share == 1.0
    assert mm.share_in_key([], []) == (0.0, (0, "major"))
