"""Benchmark: do generated pieces release their notes? Polyphony and long notes, corpus vs generated.

Trains a small model briefly on a MIDI folder, generates ``--pieces`` pieces, and prints for the
corpus and for the pieces (decoded without bounds, and as ``seqgen generate midi`` writes them,
bounded by the corpus): mean polyphony (notes sounding on average while any sounds), the share
of notes longer than the corpus's 99th-percentile note length, the share of notes in the piece's
key (key estimated per piece from its duration-weighted pitch classes, Krumhansl-Kessler; minor
keys count their leading tone), what the bounds released, and the trained model's held-out nats per second of music.

    python benchmarks/midi_music21_corpus.py /tmp/m21            # once
    python benchmarks/midi_generation_bounds.py /tmp/m21/folk --encoding grid --epochs 3
    python benchmarks/midi_generation_bounds.py /tmp/m21/piano --encoding events --epochs 3
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np


def figures(pieces: list, p99: float) -> tuple[float, float, int, float]:
    """``(mean of the pieces' mean polyphony, share of notes longer than p99 seconds, notes, mean of the
    pieces' share of notes in their own estimated key)``."""
    from seqgen.data_prep.midi_notes import columns_of
    from seqgen.data_prep.midi_stats import polyphony
    from seqgen.data_prep.music_metrics import share_in_key

    means, in_key, long_notes, total = [], [], 0, 0
    for notes in pieces:
        _, sounding, note_time = polyphony(notes)
        means.append(note_time / sounding if sounding else 0.0)
        cols = columns_of(notes)
        lengths = cols["end"] - cols["start"]  # (notes,) seconds
        long_notes += int((lengths > p99 + 1e-9).sum())
        total += len(notes)
        if len(notes):
            in_key.append(share_in_key(cols["pitch"], lengths)[0])
    return float(np.mean(means)), long_notes / max(total, 1), total, float(np.mean(in_key)) if in_key else 0.0


def generated_events(run: Path, pieces: int, seconds: float, seed: int):
    from seqgen.data_prep.midi_events import EventCodec
    from seqgen.generate.sampling import SamplingConfig
    from seqgen.generate.midi_gen import generate_events
    from seqgen.generate.runs import open_run

    loaded = open_run(run, "midi")
    model, codec = loaded.model, loaded.codec
    rows, _ = generate_events(model, codec, np.array([], np.int32), pieces, SamplingConfig(seed=seed), seconds=seconds)
    free = EventCodec(replace(codec.config, max_note_ms=0, max_polyphony=0))
    unbounded = [free.decode(r) for r in rows]
    decoded = [codec.decode_counted(r) for r in rows]
    bounded = sum(sum(c.values()) for _, c in decoded)
    how = f"max_note_ms {codec.config.max_note_ms}, max_polyphony {codec.config.max_polyphony}"
    return unbounded, [n for n, _ in decoded], bounded, how


def generated_grids(run: Path, pieces: int, seconds: float, seed: int):
    from seqgen.data_prep.midi_grid import bound_holds, grid_to_notes
    from seqgen.generate.chorale_gen import generate_grids
    from seqgen.generate.sampling import SamplingConfig
    from seqgen.generate.midi_gen import grid_hold_limit
    from seqgen.generate.runs import open_run

    loaded = open_run(run, "midi")
    model, codec, info = loaded.model, loaded.codec, loaded.info.record
    bpm = float(info.get("bpm", 120.0))
    steps = round(seconds * bpm / 60 * 4)
    grids, _ = generate_grids(model, codec, None, steps, pieces, SamplingConfig(seed=seed))
    limit = grid_hold_limit(info)
    held = [bound_holds(g, limit) for g in grids]
    unbounded = [grid_to_notes(g, bpm=bpm) for g in grids]
    return unbounded, [grid_to_notes(g, bpm=bpm) for g, _ in held], sum(c for _, c in held), f"hold limit {limit} steps"


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--encoding", default="events", choices=("grid", "events"))
    parser.add_argument("--model", default="gru", choices=("lstm", "gru", "wavenet"))
    parser.add_argument("--preset", default="tiny")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--pieces", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def _train_and_generate(args: argparse.Namespace, tmp: str):
    """Train on the corpus, print the run's report and held-out scores, return the generated pieces."""
    from seqgen.models import driver
    from seqgen.models.midi_task import MidiDataConfig
    from seqgen.models.train import TrainConfig

    start = time.perf_counter()
    request = driver.TrainRequest(args.model, args.preset, {"corpus": args.paths}, MidiDataConfig(encoding=args.encoding),
                                  TrainConfig(epochs=args.epochs, learning_rate=3e-3))
    trained = driver.train("midi", Path(tmp) / "run", request, verbose=0)
    print(f"trained {args.model}/{args.preset} {args.encoding}, {args.epochs} epochs ({time.perf_counter() - start:.0f} s)")
    for line in trained.report:
        if line.startswith(("grid:", "events:", "notes left out")):
            print(" ", line)
    for line in driver.evaluate(trained.run).lines:  # held-out files: nats per second of music
        print(" ", line)
    make = generated_events if args.encoding == "events" else generated_grids
    return make(trained.run, args.pieces, args.seconds, args.seed)


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    from seqgen.data_prep.midi_folder import read_corpus
    from seqgen.data_prep.midi_stats import note_stats

    corpus = read_corpus(args.paths)
    p99 = note_stats(corpus.performances)["length_p99_s"]
    poly, share, notes, in_key = figures([p.notes for p in corpus.performances], p99)
    print(f"corpus: {len(corpus.performances)} files, {notes} notes, mean polyphony {poly:.2f}, "
          f"{100 * share:.2f}% of notes longer than its 99th percentile ({p99:.2f} s), "
          f"{100 * in_key:.1f}% of notes in the piece's key")
    with tempfile.TemporaryDirectory(prefix="seqgen-gen-bounds-") as tmp:
        unbounded, bounded, released, how = _train_and_generate(args, tmp)
    for label, pieces in (("generated, unbounded", unbounded), ("generated, bounded", bounded)):
        poly, share, notes, in_key = figures(pieces, p99)
        print(f"{label}: {len(pieces)} pieces, {notes} notes, mean polyphony {poly:.2f}, "
              f"{100 * share:.2f}% of notes longer than the corpus's 99th percentile, "
              f"{100 * in_key:.1f}% of notes in the piece's key")
    print(f"bounds ({how}): {released} notes released or cut")


if __name__ == "__main__":
    main()
