"""Benchmark: a MIDI corpus through both encodings, briefly trained, scored and sampled.

Prints files read and skipped, then per encoding: training time, held-out nats per step (grid: per
16th-note step of all voices; events: per event) and accuracy, and generation speed.

    python benchmarks/midi_corpus.py my_midi/ --epochs 2
    python benchmarks/midi_corpus.py --from-music21 12     # non-Bach works of music21's corpus, as MIDI

Keep runs short: this is a smoke benchmark of the pipeline, not a training recipe.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

COMPOSERS = ("mozart", "beethoven", "haydn", "schumann", "chopin", "joplin", "handel", "schubert")


def write_music21_works(folder: Path, count: int) -> list[Path]:
    """Up to ``count`` works of music21's bundled corpus (not Bach) written as MIDI files in ``folder``."""
    from music21 import converter, corpus

    written = []
    for composer in COMPOSERS:
        for source in sorted(corpus.getComposer(composer)):
            if len(written) == count:
                return written
            target = folder / f"{composer}-{Path(source).parent.name}-{Path(source).stem}.mid"
            try:
                converter.parse(source).write("midi", fp=str(target))
            except Exception as e:  # noqa: BLE001 - a work music21 cannot export is just left out
                print(f"  (music21 could not export {source}: {type(e).__name__})")
                continue
            written.append(target)
    return written


def generation_speed(run: Path, tokens: int) -> float:
    """Tokens per second drawn by the compiled sampler (one piece; compile time excluded)."""
    import numpy as np

    from seqgen.generate.runs import open_run
    from seqgen.generate.sampler import Sampler
    from seqgen.generate.sampling import make_strategy

    loaded = open_run(run, "midi")
    model, codec = loaded.model, loaded.codec
    sampler = Sampler(model, make_strategy(forbidden=codec.forbidden_ids), seed=0)
    primer = np.full((1, 1), codec.bos_id, np.int32)
    sampler.generate(primer, 8)  # traces and compiles both loops
    start = time.perf_counter()
    sampler.generate(primer, tokens)
    return tokens / (time.perf_counter() - start)


def bench_encoding(paths: list[str], encoding: str, args, workdir: Path) -> str:
    """Train, score and sample one encoding; one line of results."""
    from seqgen.models import driver
    from seqgen.models.midi_task import MidiDataConfig, score_midi
    from seqgen.models.train import TrainConfig

    data = MidiDataConfig(encoding=encoding, window=args.window, batch_size=args.batch_size, voices=args.voices)
    start = time.perf_counter()
    request = driver.TrainRequest(args.model, args.preset, {"corpus": paths}, data,
                                  TrainConfig(epochs=args.epochs, learning_rate=args.learning_rate))
    run = driver.train("midi", workdir / encoding, request, verbose=0).run
    trained = time.perf_counter() - start
    loaded = driver.load_run(run, "midi")
    info = loaded.info
    score = score_midi(loaded.model, loaded.codec, info.source, info.record, MidiDataConfig(**info.data))
    speed = generation_speed(run, args.gen_tokens)
    unit = "step" if encoding == "grid" else "event"
    per_step = speed / score.tokens.count * score.steps if encoding == "grid" else speed
    return (f"{encoding:6s} train {trained:6.1f} s | held-out {score.nats_per_step:.4f} nats per {unit} "
            f"(per token {score.tokens.nats_per_token:.4f}, accuracy {score.tokens.accuracy:.4f}) | "
            f"generation {speed:,.0f} tokens/s ({per_step:,.0f} {unit}s/s)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", help="MIDI files, folders or globs")
    parser.add_argument("--from-music21", type=int, default=0, metavar="N",
                        help="write N non-Bach works of music21's corpus as MIDI and use them")
    parser.add_argument("--model", default="gru", choices=("lstm", "gru", "wavenet"))
    parser.add_argument("--preset", default="tiny")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--window", type=int, default=None, help="steps (grid) or events per window")
    parser.add_argument("--voices", type=int, default=4)
    parser.add_argument("--gen-tokens", type=int, default=1000, help="tokens drawn to time generation")
    parser.add_argument("--encodings", default="grid,events")
    args = parser.parse_args(argv)
    if not args.paths and not args.from_music21:
        parser.error("give MIDI paths or --from-music21 N")

    from seqgen.data_prep.midi_folder import read_corpus

    with tempfile.TemporaryDirectory(prefix="seqgen-midi-bench-") as tmp:
        workdir, paths = Path(tmp), list(args.paths)
        if args.from_music21:
            (workdir / "music21").mkdir()
            start = time.perf_counter()
            written = write_music21_works(workdir / "music21", args.from_music21)
            print(f"wrote {len(written)} music21 works as MIDI ({time.perf_counter() - start:.1f} s)")
            paths.append(str(workdir / "music21"))
        corpus = read_corpus(paths)
        notes = sum(len(p.notes) for p in corpus.performances)
        print(f"files read: {len(corpus.performances)} ({notes} notes), skipped: {len(corpus.skipped)}")
        for path, reason in corpus.skipped:
            print(f"  skipped {path}: {reason}")
        print(f"model {args.model}/{args.preset}, {args.epochs} epochs")
        for encoding in args.encodings.split(","):
            print(bench_encoding(paths, encoding.strip(), args, workdir), flush=True)


if __name__ == "__main__":
    main()
