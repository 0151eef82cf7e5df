"""Bach chorales as voice grids: built offline from music21's corpus, or read from jsb_chorales CSVs.

The music21 build keeps the four-voice (soprano, alto, tenor, bass) chorales of the Riemenschneider
collection, puts each on a 16th-note grid with struck/held flags, splits them deterministically
(by a hash of the chorale's name, so the split is the same on every machine and run) and caches the
result. See :mod:`data_prep.chorale_cache` for the cache.
"""

from __future__ import annotations

import csv
import hashlib
import io
import lzma
import os
import tarfile
import zlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Iterable

import numpy as np

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.grid import Grid, infer_struck

SPLITS = ("train", "valid", "test")
CSV_COLUMNS = ("note0", "note1", "note2", "note3")
_PART_NAMES = ("soprano", "alto", "tenor", "bass")

Dataset = dict[str, list[Grid]]  # split name -> chorales


def assign_splits(names: list[str]) -> list[str]:
    """About 80/10/10 train/valid/test from a hash of each name alone, so a chorale's split never
    depends on which other chorales a music21 version holds or parses (ranking the hashes did)."""
    splits = []
    for name in names:
        fraction = int(hashlib.sha1(name.encode()).hexdigest()[:12], 16) / 16**12  # uniform in [0, 1)
        splits.append("test" if fraction < 0.1 else "valid" if fraction < 0.2 else "train")
    return splits


def chorale_names() -> list[str]:
    """Corpus paths of music21's Riemenschneider chorales (e.g. ``bach/bwv269``)."""
    from music21 import corpus

    return [str(name) for name in corpus.chorales.Iterator(returnType="filename")]


def _part_grid(part, steps: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One part -> (pitches (steps,), struck (steps,), fermata (steps,)); chords keep their top note.

    ``fermata`` is True over every step of a note marked with a fermata (a phrase end)."""
    from music21 import expressions

    pitches = np.zeros(steps, np.int16)
    struck = np.zeros(steps, bool)
    fermata = np.zeros(steps, bool)
    for element in part.flatten().notes:
        if element.duration.quarterLength == 0:  # grace notes take no time on a grid
            continue
        start = int(round(float(element.offset) * 4))
        end = int(round(float(element.offset + element.duration.quarterLength) * 4))
        if end <= start or start >= steps:
            continue
        pitch = max(p.midi for p in element.pitches)
        pitches[start:end] = pitch
        tied_in = element.tie is not None and element.tie.type in ("stop", "continue")
        struck[start] = not tied_in
        fermata[start:end] = any(isinstance(e, expressions.Fermata) for e in element.expressions)
    return pitches, struck, fermata


def phrase_ends(fermata: np.ndarray) -> np.ndarray:
    """Steps where a run of fermata steps ends (one per phrase) from ``(steps,)`` flags."""
    fermata = np.asarray(fermata, bool)
    following = np.append(fermata[1:], False)
    return np.flatnonzero(fermata & ~following)


def score_to_grid(score, name: str, voices: int | None = 4, any_names: bool = False) -> Grid | None:
    """A music21 score with four S/A/T/B parts -> a :class:`Grid`; ``None`` for any other layout.

    ``any_names`` accepts parts whatever their names (a user's file), top part first;
    ``voices=None`` accepts any number of parts.
    """
    parts = list(score.parts)
    if not parts or (voices is not None and len(parts) != voices):
        return None
    labels = [str(p.partName or p.id or "").lower() for p in parts]  # an unnamed part has an int id
    if not any_names and not all(label.startswith(expected[:3]) for label, expected in zip(labels, _PART_NAMES)):
        return None
    steps = int(round(float(score.highestTime) * 4))
    if steps == 0:
        return None
    columns = [_part_grid(part, steps) for part in parts]
    pitches = np.stack([c[0] for c in columns], axis=1)
    struck = np.stack([c[1] for c in columns], axis=1)
    fermata = columns[0][2] | np.any([c[2] for c in columns[1:]], axis=0) if len(columns) > 1 else columns[0][2]
    meta = {"source": "music21", "fermata": fermata, "mode": _mode(score)}
    return Grid(pitches, struck, name=name.split("/")[-1], meta=meta)


def _mode(score) -> str:
    """``"major"`` or ``"minor"`` by music21's key analysis (the same under any transposition)."""
    try:
        mode = score.analyze("key").mode
    except Exception:  # an analysis music21 cannot do leaves the mode at the commoner one
        return "major"
    return mode if mode in ("major", "minor") else "major"


def _parse_one(path: str) -> Grid | None:
    from music21 import corpus

    try:
        return score_to_grid(corpus.parse(path), path)
    except Exception:  # a corpus file music21 cannot read is left out, not fatal
        return None


def build_from_music21(names: Iterable[str] | None = None, workers: int | None = None,
                       progress: bool = True) -> Dataset:
    """Parse chorales (all of them by default) with all cores and split them.

    ``names`` limits the build (tests use a handful). Chorales that are not four S/A/T/B voices are
    left out. Duplicates (the corpus holds some harmonisations twice) keep their first copy.
    """
    names = list(names) if names is not None else chorale_names()
    workers = workers or os.cpu_count() or 1
    if workers > 1 and len(names) > 8:
        with ProcessPoolExecutor(workers) as pool:
            grids = list(_progress(pool.map(_parse_one, names, chunksize=4), len(names), progress))
    else:
        grids = [_parse_one(n) for n in _progress(names, len(names), progress)]
    unique: dict[bytes, Grid] = {}
    for grid in grids:
        if grid is not None:
            unique.setdefault(grid.pitches.tobytes(), grid)
    kept = list(unique.values())
    dataset: Dataset = {split: [] for split in SPLITS}
    for grid, split in zip(kept, assign_splits([g.name for g in kept])):
        dataset[split].append(grid)
    return dataset


def _progress(items, total: int, enabled: bool):
    if not enabled:
        return items
    from tqdm import tqdm

    return tqdm(items, total=total, desc="parsing chorales", unit="chorale")


MAX_CSV_BYTES = 8 << 20  # one chorale CSV larger than this is not a chorale (the largest real one is ~10 KB)
MAX_ARCHIVE_MEMBERS = 100_000  # entries in a .tgz: bounds the work on a hostile archive


def read_csv_chorale(path: Path) -> Grid:
    """One jsb_chorales CSV file (columns note0..note3, 0 = silence) -> a Grid with repeats held."""
    try:
        if Path(path).stat().st_size > MAX_CSV_BYTES:
            raise SeqgenError(f"{path}: larger than {MAX_CSV_BYTES >> 20} MiB, not a jsb_chorales CSV; remove it")
        with open(path, newline="", encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise SeqgenError(f"cannot read {path}: {e}; check the file is a jsb_chorales CSV") from None
    return parse_csv_chorale(text, str(path), Path(path).stem)


def parse_csv_chorale(text: str, where: str, name: str) -> Grid:
    """The text of one jsb_chorales CSV -> a Grid; ``where`` names it in error messages."""
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as e:  # NUL bytes, a field beyond the csv module's limit
        raise SeqgenError(f"{where}: not a readable CSV ({e}); check the file is a jsb_chorales CSV") from None
    if not rows or tuple(c.strip() for c in rows[0]) != CSV_COLUMNS:
        got = ",".join(rows[0])[:80] if rows else "an empty file"
        raise SeqgenError(f"{where}: header must be {','.join(CSV_COLUMNS)}, got {got!r}")
    values = []
    for line_no, row in enumerate(rows[1:], start=2):
        try:
            values.append([int(v) for v in row])
        except ValueError:
            raise SeqgenError(f"{where}, line {line_no}: notes must be integers (0 = silence), got {row!r:.80}") from None
        if len(row) != 4 or not all(0 <= v <= 127 for v in values[-1]):
            raise SeqgenError(f"{where}, line {line_no}: need 4 MIDI pitches 0-127, got {row!r:.80}")
    if not values:
        raise SeqgenError(f"{where}: no rows of notes; remove the file or fill it")
    pitches = np.array(values, np.int16)
    return Grid(pitches, infer_struck(pitches), name=name, meta={"source": "csv"})


def read_csv_folder(root: str | os.PathLike) -> Dataset:
    """A folder in the jsb_chorales layout: ``train/``, ``valid/``, ``test/`` of ``chorale_*.csv``."""
    root = Path(root)
    if not root.is_dir():
        raise SeqgenError(f"chorale folder {str(root)!r} does not exist; give a folder with train/, valid/, test/")
    dataset: Dataset = {}
    for split in SPLITS:
        files = sorted((root / split).glob("chorale_*.csv"))
        if not files:
            raise SeqgenError(f"{root / split}: no chorale_*.csv files; the split must not be empty")
        dataset[split] = [read_csv_chorale(f) for f in files]
    return dataset


def read_chorale_path(path: Path) -> Dataset:
    """A jsb_chorales folder or ``.tgz``/``.tar.gz`` archive of one -> dataset."""
    path = Path(path)
    if path.is_dir():
        return read_csv_folder(path)
    if not path.exists():
        raise SeqgenError(f"chorale data {str(path)!r} does not exist; give a jsb_chorales folder or .tgz, or 'music21'")
    try:
        return _read_csv_archive(path)
    except (tarfile.TarError, EOFError, zlib.error, OSError, lzma.LZMAError, ValueError, OverflowError) as e:
        # A truncated download, a CRC error, not an archive at all: one line, whatever the layer.
        detail = str(e).splitlines()[0][:100] if str(e) else type(e).__name__
        raise SeqgenError(f"{str(path)!r} is not a readable .tgz of jsb_chorales CSVs ({detail}); "
                          "download it again or give the extracted folder with --source") from None


def _read_csv_archive(path: Path) -> Dataset:
    dataset: Dataset = {s: [] for s in SPLITS}
    with tarfile.open(path) as archive:
        members = []
        for member in archive:  # streamed: a hostile archive is not listed in full first
            members.append(member)
            if len(members) > MAX_ARCHIVE_MEMBERS:
                raise SeqgenError(f"{path}: more than {MAX_ARCHIVE_MEMBERS} entries, not jsb_chorales; check the file")
        for member in sorted(members, key=lambda m: m.name):
            parts = Path(member.name).parts
            if not member.isfile() or len(parts) < 2 or parts[-2] not in SPLITS or not parts[-1].endswith(".csv"):
                continue
            where = f"{path}:{member.name}"
            if member.size > MAX_CSV_BYTES:
                raise SeqgenError(f"{where}: larger than {MAX_CSV_BYTES >> 20} MiB, not a jsb_chorales CSV")
            text = archive.extractfile(member).read().decode("utf-8", errors="replace")
            dataset[parts[-2]].append(parse_csv_chorale(text, where, Path(member.name).stem))
    for split, grids in dataset.items():
        if not grids:
            raise SeqgenError(f"{path}: no {split}/chorale_*.csv inside; the split must not be empty")
    return dataset


def describe(dataset: Dataset) -> str:
    """Chorales and steps per split, pitch range and per-voice ranges, for ``seqgen data chorales``."""
    lines = []
    for split in SPLITS:
        grids = dataset.get(split, [])
        lines.append(f"{split:>5}: {len(grids):4d} chorales, {sum(g.steps for g in grids):7d} steps")
    notes = np.concatenate([g.pitches.reshape(-1) for gs in dataset.values() for g in gs])
    sounding = notes[notes > 0]
    lines.append(f"pitch range: {sounding.min()}-{sounding.max()} (MIDI), silence {np.mean(notes == 0):.1%} of notes")
    return "\n".join(lines)
