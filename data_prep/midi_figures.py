"""The report's per-file figures, kept beside the notes cache, so a second ``seqgen data midi`` over a
folder reads them instead of placing every note on the grid again.

What a warm report of a piano work still spent most of its time on (benchmarks/RESULTS.md) was the
report's second pass: each file's grid drops at the corpus's voice count (the line split and voice
placement) and the events codec's duplicate count. Both depend only on the file's notes (its
:func:`data_prep.midi_cache.entry_key`, which covers the reader's settings) and on the voice count,
so they are stored per ``(key, voices)``: ``(grid notes without a voice, grid notes of pitch 0,
events duplicates)``.

One file, ``report-figures-v<FIGURES_VERSION>.npz`` in the cache folder: ``keys`` (``S40``),
``voices`` (int64) and ``figures`` ((N, 3) int64), read with ``allow_pickle=False`` and checked
(shapes, dtypes, counts >= 0); a damaged file is ignored (its figures are computed again) and
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
FIGURES = ("voices", "pitch", "events duplicates")  # the columns of one row


class FiguresCache:
    """:meth:`get` / :meth:`put` a file's figures at a voice count; :meth:`flush` writes new ones."""

    def __init__(self, folder: str | os.PathLike):
        self.path = Path(folder) / f"report-figures-v{FIGURES_VERSION}.npz"
        self._rows: dict[tuple[bytes, int], tuple[int, int, int]] = _read(self.path)
        self._new = 0

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
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(self.path) as tmp:
                with open(tmp, "wb") as fh:
                    np.savez(fh, **arrays)
        except (OSError, ValueError):
            pass


def _read(path: Path) -> dict[tuple[bytes, int], tuple[int, int, int]]:
    """The figures stored at ``path``; none if it is absent or fails a check."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            keys, voices, figures = archive["keys"], archive["voices"], archive["figures"]
    except (OSError, ValueError, KeyError, EOFError, RuntimeError, zipfile.BadZipFile):  # absent, cut, not a zip
        return {}
    n = len(keys)
    if (keys.dtype != np.dtype(KEY_DTYPE) or keys.ndim != 1 or voices.dtype != np.int64 or voices.shape != (n,)
            or figures.dtype != np.int64 or figures.shape != (n, len(FIGURES))
            or (n and (voices.min() < 1 or figures.min() < 0))):
        return {}
    return {(k, v): tuple(f) for k, v, f in zip(keys.tolist(), voices.tolist(), figures.tolist())}
