"""Sketch classification quality: the textbook classifier against ours on real QuickDraw drawings.

Reads ``../shared/data/quickdraw_simplified/`` (344 categories x 25 drawings, .ndjson) when it is
there, split once with seed 0 (20/2-3/2-3 drawings per category), and runs the experiment of
``seqgen sketch experiment`` for the first 20 categories and for all of them: each preset trained
with each seed for the same epochs and time budget. Prints top-1/top-5 (mean +- std over seeds),
parameters, and sketches per second in training and in classification. Without the shared data it
says so and uses the built-in synthetic shapes instead.

    python benchmarks/sketch_quality.py                                    # 20 and all categories, 3 seeds, 10 epochs
    python benchmarks/sketch_quality.py --categories 20 --epochs 2 --seeds 1   # a quick check
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
from pathlib import Path

from common import Timer, shared_file, table

from seqgen.generate.cli_common import import_tensorflow_quietly


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="sketch files or folder [default: shared quickdraw_simplified]")
    parser.add_argument("--categories", default="20,all", help="category counts to run, comma-separated ('all')")
    parser.add_argument("--models", default="textbook,default", help="classifier presets to compare")
    parser.add_argument("--seeds", type=int, default=3, help="training seeds per preset")
    parser.add_argument("--epochs", type=int, default=10, help="epochs per run (no early stopping)")
    parser.add_argument("--seconds", type=float, default=None, help="time budget per training run")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--out", default=None, help="keep the runs here (default: a temporary folder)")
    parser.add_argument("--force", action="store_true", help="replace earlier experiments in --out")
    return parser.parse_args(argv)


def category_counts(text: str) -> list[int | None]:
    """``"20,all"`` -> ``[20, None]`` (None: every category)."""
    return [None if part.strip() == "all" else int(part) for part in text.split(",") if part.strip()]


def run_size(args: argparse.Namespace, count: int | None, out: Path) -> list[dict]:
    from seqgen.models.sketch_experiment import run_experiment, summary_rows
    from seqgen.models.sketch_task import SketchSource
    from seqgen.models.train import TrainConfig

    data = args.data or shared_file("quickdraw_simplified")
    source = SketchSource(paths=(data,), max_categories=count) if data else SketchSource(
        synthetic=True, max_categories=count, per_class=20)
    train = TrainConfig(epochs=args.epochs, patience=args.epochs, learning_rate=args.learning_rate,
                        time_budget_s=args.seconds)
    label = "all" if count is None else str(count)
    print(f"\n== {label} categories of {source.describe()}: {args.models}, {args.seeds} seed(s), "
          f"{args.epochs} epoch(s)")
    results = run_experiment(out / f"categories-{label}", source=source, presets=args.models, seeds=args.seeds,
                             batch_size=args.batch_size, train=train, force=args.force, log=print)
    classes = len(json.loads((out / f"categories-{label}" / "experiment.json").read_text())["classes"])
    return [{"categories": classes, "model": r["model"], "seeds": r["seeds"],
             "top1": f"{r['top1_mean']:.4f} +- {r['top1_std']:.4f}",
             "top5": f"{r['top5_mean']:.4f} +- {r['top5_std']:.4f}",
             "params": f"{r['params']:,}", "epochs": f"{r['epochs']:.1f}", "train_s": f"{r['train_seconds']:.1f}",
             "train_sketches_per_s": f"{r['train_sketches_per_s']:,.0f}",
             "classify_sketches_per_s": f"{r['classify_sketches_per_s']:,.0f}"}
            for r in summary_rows(results)]


def run_all(args: argparse.Namespace, out: Path) -> None:
    rows = []
    with Timer() as timer:
        for count in category_counts(args.categories):
            rows += run_size(args, count, out)
    print("\n" + table(rows))
    print(f"\ntop-1/top-5 on the test split: mean +- sample std over seeds. train_sketches_per_s: training "
          f"passes after the first epoch (which compiles), validation excluded; train_s: wall time of training "
          f"with everything. Total {timer.seconds:.0f} s.")


def main(argv=None) -> int:
    args = parse_args(argv)
    import_tensorflow_quietly()  # TensorFlow's start-up notices are noise here
    from seqgen.data_prep.errors import SeqgenError

    with contextlib.ExitStack() as stack:  # a temporary folder unless --out keeps the runs
        out = Path(args.out) if args.out else Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sketch-")))
        try:
            run_all(args, out)
        except SeqgenError as e:
            sys.exit(f"Error: {e}")  # one line on stderr, exit status 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
