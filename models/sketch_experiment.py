"""Compare sketch classifier presets: each preset trained with each seed on ONE split, same epochs and budget.

::

    OUT/
      experiment.json          settings, and the results once finished
      results.md, results.csv  one row per preset: accuracy mean and spread over seeds, speed, size
      learning_curves.png      validation accuracy per epoch, per preset (mean over seeds, min-max band)
      <preset>-seed<k>/        an ordinary sketch run (seqgen evaluate/classify work on it)

The split and the offset scale are computed once and shared, so presets differ only in the model
and seeds only in initialisation, dropout and batch order.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import shutil
import time
from pathlib import Path
from typing import Callable, Sequence

import keras
import numpy as np

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.files import atomic_path
from seqgen.data_prep.sketch_augment import SketchAugment
from seqgen.data_prep.sketch_codec import SketchCodec
from seqgen.data_prep.sketch_formats import ReadStats
from seqgen.data_prep.stroke_ops import StrokePrep, prepare_splits
from seqgen.data_prep.strokes import SketchSet
from seqgen.models import run_dir as rd
from seqgen.models.sketch_classifier import sketch_classifier_config
from seqgen.models.sketch_task import (SketchDataConfig, SketchSource, SketchTask, check_classes, score_sketches,
                                       sketch_datasets)
from seqgen.models.task import Prepared
from seqgen.models.train import TrainConfig

EXPERIMENT_FILE, TABLE_MD, TABLE_CSV, CURVES_PNG = "experiment.json", "results.md", "results.csv", "learning_curves.png"
_OUTPUTS = (EXPERIMENT_FILE, TABLE_MD, TABLE_CSV, CURVES_PNG)


@dataclasses.dataclass(frozen=True)
class TrialResult:
    """One preset trained with one seed, scored on the test split."""

    preset: str
    seed: int
    top1: float  # test accuracy
    top5: float  # test top-5 accuracy
    params: int  # trainable and other weights
    epochs: int  # epochs actually run (a time budget or early stopping may end sooner)
    train_seconds: float  # wall time of training (with compilation and validation)
    train_rate: float  # training drawings per second in the training passes (see TrainingTimer)
    classify_rate: float  # test drawings classified per second
    val_accuracy: tuple[float, ...]  # per epoch; empty without a validation split


@dataclasses.dataclass(frozen=True)
class SharedData:
    """The split every trial uses: prepared train/valid/test, their classes, and how they were prepared."""

    splits: dict[str, SketchSet]  # prepared train and valid
    test: SketchSet  # prepared as new drawings are (cropped, never dropped)
    codec: SketchCodec  # class names, preparation and scale
    stats: ReadStats  # formats read, drawings converted or skipped


def parse_presets(text: str | Sequence[str]) -> list[str]:
    """``"textbook,default"`` -> checked, distinct preset names."""
    names = [p.strip() for p in (text.split(",") if isinstance(text, str) else text) if p.strip()]
    if not names:
        raise SeqgenError("no models to compare; give presets like --models textbook,default")
    repeated = sorted({p for p in names if names.count(p) > 1})
    if repeated:
        raise SeqgenError(f"model {repeated[0]!r} is listed twice in --models; list each once")
    for name in names:
        sketch_classifier_config(name)  # unknown presets fail here, naming the known ones
    return names


def shared_data(source: SketchSource, prep: StrokePrep) -> SharedData:
    """Load and prepare the split once for all trials."""
    stats = ReadStats()
    raw = source.load(stats, raw=prep.raw)
    splits, scale = prepare_splits(raw, prep)
    names = check_classes(splits)
    if not len(raw["test"]):
        raise SeqgenError("the test split is empty; give more drawings per category")
    codec = SketchCodec(tuple(names), prep, scale)
    return SharedData(splits, codec.prepare(raw["test"]), codec, stats)


def prepare_experiment_dir(out: str | Path, force: bool) -> Path:
    """A new or empty folder, or (with ``force``) an earlier experiment, whose entries are removed."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise SeqgenError(f"{str(out)!r} is a file; give a folder for the experiment")
    entries = list(out.iterdir()) if out.is_dir() else []
    if entries and not force:
        raise SeqgenError(f"{str(out)!r} is not empty; pass --force to replace an earlier experiment, "
                          "or choose a new folder")
    if entries and not (out / EXPERIMENT_FILE).exists():
        raise SeqgenError(f"{str(out)!r} holds files that are not a seqgen experiment; "
                          "--force only replaces experiments")
    strangers = [e.name for e in entries if e.name not in _OUTPUTS and not (e / rd.RUN_FILE).exists()]
    if strangers:
        raise SeqgenError(f"{str(out)!r} also holds {strangers[0]!r}, which is not part of an experiment; move it away")
    for entry in entries:
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    out.mkdir(parents=True, exist_ok=True)
    return out


class TrainingTimer(keras.callbacks.Callback):
    """Seconds of each epoch's training pass, validation excluded."""

    def __init__(self):
        super().__init__()
        self.seconds: list[float] = []
        self._start: float | None = None

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_test_begin(self, logs=None):  # the epoch's validation starts: its training pass is over
        self._stop()

    def on_epoch_end(self, epoch, logs=None):
        self._stop()

    def _stop(self) -> None:
        if self._start is not None:
            self.seconds.append(time.perf_counter() - self._start)
            self._start = None

    def steady_seconds(self) -> float:
        """Mean seconds per training pass, leaving out the first (it compiles) when there are others."""
        passes = self.seconds[1:] or self.seconds
        return float(np.mean(passes)) if passes else float("nan")


def run_trial(run: Path, data: SharedData, source: SketchSource, preset: str, batch_size: int,
              train: TrainConfig, verbose=0, augment: SketchAugment | None = None) -> TrialResult:
    """Train ``preset`` with ``train.seed`` into the new run folder ``run`` and score it on the test split."""
    from seqgen.models.driver import TrainRequest, train as train_run

    counts = {k: len(v) for k, v in data.splits.items()} | {"test": len(data.test)}
    augment = augment or SketchAugment.off()
    read = {"formats": data.stats.formats, "converted": data.stats.converted,
            "skipped_files": data.stats.skipped_files, "bad_numbers": data.stats.bad_numbers}
    prepared = Prepared(data.codec, *sketch_datasets(data.splits, batch_size, train.seed, augment),
                        {"counts": counts, "read": read})
    request = TrainRequest(family=preset, source=source.to_dict(),
                           data=SketchDataConfig(batch_size, data.codec.prep, augment), train=train)
    timer, start = TrainingTimer(), time.perf_counter()
    trained = train_run(SketchTask(), run, request, prepared=prepared, callbacks=lambda *_: [timer], verbose=verbose)
    seconds = time.perf_counter() - start
    history = trained.history
    scores = score_sketches(history.model, data.test)
    return TrialResult(preset, train.seed, scores.top_k(1), scores.top_k(5), int(history.model.count_params()),
                       len(history.history["loss"]), seconds, len(data.splits["train"]) / timer.steady_seconds(),
                       len(data.test) / max(scores.seconds, 1e-9),
                       tuple(float(v) for v in history.history.get("val_accuracy", [])))


def run_experiment(out: str | Path, *, source: SketchSource, presets: str | Sequence[str], seeds: int = 3,
                   prep: StrokePrep = StrokePrep(), batch_size: int = 32, train: TrainConfig = TrainConfig(),
                   force: bool = False, verbose=0, log: Callable[[str], None] | None = None,
                   augment: SketchAugment | None = None) -> list[TrialResult]:
    """Train every preset with seeds ``train.seed .. train.seed + seeds - 1``; write tables and curves."""
    presets = parse_presets(presets)
    if seeds < 1:
        raise SeqgenError(f"seeds must be at least 1, got {seeds}")
    data = shared_data(source, prep)  # everything is validated before the folder is touched
    out = prepare_experiment_dir(out, force)
    settings = {"task": "sketch-experiment", "presets": presets, "seeds": seeds, "source": source.to_dict(),
                "prep": prep.to_dict(), "scale": data.codec.scale, "classes": list(data.codec.classes),
                "augment": (augment or SketchAugment.off()).to_dict(), "batch_size": batch_size,
                "train": dataclasses.asdict(train)}
    _write_json(out / EXPERIMENT_FILE, {**settings, "finished": False})
    results = []
    for preset in presets:
        for seed in range(train.seed, train.seed + seeds):
            result = run_trial(out / f"{preset}-seed{seed}", data, source, preset, batch_size,
                               dataclasses.replace(train, seed=seed), verbose, augment)
            results.append(result)
            if log:
                log(f"{preset} seed {seed}: top-1 {result.top1:.4f}  top-5 {result.top5:.4f}  "
                    f"{result.epochs} epochs in {result.train_seconds:.1f} s")
    write_report(out, results)
    _write_json(out / EXPERIMENT_FILE, {**settings, "finished": True,
                                        "trials": [dataclasses.asdict(r) for r in results]})
    return results


def summary_rows(results: Sequence[TrialResult]) -> list[dict]:
    """One row per preset (in first-seen order): means, and the spread (sample std) across seeds."""
    rows = []
    for preset in dict.fromkeys(r.preset for r in results):
        mine = [r for r in results if r.preset == preset]
        column = lambda name: np.array([getattr(r, name) for r in mine], np.float64)  # noqa: E731
        spread = lambda name: float(np.std(column(name), ddof=1)) if len(mine) > 1 else 0.0  # noqa: E731
        rows.append({"model": preset, "seeds": len(mine), "top1_mean": float(column("top1").mean()),
                     "top1_std": spread("top1"), "top5_mean": float(column("top5").mean()),
                     "top5_std": spread("top5"), "params": mine[0].params,
                     "epochs": float(column("epochs").mean()), "train_seconds": float(column("train_seconds").mean()),
                     "train_sketches_per_s": float(column("train_rate").mean()),
                     "classify_sketches_per_s": float(column("classify_rate").mean())})
    return rows


def markdown_table(rows: Sequence[dict]) -> str:
    """Rows (same keys) as a Markdown table; floats with 4 decimals (rates and seconds with 1)."""
    def cell(key: str, value) -> str:
        if isinstance(value, float):
            return f"{value:.4f}" if key.startswith("top") else f"{value:,.1f}"
        return f"{value:,}" if isinstance(value, int) else str(value)

    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    return "\n".join(lines + ["| " + " | ".join(cell(k, r[k]) for k in keys) + " |" for r in rows])


def write_report(out: Path, results: Sequence[TrialResult]) -> None:
    """``results.md`` and ``results.csv`` in ``out`` (each written atomically); the learning curves
    (:func:`learning_curves`) are drawn by ``seqgen.generate``."""
    rows = summary_rows(results)
    with atomic_path(out / TABLE_MD) as tmp:
        tmp.write_text(markdown_table(rows) + "\n\nSpread: sample standard deviation across seeds.\n")
    with atomic_path(out / TABLE_CSV) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def learning_curves(results: Sequence[TrialResult]) -> dict[str, list[tuple[float, ...]]]:
    """Validation accuracy per epoch, per preset (one curve per seed), for the learning-curves PNG."""
    return {preset: [r.val_accuracy for r in results if r.preset == preset]
            for preset in dict.fromkeys(r.preset for r in results)}


def _write_json(path: Path, data: dict) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2))
