"""The sketch task: drawings -> StrokePrep -> tf.data batches for a classifier, and scoring (top-k,
per class, confusion matrix).

The run's codec (:class:`~seqgen.data_prep.sketch_codec.SketchCodec`: class names, stroke
preparation, the offset scale of the training split) prepares new drawings exactly as the training
ones were; the source (:class:`SketchSource`) re-reads the same split for evaluation (the files must
still be there).
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Callable, Sequence

import keras
import numpy as np
import tensorflow as tf

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.sketch_augment import SketchAugment
from seqgen.data_prep.sketch_formats import ReadStats
from seqgen.data_prep.sketch_pipeline import pad_strokes, sketch_dataset
from seqgen.data_prep.stroke_ops import StrokePrep, prepare_splits
from seqgen.data_prep.strokes import SPLITS, SketchSet
from seqgen.data_prep.sketch_codec import SketchCodec, prep_from_dict
from seqgen.data_prep.sketch_source import (SPLIT_FRACTIONS, SYNTHETIC_PER_CLASS, SketchSource,  # noqa: F401 - re-exported
                                             data_summary)
from seqgen.models.sketch_classifier import (PRESETS, SketchClassifierConfig, build_sketch_classifier,
                                             sketch_classifier_config)
from seqgen.models.task import Evaluation, Prepared, Task

TASK = "sketch"
CLASSIFIERS = tuple(PRESETS)  # what --model names for sketches


def check_classes(splits: dict[str, SketchSet]) -> list[str]:
    """The class names, checked: a classifier needs two classes with training drawings."""
    names = splits["train"].class_names
    if len(names) < 2:
        raise SeqgenError(f"only {len(names)} category ({', '.join(names) or 'none'}) in the data: "
                          "a classifier needs at least two; add categories")
    return names


def sketch_datasets(splits: dict[str, SketchSet], batch_size: int, seed: int = 0,
                    augment: SketchAugment | None = None):
    """``(train, valid or None)`` tf.data pipelines of prepared splits (training reshuffled and augmented)."""
    train = sketch_dataset(splits["train"], batch_size, shuffle=True, seed=seed, augment=augment)
    valid = sketch_dataset(splits["valid"], batch_size) if len(splits["valid"]) else None
    return train, valid


@dataclasses.dataclass(frozen=True)
class SketchDataConfig:
    """How drawings become training batches."""

    batch_size: int = 32  # drawings per batch
    prep: StrokePrep = StrokePrep()  # raw conversion, simplification, length limit, normalisation
    augment: SketchAugment = SketchAugment()  # random variation of training drawings (never at evaluation)

    def __post_init__(self) -> None:
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise SeqgenError(f"SketchDataConfig.batch_size must be an integer >= 1, got {self.batch_size!r}")


class SketchTask(Task):
    """Sketch classification: drawings (QuickDraw ndjson, sketch-rnn npz, TFRecords, synthetic) -> class."""

    name = TASK
    data_config = SketchDataConfig
    families = CLASSIFIERS
    default_family = "default"
    default_preset = "default"

    def normalise_source(self, source: dict) -> dict:
        if not source or not (source.get("paths") or source.get("synthetic")):
            raise SeqgenError("no drawings given: name sketch files or folders (--data PATH) or pass --synthetic")
        return SketchSource.from_dict(source).to_dict()

    def new_data_config(self, values: dict) -> SketchDataConfig:
        values = dict(values)
        return SketchDataConfig(batch_size=values.pop("batch_size", 32), prep=prep_from_dict(values.pop("prep", {})),
                                augment=SketchAugment.from_dict(values.pop("augment", None)))

    def prepare(self, source, data, *, seed=0, data_dir=None, codec=None, record=None) -> Prepared:
        stats = ReadStats()
        splits, scale = prepare_splits(SketchSource.from_dict(source).load(stats, raw=data.prep.raw), data.prep,
                                       None if codec is None else codec.scale)
        names = check_classes(splits)
        if codec is None:
            codec = SketchCodec(tuple(names), data.prep, scale)
        elif list(codec.classes) != names:
            raise SeqgenError("the run's data now holds other categories than it was trained on; "
                              "put its files back as they were to resume")
        if not all(np.isfinite(s).all() for s in splits["train"].strokes):
            raise SeqgenError("the training drawings hold non-finite numbers after preparation; check the files")
        train, valid = sketch_datasets(splits, data.batch_size, seed, data.augment)
        counts = {k: len(v) for k, v in splits.items()}
        read = {"formats": stats.formats, "converted": stats.converted, "skipped_files": stats.skipped_files,
                "bad_numbers": stats.bad_numbers}
        report = [f"{len(names)} categories; drawings: " + ", ".join(f"{k} {v}" for k, v in counts.items())]
        return Prepared(codec, train, valid, record or {"counts": counts, "read": read},
                        report + [line for line in stats.summary().splitlines() if line])

    def model_config(self, family, preset, codec, overrides, data=None):
        return sketch_classifier_config(family, **overrides)

    def config_to_dict(self, config) -> dict:
        return {"family": self._family(config), **config.to_dict()}

    def config_from_dict(self, values: dict):
        return SketchClassifierConfig.from_dict({k: v for k, v in values.items() if k != "family"})

    def build_model(self, config, codec):
        return build_sketch_classifier(config, codec.vocab_size)

    def load_codec(self, values):
        return SketchCodec.from_config(values or {})

    def evaluate(self, run, split, data_dir=None) -> Evaluation:
        scores = score_sketches(run.model, run_split(run.info.source, run.codec, split))
        lines = evaluation_report(scores, run.codec.classes, split)
        title = f"{Path(run.path).name}: {split} top-1 {scores.top_k(1):.3f}"
        return Evaluation(lines, {f"top{k}": scores.top_k(k) for k in (1, 3, 5)},
                          {"confusion": (scores.confusion(), list(run.codec.classes), title)})

    def upgrade_v1(self, values: dict) -> dict:
        data = dict(values.get("data") or {})
        codec = {"type": "sketch", "classes": values.get("classes"), "prep": values.get("prep", {}),
                 "scale": values.get("scale", 1.0)}
        model = {"family": values.get("preset") or "default", **(values.get("model") or {})}
        rest = {k: v for k, v in values.items() if k not in ("classes", "prep", "scale", "augment")}
        return {**rest, "format": 2, "model": model, "codec": codec, "source": data.get("source", {}),
                "data": {"batch_size": data.get("batch_size", 32), "prep": values.get("prep", {}),
                         "augment": values.get("augment") or SketchAugment.off().to_dict()},
                "record": {"counts": data.get("counts", {}), "read": data.get("read", {})}, "seqgen_version": "0.1.0"}

    @staticmethod
    def _family(config) -> str:
        return config.name


def load_sketch_run(run: str | Path):
    """The loaded sketch run (:class:`seqgen.models.driver.LoadedRun`): model, codec, run.json."""
    from seqgen.models.driver import load_run

    return load_run(run, TASK)


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


def run_split(source: dict, codec: SketchCodec, split: str) -> SketchSet:
    """One split of a run's data, re-read from its source and prepared as in training."""
    if split not in SPLITS:
        raise SeqgenError(f"unknown split {split!r}; choose from {', '.join(SPLITS)}")
    sketches = SketchSource.from_dict(source).load(raw=codec.prep.raw)[split]
    if sketches.class_names != list(codec.classes):
        raise SeqgenError("the run's data now holds other categories than it was trained on; "
                          "put its files back as they were")
    if not len(sketches):
        raise SeqgenError(f"the {split!r} split of the run's data is empty; evaluate another --split")
    return codec.prepare(sketches)


def evaluation_report(scores: SketchScores, names: Sequence[str], split: str) -> list[str]:
    """Top-1/3/5 and per-class top-1 accuracy, as printed by ``seqgen evaluate``."""
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
