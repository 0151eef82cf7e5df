"""The grid's line split and voice assignment as Python loops over notes: the code that
data_prep.midi_voices replaced (midi_grid before 2026-12-03), kept as the reference its tests compare
against."""

from __future__ import annotations

from itertools import repeat
from typing import NamedTuple, Sequence

import numpy as np

from seqgen.data_prep.midi_grid import _steps
from seqgen.data_prep.midi_notes import Note


class _Span(NamedTuple):
    start: int  # step
    end: int  # step, exclusive
    pitch: int


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


def reference_grid(performance, voices: int, steps_per_quarter: int = 4):
    """``(pitches (steps, voices) int16, struck, voices dropped, pitch-0 dropped, lines)`` as the old
    ``performance_to_grid`` made them."""
    lines, _, dropped = _lines(performance, steps_per_quarter)
    steps = max((s.end for line in lines for s in line), default=0)
    assigned, lost = _assign(lines, voices)
    pitches = np.zeros((steps, voices), np.int16)
    struck = np.zeros((steps, voices), bool)
    for v, voice in enumerate(assigned):
        for s in voice:
            pitches[s.start : s.end, v] = s.pitch
            struck[s.start, v] = True
    return pitches, struck, lost, dropped, len(lines)
