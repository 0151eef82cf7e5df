"""The TensorFlow QuickDraw tutorial's TFRecord layout: read it, and write it (convert once, train often).

Each record is a ``tf.train.Example`` with

* ``ink``: float list, the drawing's ``(n, 3)`` rows flattened row-major;
* ``shape``: int64 ``[n, 3]``;
* ``class_index``: int64 ``[label]``.

Class names live in a sidecar text file, one per line: ``<file>.classes``; for shards named
``training.tfrecord-00000-of-00010`` the sidecar is ``training.tfrecord.classes``.

What the ink means: the tutorial's own files hold deltas of the points after scaling each drawing
to a unit box, the first point dropped, with a stroke-end column; so the columns are
``(dx, dy, pen_lifted)`` as here. What :func:`write_tfrecord` stores is exactly our stroke-3 rows,
float32, NOT rescaled (the first row is the offset from the origin), so reading a written file
gives back the same arrays. Scaling is a preprocessing step (:mod:`data_prep.stroke_ops`).

The two are told apart per read: when every drawing fits a box of side UNIT_BOX, the file holds
the tutorial's unit-box inks, and (unless ``raw="keep"``) they are scaled by 255 to match
QuickDraw's simplified drawings, which everything else is brought to.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Sequence

import numpy as np
import tensorflow as tf

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.files import atomic_path, check_writable
from seqgen.data_prep.sketch_formats import ReadStats, valid_numbers
from seqgen.data_prep.stroke_ops import RAW_MODES, SIMPLIFIED_SIZE
from seqgen.data_prep.strokes import SketchSet, canonical_stroke3, stroke3_to_lines

UNIT_BOX = 1.5  # drawings all within a box this size are the tutorial's unit-box inks

_SHARD = re.compile(r"-\d+-of-\d+$")
_FEATURES = {
    "ink": tf.io.VarLenFeature(tf.float32),
    "shape": tf.io.FixedLenFeature([2], tf.int64),
    "class_index": tf.io.FixedLenFeature([1], tf.int64),
}


def classes_path(path: str | os.PathLike) -> Path:
    """The sidecar file of class names for a TFRecord file or shard."""
    path = Path(path)
    return path.with_name(_SHARD.sub("", path.name) + ".classes")


def _read_classes(path: Path) -> list[str] | None:
    sidecar = classes_path(path)
    if not sidecar.exists():
        return None
    return [name.strip() for name in sidecar.read_text(encoding="utf-8").splitlines() if name.strip()]


def _parse_file(path: Path, stats: ReadStats, batch_size: int = 1024) -> tuple[list[np.ndarray], np.ndarray]:
    """All records of one file -> (drawings, labels), parsing a batch of records at a time.

    Drawings with bad numbers are dropped and counted in ``stats``.
    """
    dataset = tf.data.TFRecordDataset(str(path)).batch(batch_size)
    strokes: list[np.ndarray] = []
    labels = []
    try:
        for batch in dataset:
            parsed = tf.io.parse_example(batch, _FEATURES)
            shapes = parsed["shape"].numpy()  # (batch, 2)
            values = parsed["ink"].values.numpy()  # all inks of the batch, concatenated
            if shapes.min() < 0 or values.size != int(np.prod(shapes, axis=1).sum()):
                raise SeqgenError(f"{path}: 'ink' sizes do not match 'shape'; the file is damaged")
            inks = np.split(values, np.cumsum(np.prod(shapes, axis=1))[:-1])
            good = np.array([valid_numbers(ink) for ink in inks], dtype=bool)
            stats.bad_numbers += int((~good).sum())
            for ink, shape in zip([ink for ink, ok in zip(inks, good) if ok], shapes[good]):
                where = f"{path} record {len(strokes)}"
                strokes.append(canonical_stroke3(ink.reshape(shape), where))
            labels.append(parsed["class_index"].numpy()[good, 0])
    except tf.errors.DataLossError as exc:
        raise SeqgenError(f"{path}: not a TFRecord file (or a truncated one); check the path") from exc
    except tf.errors.InvalidArgumentError as exc:
        raise SeqgenError(f"{path}: records lack the tutorial's ink/shape/class_index features; "
                          "not a QuickDraw TFRecord file") from exc
    return strokes, np.concatenate(labels + [np.zeros(0, np.int64)])


def _unit_box(strokes: list[np.ndarray]) -> bool:
    """Every drawing fits a UNIT_BOX square: the tutorial's unit-box inks, not 0..255 stroke-3."""
    return bool(strokes) and all(np.ptp(np.concatenate(stroke3_to_lines(s)), axis=0).max() <= UNIT_BOX
                                 for s in strokes)


def _to_simplified_scale(strokes: list[np.ndarray], raw: str, stats: ReadStats, files: int) -> list[np.ndarray]:
    """Unit-box inks scaled by 255 (``raw="simplify"``); stroke-3 files as they are."""
    if raw not in RAW_MODES:
        raise SeqgenError(f"raw must be one of {', '.join(RAW_MODES)}, got {raw!r}")
    if not _unit_box(strokes):
        stats.add_format("tfrecord stroke-3", files)
        return strokes
    if raw == "keep":
        stats.add_format("tfrecord unit-box", files)
        return strokes
    stats.add_format("tfrecord unit-box (scaled to 255 here)", files)
    stats.converted += len(strokes)
    factor = np.array([SIMPLIFIED_SIZE, SIMPLIFIED_SIZE, 1.0], np.float32)
    return [s * factor for s in strokes]


def read_tfrecord(paths: str | os.PathLike | Sequence[str | os.PathLike], stats: ReadStats | None = None,
                  raw: str = "simplify") -> SketchSet:
    """One TFRecord file, or shards sharing one sidecar, -> SketchSet.

    Without a sidecar the classes are named ``class_0``, ``class_1``, ...
    """
    stats = stats if stats is not None else ReadStats()
    paths = [Path(paths)] if isinstance(paths, (str, os.PathLike)) else [Path(p) for p in paths]
    strokes, labels = [], []
    names = None
    for path in paths:
        file_names = _read_classes(path)
        if names is not None and file_names is not None and file_names != names:
            raise SeqgenError(f"{classes_path(path)}: lists other classes than the other shards' "
                              "sidecar; read the files separately")
        names = names or file_names
        file_strokes, file_labels = _parse_file(path, stats)
        strokes += file_strokes
        labels.append(file_labels)
    label_array = np.concatenate(labels)
    strokes = _to_simplified_scale(strokes, raw, stats, len(paths))
    if not strokes:  # an empty split is fine when the sidecar says what the classes are
        if names is None:
            raise SeqgenError(f"{paths[0]}: no records and no .classes sidecar; remove the file")
        return SketchSet.empty(names)
    if names is None:
        names = [f"class_{i}" for i in range(int(label_array.max()) + 1)]
    if label_array.min() < 0 or label_array.max() >= len(names):
        raise SeqgenError(f"{paths[0]}: class_index up to {label_array.max()} but "
                          f"{classes_path(paths[0])} lists {len(names)} classes")
    return SketchSet(strokes, label_array, names)


def _example(strokes: np.ndarray, label: int) -> bytes:
    strokes = np.asarray(strokes, dtype=np.float32)
    feature = {
        "ink": tf.train.Feature(float_list=tf.train.FloatList(value=strokes.reshape(-1))),
        "shape": tf.train.Feature(int64_list=tf.train.Int64List(value=strokes.shape)),
        "class_index": tf.train.Feature(int64_list=tf.train.Int64List(value=[int(label)])),
    }
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def write_tfrecord(path: str | os.PathLike, sketches: SketchSet, force: bool = False) -> Path:
    """Write drawings as tutorial-style records plus the ``<path>.classes`` sidecar.

    Shards (``name.tfrecord-00000-of-00004``...) share one sidecar: an existing one listing the
    same classes is kept; one listing others is only replaced with ``force``.
    """
    path = check_writable(path, force)
    sidecar = classes_path(path)
    rewrite_sidecar = _read_classes(path) != sketches.class_names
    if rewrite_sidecar:
        check_writable(sidecar, force)
    with atomic_path(path) as tmp:
        with tf.io.TFRecordWriter(str(tmp)) as writer:
            for strokes, label in zip(sketches.strokes, sketches.labels):
                writer.write(_example(strokes, label))
        if rewrite_sidecar:
            with atomic_path(sidecar) as tmp_sidecar:
                tmp_sidecar.write_text("".join(f"{n}\n" for n in sketches.class_names), encoding="utf-8")
    return path


def write_tfrecord_splits(folder: str | os.PathLike, splits: dict[str, SketchSet],
                          force: bool = False) -> list[Path]:
    """Write ``<folder>/<split>.tfrecord`` (+ sidecar) per split; the names say which split."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    return [write_tfrecord(Path(folder) / f"{split}.tfrecord", sketches, force)
            for split, sketches in splits.items()]
