"""Grid -> readable scores: MusicXML through music21, and a piano-roll PNG through matplotlib.

MusicXML: one named Part per voice; held steps become one note of ``steps / steps_per_quarter``
quarters, silences become rests, and music21's notation pass (run by ``write``) splits durations
across bar lines with ties. Struck repeats stay separate, untied notes.

Piano roll: one colour per voice, x in grid steps with bar numbers, y in MIDI pitch with note
names; every note bar stops a little short of its end so struck repeats show as separate bars.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from music21 import key as music21_key
from music21 import expressions, metadata, meter, note, stream, tempo

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.files import atomic_path, check_writable
from seqgen.data_prep.grid import Grid
from seqgen.generate.midi_writer import check_bpm, voice_names

SCORE_SUFFIXES = (".musicxml", ".xml", ".mxl")  # .mxl: compressed MusicXML
QUARTERS_PER_BAR = 4  # 4/4, as in the MIDI writer
NOTE_GAP = 0.15  # steps left blank at the end of each piano-roll note: repeats stay visibly apart
PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def _voice_events(grid: Grid) -> list[list[tuple[int | None, int]]]:
    """Per voice, ``(pitch or None for a rest, length_steps)`` covering every step in order."""
    events: list[list[tuple[int | None, int]]] = [[] for _ in range(grid.voices)]
    cursor = [0] * grid.voices
    for voice, pitch, start, length in grid.notes():  # sorted by voice, then start
        if start > cursor[voice]:
            events[voice].append((None, start - cursor[voice]))
        events[voice].append((pitch, length))
        cursor[voice] = start + length
    for voice in range(grid.voices):
        if grid.steps > cursor[voice]:
            events[voice].append((None, grid.steps - cursor[voice]))
    return events


def grid_to_score(grid: Grid, bpm: float = 100, key: str | None = None) -> stream.Score:
    """A music21 Score of ``grid``: one Part per voice, 4/4, a metronome mark of ``bpm``, ``key``'s signature
    (e.g. ``"A minor"``) when given, a fermata on every note sounding at a phrase end (``meta["fermata"]``)."""
    score = stream.Score()
    score.metadata = metadata.Metadata(title=grid.name or "seqgen")
    fermata = np.asarray(grid.meta.get("fermata", np.zeros(grid.steps, bool)), bool)  # (steps,) phrase ends
    for v, (name, events) in enumerate(zip(voice_names(grid.voices), _voice_events(grid))):
        part = stream.Part(id=name)
        part.partName = name
        part.insert(0, meter.TimeSignature(f"{QUARTERS_PER_BAR}/4"))
        if key is not None:
            tonic, mode = key.split()
            part.insert(0, music21_key.Key(tonic[0] + tonic[1:].replace("b", "-"), mode))
        if v == 0:
            part.insert(0, tempo.MetronomeMark(number=bpm))
        start = 0
        for pitch, length in events:
            element = note.Rest() if pitch is None else note.Note(pitch)
            element.quarterLength = length / grid.steps_per_quarter
            if pitch is not None and fermata[start:start + length].any():  # a phrase end, as Bach marks it
                element.expressions.append(expressions.Fermata())
            part.append(element)
            start += length
        score.insert(0, part)
    return score


def grid_to_musicxml(grid: Grid, path: str | os.PathLike, bpm: float = 100, force: bool = False,
                     key: str | None = None) -> Path:
    """Write ``grid`` as MusicXML at ``path`` (.musicxml, .xml or compressed .mxl); returns the path.

    Written atomically; an existing file is kept unless ``force``.
    """
    path = check_writable(path, force)
    if path.suffix.lower() not in SCORE_SUFFIXES:
        raise SeqgenError(f"score file {str(path)!r} must end in {', '.join(SCORE_SUFFIXES)}: rename it")
    check_bpm(bpm)
    score = grid_to_score(grid, bpm, key)
    # music21 picks compression by suffix, so the temp file keeps .mxl or uses .musicxml.
    suffix = ".mxl" if path.suffix.lower() == ".mxl" else ".musicxml"
    with atomic_path(path, suffix=suffix) as tmp:
        score.write("musicxml", fp=tmp)  # runs makeNotation: bars, ties across bar lines
    return path


def pitch_name(pitch: int) -> str:
    """MIDI pitch -> scientific name, e.g. 60 -> "C4", 61 -> "C#4"."""
    return f"{PITCH_CLASSES[pitch % 12]}{pitch // 12 - 1}"


def _pitch_ticks(low: int, high: int) -> list[int]:
    """Labelled pitches: every semitone for a narrow range, else every C and G."""
    if high - low <= 24:
        return list(range(low, high + 1))
    return [p for p in range(low, high + 1) if p % 12 in (0, 7)]


def _draw_roll(fig: Figure, grid: Grid, title: str) -> None:
    ax = fig.add_subplot(1, 1, 1)
    notes = np.array(grid.notes(), dtype=np.int64).reshape(-1, 4)  # (n, 4): voice, pitch, start, length
    for v, name in enumerate(voice_names(grid.voices)):
        mine = notes[notes[:, 0] == v]
        ax.barh(mine[:, 1], np.maximum(mine[:, 3] - NOTE_GAP, 0.5), left=mine[:, 2], height=0.8,
                align="center", color=f"C{v % 10}", edgecolor="black", linewidth=0.4)
    low, high = (int(notes[:, 1].min()) - 2, int(notes[:, 1].max()) + 2) if len(notes) else (48, 84)
    ax.set_ylim(low - 0.5, high + 0.5)
    ax.set_yticks(_pitch_ticks(low, high), [pitch_name(p) for p in _pitch_ticks(low, high)], fontsize=7)
    bar = QUARTERS_PER_BAR * grid.steps_per_quarter  # steps per bar
    ax.set_xlim(0, max(grid.steps, 1))
    ax.set_xticks(range(0, grid.steps + 1, bar), [str(i + 1) for i in range(grid.steps // bar + 1)], fontsize=7)
    ax.set_xticks(range(0, grid.steps + 1, grid.steps_per_quarter), minor=True)
    ax.grid(axis="x", which="major", color="grey", linewidth=0.6)
    ax.grid(axis="x", which="minor", color="lightgrey", linewidth=0.3)
    ax.set_xlabel(f"bar ({bar} steps of 1/{4 * grid.steps_per_quarter} note)")
    ax.set_ylabel("pitch")
    ax.set_title(title or grid.name)
    if grid.voices:  # explicit handles: a silent voice still shows its colour
        handles = [Patch(color=f"C{v % 10}", label=name) for v, name in enumerate(voice_names(grid.voices))]
        # Outside the axes, so it never hides notes.
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7)


def piano_roll_figure(grid: Grid, title: str = "") -> Figure:
    """The piano roll of ``grid`` as a matplotlib Figure on the Agg canvas (no pyplot state)."""
    bars = grid.steps / (QUARTERS_PER_BAR * grid.steps_per_quarter)
    fig = Figure(figsize=(min(max(2.0 + 1.2 * bars, 6.0), 40.0), 4.5), dpi=100)
    FigureCanvasAgg(fig)
    _draw_roll(fig, grid, title)
    fig.tight_layout()
    return fig


def piano_roll_png(grid: Grid, path: str | os.PathLike, title: str = "", force: bool = False) -> Path:
    """Draw ``grid`` as a piano roll PNG at ``path`` (atomically; existing files need ``force``)."""
    path = check_writable(path, force)
    fig = piano_roll_figure(grid, title)
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png")
    return path
