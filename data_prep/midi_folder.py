"""Folders, files and globs of MIDI -> :class:`Corpus`, read with all cores and through the cache.

* Files are found in a stable order (:func:`find_midi_files`) and read one by one
  (:func:`data_prep.midi_read.read_midi`'s rules); :func:`iter_corpus` yields each file's result in
  that order as it comes, so a caller that keeps only figures holds one file at a time.
* With ``workers`` above 1, files are read in that many processes (``spawn``ed: a parent that
  runs TensorFlow must not fork); results come back in the same order, so two workers give the
  same corpus as one. The default is every core, but a process per :data:`FILES_PER_WORKER` files at
  most, since starting one costs about as much as reading a thousand small files.
* ``cache``: a folder of :mod:`data_prep.midi_cache` entries (by content hash), so a second read
  of the same files loads arrays instead of parsing MIDI.

A corpus reader never fails for one bad file: it returns the usable performances and the skipped
``(path, reason)`` pairs, and raises :class:`SeqgenError` only when nothing is usable.
"""

from __future__ import annotations

import functools
import glob
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.midi_read import Performance, ReadLimits, _performance, _Unusable

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
                inside = (p for p in match.rglob("*") if p.suffix.lower() in MIDI_SUFFIXES and p.is_file())
                found.update((p, None) for p in sorted(inside))
            elif match.is_file():
                found[match] = None
    return list(found)


def default_workers() -> int:
    """Every core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _read_one(file: Path, include_drums: bool, limits: ReadLimits, cache: Path | None) -> Performance | str:
    """One file's performance, or the reason it is skipped (a string)."""
    try:
        return _performance(file, include_drums, limits, cache)
    except _Unusable as exc:
        return str(exc)
    except OSError as exc:  # unreadable on disk (permissions, a vanished file): skip it, say why
        return f"cannot be read ({exc.strerror or exc})"


def iter_corpus(files: list[Path], include_drums: bool = False, limits: ReadLimits = ReadLimits(),
                workers: int | None = None, cache: Path | None = None) -> Iterator[tuple[Path, Performance | str]]:
    """``(file, performance or reason skipped)`` for each of ``files``, in order (see the module doc)."""
    if workers is not None and not 1 <= workers <= MAX_WORKERS:
        raise SeqgenError(f"--workers must be 1-{MAX_WORKERS}, got {workers}")
    if workers is None:
        workers = min(default_workers(), -(-len(files) // FILES_PER_WORKER))
    workers = max(1, min(workers, len(files)))
    read = functools.partial(_read_one, include_drums=include_drums, limits=limits, cache=cache)
    if workers == 1:
        yield from ((f, read(f)) for f in files)
        return
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield from zip(files, pool.map(read, files, chunksize=CHUNK))


def read_corpus(paths: Iterable[str | os.PathLike] | str | os.PathLike, include_drums: bool = False,
                limits: ReadLimits = ReadLimits(), workers: int | None = None, cache: Path | None = None) -> Corpus:
    """Read every MIDI file under ``paths`` (files, folders, globs); skip bad ones with a reason.

    Raises :class:`SeqgenError` (one line) when a path does not exist or no file is usable.
    """
    paths = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    files = find_midi_files(paths)
    shown = ", ".join(str(p) for p in paths)
    if not files:
        raise SeqgenError(f"no MIDI file (.mid, .midi) found in {shown}: give a folder or files of MIDI")
    performances, skipped = [], []
    for file, result in iter_corpus(files, include_drums, limits, workers, cache):
        if isinstance(result, str):
            skipped.append((str(file), result))
        else:
            performances.append(result)
    if not performances:
        first_path, first_reason = skipped[0]
        raise SeqgenError(
            f"none of the {len(files)} MIDI files in {shown} is usable (e.g. {first_path}: {first_reason}): "
            "run `seqgen data midi` on them to see why"
        )
    return Corpus(tuple(performances), tuple(skipped))
