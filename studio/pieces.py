"""Pieces as the page sees them (JSON) and back, request values checked, melodies typed as note names."""

from __future__ import annotations

import re

import numpy as np

from seqgen.data_prep.grid import Grid
from seqgen.studio.security import StudioError

MAX_VOICES = 8
NOTE = re.compile(r"^([a-g])([#b]?)(-?\d)?(?::(\d+))?$", re.IGNORECASE)  # C#5, Eb4:8 (length in 16ths), r:4
SEMITONE = {"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11}


def piece_json(grid: Grid, notes: list[str] = (), key: str | None = None) -> dict:
    """``{"pitches": (steps, voices), "struck": ..., "notes": [[voice, pitch, start, length]], ...}``."""
    return {"name": grid.name, "steps": grid.steps, "voices": grid.voices, "pitches": grid.pitches.tolist(),
            "struck": grid.struck.astype(int).tolist(), "notes": [list(n) for n in grid.notes()],
            "messages": list(notes), "key": key}


def grid_from_json(piece: object, max_steps: int, voices: int | None = None) -> Grid:
    """The page's piece -> Grid, refused with one line when malformed or too long."""
    if not isinstance(piece, dict) or "pitches" not in piece:
        raise StudioError("the request has no piece: generate or upload one first")
    try:
        pitches = np.asarray(piece["pitches"], dtype=np.int64)
        struck = np.asarray(piece.get("struck", pitches > 0), dtype=bool)
    except (TypeError, ValueError):
        raise StudioError("the piece's pitches must be rows of whole numbers (MIDI pitch, 0 = silence)") from None
    if pitches.ndim != 2 or not 0 < pitches.shape[0] <= max_steps or not 0 < pitches.shape[1] <= MAX_VOICES:
        raise StudioError(f"the piece must be 1-{max_steps} steps of 1-{MAX_VOICES} voices, got shape {pitches.shape}")
    if voices is not None and pitches.shape[1] != voices:
        raise StudioError(f"the piece has {pitches.shape[1]} voices; this needs {voices}")
    if pitches.min() < 0 or pitches.max() > 127 or struck.shape != pitches.shape:
        raise StudioError("the piece's pitches must be 0-127 with one struck flag each")
    return Grid(pitches.astype(np.int16), struck, str(piece.get("name") or "studio")[:80])


def parse_melody(text: str, max_steps: int) -> Grid:
    """``"C5 D5 E5:8 r:4"`` -> a one-voice Grid; each note a quarter (4 steps) unless ``:length`` says."""
    rows: list[int] = []
    starts: list[int] = []
    octave = 5
    for word in text.replace(",", " ").split():
        rest = re.match(r"^r(?::(\d+))?$", word, re.IGNORECASE)
        match = rest or NOTE.match(word)
        if match is None:
            raise StudioError(f"melody: {word!r} is not a note; write names such as C5 D#5 Bb4:8 (length in 16ths) or r for a rest")
        length = int((rest.group(1) if rest else match.group(4)) or 4)
        pitch = 0
        if not rest:
            octave = int(match.group(3)) if match.group(3) else octave
            pitch = 12 * (octave + 1) + SEMITONE[match.group(1).lower()] + {"#": 1, "b": -1, "": 0}[match.group(2)]
        if len(rows) + length > max_steps:
            raise StudioError(f"the melody must last at most {max_steps} 16th-note steps; shorten it")
        starts.append(len(rows))
        rows += [pitch] * max(1, length)
    return _melody_grid(np.array(rows, np.int64), starts, max_steps, "typed melody")


def melody_from_notes(notes: object, max_steps: int) -> Grid:
    """Clicked notes ``[[pitch, start, length], ...]`` -> a one-voice Grid (later notes win overlaps)."""
    if not isinstance(notes, list) or not notes:
        raise StudioError("the melody has no notes: click notes on the roll or type names such as C5 D5 E5")
    try:
        triples = [(int(p), int(s), int(n)) for p, s, n in notes]
    except (TypeError, ValueError):
        raise StudioError("melody notes must be [pitch, start step, length] triples") from None
    end = max(s + n for _, s, n in triples)
    if end > max_steps:
        raise StudioError(f"the melody must last at most {max_steps} 16th-note steps, its last note ends at {end}")
    pitches = np.zeros(end, np.int64)
    starts = []
    for p, s, n in sorted(triples, key=lambda t: t[1]):
        if s < 0 or n < 1:
            raise StudioError(f"melody note {[p, s, n]} has a negative start or no length")
        pitches[s:s + n] = p
        starts.append(s)
    return _melody_grid(pitches, starts, max_steps, "clicked melody")


def _melody_grid(pitches: np.ndarray, starts: list[int], max_steps: int, name: str) -> Grid:
    """One voice of ``pitches`` (steps,), a note struck at each of ``starts`` (so repeated notes stay apart)."""
    if not 0 < len(pitches) <= max_steps:
        raise StudioError(f"the melody must last 1-{max_steps} 16th-note steps, got {len(pitches)}")
    if (pitches < 0).any() or (pitches > 127).any() or not (pitches > 0).any():
        raise StudioError("the melody needs notes with MIDI pitches 1-127 (C-1 to G9)")
    struck = np.zeros((len(pitches), 1), bool)
    struck[starts, 0] = True
    return Grid(pitches.astype(np.int16)[:, None], struck, name)
