"""A cache of what the MIDI reader makes of each file, by content hash, so a second pass over a
folder reads ``.npz`` files of plain arrays instead of parsing MIDI again.

The key is a BLAKE2b hash of the file's bytes, the reader's settings (drums, limits) and
:data:`CACHE_VERSION`: a file renamed or copied hits the cache, a file edited misses it. An entry
is one uncompressed ``.npz`` (written atomically; read with ``allow_pickle=False``, so a planted
file cannot run code) holding either the reader's output or the reason the file is unusable.
Entries live under ``<data dir>/midi_notes/v<CACHE_VERSION>/<2 hex>/<hash>.npz``, where the data dir is
``$SEQGEN_DATA_DIR`` or the user cache dir (as for the chorales). A damaged entry is a miss.

This module deals in arrays only; :mod:`data_prep.midi_read` turns them into a ``Performance``.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path

import numpy as np

from seqgen.data_prep.files import atomic_path

CACHE_VERSION = 2  # bump whenever the reader's output for a file changes
ENV_DATA_DIR = "SEQGEN_DATA_DIR"  # the same variable as data_prep.chorale_cache's
ENTRY_FIELDS = ("entry",)  # a usable file's arrays (midi_read._to_entry)


def cache_dir(override: str | os.PathLike | None = None) -> Path:
    """``<override or $SEQGEN_DATA_DIR or the user cache dir>/midi_notes/v<CACHE_VERSION>`` (not created here)."""
    root = override if override is not None else os.environ.get(ENV_DATA_DIR)
    if root is None:
        import platformdirs

        root = platformdirs.user_cache_dir("seqgen")
    return Path(root) / "midi_notes" / f"v{CACHE_VERSION}"


def entry_key(data: bytes, settings: str) -> str:
    """The hex key of a file's bytes read with ``settings`` (a stable text of the reader's options)."""
    digest = hashlib.blake2b(data, digest_size=20)
    digest.update(f"\0{settings}\0v{CACHE_VERSION}".encode())
    return digest.hexdigest()


def _path(folder: Path, key: str) -> Path:
    return folder / key[:2] / f"{key}.npz"


def load_entry(folder: Path, key: str) -> dict[str, np.ndarray] | None:
    """The arrays stored under ``key`` (a usable file's :data:`ENTRY_FIELDS`, or ``reason``), None on a miss."""
    path = _path(folder, key)
    try:
        with np.load(path, allow_pickle=False) as archive:
            entry = {name: archive[name] for name in archive.files}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None  # absent, or damaged (a miss: the file is read again and the entry rewritten)
    if "reason" in entry or all(name in entry for name in ENTRY_FIELDS):
        return entry
    return None


def save_entry(folder: Path, key: str, arrays: dict[str, np.ndarray]) -> None:
    """Store ``arrays`` under ``key``; a cache that cannot be written (read-only, full) is skipped."""
    path = _path(folder, key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, **arrays)
    except OSError:
        pass  # the cache only saves time; reading goes on without it
