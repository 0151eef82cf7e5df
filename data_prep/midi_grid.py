"""Performance -> voice :class:`Grid` (the ``grid`` encoding of MIDI corpora), and back to notes.

Notes are quantised by beats, not seconds, so tempo changes do not bend the grid: onset and end are
rounded to the nearest step (4 per quarter note), a note lasts at least one step. Leading silence
is cut in whole quarter notes, so a pickup keeps its place in the beat.

Voices come from parts (one part = one track and channel):

1. a part whose quantised notes never overlap is one line; a polyphonic part is split into lines
   greedily in time order, the notes of a chord from the top down (the highest note takes the
   first free line), which uses as few lines as the part's polyphony;
2. with at most ``voices`` lines, each line is a voice, ordered top-down by mean pitch; missing
   voices stay silent (at the bottom);
3. with more lines, the ``voices`` lines that sound longest keep a voice each; every note of the
   other lines goes to the free voice (over its whole span) nearest in mean pitch, or is dropped
   when none is free. ``grid.meta["dropped"]`` counts the notes left out per reason: ``voices``
   (no free voice) and ``pitch`` (pitch 0, which the grid uses for silence);
   ``grid.meta["dropped_notes"]`` is their sum.

A note is struck at its first step and held after, so repeated notes stay separate notes.

How many voices: :func:`choose_voices` takes the 99th percentile over the files of the most notes
sounding together on the grid, at most :data:`MAX_AUTO_VOICES` (a corpus where nearly every file
needs 5 voices gets 5, not 4; one dense file does not make every step cost 15 tokens). A grid
longer than :data:`MAX_GRID_STEPS` is refused before anything is allocated.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple, Sequence

import numpy as np

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.grid import Grid
from seqgen.data_prep.midi_notes import columns_of
from seqgen.data_prep.midi_read import Note, Performance
from seqgen.data_prep.midi_voices import assign_voices, line_counts, line_order, paint, split_lines

STEPS_PER_QUARTER = 4  # sixteenth-note grid, as for the chorales
MAX_GRID_STEPS = 200_000  # 50,000 quarter notes (7 hours at 120 bpm): the reader's max_beats, in steps
MAX_AUTO_VOICES = 8  # the most voices chosen automatically; up to 15 when asked
VOICE_PERCENTILE = 99.0  # of the files' polyphony, for the automatic voice count
MAX_VOICES = 15  # MIDI channels besides drums


def _steps(notes: Sequence[Note], steps_per_quarter: int):
    """``(start, end, pitch, part, offset, pitch-0 notes)``: each pitched note's grid steps (at least one
    step long), pitch and part number (one per ``(track, channel)``), as ``(notes,)`` arrays in the
    notes' order, with the whole beats cut before the first note."""
    cols = columns_of(notes)
    offset = float(np.floor(cols["start_beat"].min())) if len(notes) else 0.0
    keep = cols["pitch"] > 0
    # round half up, not to even (np.floor(x + 0.5)); float64 as math.floor would see it
    start = np.floor((cols["start_beat"][keep] - offset) * steps_per_quarter + 0.5).astype(np.int64)
    end = np.maximum(np.floor((cols["end_beat"][keep] - offset) * steps_per_quarter + 0.5).astype(np.int64), start + 1)
    part = cols["track"][keep] * 16 + cols["channel"][keep]  # sorts as (track, channel)
    return start, end, cols["pitch"][keep], part, offset, int((~keep).sum())


def needed_voices(performance: Performance, steps_per_quarter: int = STEPS_PER_QUARTER) -> int:
    """The most notes sounding together on the grid (what a grid needs to drop no note)."""
    start, end, _, _, _, _ = _steps(performance.notes, steps_per_quarter)
    if not start.size:
        return 0
    starts, ends = np.sort(start), np.sort(end)  # (notes,) each
    return int((np.arange(1, len(starts) + 1) - np.searchsorted(ends, starts, side="right")).max())


class VoiceChoice(NamedTuple):
    """The voice count of a corpus and why: ``needed`` per file, its percentile, the cap."""

    voices: int
    needed: tuple[int, ...]  # per performance: most notes sounding together on the grid
    percentile: float  # VOICE_PERCENTILE of needed
    automatic: bool  # False when the user set the count


def choose_voices(performances: Sequence[Performance], voices: int | None = None,
                  steps_per_quarter: int = STEPS_PER_QUARTER) -> VoiceChoice:
    """``voices`` when given (at most what any file needs), else the 99th percentile of the files'
    polyphony on the grid, at most :data:`MAX_AUTO_VOICES`."""
    if voices is not None and not 1 <= voices <= MAX_VOICES:
        raise SeqgenError(f"voices must be 1-{MAX_VOICES} (MIDI channels besides drums), got {voices}: use --voices 4")
    needed = tuple(needed_voices(p, steps_per_quarter) for p in performances)
    pct = float(np.percentile(needed, VOICE_PERCENTILE)) if needed else 1.0  # linear; its floor is used
    if voices is None:
        return VoiceChoice(max(1, min(MAX_AUTO_VOICES, int(pct))), needed, pct, True)
    return VoiceChoice(max(1, min(voices, max(needed, default=1))), needed, pct, False)


def grid_voices(performances: Sequence[Performance], voices: int | None = 4,
                steps_per_quarter: int = STEPS_PER_QUARTER) -> int:
    """Voices for a corpus: :func:`choose_voices` (``None`` chooses from the corpus)."""
    return choose_voices(performances, voices, steps_per_quarter).voices


class _Lines(NamedTuple):
    """A performance's pitched notes in :func:`midi_voices.line_order`, ``(notes,)`` arrays each, and their lines."""

    start: np.ndarray  # step
    end: np.ndarray  # step, exclusive
    pitch: np.ndarray
    line: np.ndarray  # :func:`midi_voices.split_lines`
    lines: int
    offset: float  # whole beats cut before the first note
    dropped: int  # pitch-0 notes left out
    steps: int  # the grid's length


def _checked_lines(performance: Performance, steps_per_quarter: int) -> _Lines:
    """The notes split into lines (rule 1 of the module doc), refused beyond :data:`MAX_GRID_STEPS` steps."""
    start, end, pitch, part, offset, dropped = _steps(performance.notes, steps_per_quarter)
    steps = int(end.max()) if end.size else 0
    if steps > MAX_GRID_STEPS:
        raise SeqgenError(f"{performance.name or 'a performance'} needs a grid of {steps} steps, over the limit of "
                          f"{MAX_GRID_STEPS} (midi_grid.MAX_GRID_STEPS): split the file or leave it out")
    order = line_order(start, end, pitch, part)
    start, end, pitch, part = start[order], end[order], pitch[order], part[order]
    line, lines = split_lines(start, end, part)
    return _Lines(start, end, pitch, line, lines, offset, dropped, steps)


def grid_lines(performance: Performance, steps_per_quarter: int = STEPS_PER_QUARTER) -> int:
    """How many lines the performance's parts split into: with at least that many voices its grid
    drops no note for want of a voice (so a report could read only the other files twice; the report
    does not use it yet)."""
    start, end, _, part, _, _ = _steps(performance.notes, steps_per_quarter)
    return line_counts(start, end, part)


def grid_drops(performance: Performance, voices: int, steps_per_quarter: int = STEPS_PER_QUARTER) -> dict[str, int]:
    """``performance_to_grid(...).meta["dropped"]`` without building the grid (for reports)."""
    ls = _checked_lines(performance, steps_per_quarter)
    lost = 0 if ls.lines <= voices else assign_voices(ls.start, ls.end, ls.pitch, ls.line, ls.lines, voices)[1]
    return {"voices": lost, "pitch": ls.dropped}


def performance_to_grid(performance: Performance, voices: int = 4, steps_per_quarter: int = STEPS_PER_QUARTER) -> Grid:
    """One performance on a ``(steps, voices)`` grid (see the module doc for how notes become voices)."""
    if voices < 1 or steps_per_quarter < 1:
        raise SeqgenError(f"need voices >= 1 and steps_per_quarter >= 1, got {voices} and {steps_per_quarter}")
    ls = _checked_lines(performance, steps_per_quarter)
    voice, lost = assign_voices(ls.start, ls.end, ls.pitch, ls.line, ls.lines, voices)
    pitches, struck = paint(ls.start, ls.end, ls.pitch, voice, ls.steps, voices)  # (steps, voices) each
    meta = {
        "source": performance.name,
        "offset_beats": ls.offset,
        "dropped": {"voices": lost, "pitch": ls.dropped},
        "dropped_notes": ls.dropped + lost,
        "bpm": performance.tempos[0][1] if performance.tempos else 120.0,
    }
    return Grid(pitches, struck, name=Path(performance.name).stem, steps_per_quarter=steps_per_quarter, meta=meta)


def performances_to_grids(
    performances: Sequence[Performance], voices: int | None = 4, steps_per_quarter: int = STEPS_PER_QUARTER
) -> list[Grid]:
    """Every performance on a grid with the corpus's number of voices, at most ``voices`` (:func:`grid_voices`)."""
    n = grid_voices(performances, voices, steps_per_quarter)
    return [performance_to_grid(p, n, steps_per_quarter) for p in performances]


def grid_to_notes(grid: Grid, bpm: float = 120.0, velocity: int = 80, program: int = 0) -> list[Note]:
    """The notes of ``grid`` at a steady ``bpm``: voice ``v`` becomes track ``v`` on channel 0."""
    if not 0 < bpm <= 1000 or not 1 <= velocity <= 127:
        raise SeqgenError(f"need 0 < bpm <= 1000 and 1 <= velocity <= 127, got {bpm} and {velocity}")
    beats_per_step = 1.0 / grid.steps_per_quarter
    seconds_per_beat = 60.0 / bpm
    notes = []
    for voice, pitch, start, length in grid.notes():
        b0, b1 = start * beats_per_step, (start + length) * beats_per_step
        notes.append(Note(b0 * seconds_per_beat, b1 * seconds_per_beat, b0, b1, pitch, velocity, 0, voice, program))
    return sorted(notes, key=lambda n: (n.start, n.pitch, n.track))


def bound_holds(grid: Grid, max_steps: int) -> tuple[Grid, int]:
    """``grid`` with every note held longer than ``max_steps`` steps cut there (the voice rests until
    its next struck note): a generated chord cannot freeze. Returns the grid and the notes cut."""
    if max_steps < 1:
        raise SeqgenError(f"max_steps must be >= 1, got {max_steps}")
    pitches = grid.pitches.copy()  # (steps, voices)
    cut = 0
    for voice, _, start, length in grid.notes():
        if length > max_steps:
            pitches[start + max_steps : start + length, voice] = 0
            cut += 1
    if not cut:
        return grid, 0
    return Grid(pitches, grid.struck, grid.name, grid.steps_per_quarter, dict(grid.meta)), cut
