"""Text quality under a time budget: train on a corpus (last 10% of each file held out), then score
the WHOLE held-out part in nats (and bits) per character.

    python benchmarks/text_quality.py                                 # built-in Shakespeare, lstm/small, 10 min
    python benchmarks/text_quality.py my.txt --model wavenet --preset tiny --seconds 5 --window 64

Training stops after ``--seconds`` (checked after every batch; the epoch then ends with its
validation pass) or after ``--epochs``, whichever comes first. The run directory is kept when
``--out`` is given, else written to a temporary folder and removed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from seqgen.data_prep.errors import SeqgenError  # noqa: E402
from seqgen.models import driver  # noqa: E402
from seqgen.models.text_task import TextDataConfig  # noqa: E402
from seqgen.models.train import TimeBudget, TrainConfig  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="*", help="text files, folders or globs [default: the built-in Shakespeare]")
    parser.add_argument("--model", default="lstm", choices=["lstm", "gru", "wavenet"])
    parser.add_argument("--preset", default="small")
    parser.add_argument("--level", default="char", choices=["char", "word"])
    parser.add_argument("--seconds", type=float, default=600, help="training time budget")
    parser.add_argument("--epochs", type=int, default=1000, help="upper bound on epochs")
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument("--encoding", default="utf-8")
    parser.add_argument("--data-dir", default=None, help="cache folder for the built-in Shakespeare")
    parser.add_argument("--out", default=None, help="keep the run here (default: a temporary folder)")
    parser.add_argument("--force", action="store_true", help="replace an earlier run in --out")
    return parser.parse_args(argv)


def run(args: argparse.Namespace, out: Path) -> None:
    data = TextDataConfig(level=args.level, window=args.window, batch_size=args.batch_size, encoding=args.encoding)
    train = TrainConfig(epochs=args.epochs, learning_rate=args.learning_rate, patience=args.epochs)
    start = time.perf_counter()
    source = {"corpus": args.corpus, "shakespeare": not args.corpus}
    driver.train("text", out, driver.TrainRequest(args.model, args.preset, source, data, train), force=args.force,
                 data_dir=args.data_dir, verbose=2, callbacks=lambda *_: [TimeBudget(args.seconds, per_batch=True)])
    trained = time.perf_counter() - start
    report = driver.evaluate(out, "valid", args.data_dir).text()
    total = time.perf_counter() - start
    corpus = ", ".join(args.corpus) or "built-in Shakespeare"
    print(f"\n{args.model}/{args.preset} at {args.level} level on {corpus}")
    print(report)
    print(f"wall time: training {trained:.1f} s (budget {args.seconds:g} s), with evaluation {total:.1f} s")


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        if args.out:
            run(args, Path(args.out))
        else:
            with tempfile.TemporaryDirectory(prefix="seqgen-text-") as tmp:
                run(args, Path(tmp) / "run")
    except SeqgenError as e:
        print(f"Error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
