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

import functools
import os
from collections import Counter
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from seqgen.data_prep.midi_events import EventCodec
from seqgen.data_prep.midi_figures import FiguresCache
from seqgen.data_prep.midi_folder import Corpus, corpus_files, iter_corpus, nothing_usable
from seqgen.data_prep.midi_grid import (
    MAX_AUTO_VOICES,
    VOICE_PERCENTILE,
    VoiceChoice,
    choose_voices,
    grid_drops,
    needed_voices,
    performance_to_grid,
)
from seqgen.data_prep.midi_notes import columns_of
from seqgen.data_prep.midi_read import DROP_REASONS, Performance
from seqgen.data_prep.midi_stats import NoteStats, percentile, polyphony

SHOWN_FILES = 50  # files listed with their drops; the totals always cover every file


class _Tally:
    """The figures of :func:`describe`, one performance at a time: the notes are not kept.

    The grid's voice count is a percentile over all files, known only once every file is seen, and
    the grid's drops depend on it: so the files are gone through twice, :meth:`add` then
    :meth:`add_drops` (a second read of a folder comes from the notes cache), or once when a report
    over the same files stored every file's drops at that count (:meth:`add_known_drops`; each file's
    name, key and reader drops are kept for it, about 150 bytes a file)."""

    def __init__(self, voices: int | None):
        choose_voices((), voices)  # checks the count before any file is read
        self.voices = voices
        self.files = self.skips = self.notes = self.seen = 0
        self.seconds = self.beats = 0.0
        self.low, self.high = None, None
        self.skipped: list[tuple[str, str]] = []  # the first SHOWN_FILES
        self.stats, self.needed = NoteStats(onsets=False), Counter()
        self.grid, self.events = Counter(), Counter()
        self.rows: list = []  # the first SHOWN_FILES files with notes left out
        self.with_drops = 0
        self.codec = EventCodec()
        self.passed: list[tuple[str, str, tuple, int]] = []  # with a figures cache: (name, key, dropped, notes)

    def skip(self, path: str, reason: str) -> None:
        self.skips += 1
        if len(self.skipped) < SHOWN_FILES:
            self.skipped.append((path, reason))

    def add(self, p: Performance, figures: FiguresCache | None = None) -> None:
        """The first pass: ``p``'s figures (its grid's needed voices and polyphony from ``figures`` when
        a report over the same files stored them there)."""
        pitches = columns_of(p.notes)["pitch"]
        self.files += 1
        self.notes += len(pitches)
        self.seen += len(pitches) + sum(n for _, n in p.dropped)
        self.seconds += p.duration
        self.beats += p.duration_beats
        if len(pitches):
            low, high = int(pitches.min()), int(pitches.max())
            self.low = low if self.low is None else min(low, self.low)
            self.high = high if self.high is None else max(high, self.high)
        known = figures.get_file(p.key) if figures is not None and p.key else None
        if known is None or max(known[:2]) > len(pitches):  # more than the file holds: not its figures
            known = (needed_voices(p), *polyphony(p.notes))
            if figures is not None and p.key:
                figures.put_file(p.key, known)
        self.stats.add(p, known[1:])
        self.needed[known[0]] += 1
        if figures is not None:
            self.passed.append((p.name, p.key, p.dropped, len(pitches)))

    def add_known_drops(self, voices: int, figures: FiguresCache) -> bool:
        """The second pass without reading a file again, if ``figures`` holds every file's drops at
        ``voices`` (a report over the same files before); False, having added nothing, if not."""
        known = [figures.get(key, voices) if key else None for _, key, _, _ in self.passed]
        if any(k is None or sum(k) > n for k, (_, _, _, n) in zip(known, self.passed)):
            return False
        for k, (name, _, dropped, _) in zip(known, self.passed):
            self._add_row(name, dropped, k)
        return True

    def add_drops(self, p: Performance, voices: int, figures: FiguresCache | None = None) -> None:
        """The second pass: notes ``p`` loses to each encoding, the grid having ``voices`` voices
        (read from ``figures`` when a report over the same files stored them there)."""
        known = figures.get(p.key, voices) if figures is not None and p.key else None
        if known is None or sum(known) > len(p.notes):  # more than the file holds: not this file's, count again
            # encode_counted's count without building the tokens (its Python loop is most of the cost)
            found = grid_drops(p, voices)
            known = (found["voices"], found["pitch"], self.codec._spans(p.notes)[1])
            if figures is not None and p.key:
                figures.put(p.key, voices, known)
        self._add_row(p.name, p.dropped, known)

    def _add_row(self, name: str, dropped: tuple, known: tuple[int, int, int]) -> None:
        """One file's notes left out: the reader's ``dropped`` and ``known`` (midi_figures.FIGURES)."""
        # Plain dict arithmetic: Counter's + made this a quarter of a warm report of small files.
        row = {reason: n for reason, n in dropped if n > 0}  # the reader's, in its order, then the encodings'
        for reason, n in row.items():
            self.grid[reason] += n
            self.events[reason] += n
        for counter, reason, n in ((self.grid, "voices", known[0]), (self.grid, "pitch", known[1]),
                                   (self.events, "duplicates", known[2])):
            if n > 0:
                counter[reason] += n
                shown = "events duplicates" if reason == "duplicates" else reason
                row[shown] = row.get(shown, 0) + n
        if row:
            self.with_drops += 1
            if len(self.rows) < SHOWN_FILES:
                self.rows.append((name, row))

    def choice(self) -> VoiceChoice:
        """:func:`midi_grid.choose_voices` of the files added, from the counts of their needed voices."""
        values = np.array(sorted(self.needed), np.float64)
        counts = np.array([self.needed[v] for v in sorted(self.needed)], np.int64)
        pct = percentile(values, counts, VOICE_PERCENTILE) if self.needed else 1.0
        if self.voices is None:
            return VoiceChoice(max(1, min(MAX_AUTO_VOICES, int(pct))), (), pct, True)
        return VoiceChoice(max(1, min(self.voices, max(self.needed, default=1))), (), pct, False)

    def lines(self) -> list[str]:
        choice, stats = self.choice(), self.stats.result()
        how = (f"99th percentile of the {self.files} files' polyphony on the grid: {choice.percentile:.3g}, "
               f"at most {MAX_AUTO_VOICES}; --voices sets it" if choice.automatic else "set by --voices")
        lines = [f"files read: {self.files}", f"files skipped: {self.skips}",
                 *(f"  {path}: {reason}" for path, reason in self.skipped)]
        if self.skips > len(self.skipped):
            lines.append(f"  ... and {self.skips - len(self.skipped)} more files")
        lines += [
            f"notes: {self.notes}",
            f"duration: {self.seconds:.1f} s ({self.beats:.1f} beats)",
            f"pitch range: {self.low}-{self.high}",
            f"polyphony: max {stats['polyphony_max']}, mean {stats['polyphony_mean']:.2f}",
            f"note length: median {stats['length_median_s']:.2f} s, 99th percentile {stats['length_p99_s']:.2f} s, "
            f"longest {stats['length_max_s']:.2f} s",
            f"grid: {choice.voices} voices ({how}), {choice.voices} tokens per 16th note",
            f"left out with --encoding grid: {_counts(self.grid, self.seen)}",
            f"left out with --encoding events: {_counts(self.events, self.seen)}",
        ]
        if self.with_drops:
            lines.append(f"notes left out per file ({self.with_drops} files):")
            lines += [f"  {name}: " + ", ".join(f"{reason} {n}" for reason, n in row.items())
                      for name, row in self.rows]
            if self.with_drops > SHOWN_FILES:
                lines.append(f"  ... and {self.with_drops - SHOWN_FILES} more files")
        return lines


def _counts(counter: Counter, total: int) -> str:
    parts = [f"{reason} {counter[reason]}" for reason in DROP_REASONS if counter[reason]]
    left_out = sum(counter[r] for r in DROP_REASONS)
    return f"{left_out} notes ({100 * left_out / max(total, 1):.2f}%)" + (f": {', '.join(parts)}" if parts else "")


def describe(corpus: Corpus, voices: int | None = None) -> str:
    """The report of ``seqgen data midi``: files read and skipped (with reasons), notes, duration, pitch
    range, polyphony, note lengths, the grid's voice count, and notes left out per reason and file."""
    tally = _Tally(voices)
    for path, reason in corpus.skipped:
        tally.skip(path, reason)
    for p in corpus.performances:
        tally.add(p)
    voices = tally.choice().voices
    for p in corpus.performances:
        tally.add_drops(p, voices)
    return "\n".join(tally.lines())


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
                    voices: int | None = None, workers: int | None = None, cache: Path | None = None) -> str:
    """The report of ``seqgen data midi`` (:func:`describe`) of a corpus or of the paths to read, one
    file at a time as they are read (with ``workers`` processes, through the ``cache`` folder:
    :func:`midi_folder.iter_corpus`), so memory does not grow with the folder."""
    if isinstance(corpus, Corpus):
        return describe(corpus, voices=voices)
    files, shown = corpus_files(corpus)
    tally, first_skip = _Tally(voices), None
    read = functools.partial(iter_corpus, files, include_drums=include_drums, workers=workers, cache=cache)
    figures = None if cache is None else FiguresCache(cache)
    for file, result in read():
        if isinstance(result, str):
            first_skip = first_skip or (str(file), result)
            tally.skip(str(file), result)
        else:
            tally.add(result, figures)
    if not tally.files:
        raise nothing_usable(len(files), shown, first_skip)
    chosen = tally.choice().voices
    if figures is None or not tally.add_known_drops(chosen, figures):
        for _, result in read():  # the second pass (see _Tally); a file skipped now was skipped before
            if not isinstance(result, str):
                tally.add_drops(result, chosen, figures)
    if figures is not None:
        figures.flush()
    return "\n".join(tally.lines())
