"""Benchmark: MIDI files read per second, the old mido reader against the symusic reader, same files.

Reads every file under the given paths with both readers (each run ``--repeats`` times, best CPU
time kept) and prints files per CPU second, notes kept, files skipped, and where the two disagree.

    python benchmarks/midi_music21_corpus.py /tmp/m21 --folk 1000     # once: a folder of ~1,000 files
    python benchmarks/midi_read_speed.py /tmp/m21/folk /tmp/m21/piano
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import types
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OLD_READER = "152e00f"  # the last commit whose data_prep/midi_read.py read MIDI through mido alone


def old_reader() -> types.ModuleType:
    """seqgen's mido-based reader as it was at :data:`OLD_READER`, loaded from git history (our own code;
    a checkout with history is needed), so both readers are compared on the same files."""
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{OLD_READER}:data_prep/midi_read.py"],
                            capture_output=True, text=True, check=True).stdout
    module = types.ModuleType("midi_read_mido_old")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, f"data_prep/midi_read.py@{OLD_READER}", "exec"), module.__dict__)
    return module


def _timed(read, paths: list[str], repeats: int):
    """``(best CPU seconds, corpus)`` over ``repeats`` reads."""
    best, corpus = float("inf"), None
    for _ in range(repeats):
        start = time.process_time()
        corpus = read(paths)
        best = min(best, time.process_time() - start)
    return best, corpus


def _mido_parse(files):
    import mido

    return [mido.MidiFile(f) for f in files]


def _symusic_parse(files):
    from symusic import Score

    return [Score.from_midi(Path(f).read_bytes()) for f in files]


def _reread_count(files) -> int:
    from symusic import Score

    from seqgen.data_prep.midi_columns import note_columns, restruck

    return sum(restruck(note_columns(Score.from_midi(Path(f).read_bytes()), 0)) for f in files)


def compare(old, new) -> list[str]:
    """Per-file note-count differences between two corpora read from the same files."""
    old_notes = {p.name: Counter((n.pitch, round(n.start_beat, 3)) for n in p.notes) for p in old.performances}
    lines, differing, missing = [], 0, 0
    for p in new.performances:
        before = old_notes.get(p.name)
        if before is None:
            continue
        now = Counter((n.pitch, round(n.start_beat, 3)) for n in p.notes)
        if now != before:
            differing += 1
            missing += sum((before - now).values())
    lines.append(f"files whose notes differ: {differing}; notes the old reader has and the new does not: {missing}")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", help="MIDI files, folders or globs")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    old = old_reader()
    from seqgen.data_prep.midi_folder import find_midi_files, read_corpus

    files = find_midi_files(args.paths)
    print(f"{len(files)} files, {sum(f.stat().st_size for f in files) / 2**20:.1f} MB")
    results = {}
    for name, read in (("mido (old)", old.read_corpus), ("symusic (new)", read_corpus)):
        seconds, corpus = _timed(read, args.paths, args.repeats)
        notes = sum(len(p.notes) for p in corpus.performances)
        results[name] = corpus
        print(f"{name:14s} {seconds:7.3f} CPU s  {len(files) / seconds:9,.0f} files/s  {notes:9,} notes  "
              f"{len(corpus.performances)} read, {len(corpus.skipped)} skipped", flush=True)
    start = time.process_time()
    rows = sum(len(tuple(p.notes)) for p in results["symusic (new)"].performances)
    print(f"Note rows built on first use (a consumer iterating every note): {time.process_time() - start:.3f} CPU s "
          f"for {rows:,} notes")
    for name, parse in (("mido parse only", _mido_parse), ("symusic parse only", _symusic_parse)):
        seconds, notes = _timed(parse, files, args.repeats)
        print(f"{name:14s} {seconds:7.3f} CPU s  {len(files) / seconds:9,.0f} files/s  (no notes paired into seqgen notes)")
    reread = _reread_count(files)
    print(f"files re-paired by the retrigger rule (a key struck again while it sounds): {reread} of {len(files)}")
    for line in compare(results["mido (old)"], results["symusic (new)"]):
        print(line)
    dropped = Counter()
    for p in results["symusic (new)"].performances:
        dropped.update(dict(p.dropped))
    print(f"left out by the new reader: {dict(dropped) or 'nothing'}")


if __name__ == "__main__":
    main()
