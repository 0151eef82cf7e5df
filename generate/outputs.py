"""Where generated files go: one ``-o OUT`` becomes ``OUT`` or ``OUT-1``, ``OUT-2``... (``--num``), each
path checked writable (``--force``) before any work, so a refused command writes nothing.

Every generate command names its outputs through here: chorale and MIDI pieces (:func:`output_paths`,
the format given by ``--format``), harmonize and infill (:func:`music_paths`, the suffix picks the
format) and text (:func:`text_paths`, any suffix).
"""

from __future__ import annotations

import os
from pathlib import Path

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.files import check_writable, numbered_names

FORMATS = {"midi": ".mid", "musicxml": ".musicxml", "wav": ".wav"}  # format -> suffix given to an -o without one
SUFFIXES = {"midi": (".mid", ".midi"), "musicxml": (".musicxml", ".xml"), "wav": (".wav",)}  # what -o may end in
MIDI_OUT, SCORE_OUT, AUDIO_OUT = (".mid", ".midi"), (".musicxml", ".xml", ".mxl"), (".wav",)  # by suffix


def _out_path(out: str | os.PathLike) -> Path:
    if not str(out).strip():
        raise SeqgenError("-o is empty; give a file name, e.g. -o piece.mid")
    return Path(out)


def numbered(out: str | os.PathLike, num: int, force: bool) -> list[Path]:
    """``OUT`` or ``OUT-1``... ``OUT-num``, each checked writable (exists: refused without ``force``)."""
    return [check_writable(name, force) for name in numbered_names(_out_path(out), num)]


def output_paths(out: str | os.PathLike, num: int, fmt: str, plot: bool, force: bool) -> list[tuple[Path, Path | None]]:
    """Where each piece goes (``OUT-1.mid``... when ``num > 1``) and its piano roll (``OUT.png``
    beside it with ``plot``), all checked before any work."""
    out = _out_path(out)
    if out.suffix == "":
        out = out.with_suffix(FORMATS[fmt])
    if out.suffix.lower() not in SUFFIXES[fmt]:
        raise SeqgenError(f"-o {out}: a {fmt} file should end in {' or '.join(SUFFIXES[fmt])}; "
                          f"give -o {out.with_suffix(FORMATS[fmt]).name} (--plot writes the PNG beside it)")
    pairs = []
    for name in numbered_names(out, num):  # each piece, then its piano roll: the first clash is the one named
        pairs.append((check_writable(name, force), check_writable(name.with_suffix(".png"), force) if plot else None))
    return pairs


def music_paths(out: str | os.PathLike, num: int, force: bool) -> list[Path]:
    """``OUT`` or ``OUT-1``, ``OUT-2``...; the suffix picks the format (.mid when none); all checked first."""
    out = _out_path(out)
    if out.suffix == "":
        out = out.with_suffix(".mid")
    if out.suffix.lower() not in MIDI_OUT + SCORE_OUT + AUDIO_OUT:
        raise SeqgenError(f"-o {str(out)!r}: the suffix picks the format; use .mid, .musicxml, .mxl or .wav")
    return numbered(out, num, force)


def text_paths(out: str | os.PathLike, num: int, force: bool) -> list[Path]:
    """Where each text goes (``OUT-1.txt``... when ``num > 1``), all checked before any work."""
    return numbered(out, num, force)
