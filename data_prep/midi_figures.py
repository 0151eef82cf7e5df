"""The report's per-file figures, kept beside the notes cache, so a second ``seqgen data midi`` over a
folder reads them instead of placing every note on the grid again.

What a warm report of a piano work still spent most of its time on (benchmarks/RESULTS.md) was
figures computed from every note again: in the first pass each file's grid's needed voices
(:func:`midi_grid.needed_voices`) and polyphony (:func:`midi_stats.polyphony`), in the second its grid
drops at the corpus's voice count (the line split and voice placement) and the events codec's
duplicate count. They depend only on the file's notes (its :func:`data_prep.midi_cache.entry_key`, which
covers the reader's settings) and, for the drops, on the voice count, so they are stored per key
(``FILE_INTS``, ``FILE_FLOATS``) and per ``(key, voices)`` (``FIGURES``). A stored figure larger than
the file's note count is not the file's and is computed again.

One file, ``report-figures-v<FIGURES_VERSION>.npz`` in the cache folder: ``keys`` (``S40``),
``voices`` (int64), ``figures`` ((N, 3) int64), ``file_keys``, ``file_ints`` ((M, 2) int64) and
``file_floats`` ((M, 2) float64), read with ``allow_pickle=False`` and checked (shapes, dtypes,
counts >= 0, finite seconds); a damaged file is ignored (its figures are computed again) and
replaced on the next write. It is rewritten whole, atomically, when a report adds figures: two
reports at once lose at most each other's new figures, never a file. It only saves time: a cache
folder that cannot be written is skipped.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from seqgen.data_prep.files import atomic_path
from seqgen.data_prep.midi_cache import KEY_DTYPE

FIGURES_VERSION = 1  # bump when a figure's meaning changes (the grid's voice rules, the events' duplicates)
FIGURES = ("voices", "pitch", "events duplicates")  # the columns of one (key, voices) row
FILE_INTS = ("needed voices", "polyphony max")  # and of one key's row: voice-independent figures,
FILE_FLOATS = ("sounding seconds", "note seconds")  # midi_grid.needed_voices and midi_stats.polyphony


class FiguresCache:
    """:meth:`get` / :meth:`put` a file's figures at a voice count; :meth:`flush` writes new ones."""

    def __init__(self, folder: str | os.PathLike):
        self.path = Path(folder) / f"report-figures-v{FIGURES_VERSION}.npz"
        self._rows, self._files = _read(self.path)  # (key, voices) -> FIGURES; key -> (FILE_INTS, FILE_FLOATS)
        self._new = 0

    def get_file(self, key: str) -> tuple[int, int, float, float] | None:
        return self._files.get(key.encode("ascii"))

    def put_file(self, key: str, figures: tuple[int, int, float, float]) -> None:
        needed, most, sounding, note_time = figures
        self._files[key.encode("ascii")] = (int(needed), int(most), float(sounding), float(note_time))
        self._new += 1

    def get(self, key: str, voices: int) -> tuple[int, int, int] | None:
        return self._rows.get((key.encode("ascii"), int(voices)))

    def put(self, key: str, voices: int, figures: tuple[int, int, int]) -> None:
        self._rows[(key.encode("ascii"), int(voices))] = tuple(int(f) for f in figures)
        self._new += 1

    def flush(self) -> None:
        if not self._new:
            return
        self._new = 0
        items = sorted(self._rows.items())
        arrays = {"keys": np.array([k for (k, _), _ in items], KEY_DTYPE),
                  "voices": np.array([v for (_, v), _ in items], np.int64),
                  "figures": np.array([f for _, f in items], np.int64).reshape(-1, len(FIGURES))}
        files = sorted(self._files.items())
        arrays.update(file_keys=np.array([k for k, _ in files], KEY_DTYPE),
                      file_ints=np.array([f[:2] for _, f in files], np.int64).reshape(-1, len(FILE_INTS)),
                      file_floats=np.array([f[2:] for _, f in files], np.float64).reshape(-1, len(FILE_FLOATS)))
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(self.path) as tmp:
                with open(tmp, "wb") as fh:
                    np.savez(fh, **arrays)
        except (OSError, ValueError):
            pass


def _read(path: Path) -> tuple[dict, dict]:
    """The figures stored at ``path``; none if it is absent or fails a check."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in _MEMBERS}
    except (OSError, ValueError, KeyError, EOFError, RuntimeError, zipfile.BadZipFile):  # absent, cut, not a zip
        return {}, {}
    if not _fits(arrays):
        return {}, {}
    rows = {(k, v): tuple(f) for k, v, f in zip(arrays["keys"].tolist(), arrays["voices"].tolist(),
                                                 arrays["figures"].tolist())}
    files = {k: (*i, *f) for k, i, f in zip(arrays["file_keys"].tolist(), arrays["file_ints"].tolist(),
                                            arrays["file_floats"].tolist())}
    return rows, files


_MEMBERS = ("keys", "voices", "figures", "file_keys", "file_ints", "file_floats")


def _fits(a: dict[str, np.ndarray]) -> bool:
    """Whether the arrays have the shapes, dtypes and ranges :meth:`FiguresCache.flush` writes."""
    n, m = len(a["keys"]), len(a["file_keys"])
    shapes = ((a["keys"], KEY_DTYPE, (n,)), (a["voices"], np.int64, (n,)), (a["figures"], np.int64, (n, len(FIGURES))),
              (a["file_keys"], KEY_DTYPE, (m,)), (a["file_ints"], np.int64, (m, len(FILE_INTS))),
              (a["file_floats"], np.float64, (m, len(FILE_FLOATS))))
    if any(x.dtype != np.dtype(dtype) or x.shape != shape for x, dtype, shape in shapes):
        return False
    floats = a["file_floats"]
    return not ((n and (a["voices"].min() < 1 or a["figures"].min() < 0))
                or (m and (a["file_ints"].min() < 0 or not np.isfinite(floats).all() or floats.min() < 0)))
