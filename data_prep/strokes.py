"""Sketches in memory: stroke-3 arrays with labels, and the conversions from absolute polylines.

Stroke-3 (the sketch-rnn format) is a float32 array ``(n, 3)``, one row per pen point:
``(dx, dy, pen_lifted)``. ``dx, dy`` is the offset from the previous point, the first row's offset
being from the canvas origin ``(0, 0)``; ``pen_lifted`` is 1 on the last point of each stroke, so
the next row is an invisible move to the start of the next stroke. This is exactly sketch-rnn's
``lines_to_strokes``: absolute polylines -> stroke-3 -> polylines round-trips.

Canonical form, kept by every reader here: float32, finite, pen column in {0, 1}, at least one
row, and the LAST row has ``pen_lifted = 1`` (the drawing ends with the pen up). Hence a drawing
never ends with an all-zero row, which is what lets batches be padded with trailing zero rows
that a model can tell apart from real steps (see :mod:`data_prep.sketch_pipeline`).
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np

from seqgen.data_prep.errors import SeqgenError

SPLITS = ("train", "valid", "test")


def canonical_stroke3(array: np.ndarray, where: str) -> np.ndarray:
    """Check one drawing and return it in canonical form (float32, last pen lifted).

    ``where`` names the drawing in the error message (file and index).
    """
    strokes = np.asarray(array)
    if strokes.ndim != 2 or strokes.shape[1] != 3 or strokes.shape[0] == 0:
        raise SeqgenError(f"{where}: a drawing must be a non-empty (n, 3) stroke-3 array, "
                          f"got shape {strokes.shape}; is this sketch-rnn data?")
    strokes = strokes.astype(np.float32)  # a copy: never mutate the caller's array
    if not np.isfinite(strokes).all():
        raise SeqgenError(f"{where}: the drawing has NaN or infinite offsets; fix or drop it")
    if not np.isin(strokes[:, 2], (0.0, 1.0)).all():
        raise SeqgenError(f"{where}: the pen column must be 0 or 1, got "
                          f"{sorted(set(strokes[:, 2].tolist()))[:5]}; is it stroke-5 data?")
    strokes[-1, 2] = 1.0
    return strokes


def lines_to_stroke3(lines: Sequence[np.ndarray]) -> np.ndarray:
    """Absolute polylines, each ``(k, 2)``, -> one stroke-3 array ``(sum k, 3)`` float32."""
    points = np.concatenate([np.asarray(line, dtype=np.float64)[:, :2] for line in lines])
    pen = np.zeros(len(points))
    pen[np.cumsum([len(line) for line in lines]) - 1] = 1.0  # last point of each stroke
    deltas = np.diff(points, axis=0, prepend=np.zeros((1, 2)))  # first row: offset from origin
    return np.column_stack([deltas, pen]).astype(np.float32)


def stroke3_to_lines(strokes: np.ndarray) -> list[np.ndarray]:
    """Stroke-3 ``(n, 3)`` -> absolute polylines, each ``(k, 2)`` float64 (inverse of the above)."""
    points = np.cumsum(np.asarray(strokes, dtype=np.float64)[:, :2], axis=0)
    ends = np.flatnonzero(strokes[:-1, 2] > 0.5) + 1  # a new stroke starts after each pen lift
    return np.split(points, ends)


def drawing_lengths(strokes: Sequence[np.ndarray]) -> np.ndarray:
    """Number of rows of each drawing, int64 ``(len(strokes),)``."""
    return np.fromiter((len(s) for s in strokes), dtype=np.int64, count=len(strokes))


@dataclasses.dataclass(frozen=True)
class SketchSet:
    """Labelled drawings: ``strokes[i]`` is stroke-3 ``(n_i, 3)``, ``labels[i]`` indexes ``class_names``."""

    strokes: list[np.ndarray]
    labels: np.ndarray
    class_names: list[str]

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", np.asarray(self.labels, dtype=np.int64).reshape(-1))
        object.__setattr__(self, "class_names", [str(name) for name in self.class_names])
        if len(self.strokes) != len(self.labels):
            raise ValueError(f"{len(self.strokes)} drawings but {len(self.labels)} labels")
        if len(set(self.class_names)) != len(self.class_names):
            raise SeqgenError(f"duplicate class names in {self.class_names}")
        if len(self.labels) and (self.labels.min() < 0 or self.labels.max() >= len(self.class_names)):
            raise ValueError(f"labels span {self.labels.min()}..{self.labels.max()} "
                             f"but there are {len(self.class_names)} classes")

    @classmethod
    def empty(cls, class_names: Sequence[str]) -> "SketchSet":
        """A set with no drawings (a split a source does not provide)."""
        return cls([], np.zeros(0, np.int64), list(class_names))

    def __len__(self) -> int:
        return len(self.strokes)

    def lengths(self) -> np.ndarray:
        """Rows per drawing, int64 ``(len(self),)``."""
        return drawing_lengths(self.strokes)

    def class_counts(self) -> np.ndarray:
        """Drawings per class, int64 ``(num_classes,)``."""
        return np.bincount(self.labels, minlength=len(self.class_names))

    def subset(self, indices: Sequence[int] | np.ndarray) -> "SketchSet":
        """The drawings at ``indices`` (in that order), same classes."""
        indices = np.asarray(indices, dtype=np.int64)
        return SketchSet([self.strokes[i] for i in indices], self.labels[indices], self.class_names)

    def map_strokes(self, fn) -> "SketchSet":
        """Apply ``fn`` to every drawing, keeping labels and classes."""
        return SketchSet([fn(s) for s in self.strokes], self.labels, self.class_names)

    def cap_per_class(self, limit: int | None, seed: int = 0) -> "SketchSet":
        """At most ``limit`` drawings per class, picked at random (``seed``), original order kept."""
        if limit is None:
            return self
        rng = np.random.default_rng(seed)
        keep = [rng.permutation(np.flatnonzero(self.labels == c))[:limit]
                for c in range(len(self.class_names))]
        return self.subset(np.sort(np.concatenate(keep + [np.zeros(0, np.int64)])))

    def split(self, fractions: Sequence[float], seed: int = 0) -> list["SketchSet"]:
        """Stratified random split into ``len(fractions)`` parts (fractions summing to 1)."""
        rng = np.random.default_rng(seed)
        cuts = np.cumsum(fractions)
        parts: list[list[np.ndarray]] = [[] for _ in fractions]
        for c in range(len(self.class_names)):
            members = rng.permutation(np.flatnonzero(self.labels == c))
            bounds = np.concatenate([[0], np.round(cuts * len(members)).astype(int)])
            for k in range(len(fractions)):
                parts[k].append(members[bounds[k]:bounds[k + 1]])
        return [self.subset(np.sort(np.concatenate(p + [np.zeros(0, np.int64)]))) for p in parts]

    def with_classes(self, class_names: Sequence[str]) -> "SketchSet":
        """Relabel onto ``class_names``: drawings of classes not listed are dropped."""
        index = {name: i for i, name in enumerate(class_names)}
        mapping = np.array([index.get(name, -1) for name in self.class_names] + [-1], np.int64)
        new_labels = mapping[self.labels] if len(self) else np.zeros(0, np.int64)
        keep = np.flatnonzero(new_labels >= 0)
        return SketchSet([self.strokes[i] for i in keep], new_labels[keep], list(class_names))


def concat_sketch_sets(sets: Sequence[SketchSet], class_names: Sequence[str] | None = None) -> SketchSet:
    """Join sets onto ``class_names`` (default: the sorted union of their classes)."""
    if class_names is None:
        class_names = sorted({name for s in sets for name in s.class_names})
    relabelled = [s.with_classes(class_names) for s in sets]
    return SketchSet([x for s in relabelled for x in s.strokes],
                     np.concatenate([s.labels for s in relabelled] + [np.zeros(0, np.int64)]),
                     list(class_names))
