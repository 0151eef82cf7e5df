"""The chorale pieces ``generate chorale``, ``harmonize`` and ``infill`` share: reading a primer or a piece
(a file or a dataset chorale), moving it into a key, and writing a piece as MIDI, MusicXML or WAV.

It imports no generation module, so ``chorale_gen``, ``harmonize`` and ``infill`` all build on it
without importing one another.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqgen.data_prep import music_metrics as mm
from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.grid import Grid
from seqgen.generate.judge import MIDI_SUFFIXES, SCORE_SUFFIXES, read_piece
from seqgen.generate.outputs import AUDIO_OUT, SCORE_OUT

MAX_PRIMER_STEPS = 100_000  # 16th notes (about 1.7 hours at 60 bpm): a longer "primer" is a damaged file


@dataclass(frozen=True)
class OutputConfig:
    """How results are written (the suffix of ``-o`` picks MIDI, MusicXML or WAV)."""

    bpm: float = 80  # quarter notes per minute
    instrument: int = 19  # General MIDI program (19 = church organ)
    force: bool = False  # overwrite existing files
    soundfont: str | None = None  # for WAV output; None = look in the usual places


# -- reading -----------------------------------------------------------------------------------------

def read_primer_file(path: Path, voices: int) -> Grid:
    """A user's MIDI or MusicXML file -> Grid of ``voices`` voices (top voice first)."""
    if not path.is_file():
        raise SeqgenError(f"primer file {str(path)!r} does not exist; check the --primer path")
    if path.suffix.lower() in (".mid", ".midi"):
        from seqgen.data_prep.midi_grid import performance_to_grid
        from seqgen.data_prep.midi_read import read_midi

        grid = performance_to_grid(read_midi(path), voices=voices)
    else:
        grid = _read_musicxml(path, voices)
    if not (grid.pitches > 0).any():
        raise SeqgenError(f"primer {path} has no notes; give a file with notes in it")
    return grid


def _read_musicxml(path: Path, voices: int) -> Grid:
    from music21 import converter, stream

    from seqgen.data_prep.chorales import score_to_grid
    from seqgen.data_prep.musicxml_check import check_musicxml

    check_musicxml(path)  # absurd durations would keep music21 busy for hours
    try:
        score = converter.parse(str(path))
        if isinstance(score, stream.Opus):  # several pieces in one file: the first one primes
            score = score.scores[0]
        steps = float(score.highestTime) * 4
        if not steps <= MAX_PRIMER_STEPS:
            raise SeqgenError(f"primer {path} lasts {steps:.0f} 16th notes, more than {MAX_PRIMER_STEPS}; "
                              "give a shorter primer")
        grid = score_to_grid(score, path.stem, voices=None, any_names=True)
    except SeqgenError:
        raise
    except Exception as e:  # music21 raises many types for files it cannot read
        raise SeqgenError(f"primer {path} is not a readable MusicXML file ({type(e).__name__}); check the file") from None
    if grid is None:
        raise SeqgenError(f"primer {path} has no parts of notes; give a file with {voices} parts")
    if grid.voices != voices:
        raise SeqgenError(f"primer {path} has {grid.voices} parts; the model writes {voices} voices, one part each")
    return grid


def resolve_primer(spec: str, voices: int, source: str = "music21", data_dir: str | None = None) -> Grid:
    """``SPLIT:INDEX`` (e.g. ``test:3``), a BWV name (``bwv269``) or a MIDI/MusicXML file -> Grid."""
    path = Path(spec)
    if path.suffix.lower() in (".mid", ".midi", ".xml", ".musicxml", ".mxl"):
        if not path.is_file():
            raise SeqgenError(f"primer file {spec!r} does not exist")
        return read_primer_file(path, voices)
    from seqgen.data_prep.chorale_cache import load_chorales

    dataset = load_chorales(source, data_dir, progress=False)
    if ":" in spec:
        split, _, index = spec.partition(":")
        grids = dataset.get(split)
        if grids is None or not index.isdigit() or int(index) >= len(grids):
            raise SeqgenError(f"primer {spec!r}: use SPLIT:INDEX with SPLIT in train/valid/test and INDEX below the split's size")
        return grids[int(index)]
    matches = [g for grids in dataset.values() for g in grids if g.name.lower() == spec.lower()]
    if not matches:
        raise SeqgenError(f"primer {spec!r} is not a file, SPLIT:INDEX, or a chorale name such as bwv269")
    return matches[0]


def load_piece(spec: str, source: str = "music21", data_dir: str | None = None) -> Grid:
    """A MIDI/MusicXML file (any number of parts) or a dataset chorale (``test:3``, ``bwv269``) -> Grid."""
    if Path(spec).suffix.lower() in MIDI_SUFFIXES + SCORE_SUFFIXES:
        return read_piece(spec)
    return resolve_primer(spec, 4, source, data_dir)


# -- keys ----------------------------------------------------------------------------------------------

def apply_key(piece: Grid, key: str | None, voice: int = 0) -> tuple[Grid, str | None, list[str]]:
    """``piece`` moved into ``key`` (``"A minor"``), the key it ends in, and a line saying what was done.

    Of the two ways (up or down), the one leaving fewer notes outside the voices' ranges is taken; a
    one-voice piece is held to the range of ``voice``.
    """
    tonic, mode = piece.meta.get("key") or mm.estimate_key(piece)  # a generated piece may know its key
    if key is None:
        return piece, mm.key_name(tonic, mode), []
    shift, reached = mm.shift_to_key((tonic, mode), mm.parse_key(key))
    shift = min((shift, shift - 12 if shift > 0 else shift + 12), key=lambda s: (_outside(piece, s, voice), abs(s)))
    name = mm.key_name(*reached)
    how = f"moved {'up' if shift > 0 else 'down'} {abs(shift)} semitones" if shift else "left as it is"
    note = f"key: {mm.key_name(tonic, mode)} (estimated); {how} to {name}"
    if reached[1] != mm.parse_key(key)[1]:
        note += f" (transposing cannot change the mode: {name} has the key signature of {key})"
    return piece.transposed(shift), name, [note]


def _outside(piece: Grid, shift: int, voice: int) -> int:
    """Notes outside their voice's range (:data:`music_metrics.RANGES`) once moved by ``shift``; voices top-down."""
    ranges = mm.RANGES if piece.voices == 4 else (mm.RANGES[voice],) * piece.voices
    moved = np.where(piece.pitches > 0, piece.pitches.astype(np.int32) + shift, 0)
    return int(sum(((moved[:, v] > 0) & ((moved[:, v] < lo) | (moved[:, v] > hi))).sum() for v, (lo, hi) in enumerate(ranges)))


# -- writing -------------------------------------------------------------------------------------------

def write_grid(grid: Grid, path: Path, *, bpm: float, instrument: int, force: bool, key: str | None = None,
               soundfont: str | None = None) -> str:
    """Write ``grid`` as MIDI, MusicXML (with ``key``'s signature) or WAV, by ``path``'s suffix; a line to print."""
    suffix = path.suffix.lower()
    if suffix in SCORE_OUT:
        from seqgen.generate.score_writer import grid_to_musicxml

        grid_to_musicxml(grid, path, bpm=bpm, force=force, key=key)
    elif suffix in AUDIO_OUT:
        from seqgen.generate.audio import render_grid

        return render_grid(grid, path, bpm=bpm, instrument=instrument, soundfont=soundfont, force=force)
    else:
        from seqgen.generate.midi_writer import grid_to_midi

        grid_to_midi(grid, path, bpm=bpm, instrument=instrument, force=force)
    return f"wrote {path} ({grid.steps} steps, {len(grid.notes())} notes)"


def write_piece(grid: Grid, path: Path, png: Path | None, *, fmt: str, bpm: float, instrument: int, force: bool,
                key: str | None = None) -> list[str]:
    """One generated piece written as ``fmt`` (moved into ``key`` first when given), its piano roll to ``png``."""
    from seqgen.generate.midi_writer import grid_to_midi
    from seqgen.generate.score_writer import grid_to_musicxml, piano_roll_png

    lines, key_name = [], None
    if key is not None:
        grid, key_name, lines = apply_key(grid, key)
    if fmt == "wav":
        from seqgen.generate.audio import render_grid

        return lines + [render_grid(grid, path, bpm=bpm, instrument=instrument, force=force)]
    if fmt == "midi":
        grid_to_midi(grid, path, bpm=bpm, instrument=instrument, force=force)
    else:
        grid_to_musicxml(grid, path, bpm=bpm, force=force, key=key_name)
    lines.append(f"wrote {path} ({grid.steps} steps, {len(grid.notes())} notes)")
    if png is not None:
        piano_roll_png(grid, png, title=path.stem, force=force)
        lines.append(f"wrote {png}")
    return lines

