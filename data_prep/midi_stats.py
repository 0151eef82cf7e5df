"""Figures of a MIDI corpus: polyphony and note lengths, for reports and for bounding generation.

The corpus report of ``seqgen data midi`` and the notes-left-out lines of ``seqgen train midi`` are
in :mod:`data_prep.midi_report`, which builds on these.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from seqgen.data_prep.midi_notes import Note, columns_of
from seqgen.data_prep.midi_read import Performance


def polyphony(notes: Sequence[Note]) -> tuple[int, float, float]:
    """``(max simultaneous notes, seconds with at least one note sounding, summed note seconds)``.

    Mean polyphony is the last over the middle: how many notes sound on average while any does.
    A note ending exactly when another starts does not overlap it.
    """
    if not len(notes):
        return 0, 0.0, 0.0
    cols = columns_of(notes)
    times = np.stack([cols["end"], cols["start"]], axis=1).reshape(-1)  # (2 * notes,) end, start per note
    deltas = np.tile([-1, 1], len(notes))  # ends sort before starts at equal times (lexsort by time, then delta)
    order = np.lexsort((deltas, times))
    counts = np.cumsum(deltas[order])  # notes sounding after each event
    gaps = np.diff(times[order])  # time to the next event
    sounding = float(gaps[counts[:-1] > 0].sum())
    return int(counts.max()), sounding, float((cols["end"] - cols["start"]).sum())


def onset_polyphony(notes: Sequence[Note]) -> np.ndarray:
    """``(notes,)`` how many notes sound at each note's onset, itself included (ends at the onset excluded)."""
    if not len(notes):
        return np.zeros(0, np.int64)
    cols = columns_of(notes)
    starts, ends = np.sort(cols["start"]), np.sort(cols["end"])  # (notes,) each
    started = np.searchsorted(starts, starts, side="right")  # onsets at or before each onset
    return started - np.searchsorted(ends, starts, side="right")


def note_stats(performances: Sequence[Performance]) -> dict:
    """Note lengths (seconds) and polyphony of a corpus, for reports and for bounding generation."""
    cols = [columns_of(p.notes) for p in performances]
    lengths = np.concatenate([c["end"] - c["start"] for c in cols] or [np.zeros(0)])  # (notes,) seconds
    at_onsets = np.concatenate([onset_polyphony(p.notes) for p in performances] or [np.zeros(0, np.int64)])
    poly = [polyphony(p.notes) for p in performances]
    sounding, note_time = sum(s[1] for s in poly), sum(s[2] for s in poly)
    beats = np.concatenate([c["end_beat"] - c["start_beat"] for c in cols] or [np.zeros(0)])  # (notes,)
    pct = (lambda a, q: float(np.percentile(a, q)) if a.size else 0.0)  # noqa: E731
    return {
        "length_median_s": pct(lengths, 50), "length_p99_s": pct(lengths, 99), "length_p999_s": pct(lengths, 99.9),
        "length_max_s": float(lengths.max()) if lengths.size else 0.0,
        "length_p99_beats": pct(beats, 99),
        "polyphony_mean": note_time / sounding if sounding else 0.0,
        "polyphony_p99": pct(at_onsets, 99), "polyphony_max": max((s[0] for s in poly), default=0),
    }
