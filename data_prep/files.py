"""Writing files without losing anything: atomic replacement and no silent overwrites."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator

from seqgen.data_prep.errors import SeqgenError


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target`` in one step.

    A crash or an exception midway leaves ``target`` as it was (never half-written). ``suffix``
    defaults to the target's own, since some writers (Keras, music21) choose a format by it.
    """
    target = Path(target)
    suffix = target.suffix if suffix is None else suffix
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=f".tmp{suffix}", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes files private; outputs follow the umask
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_writable(path: str | os.PathLike, force: bool = False) -> Path:
    """Validate an output path before any work: its folder exists, and it is new unless ``force``."""
    if not str(path).strip():
        raise SeqgenError("the output file name is empty; give a file name, e.g. -o piece.mid")
    path = Path(path)
    if path.is_dir():
        raise SeqgenError(f"output {str(path)!r} is a folder; give a file name inside it")
    if not path.parent.is_dir():
        raise SeqgenError(f"output folder {str(path.parent)!r} does not exist: create it first")
    if path.exists() and not force:
        raise SeqgenError(f"{str(path)!r} already exists: choose another name or pass --force")
    return path


def numbered_names(out: Path, num: int) -> list[Path]:
    """``[OUT]`` for one output, else ``OUT-1``, ``OUT-2``... (the suffix kept): how every command names
    the pieces of ``--num``."""
    return [out] if num == 1 else [out.with_name(f"{out.stem}-{i}{out.suffix}") for i in range(1, num + 1)]
