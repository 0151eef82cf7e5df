"""Folders, files and globs of MIDI -> :class:`Corpus`, read with all cores and through the cache.

* Files are found in a stable order (:func:`find_midi_files`) and read one by one
  (:func:`data_prep.midi_read.read_midi`'s rules); :func:`iter_corpus` yields each file's result in
  that order as it comes, so a caller that keeps only figures holds one file at a time.
* With ``workers`` above 1, files are read in that many processes (``spawn``ed: a parent that
  runs TensorFlow must not fork); results come back in the same order, so two workers give the
  same corpus as one. The default is every core, but a process per :data:`FILES_PER_WORKER` files at
  most, since starting one costs about as much as reading a thousand small files.
* ``cache``: a folder of :mod:`data_prep.midi_cache` shards (entries by content hash), so a
  second read of the same files loads arrays instead of parsing MIDI. With workers, this process
  looks every file up (its bytes, one hash, one binary search) and sends only the misses to the
  workers, in batches of :data:`CHUNK`; their new entries come back and are written into shards
  here, so one process writes the cache.

A corpus reader never fails for one bad file: it returns the usable performances and the skipped
``(path, reason)`` pairs, and raises :class:`SeqgenError` only when nothing is usable.
"""

from __future__ import annotations

import contextlib
import functools
import glob
import multiprocessing
import os
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, NamedTuple

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.midi_cache import NotesCache
from seqgen.data_prep.midi_read import Performance, ReadLimits, _performance, _Unusable, cached_performance

MIDI_SUFFIXES = (".mid", ".midi")
FILES_PER_WORKER = 1000  # the default workers: one process per this many files, at most one per core
CHUNK = 64  # files per task sent to a worker (fewer round trips, results still in order)
MAX_WORKERS = 256


@dataclass(frozen=True)
class Corpus:
    """The usable performances of a set of paths, and the files skipped with the reason for each."""

    performances: tuple[Performance, ...]
    skipped: tuple[tuple[str, str], ...]  # (path, reason)


def find_midi_files(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Expand files, folders (recursively, ``.mid``/``.midi`` in any case) and globs, in order, once each.

    A file named explicitly is taken whatever its suffix. A path that does not exist, or a glob that
    matches nothing, raises :class:`SeqgenError`.
    """
    found: dict[Path, None] = {}  # ordered set
    for raw in paths:
        path = Path(raw)
        if path.exists():
            matches = [path]
        elif glob.has_magic(str(raw)):
            matches = [Path(m) for m in sorted(glob.glob(str(raw), recursive=True))]
            if not matches:
                raise SeqgenError(f"{str(raw)!r} matches no file: check the pattern")
        else:
            raise SeqgenError(f"{str(raw)!r} does not exist: check the path")
        for match in matches:
            if match.is_dir():
                found.update((Path(p), None) for p in sorted(_midi_files_in(str(match)), key=_parts))
            elif match.is_file():
                found[match] = None
    return list(found)


def _parts(path: str) -> list[str]:
    return path.split(os.sep)  # sorts as Path.parts does (what sorted(Path...) compares), faster


def _midi_files_in(folder: str) -> Iterator[str]:
    """Every ``.mid``/``.midi`` file under ``folder`` (symlinked files too; symlinked folders are not
    entered, as ``Path.rglob`` does not), by ``os.scandir``: a third of the cost of ``rglob``."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return  # unreadable folder: what rglob does too
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            yield from _midi_files_in(entry.path)
        elif os.path.splitext(entry.name)[1].lower() in MIDI_SUFFIXES and entry.is_file():
            yield entry.path


def default_workers() -> int:
    """Every core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class _Recorder:
    """A worker's stand-in for the cache: the parent has looked the file up already (a miss), so
    :meth:`get` misses and :meth:`put` keeps the new entry for the parent to store."""

    def __init__(self):
        self.entries: list[tuple[str, dict]] = []

    def get(self, key: str) -> None:
        return None

    def put(self, key: str, arrays: dict) -> None:
        self.entries.append((key, arrays))


def _read_one(file: Path, include_drums: bool, limits: ReadLimits, cache=None) -> Performance | str:
    """One file's performance (through ``cache``: a NotesCache or a _Recorder), or the reason it is skipped."""
    try:
        return _performance(file, include_drums, limits, cache)
    except _Unusable as exc:
        return str(exc)
    except OSError as exc:  # unreadable on disk (permissions, a vanished file): skip it, say why
        return f"cannot be read ({exc.strerror or exc})"


def _read_batch(files: list[Path], include_drums: bool, limits: ReadLimits, record: bool) -> list:
    """In a worker: ``(performance or reason, new cache entries)`` per file."""
    out = []
    for file in files:
        recorder = _Recorder() if record else None
        out.append((_read_one(file, include_drums, limits, recorder), recorder.entries if record else []))
    return out


def _look_up(file: Path, include_drums: bool, limits: ReadLimits, cache: NotesCache | None):
    """In the parent: the cached result of ``file`` (performance or reason), or :data:`_MISS`."""
    if cache is None:
        return _MISS
    try:
        found = cached_performance(file, include_drums, limits, cache)
    except _Unusable as exc:
        return str(exc)
    except OSError:
        return _MISS  # the worker says why
    return _MISS if found is None else found


_MISS = object()


class _Slot(NamedTuple):
    """Where a missed file's result will be: batch number, place in the batch."""

    batch: int
    position: int


def iter_corpus(files: list[Path], include_drums: bool = False, limits: ReadLimits = ReadLimits(),
                workers: int | None = None, cache: Path | None = None) -> Iterator[tuple[Path, Performance | str]]:
    """``(file, performance or reason skipped)`` for each of ``files``, in order (see the module doc)."""
    if workers is not None and not 1 <= workers <= MAX_WORKERS:
        raise SeqgenError(f"--workers must be 1-{MAX_WORKERS}, got {workers}")
    if workers is None:
        workers = min(default_workers(), -(-len(files) // FILES_PER_WORKER))
    workers = max(1, min(workers, len(files)))
    with contextlib.ExitStack() as stack:
        notes_cache = None if cache is None else stack.enter_context(NotesCache(cache))  # flushed on the way out
        if workers == 1:
            yield from ((f, _read_one(f, include_drums, limits, notes_cache)) for f in files)
            return
        pool = stack.enter_context(ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")))
        read = functools.partial(_read_batch, include_drums=include_drums, limits=limits, record=cache is not None)
        look_up = functools.partial(_look_up, include_drums=include_drums, limits=limits, cache=notes_cache)
        yield from _pooled(files, look_up, pool, read, notes_cache, ahead=2 * workers * CHUNK)


def _pooled(files, look_up, pool, read, notes_cache, ahead: int):
    """Hits answered here, misses read by the pool in batches of :data:`CHUNK`; results in file order,
    at most ``ahead`` files between the one looked up and the one given back."""
    queue: deque = deque()  # (file, result) for a hit, (file, (batch, position)) for a miss
    batch: list[Path] = []
    futures: dict[int, object] = {}  # batch number -> future, until its last file is given back
    sent = 0
    for file in files:
        found = look_up(file)
        if found is _MISS:
            queue.append((file, _Slot(sent, len(batch))))
            batch.append(file)
            if len(batch) == CHUNK:
                futures[sent], batch, sent = pool.submit(read, batch), [], sent + 1
        else:
            queue.append((file, found))
        while len(queue) > ahead:
            yield _next(queue, futures, notes_cache)
    if batch:
        futures[sent] = pool.submit(read, batch)
    while queue:
        yield _next(queue, futures, notes_cache)


def corpus_files(paths: Iterable[str | os.PathLike] | str | os.PathLike) -> tuple[list[Path], str]:
    """``(the MIDI files under paths, paths as shown in messages)``; :class:`SeqgenError` when none is found."""
    paths = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    files = find_midi_files(paths)
    shown = ", ".join(str(p) for p in paths)
    if not files:
        raise SeqgenError(f"no MIDI file (.mid, .midi) found in {shown}: give a folder or files of MIDI")
    return files, shown


def nothing_usable(files: int, shown: str, first_skipped: tuple[str, str]) -> SeqgenError:
    """The one-line error of a corpus whose every file was skipped."""
    first_path, first_reason = first_skipped
    return SeqgenError(
        f"none of the {files} MIDI files in {shown} is usable (e.g. {first_path}: {first_reason}): "
        "run `seqgen data midi` on them to see why"
    )


def read_corpus(paths: Iterable[str | os.PathLike] | str | os.PathLike, include_drums: bool = False,
                limits: ReadLimits = ReadLimits(), workers: int | None = None, cache: Path | None = None) -> Corpus:
    """Read every MIDI file under ``paths`` (files, folders, globs); skip bad ones with a reason.

    Raises :class:`SeqgenError` (one line) when a path does not exist or no file is usable.
    """
    files, shown = corpus_files(paths)
    performances, skipped = [], []
    for file, result in iter_corpus(files, include_drums, limits, workers, cache):
        if isinstance(result, str):
            skipped.append((str(file), result))
        else:
            performances.append(result)
    if not performances:
        raise nothing_usable(len(files), shown, skipped[0])
    return Corpus(tuple(performances), tuple(skipped))


def _next(queue: deque, futures: dict, notes_cache: NotesCache | None) -> tuple[Path, Performance | str]:
    """The oldest file's result (waiting for its batch); a miss's new entries go into the cache."""
    file, found = queue.popleft()
    if not isinstance(found, _Slot):
        return file, found
    results = futures[found.batch].result()
    result, entries = results[found.position]
    for key, arrays in entries:
        notes_cache.put(key, arrays)
    if found.position == len(results) - 1:
        del futures[found.batch]  # its results are all given back
    return file, result
