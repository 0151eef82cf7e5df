"""Sketch pictures as PNG: drawings, a confusion matrix and learning curves (matplotlib, Agg canvas).

Figures are built on ``matplotlib.figure.Figure`` with an Agg canvas, never through pyplot, so no
global state or display is involved. Every writer checks the target first (an existing file needs
``force``) and writes through a temporary file (never half-written).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.files import atomic_path, check_writable
from seqgen.data_prep.strokes import SketchSet, stroke3_to_lines

MAX_TICK_LABELS = 40  # a confusion matrix with more classes shows no class names (they would overlap)


def save_png(fig: Figure, path: str | os.PathLike, force: bool = False) -> Path:
    """Write ``fig`` as a PNG at ``path`` atomically; an existing file needs ``force``."""
    path = check_writable(path, force)
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png")
    return path


def _new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def draw_strokes(ax, strokes: np.ndarray, title: str = "") -> None:
    """One stroke-3 drawing ``(n, 3)`` on ``ax``: one polyline per stroke, y pointing down (screen)."""
    for line in stroke3_to_lines(strokes):  # each (k, 2) absolute points
        ax.plot(line[:, 0], line[:, 1], color="black", linewidth=1.5, solid_capstyle="round")
    ax.set_aspect("equal", adjustable="datalim")
    ax.invert_yaxis()  # QuickDraw and sketch-rnn offsets grow downwards
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=9)


def check_indices(indices: Sequence[int], count: int, where: str) -> list[int]:
    """``indices`` checked against ``count`` drawings (negative ones count from the end)."""
    bad = [i for i in indices if not -count <= i < count]
    if bad:
        raise SeqgenError(f"{where}: no drawing {bad[0]}; the file holds {count} (indices 0..{count - 1})")
    return [i % count for i in indices]


def sketches_figure(sketches: SketchSet, indices: Sequence[int], columns: int | None = None) -> Figure:
    """A grid of the drawings at ``indices``, each titled with its index and label."""
    if not indices:
        raise SeqgenError("no drawings to show")
    columns = columns or math.ceil(math.sqrt(len(indices)))
    rows = math.ceil(len(indices) / columns)
    fig = _new_figure(2.2 * columns, 2.3 * rows)
    for slot, index in enumerate(indices):
        ax = fig.add_subplot(rows, columns, slot + 1)
        label = sketches.class_names[sketches.labels[index]]
        draw_strokes(ax, sketches.strokes[index], f"#{index} {label}")
    fig.tight_layout()
    return fig


def sketches_png(sketches: SketchSet, indices: Sequence[int], path: str | os.PathLike,
                 force: bool = False) -> Path:
    """Draw the drawings at ``indices`` into one PNG at ``path``."""
    check_writable(path, force)  # before drawing: a refused file costs nothing
    return save_png(sketches_figure(sketches, indices), path, force)


def confusion_figure(matrix: np.ndarray, class_names: Sequence[str], title: str = "") -> Figure:
    """Row-normalised confusion matrix ``(classes, classes)``: row = true class, column = predicted."""
    counts = np.asarray(matrix, dtype=np.float64)
    rates = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)  # empty rows stay 0
    n = len(class_names)
    side = min(max(4.0, 0.32 * n + 2.0), 30.0)
    fig = _new_figure(side + 1.2, side)
    ax = fig.add_subplot(1, 1, 1)
    image = ax.imshow(rates, cmap="Blues", vmin=0.0, vmax=1.0, interpolation="nearest")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of the true class")
    if n <= MAX_TICK_LABELS:
        ax.set_xticks(range(n), class_names, rotation=90, fontsize=8)
        ax.set_yticks(range(n), class_names, fontsize=8)
        for (row, col), count in np.ndenumerate(counts):
            if count:
                colour = "white" if rates[row, col] > 0.5 else "black"
                ax.text(col, row, str(int(count)), ha="center", va="center", fontsize=7, color=colour)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def confusion_png(matrix: np.ndarray, class_names: Sequence[str], path: str | os.PathLike,
                  title: str = "", force: bool = False) -> Path:
    """Write the confusion matrix (see :func:`confusion_figure`) as a PNG at ``path``."""
    check_writable(path, force)
    return save_png(confusion_figure(matrix, class_names, title), path, force)


def learning_curves_figure(curves: Mapping[str, Sequence[Sequence[float]]],
                           metric: str = "validation accuracy") -> Figure:
    """One line per model: the mean of ``metric`` per epoch over its seeds, shaded from min to max.

    ``curves[name]`` holds one list per seed; seeds that stopped early simply end sooner.
    """
    fig = _new_figure(7.0, 4.5)
    ax = fig.add_subplot(1, 1, 1)
    for colour, (name, runs) in enumerate(curves.items()):
        longest = max((len(r) for r in runs), default=0)
        if not longest:
            continue
        table = np.full((len(runs), longest), np.nan)  # (seeds, epochs)
        for i, values in enumerate(runs):
            table[i, :len(values)] = values
        epochs = np.arange(1, longest + 1)
        ax.plot(epochs, np.nanmean(table, axis=0), marker="o", color=f"C{colour}", label=f"{name} ({len(runs)} seeds)")
        if len(runs) > 1:
            ax.fill_between(epochs, np.nanmin(table, axis=0), np.nanmax(table, axis=0), color=f"C{colour}", alpha=0.2)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def learning_curves_png(curves: Mapping[str, Sequence[Sequence[float]]], path: str | os.PathLike,
                        force: bool = False) -> Path:
    """Write the learning curves (see :func:`learning_curves_figure`) as a PNG at ``path``."""
    check_writable(path, force)
    return save_png(learning_curves_figure(curves), path, force)
