"""Readers and writers of the two published QuickDraw layouts: sketch-rnn ``.npz`` and ``.ndjson``.

* sketch-rnn ``.npz``: one file per category (the category is the file stem, spaces allowed),
  keys ``train``/``valid``/``test``, each an object array of int16 stroke-3 arrays ``(n, 3)``.
* QuickDraw ``.ndjson``: one JSON drawing per line, label in ``word``. ``drawing`` is a list of
  strokes, ``[[x...], [y...]]`` ("simplified") or ``[[x...], [y...], [t...]]`` ("raw"); the
  times are ignored. Absolute points become stroke-3 with :func:`lines_to_stroke3`.

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
from seqgen.data_prep.strokes import SPLITS, SketchSet, canonical_stroke3, lines_to_stroke3, stroke3_to_lines

log = logging.getLogger(__name__)
NDJSON_FLAVOURS = ("simplified", "raw")


@dataclasses.dataclass
class ReadStats:
    """What the readers skipped (an accumulator: pass one in, read it after)."""

    malformed_lines: int = 0  # ndjson lines that are not a drawing
    short_strokes: int = 0  # strokes of fewer than two points, dropped
    empty_drawings: int = 0  # drawings with no stroke left, dropped
    unrecognized: int = 0  # drawings skipped by the recognized-only filter

    def summary(self) -> str:
        """One line, or '' when nothing was skipped."""
        parts = [f"{v} {k.replace('_', ' ')}" for k, v in dataclasses.asdict(self).items() if v]
        return "skipped: " + ", ".join(parts) if parts else ""


# ---------------------------------------------------------------- sketch-rnn .npz

def read_npz(path: str | os.PathLike, category: str | None = None) -> dict[str, SketchSet]:
    """One sketch-rnn category file -> ``{"train", "valid", "test"}`` of one class each.

    ``category`` defaults to the file stem (downloaded files may carry another name).
    """
    path = Path(path)
    category = category or path.stem
    if not zipfile.is_zipfile(path):
        raise SeqgenError(f"{path}: not a .npz archive; sketch-rnn data are per-category .npz files")
    try:
        with np.load(path, allow_pickle=True, encoding="latin1") as data:
            missing = [k for k in SPLITS if k not in data.files]
            if missing:
                raise SeqgenError(f"{path}: keys {data.files}, expected train/valid/test: "
                                  "not a sketch-rnn category file")
            arrays = {k: list(data[k]) for k in SPLITS}
    except (ValueError, OSError, EOFError) as exc:
        raise SeqgenError(f"{path}: cannot read the .npz ({exc}); download it again") from exc
    splits = {}
    for split, drawings in arrays.items():
        strokes = [canonical_stroke3(d, f"{path} [{split}][{i}]") for i, d in enumerate(drawings)]
        splits[split] = SketchSet(strokes, np.zeros(len(strokes), np.int64), [category])
    if not any(len(s) for s in splits.values()):
        raise SeqgenError(f"{path}: category {category!r} has no drawings; remove the file")
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

def _parse_drawing(line: str) -> tuple[str, list[list], bool]:
    """One ndjson line -> (word, strokes, recognized); ValueError says why it is not a drawing."""
    record = json.loads(line)
    if not isinstance(record, dict) or not isinstance(record.get("word"), str):
        raise ValueError("no 'word' string")
    drawing = record.get("drawing")
    if not isinstance(drawing, list):
        raise ValueError("no 'drawing' list")
    for stroke in drawing:
        if not (isinstance(stroke, list) and len(stroke) in (2, 3)
                and all(isinstance(c, list) and len(c) == len(stroke[0]) for c in stroke)):
            raise ValueError("a stroke is not [[x...], [y...]] or [[x...], [y...], [t...]]")
    return record["word"], drawing, bool(record.get("recognized", True))


def _drawing_to_stroke3(drawing: list[list], stats: ReadStats) -> np.ndarray | None:
    """Absolute strokes -> stroke-3, dropping strokes of < 2 points; None when none is left."""
    lines = []
    for stroke in drawing:
        points = np.asarray(stroke[:2], dtype=np.float64).T  # (k, 2); ValueError if not numbers
        if len(points) < 2:
            stats.short_strokes += 1
        else:
            lines.append(points)
    if not lines:
        stats.empty_drawings += 1
        return None
    return lines_to_stroke3(lines)


def read_ndjson(
    path: str | os.PathLike,
    *,
    recognized_only: bool = False,
    max_per_class: int | None = None,
    stats: ReadStats | None = None,
) -> SketchSet:
    """A QuickDraw ``.ndjson`` (either flavour) -> SketchSet, classes sorted by word.

    Malformed lines are skipped and counted (the first few logged with their line numbers);
    a file with no usable drawing raises SeqgenError naming the first bad line. With
    ``max_per_class``, only the first that many drawings of each word are kept.
    """
    path = Path(path)
    stats = stats if stats is not None else ReadStats()
    by_word: dict[str, list[np.ndarray]] = {}
    first_error, bad = None, 0
    with open(path, encoding="utf-8-sig", errors="replace") as fh:  # -sig: tolerate a BOM
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                word, drawing, recognized = _parse_drawing(line)
                if max_per_class is not None and len(by_word.get(word, ())) >= max_per_class:
                    continue
                if recognized_only and not recognized:
                    stats.unrecognized += 1
                    continue
                strokes = _drawing_to_stroke3(drawing, stats)
            except (ValueError, TypeError) as exc:  # json.JSONDecodeError is a ValueError
                bad += 1
                first_error = first_error or f"{path}: line {number}: {exc}"
                if bad <= 3:
                    log.warning("%s: line %d is not a QuickDraw drawing (%s); skipped", path, number, exc)
                continue
            if strokes is not None:
                by_word.setdefault(word, []).append(strokes)
    stats.malformed_lines += bad
    if not by_word:
        if first_error:
            raise SeqgenError(f"{first_error}; no line of the file is a usable QuickDraw drawing "
                              f"({bad} malformed): is it a QuickDraw .ndjson file?")
        raise SeqgenError(f"{path}: no drawings in the file" +
                          (" that the game recognized" if recognized_only else "") + "; remove it")
    if bad:
        log.warning("%s: %d malformed line(s) skipped", path, bad)
    names = sorted(by_word)
    labels = np.concatenate([np.full(len(by_word[w]), i, np.int64) for i, w in enumerate(names)])
    return SketchSet([s for w in names for s in by_word[w]], labels, names)


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
