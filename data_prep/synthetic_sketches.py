"""Synthetic pen sketches of simple shapes, for offline runs and tests.

Each shape is drawn as pen strokes in unit coordinates, then randomised like a person would:
stroke order and direction, point counts, rotation, scale, aspect, position on a 256-pixel
canvas and hand jitter; finally rounded to whole pixels as QuickDraw's "simplified" data are.
So the drawings survive every layout's writer exactly (whole-number offsets).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.strokes import SPLITS, SketchSet, concat_sketch_sets, lines_to_stroke3

CANVAS = 255  # QuickDraw simplified drawings live in 0..255
Lines = list[np.ndarray]


def _densify(vertices: np.ndarray, rng: np.random.Generator, low: int = 2, high: int = 6) -> np.ndarray:
    """A polyline through ``vertices`` ``(v, 2)`` with a random number of points per edge."""
    pieces = []
    for start, end in zip(vertices[:-1], vertices[1:]):
        t = np.linspace(0.0, 1.0, int(rng.integers(low, high + 1)), endpoint=False)[:, None]
        pieces.append(start + t * (end - start))
    return np.concatenate(pieces + [vertices[-1:]])


def _polygon(corners: int, rng: np.random.Generator, phase: float = np.pi / 2) -> Lines:
    angles = phase + 2 * np.pi * np.arange(corners + 1) / corners  # closed: back to the start
    return [_densify(np.column_stack([np.cos(angles), np.sin(angles)]), rng)]


def _circle(rng: np.random.Generator) -> Lines:
    n = int(rng.integers(14, 30))
    angles = rng.uniform(0, 2 * np.pi) + np.linspace(0, 2 * np.pi * rng.uniform(1.0, 1.1), n)
    return [np.column_stack([np.cos(angles), np.sin(angles) * rng.uniform(0.75, 1.0)])]


def _square(rng: np.random.Generator) -> Lines:
    return _polygon(4, rng, phase=np.pi / 4)


def _triangle(rng: np.random.Generator) -> Lines:
    return _polygon(3, rng)


def _star(rng: np.random.Generator) -> Lines:
    angles = np.pi / 2 + np.pi * np.arange(11) / 5
    radius = np.where(np.arange(11) % 2 == 0, 1.0, rng.uniform(0.35, 0.5))
    return [_densify(np.column_stack([radius * np.cos(angles), radius * np.sin(angles)]), rng, 1, 3)]


def _spiral(rng: np.random.Generator) -> Lines:
    turns, n = rng.uniform(2.0, 3.5), int(rng.integers(30, 50))
    t = np.linspace(0.05, 1.0, n)
    angles = 2 * np.pi * turns * t
    return [np.column_stack([t * np.cos(angles), t * np.sin(angles)])]


def _zigzag(rng: np.random.Generator) -> Lines:
    teeth = int(rng.integers(4, 8))
    x = np.linspace(-1, 1, teeth + 1)
    y = np.where(np.arange(teeth + 1) % 2 == 0, -0.4, 0.4)
    return [_densify(np.column_stack([x, y]), rng, 1, 3)]


def _line(rng: np.random.Generator) -> Lines:
    return [_densify(np.array([[-1.0, 0.0], [1.0, 0.0]]), rng, 2, 8)]


def _cross(rng: np.random.Generator) -> Lines:
    return [_densify(np.array([[-1.0, 0.0], [1.0, 0.0]]), rng, 2, 5),
            _densify(np.array([[0.0, -1.0], [0.0, 1.0]]), rng, 2, 5)]


def _wave(rng: np.random.Generator) -> Lines:
    periods, n = rng.uniform(1.5, 2.5), int(rng.integers(20, 36))
    x = np.linspace(-1, 1, n)
    return [np.column_stack([x, 0.35 * np.sin(np.pi * periods * (x + 1))])]


def _arrow(rng: np.random.Generator) -> Lines:
    shaft = _densify(np.array([[-1.0, 0.0], [1.0, 0.0]]), rng, 2, 5)
    head = _densify(np.array([[0.55, 0.4], [1.0, 0.0], [0.55, -0.4]]), rng, 1, 3)
    return [shaft, head]


SHAPES: dict[str, Callable[[np.random.Generator], Lines]] = {
    "circle": _circle, "square": _square, "triangle": _triangle, "star": _star,
    "spiral": _spiral, "zigzag": _zigzag, "line": _line, "cross": _cross,
    "wave": _wave, "arrow": _arrow,
}


def synthetic_drawing(shape: str, rng: np.random.Generator, *, rotation: float = 30.0,
                      jitter: float = 0.02) -> np.ndarray:
    """One randomised drawing of ``shape`` as stroke-3 float32 (whole-pixel offsets).

    ``rotation`` is the largest tilt in degrees either way; ``jitter`` the hand noise as a
    fraction of the drawing's size.
    """
    if shape not in SHAPES:
        raise SeqgenError(f"unknown synthetic shape {shape!r}; choose from {', '.join(SHAPES)}")
    lines = [line[::-1] if rng.random() < 0.5 else line for line in SHAPES[shape](rng)]
    lines = [lines[i] for i in rng.permutation(len(lines))]  # stroke order varies between people
    theta = np.deg2rad(rng.uniform(-rotation, rotation))
    rotate = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    size = rng.uniform(30, 85)  # half-extent in pixels
    stretch = np.array([1.0, rng.uniform(0.8, 1.2)])
    centre = rng.uniform(size * 1.2, CANVAS - size * 1.2, size=2)
    drawn = []
    for line in lines:
        points = (line * stretch) @ rotate.T * size + centre
        points = points + rng.normal(0.0, jitter * size, points.shape)
        drawn.append(np.clip(np.round(points), 0, CANVAS))
    return lines_to_stroke3(drawn)


def synthetic_sketches(n_per_class: int, *, classes: Sequence[str] | None = None, seed: int = 0,
                       rotation: float = 30.0, jitter: float = 0.02) -> SketchSet:
    """``n_per_class`` drawings of each shape in ``classes`` (default: all), grouped by class."""
    classes = list(classes or SHAPES)
    if n_per_class < 1:
        raise SeqgenError(f"n_per_class must be at least 1, got {n_per_class}")
    rng = np.random.default_rng(seed)
    strokes = [synthetic_drawing(shape, rng, rotation=rotation, jitter=jitter)
               for shape in classes for _ in range(n_per_class)]
    labels = np.repeat(np.arange(len(classes)), n_per_class)
    return SketchSet(strokes, labels, classes)


def synthetic_splits(n_per_class: int, *, classes: Sequence[str] | None = None, seed: int = 0,
                     fractions: Sequence[float] = (0.8, 0.1, 0.1)) -> dict[str, SketchSet]:
    """Synthetic drawings split into ``{"train", "valid", "test"}`` (stratified, seeded)."""
    whole = synthetic_sketches(n_per_class, classes=classes, seed=seed)
    return dict(zip(SPLITS, whole.split(fractions, seed)))


def write_synthetic(folder: str | os.PathLike, layout: str, *, n_per_class: int = 100,
                    classes: Sequence[str] | None = None, seed: int = 0,
                    flavour: str = "simplified", force: bool = False) -> list[Path]:
    """Write synthetic splits in ``layout`` (npz, ndjson or tfrecord) into ``folder``.

    npz: one file per shape with its splits; ndjson: one file per shape (no splits, ``flavour``
    simplified or raw); tfrecord: ``train``/``valid``/``test`` files with ``.classes`` sidecars.
    """
    from seqgen.data_prep.sketch_formats import write_ndjson_folder, write_npz_folder

    folder = Path(folder)
    splits = synthetic_splits(n_per_class, classes=classes, seed=seed)
    if layout == "npz":
        return write_npz_folder(folder, splits, force)
    if layout == "ndjson":
        return write_ndjson_folder(folder, concat_sketch_sets(list(splits.values())), flavour, force)
    if layout == "tfrecord":
        from seqgen.data_prep.sketch_tfrecord import write_tfrecord_splits  # TensorFlow only when needed

        return write_tfrecord_splits(folder, splits, force)
    raise SeqgenError(f"unknown sketch layout {layout!r}; choose npz, ndjson or tfrecord")
