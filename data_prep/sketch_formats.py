"""Readers and writers of the two published QuickDraw layouts: sketch-rnn ``.npz`` and ``.ndjson``.

* sketch-rnn ``.npz``: one file per category (the category is the file stem, spaces allowed),
  keys ``train``/``valid``/``test``, each an object array of int16 stroke-3 arrays ``(n, 3)``.
* QuickDraw ``.ndjson``: one JSON drawing per line, label in ``word``. ``drawing`` is a list of
  strokes, ``[[x...], [y...]]`` ("simplified", 0..255) or ``[[x...], [y...], [t...]]`` ("raw",
  screen pixels); the times are ignored. Raw drawings are brought to the simplified form with
  Google's own recipe (unless ``raw="keep"``); absolute points become stroke-3 with
  :func:`lines_to_stroke3`.

Nothing in a file runs code (``.npz`` object arrays go through a restricted unpickler, see
:mod:`data_prep.safe_npz`), and coordinates are checked: a drawing with a NaN, infinite, null or
absurd (beyond 1e6) value is dropped and counted (``ReadStats.bad_numbers``).

Readers return :class:`SketchSet` (float32 canonical stroke-3) and count what they skip in a
:class:`ReadStats`. TFRecords are in :mod:`data_prep.sketch_tfrecord`.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import zipfile
from pathlib import Path
from typing import Mapping

import numpy as np

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.files import atomic_path, check_writable
from seqgen.data_prep.safe_npz import load_npz, npz_keys
from seqgen.data_prep.stroke_ops import RAW_MODES, SIMPLIFIED_SIZE, google_simplify
from seqgen.data_prep.strokes import SPLITS, SketchSet, canonical_stroke3, lines_to_stroke3, stroke3_to_lines

log = logging.getLogger(__name__)
NDJSON_FLAVOURS = ("simplified", "raw")
MAX_COORDINATE = 1e6  # a coordinate or offset beyond this is absurd (screens are a few thousand pixels)
MAX_LINE_CHARS = 4_000_000  # an ndjson line longer than this is skipped unread (real drawings: < 100 kB)


@dataclasses.dataclass
class ReadStats:
    """What the readers found and skipped (an accumulator: pass one in, read it after)."""

    malformed_lines: int = 0  # ndjson lines that are not a drawing
    short_strokes: int = 0  # strokes of fewer than two points, dropped
    empty_drawings: int = 0  # drawings with no stroke left, dropped
    unrecognized: int = 0  # drawings skipped by the recognized-only filter
    bad_numbers: int = 0  # drawings with a NaN, infinite, null or absurd (|v| > 1e6) coordinate, dropped
    converted: int = 0  # raw (screen-pixel) drawings brought to the 0-255 simplified form
    formats: dict = dataclasses.field(default_factory=dict)  # files read per format, e.g. {"ndjson raw": 3}
    skipped_files: list = dataclasses.field(default_factory=list)  # (path, reason) of files left out

    def add_format(self, name: str, files: int = 1) -> None:
        self.formats[name] = self.formats.get(name, 0) + files

    def summary(self) -> str:
        """A few lines: formats read, drawings skipped, files skipped with reasons; '' when nothing to say."""
        lines = []
        if self.formats:
            lines.append("formats: " + ", ".join(f"{name} ({count} file{'s' * (count != 1)})"
                                                 for name, count in sorted(self.formats.items())))
        if self.converted:
            lines.append(f"brought {self.converted} drawing(s) to QuickDraw's simplified 0-255 form (raw ndjson: "
                         "Google's recipe, origin, scale to 255, 1-px resampling, RDP 2.0)")
        counts = {k: v for k, v in dataclasses.asdict(self).items() if isinstance(v, int) and v and k != "converted"}
        if counts:
            labels = {"bad_numbers": "drawings with NaN, infinite, null or absurd (> 1e6) coordinates"}
            lines.append("skipped: " + ", ".join(f"{v} {labels.get(k, k.replace('_', ' '))}"
                                                 for k, v in counts.items()))
        if self.skipped_files:
            lines.append(f"files skipped: {len(self.skipped_files)}")
            lines += [f"  {path}: {reason}" for path, reason in self.skipped_files]
        return "\n".join(lines)


def valid_numbers(values: np.ndarray) -> bool:
    """Every value finite and not absurd (|v| <= MAX_COORDINATE)."""
    values = np.asarray(values, dtype=np.float64)
    return bool(np.isfinite(values).all() and (np.abs(values) <= MAX_COORDINATE).all())


# ---------------------------------------------------------------- sketch-rnn .npz

def _npz_drawings(path: Path, split: str, column, stats: ReadStats) -> list[np.ndarray]:
    """One split's object array -> canonical drawings; drawings with bad numbers are counted and dropped."""
    if not isinstance(column, np.ndarray) or column.ndim != 1:
        raise SeqgenError(f"{path}: {split!r} is not a list of drawings; not a sketch-rnn category file")
    out = []
    for i, drawing in enumerate(column):
        where = f"{path} [{split}][{i}]"
        if not isinstance(drawing, np.ndarray) or drawing.dtype.kind not in "iuf":
            raise SeqgenError(f"{where}: a drawing must be a numeric (n, 3) array; is this sketch-rnn data?")
        if not valid_numbers(drawing):
            stats.bad_numbers += 1
            continue
        out.append(canonical_stroke3(drawing, where))
    return out


def read_npz(path: str | os.PathLike, category: str | None = None,
             stats: ReadStats | None = None) -> dict[str, SketchSet]:
    """One sketch-rnn category file -> ``{"train", "valid", "test"}`` of one class each.

    ``category`` defaults to the file stem (downloaded files may carry another name). The file is
    read with :func:`data_prep.safe_npz.load_npz`: nothing in it is ever executed.
    """
    path = Path(path)
    category = category or path.stem
    stats = stats if stats is not None else ReadStats()
    if not zipfile.is_zipfile(path):
        raise SeqgenError(f"{path}: not a .npz archive; sketch-rnn data are per-category .npz files")
    keys = npz_keys(path)
    if any(k not in keys for k in SPLITS):
        raise SeqgenError(f"{path}: keys {keys}, expected train/valid/test: not a sketch-rnn category file")
    arrays = load_npz(path, SPLITS)
    splits = {}
    for split in SPLITS:
        strokes = _npz_drawings(path, split, arrays[split], stats)
        splits[split] = SketchSet(strokes, np.zeros(len(strokes), np.int64), [category])
    if not any(len(s) for s in splits.values()):
        raise SeqgenError(f"{path}: category {category!r} has no usable drawings; remove the file")
    stats.add_format("npz stroke-3")
    return splits


def _storage_array(strokes: np.ndarray) -> np.ndarray:
    """int16 like the published files when the offsets are whole and fit, else float32."""
    rounded = np.round(strokes)
    if np.array_equal(rounded, strokes) and np.abs(strokes).max() < 2**15:
        return strokes.astype(np.int16)
    return strokes.astype(np.float32)


def write_npz(path: str | os.PathLike, splits: Mapping[str, list[np.ndarray]], force: bool = False) -> Path:
    """Write one category's drawings per split (missing splits empty) as a sketch-rnn ``.npz``."""
    path = check_writable(path, force)
    payload = {}
    for split in SPLITS:
        drawings = splits.get(split, [])
        column = np.empty(len(drawings), dtype=object)  # ragged: an object array, as published
        for i, drawing in enumerate(drawings):
            column[i] = _storage_array(np.asarray(drawing))
        payload[split] = column
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **payload)
    return path


def write_npz_folder(folder: str | os.PathLike, splits: Mapping[str, SketchSet],
                     force: bool = False) -> list[Path]:
    """Write ``<folder>/<category>.npz`` for every class of ``splits`` (the folder is created)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = next(iter(splits.values())).class_names
    written = []
    for c, name in enumerate(names):
        per_split = {k: [s.strokes[i] for i in np.flatnonzero(s.labels == c)] for k, s in splits.items()}
        written.append(write_npz(folder / f"{name}.npz", per_split, force))
    return written


# ---------------------------------------------------------------- QuickDraw .ndjson

class _BadNumbers(ValueError):
    """A drawing whose coordinates are not usable numbers (NaN, Infinity, null, |v| > 1e6)."""


def _refuse_constant(name: str):
    raise _BadNumbers(f"{name} is not a coordinate")


def _stroke_points(stroke) -> tuple[np.ndarray, bool]:
    """One ``[[x...], [y...](, [t...])]`` stroke -> (points ``(k, 2)`` float64, has times)."""
    if not (isinstance(stroke, list) and len(stroke) in (2, 3)
            and all(isinstance(c, list) and len(c) == len(stroke[0]) for c in stroke)):
        raise ValueError("a stroke is not [[x...], [y...]] or [[x...], [y...], [t...]]")
    for column in stroke[:2]:
        if not all(type(v) in (int, float) for v in column):  # bool, str, list: wrong JSON types
            if any(v is None for v in column):
                raise _BadNumbers("a coordinate is null")
            raise ValueError("a coordinate is not a number")
    points = np.array(stroke[:2], dtype=np.float64).T  # (k, 2); OverflowError for ints beyond float range
    if not valid_numbers(points):
        raise _BadNumbers("a coordinate is not finite or beyond 1e6")
    return points, len(stroke) == 3


def _parse_drawing(line: str) -> tuple[str, list[np.ndarray], bool, bool]:
    """One ndjson line -> (word, strokes as absolute points, has times, recognized).

    ValueError says why the line is not a drawing; _BadNumbers (a ValueError) when only its
    numbers are wrong. RecursionError (deeply nested JSON) is the caller's to catch.
    """
    record = json.loads(line, parse_constant=_refuse_constant)
    if not isinstance(record, dict) or not isinstance(record.get("word"), str):
        raise ValueError("no 'word' string")
    drawing = record.get("drawing")
    if not isinstance(drawing, list):
        raise ValueError("no 'drawing' list")
    parsed = [_stroke_points(stroke) for stroke in drawing]
    return record["word"], [p for p, _ in parsed], any(t for _, t in parsed), bool(record.get("recognized", True))


def _lines_to_stroke3(lines: list[np.ndarray], stats: ReadStats) -> np.ndarray | None:
    """Absolute strokes -> stroke-3, dropping strokes of < 2 points; None when none is left."""
    kept = [line for line in lines if len(line) >= 2]
    stats.short_strokes += len(lines) - len(kept)
    if not kept:
        stats.empty_drawings += 1
        return None
    return lines_to_stroke3(kept)


def _bounded_lines(fh):
    """``(number, line)`` of a text file; a line over MAX_LINE_CHARS comes as None, never held whole."""
    number = 0
    while True:
        line = fh.readline(MAX_LINE_CHARS)
        if not line:
            return
        number += 1
        if len(line) == MAX_LINE_CHARS and not line.endswith("\n"):
            while (rest := fh.readline(MAX_LINE_CHARS)) and not rest.endswith("\n"):
                pass  # skip the rest of the over-long line
            line = None
        yield number, line


def _is_raw(lines: list[np.ndarray], timed: bool) -> bool:
    """Raw screen pixels (times, or points off the 0..255 grid) rather than Google's simplified drawing."""
    if timed:
        return True
    points = np.concatenate(lines) if lines else np.zeros((0, 2))
    return bool(len(points) and (points.min() < 0 or points.max() > SIMPLIFIED_SIZE))


def _read_records(path: Path, recognized_only: bool, max_per_class: int | None,
                  stats: ReadStats) -> tuple[dict[str, list], bool, str | None, int]:
    """Parse every line: ``(drawings by word, any raw, first error, malformed count)``."""
    by_word: dict[str, list[list[np.ndarray]]] = {}
    raw, first_error, bad = False, None, 0
    with open(path, encoding="utf-8-sig", errors="replace") as fh:  # -sig: tolerate a BOM
        for number, line in _bounded_lines(fh):
            try:
                if line is None:
                    raise ValueError(f"longer than {MAX_LINE_CHARS:,} characters")
                if not line.strip():
                    continue
                word, lines, timed, recognized = _parse_drawing(line)
            except _BadNumbers:
                stats.bad_numbers += 1
                continue
            except (ValueError, TypeError, OverflowError, RecursionError) as exc:  # JSONDecodeError is a ValueError
                bad += 1
                first_error = first_error or f"{path}: line {number}: {str(exc)[:100]}"
                if bad <= 3:
                    log.warning("%s: line %d is not a QuickDraw drawing (%s); skipped", path, number, exc)
                continue
            if max_per_class is not None and len(by_word.get(word, ())) >= max_per_class:
                continue
            if recognized_only and not recognized:
                stats.unrecognized += 1
                continue
            raw = raw or _is_raw(lines, timed)
            by_word.setdefault(word, []).append(lines)
    return by_word, raw, first_error, bad


def read_ndjson(
    path: str | os.PathLike,
    *,
    recognized_only: bool = False,
    max_per_class: int | None = None,
    stats: ReadStats | None = None,
    raw: str = "simplify",
) -> SketchSet:
    """A QuickDraw ``.ndjson`` (either flavour) -> SketchSet, classes sorted by word.

    The flavour is told per file: raw when a stroke carries times or a point lies off the 0..255
    grid. With ``raw="simplify"`` raw drawings go through Google's simplification
    (:func:`data_prep.stroke_ops.google_simplify`), so they look like the simplified set.
    Malformed lines and drawings with bad numbers are skipped and counted in ``stats``; a file
    with no usable drawing raises SeqgenError naming the first bad line. With ``max_per_class``,
    only the first that many drawings of each word are kept.
    """
    if raw not in RAW_MODES:
        raise SeqgenError(f"raw must be one of {', '.join(RAW_MODES)}, got {raw!r}")
    path = Path(path)
    stats = stats if stats is not None else ReadStats()
    by_word, is_raw, first_error, bad = _read_records(path, recognized_only, max_per_class, stats)
    stats.malformed_lines += bad
    convert = is_raw and raw == "simplify"
    strokes_by_word = _stroke3_by_word(by_word, convert, stats)
    if not strokes_by_word:
        if first_error:
            raise SeqgenError(f"{first_error}; no line of the file is a usable QuickDraw drawing "
                              f"({bad} malformed): is it a QuickDraw .ndjson file?")
        raise SeqgenError(f"{path}: no usable drawings in the file" +
                          (" that the game recognized" if recognized_only else "") + "; remove it")
    if bad:
        log.warning("%s: %d malformed line(s) skipped", path, bad)
    stats.add_format("ndjson raw" + (" (simplified here)" if convert else "") if is_raw else "ndjson simplified")
    names = sorted(strokes_by_word)
    labels = np.concatenate([np.full(len(strokes_by_word[w]), i, np.int64) for i, w in enumerate(names)])
    return SketchSet([s for w in names for s in strokes_by_word[w]], labels, names)


def _stroke3_by_word(by_word: dict[str, list], convert: bool, stats: ReadStats) -> dict[str, list[np.ndarray]]:
    """Each word's drawings as stroke-3 (through Google's simplification first when ``convert``); drawings
    left with no stroke are dropped and counted, and a word left with no drawing is left out."""
    strokes_by_word = {}
    for word, drawings in by_word.items():
        stroke3 = [_lines_to_stroke3(google_simplify(d) if convert else d, stats) for d in drawings]
        stats.converted += len(drawings) if convert else 0
        if any(s is not None for s in stroke3):
            strokes_by_word[word] = [s for s in stroke3 if s is not None]
    return strokes_by_word


def _coordinates(values: np.ndarray) -> list:
    """Whole numbers as ints (as QuickDraw writes them), else floats."""
    rounded = np.round(values)
    return rounded.astype(int).tolist() if np.array_equal(rounded, values) else values.tolist()


def write_ndjson(path: str | os.PathLike, sketches: SketchSet, flavour: str = "simplified",
                 force: bool = False) -> Path:
    """Write drawings as QuickDraw ndjson lines; "raw" adds times, 16 ms per point."""
    if flavour not in NDJSON_FLAVOURS:
        raise SeqgenError(f"ndjson flavour {flavour!r} is not one of {', '.join(NDJSON_FLAVOURS)}")
    path = check_writable(path, force)
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        for key, (strokes, label) in enumerate(zip(sketches.strokes, sketches.labels)):
            drawing, clock = [], 0
            for line in stroke3_to_lines(strokes):
                stroke = [_coordinates(line[:, 0]), _coordinates(line[:, 1])]
                if flavour == "raw":
                    stroke.append(list(range(clock, clock + 16 * len(line), 16)))
                    clock += 16 * len(line) + 100  # a pause between strokes
                drawing.append(stroke)
            record = {"word": sketches.class_names[label], "countrycode": "ZZ",
                      "timestamp": "2017-01-01 00:00:00.0 UTC", "recognized": True,
                      "key_id": str(key), "drawing": drawing}
            fh.write(json.dumps(record, separators=(",", ":")) + "\n")
    return path


def write_ndjson_folder(folder: str | os.PathLike, sketches: SketchSet, flavour: str = "simplified",
                        force: bool = False) -> list[Path]:
    """Write ``<folder>/<category>.ndjson`` per class, as QuickDraw publishes them."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    return [write_ndjson(Path(folder) / f"{name}.ndjson",
                         sketches.subset(np.flatnonzero(sketches.labels == c)), flavour, force)
            for c, name in enumerate(sketches.class_names)]
