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

from itertools import repeat
from pathlib import Path
from typing import NamedTuple, Sequence

import numpy as np

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.grid import Grid
from seqgen.data_prep.midi_notes import columns_of
from seqgen.data_prep.midi_read import Note, Performance

STEPS_PER_QUARTER = 4  # sixteenth-note grid, as for the chorales
MAX_GRID_STEPS = 200_000  # 50,000 quarter notes (7 hours at 120 bpm): the reader's max_beats, in steps
MAX_AUTO_VOICES = 8  # the most voices chosen automatically; up to 15 when asked
VOICE_PERCENTILE = 99.0  # of the files' polyphony, for the automatic voice count
MAX_VOICES = 15  # MIDI channels besides drums


class _Span(NamedTuple):
    start: int  # step
    end: int  # step, exclusive
    pitch: int


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


def _quantise(notes: Sequence[Note], steps_per_quarter: int) -> tuple[dict[tuple[int, int], list[_Span]], float, int]:
    """Spans per part ``(track, channel)``, the cut leading beats, and the number of pitch-0 notes left out."""
    start, end, pitch, part, offset, dropped = _steps(notes, steps_per_quarter)
    parts: dict[tuple[int, int], list[_Span]] = {}
    for key in np.unique(part).tolist():
        mine = part == key
        rows = zip(start[mine].tolist(), end[mine].tolist(), pitch[mine].tolist())
        parts[divmod(key, 16)] = list(map(tuple.__new__, repeat(_Span), rows))  # built in C, not via _make
    return parts, offset, dropped


def _split_part(spans: list[_Span]) -> list[list[_Span]]:
    """Lines of one part: each note to the first line free at its onset, chords from the top down."""
    ordered = sorted(spans, key=lambda s: (s.start, -s.pitch, s.end))
    if all(a.end <= b.start for a, b in zip(ordered, ordered[1:])):
        return [ordered]  # a part with no overlap (most melodies): the loop below would give one line too
    lines: list[list[_Span]] = []
    for span in ordered:
        free = next((line for line in lines if line[-1].end <= span.start), None)
        if free is None:
            lines.append([span])
        else:
            free.append(span)
    return lines


def _mean_pitch(line: list[_Span]) -> float:
    return float(np.mean([s.pitch for s in line]))


def _lines(performance: Performance, steps_per_quarter: int) -> tuple[list[list[_Span]], float, int]:
    """All lines of a performance (parts in track, channel order), the cut beats, pitch-0 notes dropped."""
    parts, offset, dropped = _quantise(performance.notes, steps_per_quarter)
    lines = [line for key in sorted(parts) for line in _split_part(parts[key])]
    return lines, offset, dropped


def _assign(lines: list[list[_Span]], voices: int) -> tuple[list[list[_Span]], int]:
    """Lines -> at most ``voices`` voices ordered top-down (rule 3 of the module doc), and notes dropped."""
    if len(lines) <= voices:
        return sorted(lines, key=_mean_pitch, reverse=True), 0
    weight = [sum(s.end - s.start for s in line) for line in lines]
    keep = sorted(range(len(lines)), key=lambda i: -weight[i])[:voices]  # stable: earlier parts win ties
    out = sorted((list(lines[i]) for i in keep), key=_mean_pitch, reverse=True)
    means = [_mean_pitch(v) for v in out]
    steps = max(s.end for line in lines for s in line)
    busy = np.zeros((steps, voices), bool)  # (steps, voices) occupied
    for v, voice in enumerate(out):
        for s in voice:
            busy[s.start : s.end, v] = True
    dropped = 0
    kept = set(keep)
    rest = sorted((s for i, line in enumerate(lines) if i not in kept for s in line), key=lambda s: (s.start, -s.pitch))
    for s in rest:
        free = [v for v in range(voices) if not busy[s.start : s.end, v].any()]
        if not free:
            dropped += 1
            continue
        v = min(free, key=lambda v: (abs(s.pitch - means[v]), v))
        busy[s.start : s.end, v] = True
        out[v].append(s)
    return out, dropped


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


def _checked_lines(performance: Performance, steps_per_quarter: int) -> tuple[list[list[_Span]], float, int, int]:
    """:func:`_lines` and the grid's steps, refused beyond :data:`MAX_GRID_STEPS`."""
    lines, offset, dropped = _lines(performance, steps_per_quarter)
    steps = max((s.end for line in lines for s in line), default=0)
    if steps > MAX_GRID_STEPS:
        raise SeqgenError(f"{performance.name or 'a performance'} needs a grid of {steps} steps, over the limit of "
                          f"{MAX_GRID_STEPS} (midi_grid.MAX_GRID_STEPS): split the file or leave it out")
    return lines, offset, dropped, steps


def grid_drops(performance: Performance, voices: int, steps_per_quarter: int = STEPS_PER_QUARTER) -> dict[str, int]:
    """``performance_to_grid(...).meta["dropped"]`` without building the grid (for reports)."""
    lines, _, dropped, _ = _checked_lines(performance, steps_per_quarter)
    return {"voices": _assign(lines, voices)[1], "pitch": dropped}


def performance_to_grid(performance: Performance, voices: int = 4, steps_per_quarter: int = STEPS_PER_QUARTER) -> Grid:
    """One performance on a ``(steps, voices)`` grid (see the module doc for how notes become voices)."""
    if voices < 1 or steps_per_quarter < 1:
        raise SeqgenError(f"need voices >= 1 and steps_per_quarter >= 1, got {voices} and {steps_per_quarter}")
    lines, offset, dropped, steps = _checked_lines(performance, steps_per_quarter)
    assigned, lost = _assign(lines, voices)
    pitches = np.zeros((steps, voices), np.int16)  # (steps, voices)
    struck = np.zeros((steps, voices), bool)
    for v, voice in enumerate(assigned):
        for s in voice:
            pitches[s.start : s.end, v] = s.pitch
            struck[s.start, v] = True
    meta = {
        "source": performance.name,
        "offset_beats": offset,
        "dropped": {"voices": lost, "pitch": dropped},
        "dropped_notes": dropped + lost,
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
