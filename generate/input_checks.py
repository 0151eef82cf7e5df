"""Checks on what a user hands a music command, made before the model is asked anything.

A one-voice file read into a four-voice grid has three silent voices; ``infill`` would then
"regenerate" a piece that is mostly missing, and report success. Such input is refused here.
"""

from __future__ import annotations

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.grid import VOICE_NAMES, Grid


def silent_voices(grid: Grid) -> list[int]:
    """Indices of the voices of ``grid`` that hold no note anywhere."""
    sounding = (grid.pitches > 0).any(axis=0)  # (voices,)
    return [v for v in range(grid.voices) if not sounding[v]]


def check_parts_sound(grid: Grid, spec: str, command: str) -> None:
    """Refuse a piece whose voices are not all written (a melody, or a file of fewer parts)."""
    silent = silent_voices(grid)
    if silent:
        names = ", ".join(VOICE_NAMES[v] if v < len(VOICE_NAMES) else f"voice {v + 1}" for v in silent)
        raise SeqgenError(f"{spec} has no notes in {names}: {command} needs a piece with all {grid.voices} parts "
                          "written; for a melody alone use 'seqgen harmonize'")
