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


def percentile(values: np.ndarray, counts: np.ndarray, q: float) -> float:
    """``np.percentile`` (its default, linear interpolation) of the data holding each of the sorted
    ``values`` ``counts`` times, computed as numpy does, so the two agree to the last bit."""
    n = int(counts.sum())
    if not n:
        return 0.0
    virtual = (n - 1) * np.true_divide(q, 100)
    lo = int(np.floor(virtual))
    gamma = virtual - lo
    ends = np.cumsum(counts)  # (values,) rank after each value
    a, b = (float(values[np.searchsorted(ends, rank, side="right")]) for rank in (lo, min(lo + 1, n - 1)))
    diff = b - a
    return float(b - diff * (1 - gamma)) if gamma >= 0.5 else float(a + diff * gamma)


class ValueCounts:
    """How often each value occurs in a stream of arrays, for exact percentiles in bounded memory.

    Values are merged every :data:`BUFFER` additions; while there are at most :data:`MAX_DISTINCT`
    distinct values (note lengths of real corpora come from few ticks and tempos) every figure is
    exact. Beyond, the low mantissa bits of the values are cleared, 4 at a time, until they fit
    (rounded: ``bits_cleared``, a relative error of at most ``2 ** (bits_cleared - 53)``), so memory stays
    flat whatever the corpus holds.
    """

    BUFFER = 2**16
    MAX_DISTINCT = 2**16

    def __init__(self):
        self.values = np.zeros(0)
        self.counts = np.zeros(0, np.int64)
        self._buffer: list[np.ndarray] = []
        self._buffered = 0
        self.bits_cleared = 0  # 0 while exact

    def add(self, values: np.ndarray) -> None:
        self._buffer.append(np.asarray(values, np.float64).ravel())
        self._buffered += self._buffer[-1].size
        if self._buffered >= self.BUFFER:
            self._merge()

    def _merge(self) -> None:
        values = np.concatenate([self.values, *self._buffer])
        counts = np.concatenate([self.counts, np.ones(self._buffered, np.int64)])
        self._buffer, self._buffered = [], 0
        while True:
            if self.bits_cleared:
                half, mask = np.int64(1 << (self.bits_cleared - 1)), ~np.int64((1 << self.bits_cleared) - 1)
                values = ((values.view(np.int64) + half) & mask).view(np.float64)  # rounded, not truncated
            order = np.argsort(values, kind="stable")
            values, counts = values[order], counts[order]
            starts = np.flatnonzero(np.r_[True, values[1:] != values[:-1]])
            values, counts = values[starts], np.add.reduceat(counts, starts) if len(starts) else counts[:0]
            if len(values) <= self.MAX_DISTINCT or self.bits_cleared >= 48:
                break
            self.bits_cleared += 4
        self.values, self.counts = values, counts

    def percentile(self, q: float) -> float:
        if self._buffer:
            self._merge()
        return percentile(self.values, self.counts, q)

    def max(self) -> float:
        if self._buffer:
            self._merge()
        return float(self.values[-1]) if len(self.values) else 0.0


class NoteStats:
    """:func:`note_stats` of performances added one at a time: memory does not grow with the corpus."""

    def __init__(self, onsets: bool = True):
        self.lengths, self.beats, self.at_onsets = ValueCounts(), ValueCounts(), ValueCounts()
        self.onsets = onsets  # False: no polyphony_p99 (the corpus report does not print it; a fifth of its cost)
        self.sounding = self.note_time = 0.0
        self.polyphony_max = 0

    def add(self, performance: Performance, known: tuple[int, float, float] | None = None) -> None:
        """Add one performance; ``known``: its :func:`polyphony`, computed before (the report's figures cache)."""
        cols = columns_of(performance.notes)
        self.lengths.add(cols["end"] - cols["start"])  # (notes,) seconds
        self.beats.add(cols["end_beat"] - cols["start_beat"])
        if self.onsets:
            self.at_onsets.add(onset_polyphony(performance.notes))
        most, sounding, note_time = polyphony(performance.notes) if known is None else known
        self.sounding += sounding
        self.note_time += note_time
        self.polyphony_max = max(self.polyphony_max, most)

    def result(self) -> dict:
        lengths = self.lengths
        return {
            "length_median_s": lengths.percentile(50), "length_p99_s": lengths.percentile(99),
            "length_p999_s": lengths.percentile(99.9), "length_max_s": lengths.max(),
            "length_p99_beats": self.beats.percentile(99),
            "polyphony_mean": self.note_time / self.sounding if self.sounding else 0.0,
            "polyphony_p99": self.at_onsets.percentile(99) if self.onsets else float("nan"),
            "polyphony_max": self.polyphony_max,
        }


def note_stats(performances: Sequence[Performance]) -> dict:
    """Note lengths (seconds) and polyphony of a corpus, for reports and for bounding generation."""
    stats = NoteStats()
    for p in performances:
        stats.add(p)
    return stats.result()
