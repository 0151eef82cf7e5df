"""Figures of a MIDI corpus: polyphony, note lengths, and every note left out, per reason and per file.

``seqgen data midi`` prints :func:`describe`; ``seqgen train midi`` prints :func:`drop_lines` for the
encoding it trains. Reasons (:data:`midi_read.DROP_REASONS`):

* ``drums``: notes on the drum channel, left out unless ``--include-drums`` (reader);
* ``duplicates``: a second note of one pitch starting together with another in the same part
  (reader), or in another part for the events encoding, which has no parts;
* ``voices``: grid notes that found no free voice among the grid's voice count;
* ``pitch``: grid notes of pitch 0, which the grid uses for silence.
"""

from __future__ import annotations

from collections import Counter
from typing import Sequence

import numpy as np

from seqgen.data_prep.midi_grid import MAX_AUTO_VOICES, choose_voices, performance_to_grid
from seqgen.data_prep.midi_notes import Note, columns_of
from seqgen.data_prep.midi_read import DROP_REASONS, Corpus, Performance

SHOWN_FILES = 50  # files listed with their drops; the totals always cover every file


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


def _per_file_drops(corpus: Corpus, voices: int | None) -> tuple[dict[str, Counter], Counter, Counter, int]:
    """``(per file: reason -> notes for either encoding, grid totals, events totals, grid voices)``."""
    from seqgen.data_prep.midi_events import EventCodec

    choice = choose_voices(corpus.performances, voices)
    codec = EventCodec()
    per_file, grid_total, events_total = {}, Counter(), Counter()
    for p in corpus.performances:
        read = Counter(dict(p.dropped))
        grid = Counter(performance_to_grid(p, choice.voices).meta["dropped"])
        events = Counter({"duplicates": codec.encode_counted(p)[1]})
        grid_total.update(read + grid)
        events_total.update(read + events)
        row = read + grid + Counter({"events duplicates": events["duplicates"]})
        if +row:
            per_file[p.name] = +row
    return per_file, grid_total, events_total, choice


def _counts(counter: Counter, total: int) -> str:
    parts = [f"{reason} {counter[reason]}" for reason in DROP_REASONS if counter[reason]]
    left_out = sum(counter[r] for r in DROP_REASONS)
    return f"{left_out} notes ({100 * left_out / max(total, 1):.2f}%)" + (f": {', '.join(parts)}" if parts else "")


def describe(corpus: Corpus, voices: int | None = None) -> str:
    """The report of ``seqgen data midi``: files read and skipped (with reasons), notes, duration, pitch
    range, polyphony, note lengths, the grid's voice count, and notes left out per reason and file."""
    pitches = np.concatenate([columns_of(p.notes)["pitch"] for p in corpus.performances])  # (notes,)
    stats = note_stats(corpus.performances)
    per_file, grid_total, events_total, choice = _per_file_drops(corpus, voices)
    seen = len(pitches) + sum(n for p in corpus.performances for _, n in p.dropped)
    how = (f"99th percentile of the {len(choice.needed)} files' polyphony on the grid: {choice.percentile:.3g}, "
           f"at most {MAX_AUTO_VOICES}; --voices sets it" if choice.automatic else "set by --voices")
    lines = [
        f"files read: {len(corpus.performances)}",
        f"files skipped: {len(corpus.skipped)}",
        *(f"  {path}: {reason}" for path, reason in corpus.skipped),
        f"notes: {len(pitches)}",
        f"duration: {sum(p.duration for p in corpus.performances):.1f} s "
        f"({sum(p.duration_beats for p in corpus.performances):.1f} beats)",
        f"pitch range: {pitches.min()}-{pitches.max()}",
        f"polyphony: max {stats['polyphony_max']}, mean {stats['polyphony_mean']:.2f}",
        f"note length: median {stats['length_median_s']:.2f} s, 99th percentile {stats['length_p99_s']:.2f} s, "
        f"longest {stats['length_max_s']:.2f} s",
        f"grid: {choice.voices} voices ({how}), {choice.voices} tokens per 16th note",
        f"left out with --encoding grid: {_counts(grid_total, seen)}",
        f"left out with --encoding events: {_counts(events_total, seen)}",
    ]
    if per_file:
        lines.append(f"notes left out per file ({len(per_file)} files):")
        for name, row in list(per_file.items())[:SHOWN_FILES]:
            lines.append(f"  {name}: " + ", ".join(f"{reason} {n}" for reason, n in row.items()))
        if len(per_file) > SHOWN_FILES:
            lines.append(f"  ... and {len(per_file) - SHOWN_FILES} more files")
    return "\n".join(lines)


def drop_lines(performances: Sequence[Performance], codec) -> list[str]:
    """What ``train midi`` reports: notes left out per reason in total and per file, for ``codec``."""
    from seqgen.data_prep.midi_events import EventCodec

    total, per_file, seen = Counter(), {}, 0
    for p in performances:
        row = Counter(dict(p.dropped))
        if isinstance(codec, EventCodec):
            row["duplicates"] += codec.encode_counted(p)[1]
        else:
            row.update(performance_to_grid(p, codec.voices).meta["dropped"])
        seen += len(p.notes) + sum(n for _, n in p.dropped)
        total.update(row)
        if +row:
            per_file[p.name] = +row
    lines = [f"notes left out: {_counts(total, seen)}"]
    shown = list(per_file.items())[:SHOWN_FILES]
    lines += [f"  {name}: " + ", ".join(f"{r} {n}" for r, n in row.items()) for name, row in shown]
    if len(per_file) > SHOWN_FILES:
        lines.append(f"  ... and {len(per_file) - SHOWN_FILES} more files (seqgen data midi lists them)")
    return lines
