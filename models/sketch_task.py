"""Sketch classification end to end: drawings -> StrokePrep -> tf.data -> trainer -> run directory,
then evaluation (top-k, per class, confusion matrix) and classification of new files.

``run.json`` of a sketch run (task ``"sketch"``) holds everything needed to prepare new drawings
exactly as the training ones were: the class names, the :class:`StrokePrep` and the offset scale
computed on the training split; plus the model config and the data source (:class:`SketchSource`),
which re-reads the same split for evaluation (the files must still be there).
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from pathlib import Path
from typing import Callable, Sequence

import keras
import numpy as np
import tensorflow as tf

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.files import check_writable
from seqgen.data_prep.sketch_augment import SketchAugment
from seqgen.data_prep.sketch_formats import ReadStats
from seqgen.data_prep.sketch_pipeline import pad_strokes, sketch_dataset
from seqgen.data_prep.sketch_sources import describe, load_sketches, read_file
from seqgen.data_prep.stroke_ops import StrokePrep, prepare_drawing, prepare_splits
from seqgen.data_prep.strokes import SPLITS, SketchSet
from seqgen.data_prep.synthetic_sketches import SHAPES, synthetic_splits
from seqgen.models import run_dir as rd
from seqgen.models.sketch_classifier import SketchClassifierConfig, build_sketch_classifier, sketch_classifier_config
from seqgen.models.train import TrainConfig, fit, train_config_dict

TASK = "sketch"
SPLIT_FRACTIONS = (0.8, 0.1, 0.1)  # train/valid/test for sources without a published split
SYNTHETIC_PER_CLASS = 80  # training drawings per synthetic shape when per_class is not given


@dataclasses.dataclass(frozen=True)
class SketchSource:
    """Which drawings to use; saved in ``run.json`` so evaluation re-reads the very same split."""

    paths: tuple[str, ...] = ()  # files or folders of one layout (stored absolute)
    synthetic: bool = False  # the built-in synthetic shapes instead of files
    categories: tuple[str, ...] | None = None  # classes to keep; None: all of them
    max_categories: int | None = None  # keep only the first N classes by name; None: all
    per_class: int | None = None  # training drawings per class (valid/test in proportion); None: all
    seed: int = 0  # the split (ndjson, synthetic drawings) and the per-class sampling

    def __post_init__(self) -> None:
        if bool(self.paths) == bool(self.synthetic):
            raise SeqgenError("give sketch files (--data PATH) or --synthetic, exactly one of them")
        object.__setattr__(self, "paths", tuple(str(Path(p).resolve()) for p in self.paths))
        if self.categories is not None:
            object.__setattr__(self, "categories", tuple(self.categories))
            if not self.categories:
                raise SeqgenError("the category list is empty; name at least two categories")
        for name in ("max_categories", "per_class"):
            value = getattr(self, name)
            if value is not None and (int(value) != value or value < 1):
                raise SeqgenError(f"{name.replace('_', '-')} must be a whole number >= 1, got {value!r}")

    def to_dict(self) -> dict:
        """JSON-able; ``SketchSource.from_dict`` rebuilds it."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "SketchSource":
        fields = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items() if k in fields})

    def describe(self) -> str:
        """A few words for reports: what the drawings are."""
        what = "synthetic shapes" if self.synthetic else ", ".join(Path(p).name for p in self.paths)
        return f"{what} (split seed {self.seed})"

    def load(self, stats: ReadStats | None = None, raw: str = "simplify") -> dict[str, SketchSet]:
        """``{"train", "valid", "test"}`` drawings as read, classes sorted by name (``raw``: see StrokePrep)."""
        if self.synthetic:
            return self._synthetic()
        return load_sketches(self.paths, categories=self.categories, max_categories=self.max_categories,
                             per_class=self.per_class, seed=self.seed, split_fractions=SPLIT_FRACTIONS,
                             stats=stats, raw=raw)

    def _synthetic(self) -> dict[str, SketchSet]:
        names = sorted(SHAPES)
        if self.categories is not None:
            unknown = [c for c in self.categories if c not in SHAPES]
            if unknown:
                raise SeqgenError(f"category {unknown[0]!r} is not a synthetic shape "
                                  f"({', '.join(names)}); check the spelling")
            names = sorted(set(self.categories))
        names = names[:self.max_categories]
        per_class = self.per_class or SYNTHETIC_PER_CLASS
        return synthetic_splits(math.ceil(per_class / SPLIT_FRACTIONS[0]), classes=names, seed=self.seed,
                                fractions=SPLIT_FRACTIONS)


def data_summary(source: SketchSource) -> str:
    """What ``seqgen data sketches`` prints: categories, drawings per split, length statistics."""
    stats = ReadStats()
    return f"{source.describe()}\n{describe(source.load(stats), stats)}"


def check_classes(splits: dict[str, SketchSet]) -> list[str]:
    """The class names, checked: a classifier needs two classes with training drawings."""
    names = splits["train"].class_names
    if len(names) < 2:
        raise SeqgenError(f"only {len(names)} category ({', '.join(names) or 'none'}) in the data: "
                          "a classifier needs at least two; add categories")
    return names


def prepare_for_model(sketches: SketchSet, prep: StrokePrep, scale: float) -> SketchSet:
    """New drawings prepared as the training ones were (long ones cropped, never dropped)."""
    return sketches.map_strokes(lambda s: prepare_drawing(s, prep, scale))


def sketch_datasets(splits: dict[str, SketchSet], batch_size: int, seed: int = 0,
                    augment: SketchAugment | None = None):
    """``(train, valid or None)`` tf.data pipelines of prepared splits (training reshuffled and augmented)."""
    train = sketch_dataset(splits["train"], batch_size, shuffle=True, seed=seed, augment=augment)
    valid = sketch_dataset(splits["valid"], batch_size) if len(splits["valid"]) else None
    return train, valid


def new_run_info(preset: str, config: SketchClassifierConfig, names: list[str], prep: StrokePrep, scale: float,
                 source: SketchSource, batch_size: int, counts: dict[str, int], train: TrainConfig,
                 augment: SketchAugment | None = None, stats: ReadStats | None = None) -> dict:
    """``run.json`` of a new sketch run (with the augmentation and the formats the training data came in)."""
    read = {} if stats is None else {"formats": stats.formats, "converted": stats.converted,
                                     "skipped_files": stats.skipped_files, "bad_numbers": stats.bad_numbers}
    return {"task": TASK, "preset": preset, "model": config.to_dict(), "classes": names, "prep": prep.to_dict(),
            "scale": scale, "augment": (augment or SketchAugment.off()).to_dict(),
            "data": {"source": source.to_dict(), "batch_size": batch_size, "counts": counts, "read": read},
            "train": train_config_dict(train)}


def _check_resume(run: Path, info: dict, preset: str | None, source: SketchSource | None) -> None:
    if info.get("task") != TASK:
        raise SeqgenError(f"{run} is a {info.get('task')!r} run, not a sketch run; resume it with its own command")
    if preset is not None and preset != info["preset"]:
        raise SeqgenError(f"{run} trains the {info['preset']!r} model, not {preset!r}: drop --model to resume it")
    if source is not None and source != SketchSource.from_dict(info["data"]["source"]):
        raise SeqgenError(f"{run} was trained on other data; resume without data options to use its own")


def train_sketches(out: str | Path, *, source: SketchSource | None = None, preset: str | None = None,
                   prep: StrokePrep = StrokePrep(), batch_size: int = 32, train: TrainConfig = TrainConfig(),
                   augment: SketchAugment | None = None, resume: bool = False, force: bool = False, strategy=None,
                   verbose="auto", extra_callbacks=(), **model_overrides) -> Path:
    """Train a sketch classifier (``preset``, default ``default``) on ``source``; returns the run directory.

    On ``resume`` the run's own source, preset, preparation and scale are used (``source`` and
    ``preset``, when given, must be the run's).
    """
    if resume:
        run = rd.prepare_run_dir(out, resume=True)
        info = rd.read_run_info(run)
        _check_resume(run, info, preset, source)
        source, prep = SketchSource.from_dict(info["data"]["source"]), StrokePrep(**info["prep"])
        splits, _ = prepare_splits(source.load(raw=prep.raw), prep, info["scale"])
        augment = SketchAugment.from_dict(info.get("augment"))
        if splits["train"].class_names != info["classes"]:
            raise SeqgenError(f"the data of {run} now holds other categories; put the run's files back to resume")
        config, batch_size = SketchClassifierConfig.from_dict(info["model"]), info["data"]["batch_size"]
    else:
        # Everything is validated (data, classes, config, pipelines) before the run directory is touched.
        if source is None:
            raise SeqgenError("no drawings given: name sketch files or folders (--data PATH) or pass --synthetic")
        preset = preset or "default"
        config = sketch_classifier_config(preset, **model_overrides)
        stats = ReadStats()
        splits, scale = prepare_splits(source.load(stats, raw=prep.raw), prep)
        names = check_classes(splits)
    train_ds, valid_ds = sketch_datasets(splits, batch_size, train.seed, augment)
    if not resume:
        run = rd.prepare_run_dir(out, force=force)
        for stale in run.glob("confusion_*.png"):  # a replaced run's pictures go with it
            stale.unlink()
        counts = {k: len(v) for k, v in splits.items()}
        rd.write_run_info(run, new_run_info(preset, config, names, prep, scale, source, batch_size, counts, train,
                                            augment, stats))
    num_classes = len(splits["train"].class_names)
    fit(lambda: build_sketch_classifier(config, num_classes), train_ds, valid_ds, run, train, resume=resume,
        strategy=strategy, extra_callbacks=extra_callbacks, verbose=verbose)
    return run


def load_sketch_run(run: str | Path) -> tuple[keras.Model, dict]:
    """The classifier and ``run.json`` of a sketch run (the best checkpoint if training stopped early)."""
    run = Path(run)
    info = rd.read_run_info(run)
    if info.get("task") != TASK:
        raise SeqgenError(f"{run} is a {info.get('task')!r} run, not a sketch run; use 'seqgen evaluate' for it")
    model = rd.load_model_file(run)
    return model, info


def probability_function(model: keras.Model) -> Callable:
    """``strokes (batch, time, 3) -> probabilities (batch, classes)``, compiled once per model.

    One input signature with free batch and time sizes: traced on the first call, never again.
    Kept on the model itself, so it goes when the model goes.
    """
    if getattr(model, "_seqgen_probabilities", None) is None:
        spec = tf.TensorSpec([None, None, 3], tf.float32)
        model._seqgen_probabilities = tf.function(
            lambda strokes: tf.nn.softmax(tf.cast(model(strokes, training=False), tf.float32)), input_signature=[spec])
    return model._seqgen_probabilities


def predict_probabilities(model: keras.Model, sketches: SketchSet, batch_size: int = 256) -> np.ndarray:
    """Class probabilities ``(len(sketches), classes)`` float32 of prepared drawings, in their order.

    Drawings are batched by length (sorted), so a batch is padded only to about its own length;
    padding never changes a prediction (the classifier's masks are exact).
    """
    probabilities = probability_function(model)
    lengths = sketches.lengths()
    order = np.argsort(lengths, kind="stable")
    probs = np.zeros((len(sketches), int(model.output_shape[-1])), np.float32)
    for start in range(0, len(order), batch_size):
        chunk = order[start:start + batch_size]
        probs[chunk] = probabilities(pad_strokes([sketches.strokes[i] for i in chunk])).numpy()
    return probs


@dataclasses.dataclass(frozen=True)
class SketchScores:
    """Predictions for labelled drawings."""

    labels: np.ndarray  # (n,) true class indices
    probs: np.ndarray  # (n, classes) predicted probabilities
    seconds: float  # time spent predicting

    def top_k(self, k: int) -> float:
        """Share of drawings whose class is among the ``k`` most probable."""
        ranks = (self.probs > self.probs[np.arange(len(self.labels)), self.labels][:, None]).sum(axis=1)  # (n,)
        return float(np.mean(ranks < k)) if len(self.labels) else 0.0

    def confusion(self) -> np.ndarray:
        """Counts ``(classes, classes)``: row = true class, column = top-1 prediction."""
        matrix = np.zeros((self.probs.shape[1],) * 2, np.int64)
        np.add.at(matrix, (self.labels, self.probs.argmax(axis=1)), 1)
        return matrix


def score_sketches(model: keras.Model, sketches: SketchSet, batch_size: int = 256) -> SketchScores:
    """Predict every prepared drawing of ``sketches`` and keep the labels beside.

    ``seconds`` excludes compilation (a warm-up call first), so the rate measured is the steady one.
    """
    probability_function(model)(np.zeros((1, 1, 3), np.float32))
    start = time.perf_counter()
    probs = predict_probabilities(model, sketches, batch_size)
    return SketchScores(sketches.labels, probs, time.perf_counter() - start)


def run_split(info: dict, split: str) -> SketchSet:
    """One split of a run's data, re-read from its source and prepared as in training."""
    if split not in SPLITS:
        raise SeqgenError(f"unknown split {split!r}; choose from {', '.join(SPLITS)}")
    prep = StrokePrep(**info["prep"])
    sketches = SketchSource.from_dict(info["data"]["source"]).load(raw=prep.raw)[split]
    if sketches.class_names != info["classes"]:
        raise SeqgenError("the run's data now holds other categories than it was trained on; "
                          "put its files back as they were")
    if not len(sketches):
        raise SeqgenError(f"the {split!r} split of the run's data is empty; evaluate another split")
    return prepare_for_model(sketches, prep, info["scale"])


def evaluation_report(scores: SketchScores, names: Sequence[str], split: str) -> list[str]:
    """Top-1/3/5 and per-class top-1 accuracy, as printed by ``seqgen sketch evaluate``."""
    n = len(scores.labels)
    lines = [f"{split}: {n} drawings of {len(names)} categories ({scores.seconds:.1f} s, "
             f"{n / max(scores.seconds, 1e-9):,.0f} drawings/s)",
             "accuracy: " + "  ".join(f"top-{k} {scores.top_k(k):.4f}" for k in (1, 3, 5))]
    matrix = scores.confusion()
    totals, hits = matrix.sum(axis=1), np.diag(matrix)
    width = max(len(name) for name in names)
    lines.append("per category (top-1):")
    lines += [f"  {name:<{width}}  {hit / max(total, 1):.4f}  ({hit}/{total})"
              for name, hit, total in zip(names, hits, totals)]
    return lines


def evaluate_sketch(run: str | Path, split: str | None = None, data_dir: str | None = None,
                    out: str | os.PathLike | None = None, force: bool = False) -> str:
    """The report of ``seqgen sketch evaluate``; writes the confusion matrix PNG.

    The PNG goes to ``out`` (an existing file needs ``force``) or replaces
    ``RUN_DIR/confusion_<split>.png``. ``data_dir`` is unused (the signature of ``seqgen evaluate``).
    """
    from seqgen.generate.sketch_render import confusion_png  # drawing is generate's job; imported when needed

    split = split or "test"
    model, info = load_sketch_run(run)
    target = Path(out) if out is not None else Path(run) / f"confusion_{split}.png"
    if out is not None:
        check_writable(target, force)  # refused before any work
    scores = score_sketches(model, run_split(info, split))
    lines = evaluation_report(scores, info["classes"], split)
    title = f"{Path(run).name}: {split} top-1 {scores.top_k(1):.3f}"
    written = confusion_png(scores.confusion(), info["classes"], target, title, force=force or out is None)
    return "\n".join(lines + [f"confusion matrix: {written}"])


def read_drawings(path: str | os.PathLike, raw: str = "simplify") -> SketchSet:
    """Every drawing of one sketch file, any layout (npz: train, valid then test; ndjson: by word)."""
    return read_file(path, raw=raw)


def classify_file(run: str | Path, path: str | os.PathLike, top: int = 3,
                  indices: Sequence[int] | None = None) -> list[str]:
    """One line per drawing of ``path``: its index, the file's label, the ``top`` classes with probabilities."""
    from seqgen.generate.sketch_render import check_indices

    model, info = load_sketch_run(run)
    prep = StrokePrep(**info["prep"])
    sketches = read_drawings(path, raw=prep.raw)  # raw drawings are brought to the form the run trained on
    chosen = check_indices(indices, len(sketches), str(path)) if indices else list(range(len(sketches)))
    prepared = prepare_for_model(sketches.subset(chosen), prep, info["scale"])
    probs = predict_probabilities(model, prepared)
    names, agree, known = info["classes"], 0, 0
    lines = []
    for index, label, row in zip(chosen, prepared.labels, probs):
        best = np.argsort(-row, kind="stable")[:top]
        given = sketches.class_names[label]
        known += given in names
        agree += given == names[best[0]]
        guesses = "  ".join(f"{names[c]} {row[c]:.3f}" for c in best)
        lines.append(f"#{index} ({given}): {guesses}")
    if known:
        lines.append(f"top-1 matches the file's label for {agree} of {known} drawings labelled with a known class")
    return lines
