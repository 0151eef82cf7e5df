"""Benchmark: the MIDI encodings (grid, events, durations) trained the same way on the same files.

For each encoding: the same model and training (family, preset, epochs, learning rate, seed),
windows of the encoding's default length (grid 64 steps, events and durations 256 tokens), the
same held-out files (chosen by name). Reported: held-out nats per second of music (``seqgen
evaluate``), then ``--pieces`` pieces of ``--seconds`` s decoded *without any bound* (events: no
``max_note_ms``/``max_polyphony``; grid: no hold limit; durations needs none): mean polyphony, the
share of notes longer than the corpus's 99th-percentile note length, the share of notes in the
piece's key, and notes per second. Figures per piece as in ``midi_generation_bounds.figures``.

    python benchmarks/midi_music21_corpus.py /tmp/m21            # once
    python benchmarks/midi_encodings.py /tmp/m21/piano --epochs 4 --preset small
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from common import table  # noqa: F401  (sets sys.path to the checkout)
from midi_generation_bounds import figures

ENCODINGS = ("grid", "events", "durations")


def unbounded_pieces(run: Path, pieces: int, seconds: float, seed: int) -> list:
    """``pieces`` generated pieces of ``seconds`` s as notes, decoded without bounds."""
    from seqgen.data_prep.midi_events import EventCodec
    from seqgen.data_prep.midi_grid import grid_to_notes
    from seqgen.generate.chorale_gen import generate_grids
    from seqgen.generate.midi_gen import generate_events
    from seqgen.generate.runs import open_run
    from seqgen.generate.sampling import SamplingConfig

    loaded = open_run(run, "midi")
    model, codec, record = loaded.model, loaded.codec, loaded.info.record
    sampling = SamplingConfig(seed=seed)
    if not isinstance(codec, EventCodec):
        bpm = float(record.get("bpm", 120.0))
        grids, _ = generate_grids(model, codec, None, round(seconds * bpm / 60 * 4), pieces, sampling)
        return [grid_to_notes(g, bpm=bpm) for g in grids]
    rows, _ = generate_events(model, codec, np.array([], np.int32), pieces, sampling, seconds=seconds)
    if type(codec) is EventCodec:
        codec = EventCodec(replace(codec.config, max_note_ms=0, max_polyphony=0))  # no bound
    return [[n for n in codec.decode(r) if n.start < seconds] for r in rows]


def one_encoding(args: argparse.Namespace, encoding: str, tmp: str, p99: float) -> list[str]:
    from seqgen.models import driver
    from seqgen.models.midi_task import MidiDataConfig
    from seqgen.models.train import TrainConfig

    start = time.process_time()
    data = MidiDataConfig(encoding=encoding, voices=args.voices)
    request = driver.TrainRequest(args.model, args.preset, {"corpus": args.paths}, data,
                                  TrainConfig(epochs=args.epochs, learning_rate=args.learning_rate, seed=args.seed))
    trained = driver.train("midi", Path(tmp) / encoding, request, verbose=0)
    scores = driver.evaluate(trained.run).scores
    pieces = unbounded_pieces(trained.run, args.pieces, args.seconds, args.seed)
    poly, share, notes, in_key = figures(pieces, p99)
    cpu = time.process_time() - start
    return [encoding, f"{scores['nats_per_second']:.1f}", f"{100 * share:.2f}%", f"{poly:.2f}", f"{100 * in_key:.1f}%",
            f"{notes / (len(pieces) * args.seconds):.1f}", f"{cpu:.0f}"]


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--encodings", nargs="+", default=list(ENCODINGS), choices=ENCODINGS)
    parser.add_argument("--model", default="gru", choices=("lstm", "gru", "wavenet"))
    parser.add_argument("--preset", default="tiny")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--voices", type=int, default=None)
    parser.add_argument("--pieces", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    from seqgen.data_prep.midi_read import read_corpus
    from seqgen.data_prep.midi_stats import note_stats
    from seqgen.models.midi_task import split_corpus

    corpus = read_corpus(args.paths)
    split = split_corpus(corpus.performances)
    p99 = note_stats(corpus.performances)["length_p99_s"]
    poly, share, notes, in_key = figures([p.notes for p in corpus.performances], p99)
    seconds = sum(p.duration for p in corpus.performances)
    print(f"corpus: {len(corpus.performances)} files ({len(split.valid)} held out, "
          f"{sum(p.duration for p in split.valid):.0f} s), p99 note length {p99:.2f} s; "
          f"{args.model}/{args.preset}, {args.epochs} epochs, seed {args.seed}", flush=True)
    rows = [["corpus itself", "", f"{100 * share:.2f}%", f"{poly:.2f}", f"{100 * in_key:.1f}%",
             f"{notes / seconds:.1f}", ""]]
    with tempfile.TemporaryDirectory(prefix="seqgen-encodings-") as tmp:
        for encoding in args.encodings:
            rows.append(one_encoding(args, encoding, tmp, p99))
            print(" | ".join(rows[-1]), flush=True)
    head = ["encoding", "held-out nats/s", "notes > corpus p99 (unbounded)", "mean polyphony", "in key",
            "notes/s", "CPU s"]
    print("| " + " | ".join(head) + " |\n|" + "---|" * len(head))
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
