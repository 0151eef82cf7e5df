"""The codec of a sketch classifier: everything needed to turn a new drawing into what the model saw.

A sketch run's "vocabulary" is its class names; its encoding is the stroke preparation
(:class:`StrokePrep`) plus the offset scale computed on the training split. Saved in ``run.json``
like every codec (``type: "sketch"``), so classify and evaluate prepare drawings exactly as training did.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.stroke_ops import StrokePrep, prepare_drawing
from seqgen.data_prep.strokes import SketchSet


@dataclass(frozen=True)
class SketchCodec:
    """Class names, stroke preparation and offset scale of a sketch run."""

    classes: tuple[str, ...]  # class index -> name, sorted by name
    prep: StrokePrep = StrokePrep()  # how drawings were simplified, cropped and re-origined
    scale: float = 1.0  # offsets are divided by this (the training split's standard deviation)

    type_name = "sketch"
    period = 1  # one row per step (the codec contract's field; a classifier never samples)

    def __post_init__(self) -> None:
        if len(self.classes) < 2:
            raise SeqgenError(f"a sketch classifier needs at least two classes, got {len(self.classes)}; add categories")
        if not (isinstance(self.scale, (int, float)) and np.isfinite(self.scale) and self.scale > 0):
            raise SeqgenError(f"sketch codec scale must be a finite number > 0, got {self.scale!r}")

    @property
    def vocab_size(self) -> int:
        """Number of classes (the output width of the classifier)."""
        return len(self.classes)

    def encode(self, strokes: np.ndarray) -> np.ndarray:
        """One drawing (stroke-3) prepared as the training drawings were; long drawings are cropped."""
        return prepare_drawing(strokes, self.prep, self.scale)

    def prepare(self, sketches: SketchSet) -> SketchSet:
        """Every drawing of ``sketches`` encoded (labels unchanged)."""
        return sketches.map_strokes(self.encode)

    def decode(self, class_index: int) -> str:
        return self.classes[int(class_index)]

    def to_config(self) -> dict:
        return {"type": self.type_name, "classes": list(self.classes), "prep": self.prep.to_dict(), "scale": self.scale}

    @classmethod
    def from_config(cls, config: dict) -> "SketchCodec":
        try:
            classes = config["classes"]
            if not isinstance(classes, list) or not all(isinstance(c, str) for c in classes):
                raise TypeError("classes must be a list of names")
            prep = prep_from_dict(config.get("prep", {}))
            return cls(tuple(classes), prep, float(config.get("scale", 1.0)))
        except (KeyError, TypeError, ValueError) as e:
            raise SeqgenError(f"run.json: bad sketch codec ({type(e).__name__}: {e}); the run is damaged") from None


def prep_from_dict(values: dict) -> StrokePrep:
    """A :class:`StrokePrep` from JSON (unknown keys are a damaged run)."""
    known = {f.name for f in dataclasses.fields(StrokePrep)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise SeqgenError(f"run.json: unknown stroke preparation settings {unknown}; the run was written by another version")
    return StrokePrep(**values)
