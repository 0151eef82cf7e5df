"""A cache of what the MIDI reader makes of each file, by content hash, so a second pass over a
folder loads arrays instead of parsing MIDI again.

The key is a BLAKE2b hash of the file's bytes, the reader's settings (drums, limits) and
:data:`CACHE_VERSION`: a file renamed or copied hits the cache, a file edited misses it.

Entries are kept in **shards**, many files' entries in one uncompressed ``.npz`` (one per
:data:`SHARD_ENTRIES` new entries or :data:`SHARD_BYTES` of rows, whichever comes first): a
warm read of a file then costs reading its bytes, one hash and one binary search, not the
``stat``/``open``/zip directory of a file of its own (0.45 ms a file on this machine; see
benchmarks/RESULTS.md). A shard holds ``keys`` (sorted hex), ``offsets`` and ``counts`` into
``rows`` (every usable file's float64 rows, one after another) and ``reason_ids`` into
``reasons`` for unusable files. It is written atomically under a name of its own, read with
``allow_pickle=False`` (a planted file cannot run code), checked (shapes, dtypes, ranges, the
zip's CRC), and a damaged one is ignored and deleted: its files are misses, read again and
written into a new shard. Only one shard's rows are held at a time (files are read in the order
they were written, so a shard is loaded once per pass).

Shards live under ``<data dir>/midi_notes/v<CACHE_VERSION>/``, where the data dir is
``$SEQGEN_DATA_DIR`` or the user cache dir (as for the chorales). Nothing is ever evicted. The
report's per-file figures live in the same folder (:mod:`data_prep.midi_figures`).

This module deals in arrays only; :mod:`data_prep.midi_read` turns them into a ``Performance``.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import time
import zipfile
from pathlib import Path

import numpy as np

from seqgen.data_prep.files import atomic_path

CACHE_VERSION = 3  # bump whenever the reader's output for a file, or the shard layout, changes
ENV_DATA_DIR = "SEQGEN_DATA_DIR"  # the same variable as data_prep.chorale_cache's
ENTRY_FIELDS = ("entry",)  # a usable file's arrays (midi_read._to_entry)
SHARD_ENTRIES = 2048  # entries per shard, at most
SHARD_BYTES = 8 * 2**20  # rows per shard, at most (one entry larger than this gets a shard of its own)
KEY_DTYPE = "S40"  # hex of a 20-byte BLAKE2b digest (ASCII: no trailing NUL for numpy to strip)
_SHARD_GLOB = "shard-*.npz"
_names = itertools.count()


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


class _Damaged(Exception):
    """A shard that fails a check (its entries are misses)."""


def _read_index(path: Path) -> dict[str, np.ndarray]:
    """A shard's index arrays, checked; :class:`_Damaged` if anything is off."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            index = {name: archive[name] for name in ("keys", "offsets", "counts", "reason_ids", "reasons", "shape")}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise _Damaged(str(exc)) from None
    keys, offsets, counts, ids = index["keys"], index["offsets"], index["counts"], index["reason_ids"]
    rows, width = (int(v) for v in index["shape"]) if index["shape"].shape == (2,) else (-1, -1)
    ok = (keys.dtype == np.dtype(KEY_DTYPE) and keys.ndim == 1 and rows >= 0 and width >= 1
          and all(a.dtype == np.int64 and a.shape == keys.shape for a in (offsets, counts, ids))
          and index["reasons"].dtype.kind == "U" and index["reasons"].ndim == 1
          and (offsets >= 0).all() and (counts >= 0).all() and (offsets + counts <= rows).all()
          and ((ids >= -1) & (ids < len(index["reasons"]))).all() and (keys[1:] > keys[:-1]).all())
    if not ok:
        raise _Damaged("inconsistent index")
    return index


class NotesCache:
    """The shards of one cache folder: :meth:`get` an entry by key, :meth:`put` new ones, :meth:`flush`
    them to a shard (also when used as a context manager). Entries are ``{"entry": (rows, width)
    float64}`` for a usable file or ``{"reason": 0-d str array}``."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        self._index: tuple[list[Path], np.ndarray, np.ndarray] | None = None  # shards, sorted keys, (E, 4) where
        self._reasons: list[np.ndarray] = []  # per shard
        self._shapes: list[tuple[int, int]] = []  # per shard: its rows' shape
        self._loaded: tuple[int, np.ndarray] | None = None  # (shard, rows): the one shard held
        self._bad: set[int] = set()
        self._pending: dict[str, dict[str, np.ndarray]] = {}
        self._pending_bytes = 0

    def __enter__(self) -> NotesCache:
        return self

    def __exit__(self, *exc) -> None:
        self.flush()

    def _load_index(self) -> tuple[list[Path], np.ndarray, np.ndarray]:
        shards, keys, where = [], [], []
        for path in sorted(self.folder.glob(_SHARD_GLOB)):
            try:
                index = _read_index(path)
            except _Damaged:
                _remove(path)  # rebuilt: its files miss and go into a new shard
                continue
            n = len(shards)
            shards.append(path)
            self._reasons.append(index["reasons"])
            self._shapes.append(tuple(int(v) for v in index["shape"]))
            keys.append(index["keys"])
            where.append(np.stack([np.full_like(index["offsets"], n), index["offsets"], index["counts"],
                                   index["reason_ids"]], axis=1))
        keys = np.concatenate(keys) if keys else np.zeros(0, KEY_DTYPE)
        where = np.concatenate(where) if where else np.zeros((0, 4), np.int64)
        order = np.argsort(keys, kind="stable")
        return shards, keys[order], where[order]

    def get(self, key: str) -> dict[str, np.ndarray] | None:
        """The entry stored under ``key``, or None (absent, or in a damaged shard)."""
        if key in self._pending:
            return self._pending[key]
        if self._index is None:
            self._index = self._load_index()
        shards, keys, where = self._index
        raw = key.encode()
        i = int(np.searchsorted(keys, raw))
        if i == len(keys) or keys[i] != raw:
            return None
        shard, offset, count, reason = where[i].tolist()
        if shard in self._bad:
            return None
        if reason >= 0:
            return {"reason": self._reasons[shard][reason]}
        rows = self._rows(shard)
        return None if rows is None else {"entry": rows[offset : offset + count]}

    def _rows(self, shard: int) -> np.ndarray | None:
        if self._loaded is None or self._loaded[0] != shard:
            self._loaded = None  # drop the shard held before loading the next one
            path = self._index[0][shard]
            try:
                with np.load(path, allow_pickle=False) as archive:
                    rows = archive["rows"]  # zipfile checks the member's CRC as it reads it
                if rows.dtype != np.float64 or rows.shape != self._shapes[shard]:
                    raise _Damaged("rows of another shape")
            except (_Damaged, OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
                self._drop(shard)
                return None
            rows.flags.writeable = False
            self._loaded = (shard, rows)
        return self._loaded[1]

    def _drop(self, shard: int) -> None:
        """Forget a shard whose rows are damaged: its usable files miss (and are put again when read),
        its unusable files' reasons, checked with the index, go into the next shard at once."""
        self._bad.add(shard)
        _remove(self._index[0][shard])
        _, keys, where = self._index
        mine = (where[:, 0] == shard) & (where[:, 3] >= 0)
        for key, reason in zip(keys[mine].tolist(), where[mine, 3].tolist()):
            self.put(key.decode(), {"reason": self._reasons[shard][reason]})

    def put(self, key: str, arrays: dict[str, np.ndarray]) -> None:
        """Keep ``arrays`` for the next shard; a full batch is written at once."""
        if key in self._pending:
            return
        size = arrays["entry"].nbytes if "entry" in arrays else 0
        if self._pending and self._pending_bytes + size > SHARD_BYTES:
            self.flush()
        self._pending[key] = arrays
        self._pending_bytes += size
        if len(self._pending) >= SHARD_ENTRIES or self._pending_bytes >= SHARD_BYTES:
            self.flush()

    def flush(self) -> None:
        """Write the entries put since the last flush as one shard; a cache that cannot be written
        (read-only, full) is skipped, since it only saves time."""
        if not self._pending:
            return
        pending, self._pending, self._pending_bytes = self._pending, {}, 0
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            name = f"shard-{os.getpid():x}-{time.time_ns():x}-{next(_names)}.npz"
            with atomic_path(self.folder / name) as tmp:
                with open(tmp, "wb") as fh:
                    np.savez(fh, **_shard_arrays(pending))
        except (OSError, ValueError):
            pass


def _shard_arrays(pending: dict[str, dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The members of a shard holding ``pending`` (key -> entry), keys sorted."""
    keys = sorted(pending)
    widths = {pending[k]["entry"].shape[1] for k in keys if "entry" in pending[k]}
    width = widths.pop() if len(widths) == 1 else 1
    if widths:
        raise ValueError("entries of several widths")  # never made by midi_read; skipped, not cached
    reasons: dict[str, int] = {}
    offsets, counts, ids, rows, at = [], [], [], [], 0
    for k in keys:
        arrays = pending[k]
        if "entry" in arrays:
            rows.append(np.asarray(arrays["entry"], np.float64))
            offsets.append(at), counts.append(len(rows[-1])), ids.append(-1)
            at += len(rows[-1])
        else:
            offsets.append(0), counts.append(0), ids.append(reasons.setdefault(str(arrays["reason"]), len(reasons)))
    rows = np.concatenate(rows) if rows else np.zeros((0, width))
    return {"keys": np.array(keys, KEY_DTYPE), "offsets": np.array(offsets, np.int64),
            "counts": np.array(counts, np.int64), "reason_ids": np.array(ids, np.int64),
            "reasons": np.array(list(reasons), dtype=str) if reasons else np.zeros(0, "U1"),
            "shape": np.array(rows.shape, np.int64), "rows": rows}


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass  # a read-only cache: the damaged shard is skipped on every read instead
