"""The grid's voices with numpy: each part split into lines, lines given voices (rules 1-3 of
:mod:`data_prep.midi_grid`'s module doc), with the output of the Python loops it replaced (kept as
``tests/midi_voices_reference.py``; ``tests/test_midi_voices.py`` compares the two).

Notes come as ``(notes,)`` int64 arrays of grid steps (``start``, ``end`` exclusive, ``end > start``),
``pitch`` and ``part``. Why the loops are not needed:

* **Lines.** A part's notes in order ``(start, -pitch, end)`` each take the first line free at their
  onset. Line 0's notes are then a greedy chain (the first note, then the first note starting at or
  after its end, ...), whatever the other lines hold; line 1 is the same chain over the notes line 0
  left, and so on. A chain is followed through ``searchsorted`` links, one list look-up a note.
  A part gets as many lines as notes sound together in it (:func:`line_counts`, without splitting).
* **Voices.** Notes of lines without a voice of their own go, in order ``(start, -pitch, line)``, to
  the free voice nearest in mean pitch. Which voices a kept line leaves free over a note's span is
  one ``searchsorted`` per voice for all notes; a note placed earlier blocks a later one only if it
  ends after the later one starts (it started no later), so each voice needs only the latest end
  of the notes placed in it: the loop left is one short list walk per such note.
"""

from __future__ import annotations

import numpy as np


def line_order(start: np.ndarray, end: np.ndarray, pitch: np.ndarray, part: np.ndarray) -> np.ndarray:
    """The notes' order for the line split: by part, then ``(start, -pitch, end)``, stable."""
    return np.lexsort((end, -pitch, start, part))


def split_lines(start: np.ndarray, end: np.ndarray, part: np.ndarray) -> tuple[np.ndarray, int]:
    """``(line (notes,), lines)`` of notes already in :func:`line_order`: line numbers run over the
    parts in order, within a part in the order the lines were opened."""
    line = np.empty(len(start), np.int64)
    bounds = np.flatnonzero(np.diff(part)) + 1
    lines = 0
    for lo, hi in zip([0, *bounds.tolist()], [*bounds.tolist(), len(start)]):
        lines = _split_part(start[lo:hi], end[lo:hi], line[lo:hi], lines)
    return line, lines


def _split_part(start: np.ndarray, end: np.ndarray, out: np.ndarray, first: int) -> int:
    """Writes each note's line (numbered from ``first``) into ``out``; returns the next free number."""
    left = np.arange(len(start))  # notes of the part not yet in a line, in order
    if len(start) and (end[:-1] <= start[1:]).all():
        out[:] = first  # no overlap (most melodies): one line
        return first + 1
    number = first
    while left.size:
        s, e = start[left], end[left]
        nxt = np.searchsorted(s, e, side="left").tolist()  # (left,): the chain's link from each note
        chain, i, n = [], 0, len(left)
        while i < n:
            chain.append(i)
            i = nxt[i]
        out[left[chain]] = number
        keep = np.ones(n, bool)
        keep[chain] = False
        left = left[keep]
        number += 1
    return number


def line_counts(start: np.ndarray, end: np.ndarray, part: np.ndarray) -> int:
    """How many lines :func:`split_lines` makes: each part's most notes sounding together, summed."""
    if not len(start):
        return 0
    time = np.concatenate([start, end])
    delta = np.concatenate([np.ones_like(start), -np.ones_like(end)])  # an end frees its line for a start
    order = np.lexsort((delta, time, np.concatenate([part, part])))
    running = np.cumsum(delta[order])  # back to 0 at the end of every part
    parts = np.concatenate([part, part])[order]
    firsts = np.flatnonzero(np.concatenate([[True], parts[1:] != parts[:-1]]))
    return int(np.maximum.reduceat(running, firsts).sum())


def assign_voices(start, end, pitch, line, lines: int, voices: int) -> tuple[np.ndarray, int]:
    """``(voice (notes,), dropped)``: each note's voice 0..voices-1 top-down, -1 for a note dropped.
    ``line`` is from :func:`split_lines` (notes in its order)."""
    count = np.bincount(line, minlength=lines)
    mean = np.bincount(line, pitch, minlength=lines) / np.maximum(count, 1)  # exact sums: as np.mean
    if lines <= voices:
        rank = np.empty(lines, np.int64)
        rank[np.lexsort((np.arange(lines), -mean))] = np.arange(lines)  # top-down, earlier lines win ties
        return rank[line], 0
    weight = np.bincount(line, end - start, minlength=lines)
    keep = np.lexsort((np.arange(lines), -weight))[:voices]  # the longest-sounding lines, earlier win ties
    kept = keep[np.lexsort((np.arange(voices), -mean[keep]))]  # voice v holds line kept[v]
    voice_of_line = np.full(lines, -1, np.int64)
    voice_of_line[kept] = np.arange(voices)
    voice = voice_of_line[line]
    rest = np.flatnonzero(voice < 0)
    rest = rest[np.lexsort((line[rest], -pitch[rest], start[rest]))]
    placed, dropped = _place(start[rest], end[rest], pitch[rest], _free(start, end, voice, rest, voices),
                             mean[kept])
    voice[rest] = placed
    return voice, dropped


def _free(start, end, voice, rest, voices: int) -> np.ndarray:
    """``(rest, voices)``: whether voice v's own line leaves each of ``rest`` free over its whole span."""
    free = np.ones((len(rest), voices), bool)
    s, e = start[rest], end[rest]
    for v in range(voices):
        mine = np.flatnonzero(voice == v)  # in start order, never overlapping
        vs, ve = start[mine], end[mine]
        j = np.searchsorted(ve, s, side="right")  # the first of v's notes ending after the onset
        hit = j < len(mine)
        free[hit, v] = vs[j[hit]] >= e[hit]
    return free


def _place(start, end, pitch, free, means) -> tuple[list[int], int]:
    """Each note (in order) to the free voice nearest in mean pitch (lower voice on a tie), or -1."""
    prefer = np.argsort(np.abs(pitch[:, None] - means[None, :]), axis=1, kind="stable").tolist()  # (rest, voices)
    latest = [-1] * len(means)  # per voice: the latest end of the notes placed in it
    out, dropped = [], 0
    for s, e, order, row in zip(start.tolist(), end.tolist(), prefer, free.tolist()):
        for v in order:
            if row[v] and latest[v] <= s:
                latest[v] = max(latest[v], e)
                out.append(v)
                break
        else:
            out.append(-1)
            dropped += 1
    return out, dropped


def paint(start, end, pitch, voice, steps: int, voices: int) -> tuple[np.ndarray, np.ndarray]:
    """``(pitches (steps, voices) int16, struck (steps, voices) bool)`` of notes with a voice (>= 0);
    a voice's notes never overlap, so each cell gets at most one note's pitch."""
    on = voice >= 0
    s, e, p, v = start[on], end[on], pitch[on], voice[on]
    delta = np.zeros((steps + 1, voices), np.int64)
    np.add.at(delta, (s, v), p)
    np.add.at(delta, (e, v), -p)
    struck = np.zeros((steps, voices), bool)
    struck[s, v] = True
    return np.cumsum(delta[:steps], axis=0).astype(np.int16), struck
