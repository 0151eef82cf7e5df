"""The report of a MIDI corpus: files read and skipped, its figures, and every note left out, per reason and per file.

``seqgen data midi`` prints :func:`describe`; ``seqgen train midi`` prints :func:`drop_lines` for the
encoding it trains. Reasons (:data:`midi_read.DROP_REASONS`):

* ``drums``: notes on the drum channel, left out unless ``--include-drums`` (reader);
* ``duplicates``: a second note of one pitch starting together with another in the same part
  (reader), or in another part for the events encoding, which has no parts;
* ``voices``: grid notes that found no free voice among the grid's voice count;
* ``pitch``: grid notes of pitch 0, which the grid uses for silence.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Iterable, Sequence

import numpy as np

from seqgen.data_prep.midi_events import EventCodec
from seqgen.data_prep.midi_grid import MAX_AUTO_VOICES, choose_voices, performance_to_grid
from seqgen.data_prep.midi_notes import columns_of
from seqgen.data_prep.midi_read import DROP_REASONS, Corpus, Performance, read_corpus
from seqgen.data_prep.midi_stats import note_stats

SHOWN_FILES = 50  # files listed with their drops; the totals always cover every file


def _per_file_drops(corpus: Corpus, voices: int | None) -> tuple[dict[str, Counter], Counter, Counter, int]:
    """``(per file: reason -> notes for either encoding, grid totals, events totals, grid voices)``."""
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


def describe_corpus(corpus: Corpus | Iterable[str | os.PathLike], include_drums: bool = False,
                    voices: int | None = None) -> str:
    """The report of ``seqgen data midi`` (:func:`describe`) of a corpus or of the paths to read."""
    if not isinstance(corpus, Corpus):
        corpus = read_corpus(corpus, include_drums=include_drums)
    return describe(corpus, voices=voices)
