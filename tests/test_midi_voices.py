"""data_prep.midi_voices (the grid's lines and voices with numpy) gives what the Python loops it
replaced (tests/midi_voices_reference.py) gave: the same grid, strikes and notes dropped."""

import numpy as np
import pytest

from midi_voices_reference import reference_grid
from seqgen.data_prep.midi_grid import grid_drops, grid_lines, performance_to_grid
from seqgen.data_prep.midi_notes import Note
from seqgen.data_prep.midi_read import Performance
from seqgen.data_prep.midi_voices import line_counts, line_order, split_lines


def _performance(rows) -> Performance:
    """``rows`` of (start beat, length in beats, pitch, track, channel)."""
    notes = [Note(b / 2, (b + n) / 2, b, b + n, p, 80, c, t, 0) for b, n, p, t, c in rows]
    return Performance(tuple(sorted(notes, key=lambda n: (n.start, n.pitch))), name="x.mid")


def _same_as_reference(perf: Performance, voices: int) -> None:
    pitches, struck, lost, dropped, lines = reference_grid(perf, voices)
    grid = performance_to_grid(perf, voices)
    np.testing.assert_array_equal(grid.pitches, pitches)
    np.testing.assert_array_equal(grid.struck, struck)
    assert grid.meta["dropped"] == {"voices": lost, "pitch": dropped}
    assert grid_drops(perf, voices) == {"voices": lost, "pitch": dropped}
    assert grid_lines(perf) == lines


HAND_MADE = {
    "melody": [(0, 1, 60, 0, 0), (1, 1, 62, 0, 0), (2, 2, 64, 0, 0)],
    "chords": [(0, 2, 60, 0, 0), (0, 2, 64, 0, 0), (0, 2, 67, 0, 0), (2, 1, 59, 0, 0), (2, 2, 65, 0, 0)],
    "line freed out of order": [(0, 4, 72, 0, 0), (0, 1, 60, 0, 0), (1, 2, 62, 0, 0), (1.5, 1, 65, 0, 0)],
    "equal means and weights": [(0, 1, 60, 0, 0), (0, 1, 60, 1, 0), (1, 1, 60, 2, 0), (0, 2, 64, 3, 0)],
    "pitch 0 and a pickup": [(0.75, 0.25, 0, 0, 0), (1, 1, 62, 0, 0), (1, 1, 55, 1, 1)],
    # no three notes sound at once, but with two voices the lightest line's long note finds voice 0
    # busy at its onset and voice 1 busy later: dropped
    "long note between lines": [(0, 1, 70, 0, 0), (2, 1, 70, 0, 0), (4, 1, 70, 0, 0), (1, 1, 50, 1, 0),
                                (3, 1, 50, 1, 0), (5, 1, 50, 1, 0), (0.5, 2, 60, 2, 0)],
    "nothing pitched": [(0, 1, 0, 0, 0)],
}


@pytest.mark.parametrize("name", sorted(HAND_MADE))
@pytest.mark.parametrize("voices", [1, 2, 3, 5])
def test_hand_made_grids_match_the_loops(name, voices):
    _same_as_reference(_performance(HAND_MADE[name]), voices)


def test_the_long_note_is_dropped_with_two_voices():
    assert grid_drops(_performance(HAND_MADE["long note between lines"]), 2) == {"voices": 1, "pitch": 0}


def test_random_grids_match_the_loops():
    rng = np.random.default_rng(7)
    for case in range(150):
        n = int(rng.integers(1, 50))
        quarter = case % 2 == 0  # on the grid, or anywhere (rounding makes equal spans and ties)
        starts = rng.integers(0, 40, n) / 4 if quarter else rng.uniform(0, 10, n)
        lengths = rng.integers(1, 12, n) / 4 if quarter else rng.uniform(0.01, 3, n)
        pitches = rng.integers(0, 4, n) * 12 + rng.integers(40, 44, n) if case % 3 else rng.integers(0, 80, n)
        rows = [(float(b), float(d), int(p), int(t), int(c)) for b, d, p, t, c in
                zip(starts, lengths, pitches, rng.integers(0, 3, n), rng.integers(0, 2, n))]
        _same_as_reference(_performance(rows), int(rng.integers(1, 9)))


def test_line_counts_are_the_lines_split_makes():
    rng = np.random.default_rng(3)
    for _ in range(50):
        n = int(rng.integers(1, 80))
        start = rng.integers(0, 30, n)
        end = start + rng.integers(1, 8, n)
        pitch, part = rng.integers(30, 90, n), rng.integers(0, 4, n)
        order = line_order(start, end, pitch, part)
        line, lines = split_lines(start[order], end[order], part[order])
        assert line_counts(start, end, part) == lines == len(np.unique(line))
        for k in range(lines):  # a line never holds two notes sounding at once
            s, e = start[order][line == k], end[order][line == k]
            assert (e[:-1] <= s[1:]).all()
