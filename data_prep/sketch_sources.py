"""Find sketch files, tell their layout, and load them into train/valid/test SketchSets.

Entry points for the CLI: :func:`detect_layout`, :func:`load_sketches`, :func:`read_file` and
:func:`describe`. Each file's format (raw or simplified ndjson, stroke-3 npz, TFRecord stroke-3 or
unit-box) is told apart and brought to QuickDraw's simplified 0-255 form (see ``raw``); files of a
folder that are empty or unreadable are skipped and listed in ``ReadStats.skipped_files``.
Layouts: ``npz`` (sketch-rnn, split in the files), ``ndjson`` (QuickDraw, split here with a seed),
``tfrecord`` (the TensorFlow tutorial's; the split is read from the file name, see
:func:`load_sketches`).
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import Sequence

import numpy as np

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.sketch_formats import ReadStats, read_ndjson, read_npz
from seqgen.data_prep.strokes import SPLITS, SketchSet, concat_sketch_sets

LAYOUTS = ("npz", "ndjson", "tfrecord")
_TFRECORD_NAME = re.compile(r"\.tfrecords?(-\d+-of-\d+)?$", re.IGNORECASE)
_SPLIT_HINTS = (("train", "train"), ("valid", "valid"), ("eval", "valid"), ("test", "test"))
_OTHER_FORMATS = {".bin": "QuickDraw binary", ".npy": "a single numpy array", ".json": "plain JSON",
                  ".csv": "CSV", ".zip": "a zip archive", ".gz": "a compressed archive"}


def layout_by_name(path: Path) -> str | None:
    """The layout a file name announces, or None."""
    if _TFRECORD_NAME.search(path.name):
        return "tfrecord"
    return {".npz": "npz", ".ndjson": "ndjson"}.get(path.suffix.lower())


def sniff_layout(path: Path) -> str | None:
    """The layout a file's first bytes look like, or None (empty or unknown)."""
    with open(path, "rb") as fh:
        head = fh.read(64)
    if head[:2] == b"PK":
        return "npz"
    if head.removeprefix(b"\xef\xbb\xbf").lstrip()[:1] == b"{":  # JSON lines, maybe after a BOM
        return "ndjson"
    if len(head) >= 16:
        import tensorflow as tf  # only for this check: reading one record proves a TFRecord

        try:
            next(iter(tf.data.TFRecordDataset(str(path)).take(1)))
            return "tfrecord"
        except (tf.errors.OpError, StopIteration):
            return None
    return None


def file_layout(path: str | os.PathLike) -> str:
    """The layout of one file, checked against its content; SeqgenError says what it is instead."""
    path = Path(path)
    if not path.is_file():
        raise SeqgenError(f"{path}: no such file; check the path")
    named, content = layout_by_name(path), sniff_layout(path)
    if named and content and named != content:
        raise SeqgenError(f"{path}: named like a .{named} file but its content looks like "
                          f"{content}; rename it or fetch the right file")
    if named:
        return named
    if content:
        raise SeqgenError(f"{path}: not a sketch file name (.npz, .ndjson, .tfrecord) though it "
                          f"looks like {content}; rename it to end in .{content}")
    what = _OTHER_FORMATS.get(path.suffix.lower(), "an unknown format")
    raise SeqgenError(f"{path}: {what}, not sketch data; use sketch-rnn .npz, QuickDraw "
                      ".ndjson or the tutorial's .tfrecord files")


def _folder_files(path: Path, skipped: list | None) -> tuple[str, list[Path]]:
    """The sketch files of a folder and their one layout; bad files go to ``skipped`` (or raise)."""
    found: dict[str, list[Path]] = {}
    for child in sorted(path.iterdir()):
        layout = layout_by_name(child) if child.is_file() and not child.name.startswith(".") else None
        if not layout:
            continue
        try:
            if child.stat().st_size == 0:
                raise SeqgenError(f"{child}: the file is empty")
            file_layout(child)  # a mis-named file is reported before any reading
        except (SeqgenError, OSError) as exc:
            if skipped is None:
                raise SeqgenError(f"{exc}") from exc
            skipped.append((str(child), _reason(exc, child)))
            continue
        found.setdefault(layout, []).append(child)
    if not found:
        raise SeqgenError(f"{path}: no readable .npz, .ndjson or .tfrecord files in the folder"
                          + (f" ({len(skipped)} skipped, e.g. {skipped[0][0]}: {skipped[0][1]})" if skipped else ""))
    if len(found) > 1:
        raise SeqgenError(f"{path}: the folder mixes layouts ({', '.join(sorted(found))}); "
                          "keep one layout per folder")
    (layout, files), = found.items()
    return layout, files


def _reason(exc: Exception, path: Path) -> str:
    """An error's message without the leading file name (the report names the file already)."""
    text = str(exc)
    return text[len(str(path)) + 2:] if text.startswith(f"{path}: ") else text


def detect_layout(path: str | os.PathLike, skipped: list | None = None) -> tuple[str, list[Path]]:
    """A file or a folder of sketch files -> (layout, files); a folder must hold one layout only.

    With ``skipped`` (a list), empty or unreadable files of a folder are appended to it as
    ``(path, reason)`` instead of failing the whole folder; a file named directly always fails.
    """
    path = Path(path)
    if path.is_file():
        return file_layout(path), [path]
    if not path.is_dir():
        raise SeqgenError(f"{path}: no such file or folder; check the path")
    return _folder_files(path, skipped)


def _split_hint(path: Path) -> str | None:
    name = path.name.lower()
    return next((split for hint, split in _SPLIT_HINTS if hint in name), None)


def _read_each(files: list[Path], read, stats: ReadStats, skippable: set[Path]) -> list:
    """``read(file)`` for every file; a SeqgenError of a file found in a folder skips it (listed in stats)."""
    parts = []
    for file in files:
        try:
            parts.append(read(file))
        except SeqgenError as exc:
            if file not in skippable:
                raise
            stats.skipped_files.append((str(file), _reason(exc, file)))
    if not parts and files:
        path, reason = stats.skipped_files[-1]
        raise SeqgenError(f"no file could be read ({len(files)} tried; {path}: {reason})")
    return parts


def _load_npz(files: list[Path], wanted: set[str], stats: ReadStats, skippable: set[Path]) -> dict[str, SketchSet]:
    """Per-category files; categories not wanted are not even opened."""
    stems = [f.stem for f in files]
    duplicates = sorted({s for s in stems if stems.count(s) > 1})
    if duplicates:
        raise SeqgenError(f"category {duplicates[0]!r} comes from more than one .npz file; pass one")
    parts = _read_each([f for f in files if f.stem in wanted], lambda f: read_npz(f, stats=stats), stats, skippable)
    if not parts:
        return {split: SketchSet.empty([]) for split in SPLITS}
    return {split: concat_sketch_sets([p[split] for p in parts]) for split in SPLITS}


def _load_tfrecord(files: list[Path], fractions: Sequence[float], seed: int, stats: ReadStats,
                   raw: str) -> dict[str, SketchSet]:
    """Split from the names (train/valid|eval/test); unnamed files are split with ``fractions``."""
    from seqgen.data_prep.sketch_tfrecord import read_tfrecord as read_all  # TensorFlow only when needed

    def read_tfrecord(group):
        return read_all(group, stats=stats, raw=raw)

    hints = {f: _split_hint(f) for f in files}
    if all(h is None for h in hints.values()):
        return dict(zip(SPLITS, read_tfrecord(files).split(fractions, seed)))
    unnamed = [f.name for f, h in hints.items() if h is None]
    if unnamed:
        raise SeqgenError(f"cannot tell the split of {unnamed[0]}: put train, valid/eval or test "
                          "in its name, or pass only unnamed files to split them with a seed")
    sets = {s: read_tfrecord([f for f, h in hints.items() if h == s])
            for s in SPLITS if s in hints.values()}
    names = sorted({n for s in sets.values() for n in s.class_names})
    out = {s: (sets[s].with_classes(names) if s in sets else SketchSet.empty(names)) for s in SPLITS}
    if "test" not in sets and "valid" in sets:  # the tutorial ships training + eval: halve eval
        out["valid"], out["test"] = out["valid"].split((0.5, 0.5), seed)
    return out


def _select_classes(names: list[str], categories: Sequence[str] | None, max_categories: int | None) -> list[str]:
    if categories is not None:
        missing = [c for c in categories if c not in names]
        if missing:
            shown = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
            raise SeqgenError(f"category {missing[0]!r} is not in the data (found {len(names)}: "
                              f"{shown}); check the spelling")
        names = sorted(set(categories))
    if max_categories is not None:
        if max_categories < 1:
            raise SeqgenError(f"max_categories must be at least 1, got {max_categories}")
        names = names[:max_categories]
    return names


def load_sketches(
    paths: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    categories: Sequence[str] | None = None,
    max_categories: int | None = None,
    per_class: int | None = None,
    seed: int = 0,
    recognized_only: bool = False,
    split_fractions: Sequence[float] = (0.8, 0.1, 0.1),
    stats: ReadStats | None = None,
    raw: str = "simplify",
) -> dict[str, SketchSet]:
    """Files or folders of one layout -> ``{"train", "valid", "test"}``, classes sorted by name.

    ``per_class`` caps the TRAINING drawings of each category (sampled with ``seed``); valid and
    test are capped in proportion to ``split_fractions``. ndjson (and TFRecords whose names carry
    no split) are split with ``split_fractions`` and ``seed``; TFRecords named ``train``/``eval``
    without a ``test`` file get their eval set halved into valid and test, as in the tutorial.
    Each file's format is told apart (``stats.formats``); ``raw`` says what becomes of raw
    drawings (see :class:`data_prep.stroke_ops.StrokePrep`). Empty or unreadable files found in
    a folder are skipped and listed in ``stats.skipped_files``; a file named directly must read.
    """
    _check_split_options(split_fractions, per_class)
    stats = stats if stats is not None else ReadStats()
    layout, files, skippable = _find_files(paths, stats)
    if layout == "npz":
        wanted = _select_classes(sorted({f.stem for f in files}), categories, max_categories)
        splits = _load_npz(files, set(wanted), stats, skippable)
    elif layout == "ndjson":
        cap = None if per_class is None else math.ceil(per_class / max(split_fractions[0], 1e-9))
        merged = concat_sketch_sets(_read_each(files, lambda f: read_ndjson(
            f, recognized_only=recognized_only, max_per_class=cap, stats=stats, raw=raw), stats, skippable))
        splits = dict(zip(SPLITS, merged.split(split_fractions, seed)))
    else:
        splits = _load_tfrecord(files, split_fractions, seed, stats, raw)
    splits = _keep_classes(splits, categories, max_categories)
    return cap_splits(splits, per_class, split_fractions, seed)


def _check_split_options(split_fractions: Sequence[float], per_class: int | None) -> None:
    """Refuse impossible split fractions or per-class caps before any file is read."""
    if len(split_fractions) != 3 or min(split_fractions) < 0 or not math.isclose(sum(split_fractions), 1.0):
        raise SeqgenError(f"split fractions must be three numbers >= 0 summing to 1, got {split_fractions}")
    if per_class is not None and per_class < 1:
        raise SeqgenError(f"per_class must be at least 1, got {per_class}")


def _find_files(paths: str | os.PathLike | Sequence[str | os.PathLike],
                stats: ReadStats) -> tuple[str, list[Path], set[Path]]:
    """``(layout, files, skippable)``: the one layout of the inputs, their files (each once, in order),
    and those found in a named folder (skipped when unreadable; a file named directly must read)."""
    paths = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    if not paths:
        raise SeqgenError("no sketch files given")
    detected = [detect_layout(p, stats.skipped_files) for p in paths]
    layouts = sorted({layout for layout, _ in detected})
    if len(layouts) > 1:
        raise SeqgenError(f"the inputs mix layouts ({', '.join(layouts)}); load one layout at a time")
    files = list(dict.fromkeys(f for _, fs in detected for f in fs))
    skippable = {f for p in paths if Path(p).is_dir() for f in files if f.parent == Path(p)}
    return layouts[0], files, skippable


def _keep_classes(splits: dict[str, SketchSet], categories: Sequence[str] | None,
                  max_categories: int | None) -> dict[str, SketchSet]:
    """The splits cut to the chosen categories (the same in every split); each must have training drawings."""
    names = _select_classes(splits["train"].class_names, categories, max_categories)
    splits = {k: v.with_classes(names) for k, v in splits.items()}
    empty = [n for n, count in zip(names, splits["train"].class_counts()) if count == 0]
    if empty:
        raise SeqgenError(f"category {empty[0]!r} has no training drawings; drop it or add data")
    return splits


def read_file(path: str | os.PathLike, stats: ReadStats | None = None, raw: str = "simplify") -> SketchSet:
    """Every drawing of one sketch file, any layout (npz: train, valid then test; ndjson: by word)."""
    layout = file_layout(path)
    if layout == "npz":
        return concat_sketch_sets(list(read_npz(path, stats=stats).values()))
    if layout == "ndjson":
        return read_ndjson(path, stats=stats, raw=raw)
    from seqgen.data_prep.sketch_tfrecord import read_tfrecord  # TensorFlow readers only when needed

    return read_tfrecord(path, stats=stats, raw=raw)


def cap_splits(splits: dict[str, SketchSet], per_class: int | None, fractions: Sequence[float],
               seed: int) -> dict[str, SketchSet]:
    """At most ``per_class`` training drawings per class, valid/test in proportion to ``fractions``."""
    if per_class is None:
        return splits
    caps = [per_class] + [math.ceil(per_class * f / max(fractions[0], 1e-9)) for f in fractions[1:]]
    return {k: splits[k].cap_per_class(cap, seed + i) for i, (k, cap) in enumerate(zip(SPLITS, caps))}


def describe(splits: dict[str, SketchSet], stats: ReadStats | None = None) -> str:
    """A few lines: categories, drawings per split and per class, length statistics."""
    names = next(iter(splits.values())).class_names
    shown = ", ".join(names[:12]) + (f", ... ({len(names)} in all)" if len(names) > 12 else "")
    lines = [f"{len(names)} categories: {shown}",
             f"{'split':<6} {'drawings':>9} {'per class':>11} {'length min/median/mean/p95/max':>32}"]
    for split, sketches in splits.items():
        counts, lengths = sketches.class_counts(), sketches.lengths()
        per_class = f"{counts.min()}-{counts.max()}" if len(counts) else "-"
        if len(lengths):
            stat = (f"{lengths.min()}/{np.median(lengths):.0f}/{lengths.mean():.1f}/"
                    f"{np.percentile(lengths, 95):.0f}/{lengths.max()}")
        else:
            stat = "-"
        lines.append(f"{split:<6} {len(sketches):>9} {per_class:>11} {stat:>32}")
    if stats is not None and stats.summary():
        lines.append(stats.summary())
    return "\n".join(lines)
