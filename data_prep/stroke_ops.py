"""Stroke-3 preprocessing as sketch-rnn does it: RDP simplification, length limit, offset scaling.

Order used by :func:`prepare_splits` (sketch-rnn's order, settings in :class:`StrokePrep`):
simplify (optional, RDP on absolute polylines) -> start at the origin (zero the first row's
offset, which only says where on the canvas the drawing began) -> crop or drop drawings over
``max_length`` rows -> divide ``dx, dy`` by one scale, the standard deviation of all training
offsets. The scale is returned so a run can save it beside :class:`StrokePrep` and prepare new
drawings identically at inference (:func:`prepare_drawing`).
"""

from __future__ import annotations

import dataclasses
from typing import Mapping

import numpy as np

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.strokes import SketchSet, canonical_stroke3, lines_to_stroke3, stroke3_to_lines

LONG_MODES = ("crop", "drop")
RAW_MODES = ("simplify", "keep")  # what becomes of raw (screen-pixel) drawings; see StrokePrep.raw
SIMPLIFIED_SIZE = 255.0  # Google's simplified drawings fit a 0..255 box
GOOGLE_RDP_EPSILON = 2.0  # the RDP tolerance Google used for the simplified set


def rdp_mask(points: np.ndarray, epsilon: float) -> np.ndarray:
    """Ramer-Douglas-Peucker: which points of a polyline ``(k, 2)`` to keep, bool ``(k,)``.

    A point survives when it lies farther than ``epsilon`` from the chord of the segment being
    split (distance to the infinite line, or to the start point when the chord has zero length).
    Iterative with an explicit stack, and each split's distances are one numpy expression.
    """
    points = np.asarray(points, dtype=np.float64)
    keep = np.zeros(len(points), dtype=bool)
    if len(points) == 0:
        return keep
    keep[[0, -1]] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        if last - first < 2:
            continue
        start, chord = points[first], points[last] - points[first]
        inner = points[first + 1:last] - start  # (m, 2)
        chord_len = np.hypot(*chord)
        if chord_len == 0.0:
            dist = np.hypot(inner[:, 0], inner[:, 1])
        else:  # |cross(chord, p - start)| / |chord|
            dist = np.abs(chord[0] * inner[:, 1] - chord[1] * inner[:, 0]) / chord_len
        worst = int(np.argmax(dist))
        if dist[worst] > epsilon:
            split_at = first + 1 + worst
            keep[split_at] = True
            stack.extend([(first, split_at), (split_at, last)])
    return keep


def rdp(points: np.ndarray, epsilon: float) -> np.ndarray:
    """The points of a polyline ``(k, 2)`` that RDP with ``epsilon`` keeps, ``(k', 2)``."""
    points = np.asarray(points)
    return points[rdp_mask(points, epsilon)]


def resample_polyline(points: np.ndarray, spacing: float = 1.0) -> np.ndarray:
    """Points every ``spacing`` along a polyline ``(k, 2)`` (its last point kept), ``(k', 2)`` float64."""
    points = np.asarray(points, dtype=np.float64)
    arc = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(points, axis=0).T))])  # (k,) distance along it
    if len(points) < 2 or arc[-1] == 0.0:  # a dot: first and last point, as Google's simplified set keeps it
        return points[[0, -1]]
    at = np.arange(int(np.floor(arc[-1] / spacing)) + 1) * spacing
    if at[-1] < arc[-1]:
        at = np.append(at, arc[-1])
    return np.column_stack([np.interp(at, arc, points[:, 0]), np.interp(at, arc, points[:, 1])])


def google_simplify(lines: list[np.ndarray]) -> list[np.ndarray]:
    """Google's recipe that made QuickDraw's simplified drawings from the raw ones.

    Align the drawing to the origin, scale it uniformly so its larger side is 255, resample
    every stroke at 1-pixel spacing, simplify it with RDP (epsilon 2.0), round to whole pixels.
    Reproduces the published simplified drawings (see benchmarks/RESULTS.md for the agreement).
    """
    lines = [np.asarray(line, dtype=np.float64)[:, :2] for line in lines]
    points = np.concatenate(lines)
    low = points.min(axis=0)
    extent = float((points.max(axis=0) - low).max())
    factor = SIMPLIFIED_SIZE / extent if extent > 0 else 1.0
    return [np.round(rdp(resample_polyline((line - low) * factor), GOOGLE_RDP_EPSILON)) for line in lines]


def simplify_stroke3(strokes: np.ndarray, epsilon: float) -> np.ndarray:
    """RDP on each stroke of a stroke-3 drawing (in its own units); returns stroke-3 float32."""
    return lines_to_stroke3([rdp(line, epsilon) for line in stroke3_to_lines(strokes)])


def limit_length(sketches: SketchSet, max_length: int, mode: str = "crop") -> tuple[SketchSet, int]:
    """Crop drawings to ``max_length`` rows (pen lifted on the new last row) or drop them.

    Returns the new set and how many drawings were over the limit.
    """
    if mode not in LONG_MODES:
        raise SeqgenError(f"long-drawing mode {mode!r} is not one of {', '.join(LONG_MODES)}")
    if max_length < 1:
        raise SeqgenError(f"max_length must be at least 1, got {max_length}")
    too_long = sketches.lengths() > max_length
    if mode == "drop":
        return sketches.subset(np.flatnonzero(~too_long)), int(too_long.sum())

    def crop(s: np.ndarray) -> np.ndarray:
        if len(s) <= max_length:
            return s
        cropped = s[:max_length].copy()
        cropped[-1, 2] = 1.0  # keep the canonical form: a drawing ends with the pen up
        return cropped

    return sketches.map_strokes(crop), int(too_long.sum())


def normalizing_scale(sketches: SketchSet) -> float:
    """sketch-rnn's scale factor: the standard deviation of all ``dx`` and ``dy`` values together."""
    if len(sketches) == 0:
        raise SeqgenError("cannot compute the offset scale of an empty training set")
    offsets = np.concatenate([s[:, :2] for s in sketches.strokes]).astype(np.float64)
    if not np.isfinite(offsets).all():  # readers drop such drawings; anything else is refused, not trained on
        raise SeqgenError("the training drawings hold NaN or infinite offsets; training refused: "
                          "check the data with 'seqgen data sketches'")
    scale = float(np.std(offsets))
    return scale if scale > 0 else 1.0  # all offsets zero: nothing to scale


def apply_scale(strokes: np.ndarray, scale: float) -> np.ndarray:
    """Divide the offsets of one drawing by ``scale`` (pen column untouched), float32 ``(n, 3)``."""
    scaled = np.array(strokes, dtype=np.float32)
    scaled[:, :2] /= np.float32(scale)
    return scaled


@dataclasses.dataclass(frozen=True)
class StrokePrep:
    """How drawings are prepared for a model; saved with a run (with the scale) to redo it at inference."""

    rdp_epsilon: float = 0.0  # RDP tolerance in the data's units (sketch-rnn used 2.0 on 0..255); 0: off
    max_length: int | None = 250  # rows kept per drawing (sketch-rnn's limit); None: no limit
    long_mode: str = "crop"  # "crop" drawings over max_length, or "drop" them (training sets only)
    start_at_origin: bool = True  # zero the first row's offset: where a drawing starts is noise
    normalize: bool = True  # divide offsets by the training set's standard deviation
    raw: str = "simplify"  # raw screen-pixel drawings: "simplify" (Google's recipe, as the 0-255 set) or "keep"

    def __post_init__(self) -> None:
        if self.rdp_epsilon < 0:
            raise SeqgenError(f"rdp_epsilon must be >= 0, got {self.rdp_epsilon}")
        if self.max_length is not None and self.max_length < 1:
            raise SeqgenError(f"max_length must be at least 1 or None, got {self.max_length}")
        if self.long_mode not in LONG_MODES:
            raise SeqgenError(f"long_mode must be one of {', '.join(LONG_MODES)}, got {self.long_mode!r}")
        if self.raw not in RAW_MODES:
            raise SeqgenError(f"raw must be one of {', '.join(RAW_MODES)}, got {self.raw!r}")

    def to_dict(self) -> dict:
        """JSON-able; ``StrokePrep(**d)`` rebuilds it."""
        return dataclasses.asdict(self)


def _shape_drawing(strokes: np.ndarray, prep: StrokePrep) -> np.ndarray:
    """Everything but length limit and scaling, for one drawing."""
    if prep.rdp_epsilon:
        strokes = simplify_stroke3(strokes, prep.rdp_epsilon)
    if prep.start_at_origin:
        strokes = np.array(strokes, dtype=np.float32)
        strokes[0, :2] = 0.0
    return strokes


def prepare_drawing(strokes: np.ndarray, prep: StrokePrep, scale: float = 1.0) -> np.ndarray:
    """One new drawing prepared as the training set was (long drawings are cropped)."""
    strokes = _shape_drawing(canonical_stroke3(strokes, "the drawing"), prep)
    if prep.max_length is not None and len(strokes) > prep.max_length:
        strokes = strokes[:prep.max_length].copy()
        strokes[-1, 2] = 1.0
    return apply_scale(strokes, scale) if prep.normalize else strokes


def prepare_splits(
    splits: Mapping[str, SketchSet], prep: StrokePrep = StrokePrep(), scale: float | None = None,
) -> tuple[dict[str, SketchSet], float]:
    """Simplify, re-origin, limit and scale every split; returns ``(splits, scale)``.

    ``scale`` None computes it on ``splits["train"]`` after the other steps (as sketch-rnn
    does); pass a saved one to reuse it. With ``prep.normalize`` False the scale is 1.0.
    """
    out = {k: v.map_strokes(lambda s: _shape_drawing(s, prep)) for k, v in splits.items()}
    if prep.max_length is not None:
        out = {k: limit_length(v, prep.max_length, prep.long_mode)[0] for k, v in out.items()}
    if not prep.normalize:
        return out, 1.0
    if scale is None:
        scale = normalizing_scale(out["train"])
    if not scale > 0:
        raise SeqgenError(f"the offset scale must be positive, got {scale}")
    return {k: v.map_strokes(lambda s: apply_scale(s, scale)) for k, v in out.items()}, float(scale)
