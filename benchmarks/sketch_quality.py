"""Sketch classification quality: the textbook classifier against ours on real QuickDraw drawings.

Reads ``../shared/data/quickdraw_simplified/`` (344 categories x 25 drawings, .ndjson) when it is
there, split once with seed 0 (20/2-3/2-3 drawings per category), and runs the experiment of
``seqgen experiment sketches`` for the first 20 categories and for all of them: each preset trained
with each seed for the same epochs and time budget. Prints top-1/top-5 (mean +- std over seeds),
parameters, and sketches per second in training and in classification. Without the shared data it
says so and uses the built-in synthetic shapes instead.

    python benchmarks/sketch_quality.py                                    # 20 and all categories, 3 seeds, 10 epochs
    python benchmarks/sketch_quality.py --categories 20 --epochs 2 --seeds 1   # a quick check

``--study formats`` instead measures the data side on all categories: how closely Google's
simplification recipe applied to ``quickdraw_raw`` reproduces ``quickdraw_simplified`` (nearest
point distances, point counts), then trains the ``default`` preset on the SAME drawings three
ways: simplified without augmentation, simplified with augmentation, raw (converted on reading)
without augmentation. Only drawings present in both folders are used (matched by ``key_id``), in
the same order, so the seeded split picks the same drawings for raw and simplified.

    python benchmarks/sketch_quality.py --study formats --seeds 2 --epochs 12
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
    parser.add_argument("--study", choices=("presets", "formats"), default="presets",
                        help="presets: compare models; formats: raw vs simplified, augmentation on/off")
    parser.add_argument("--model", default="default", help="the preset trained by --study formats")
    parser.add_argument("--cases", default="plain,augment,raw",
                        help="--study formats: which of simplified (plain), simplified+augment, raw to train")
    parser.add_argument("--augment", default="off", help="--study presets: augmentation (off, on, or settings)")
    return parser.parse_args(argv)


def category_counts(text: str) -> list[int | None]:
    """``"20,all"`` -> ``[20, None]`` (None: every category)."""
    return [None if part.strip() == "all" else int(part) for part in text.split(",") if part.strip()]


def run_size(args: argparse.Namespace, count: int | None, out: Path) -> list[dict]:
    from seqgen.data_prep.sketch_augment import parse_augment
    from seqgen.models.sketch_experiment import run_experiment, summary_rows
    from seqgen.models.sketch_task import SketchSource
    from seqgen.models.train import TrainConfig

    augment = parse_augment(args.augment)
    data = args.data or shared_file("quickdraw_simplified")
    source = SketchSource(paths=(data,), max_categories=count) if data else SketchSource(
        synthetic=True, max_categories=count, per_class=20)
    train = TrainConfig(epochs=args.epochs, patience=args.epochs, learning_rate=args.learning_rate,
                        time_budget_s=args.seconds)
    label = "all" if count is None else str(count)
    print(f"\n== {label} categories of {source.describe()}: {args.models}, {args.seeds} seed(s), "
          f"{args.epochs} epoch(s), augmentation {augment.to_dict() if augment.enabled else 'off'}")
    results = run_experiment(out / f"categories-{label}", source=source, presets=args.models, seeds=args.seeds,
                             batch_size=args.batch_size, train=train, force=args.force, log=print, augment=augment)
    classes = len(json.loads((out / f"categories-{label}" / "experiment.json").read_text())["classes"])
    return [{"categories": classes, "model": r["model"], "augment": args.augment, "seeds": r["seeds"],
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


def paired_folder(raw_dir: Path, simplified_dir: Path, out: Path) -> Path:
    """``out`` with the simplified drawings whose key_id is in the raw file, in raw order, per category."""
    out.mkdir(parents=True, exist_ok=True)
    for raw_file in sorted(raw_dir.glob("*.ndjson")):
        keys = [json.loads(line)["key_id"] for line in raw_file.open(encoding="utf-8") if line.strip()]
        simplified = {}
        for line in (simplified_dir / raw_file.name).open(encoding="utf-8"):
            if line.strip():
                simplified[json.loads(line)["key_id"]] = line if line.endswith("\n") else line + "\n"
        (out / raw_file.name).write_text("".join(simplified[k] for k in keys if k in simplified), encoding="utf-8")
    return out


def conversion_agreement(raw_dir: Path, simplified_dir: Path) -> dict:
    """Google's recipe on every raw drawing against the published simplified one (same key_id)."""
    import numpy as np

    from seqgen.data_prep.stroke_ops import google_simplify

    per_drawing, counts, exact = [], [], 0
    for raw_file in sorted(raw_dir.glob("*.ndjson")):
        simplified = {r["key_id"]: r for r in map(json.loads, (simplified_dir / raw_file.name).open(encoding="utf-8"))}
        for record in map(json.loads, raw_file.open(encoding="utf-8")):
            target = simplified.get(record["key_id"])
            if target is None:
                continue
            ours = np.concatenate(google_simplify([np.array(s[:2], float).T for s in record["drawing"]]))
            theirs = np.concatenate([np.array(s, float).T for s in target["drawing"]])
            dist = np.hypot(*(ours[:, None, :] - theirs[None, :, :]).transpose(2, 0, 1))  # (ours, theirs)
            both = np.concatenate([dist.min(axis=1), dist.min(axis=0)])  # nearest point, both directions
            per_drawing.append((both.mean(), both.max()))
            counts.append((len(ours), len(theirs)))
            exact += bool(both.max() == 0)
    d, c = np.array(per_drawing), np.array(counts)
    return {"drawings": len(d), "identical": exact / len(d), "mean_px": float(d[:, 0].mean()),
            "p95_of_mean_px": float(np.percentile(d[:, 0], 95)), "p99_of_mean_px": float(np.percentile(d[:, 0], 99)),
            "within_0.5px": float(np.mean(d[:, 0] <= 0.5)), "same_point_count": float(np.mean(c[:, 0] == c[:, 1])),
            "points_ours": float(c[:, 0].mean()), "points_google": float(c[:, 1].mean())}


def run_formats(args: argparse.Namespace, out: Path) -> None:
    """Conversion agreement, then simplified / simplified+augment / raw on the same drawings."""
    from seqgen.data_prep.sketch_augment import SketchAugment
    from seqgen.models.sketch_experiment import run_experiment, summary_rows
    from seqgen.models.sketch_task import SketchSource
    from seqgen.models.train import TrainConfig

    raw_dir, simplified_dir = shared_file("quickdraw_raw"), shared_file("quickdraw_simplified")
    if raw_dir is None or simplified_dir is None:
        sys.exit("--study formats needs ../shared/data/quickdraw_raw and quickdraw_simplified")
    with Timer() as timer:
        agreement = conversion_agreement(raw_dir, simplified_dir)
    print(f"raw -> simplified agreement ({timer.seconds:.0f} s):\n" + table([agreement]))
    paired = paired_folder(raw_dir, simplified_dir, out / "paired-simplified")
    train = TrainConfig(epochs=args.epochs, patience=args.epochs, learning_rate=args.learning_rate,
                        time_budget_s=args.seconds)
    cases = {"plain": ("simplified", paired, SketchAugment.off()), "augment": ("simplified", paired, SketchAugment()),
             "raw": ("raw", raw_dir, SketchAugment.off())}
    cases = [cases[c.strip()] for c in args.cases.split(",") if c.strip()]
    rows = []
    for name, folder, augment in cases:
        label = f"{name}-{'augment' if augment.enabled else 'plain'}"
        print(f"\n== {label}: {args.model}, {args.seeds} seed(s), {args.epochs} epoch(s)", flush=True)
        with Timer() as timer:
            results = run_experiment(out / label, source=SketchSource(paths=(str(folder),)), presets=args.model,
                                     seeds=args.seeds, batch_size=args.batch_size, train=train, force=args.force,
                                     log=lambda line: print(line, flush=True), augment=augment)
        r = summary_rows(results)[0]
        rows.append({"data": name, "augment": "on" if augment.enabled else "off", "seeds": r["seeds"],
                     "top1": f"{r['top1_mean']:.4f} +- {r['top1_std']:.4f}",
                     "top5": f"{r['top5_mean']:.4f} +- {r['top5_std']:.4f}",
                     "per_seed_top1": " ".join(f"{t.top1:.4f}" for t in results),
                     "epochs": f"{r['epochs']:.1f}", "train_s": f"{r['train_seconds']:.0f}",
                     "total_s": f"{timer.seconds:.0f}"})
    print("\n" + table(rows))
    print(f"\naugmentation: {SketchAugment().to_dict()}")


def main(argv=None) -> int:
    args = parse_args(argv)
    import_tensorflow_quietly()  # TensorFlow's start-up notices are noise here
    from seqgen.data_prep.errors import SeqgenError

    with contextlib.ExitStack() as stack:  # a temporary folder unless --out keeps the runs
        out = Path(args.out) if args.out else Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sketch-")))
        try:
            run_formats(args, out) if args.study == "formats" else run_all(args, out)
        except SeqgenError as e:
            sys.exit(f"Error: {e}")  # one line on stderr, exit status 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
