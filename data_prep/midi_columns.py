"""Note columns of a parsed MIDI file: symusic's tracks as numpy columns, the tempo map, and the rule
that a key sounds once at a time (see :mod:`data_prep.midi_read` for what the reader does with them).

Columns are a dict of equal-length int64 arrays: ``start``/``end`` (ticks), ``pitch``, ``velocity``,
``part`` (the index of the part: one source track, channel and program), ``channel`` and ``program``.
"""

from __future__ import annotations

import numpy as np

DRUM_CHANNEL = 9  # General MIDI "channel 10": percussion, pitches name instruments
PITCHED_CHANNELS = tuple(c for c in range(16) if c != DRUM_CHANNEL)
DEFAULT_BPM = 120.0  # until a set_tempo says otherwise


class TempoMap:
    """Ticks -> seconds through the tempo changes of a timeline (later wins within a tick)."""

    def __init__(self, tempos, ticks_per_beat: int):
        changes = {0: DEFAULT_BPM}
        for tempo in sorted(tempos, key=lambda t: t.time):
            if tempo.mspq > 0:
                changes[int(tempo.time)] = 6e7 / tempo.mspq
        self.ticks = np.array(sorted(changes), np.float64)  # (changes,)
        self.bpm = np.array([changes[t] for t in sorted(changes)], np.float64)  # (changes,)
        self.sec_per_tick = 60.0 / self.bpm / ticks_per_beat  # (changes,)
        self.secs = np.concatenate([[0.0], np.cumsum(np.diff(self.ticks) * self.sec_per_tick[:-1])])
        self.ticks_per_beat = ticks_per_beat

    def seconds(self, ticks: np.ndarray) -> np.ndarray:
        k = np.searchsorted(self.ticks, ticks, side="right") - 1
        return self.secs[k] + (ticks - self.ticks[k]) * self.sec_per_tick[k]

    def changes(self) -> list[tuple[float, float]]:
        """``(beat, bpm)`` per change."""
        return [(float(t / self.ticks_per_beat), float(b)) for t, b in zip(self.ticks, self.bpm)]


def note_columns(score, first_part: int) -> dict[str, np.ndarray]:
    """Every note of a score as columns (ticks, pitch, velocity, part, channel, program), drums included."""
    cols: dict[str, list] = {k: [] for k in ("start", "end", "pitch", "velocity", "part", "channel", "program")}
    pitched = 0
    for index, track in enumerate(score.tracks):
        notes = track.notes.numpy()  # {"time", "duration", "pitch", "velocity"}: (notes,) each
        n = len(notes["time"])
        channel = DRUM_CHANNEL if track.is_drum else PITCHED_CHANNELS[pitched % len(PITCHED_CHANNELS)]
        pitched += not track.is_drum
        start = notes["time"].astype(np.int64)
        cols["start"].append(start)
        cols["end"].append(start + notes["duration"].astype(np.int64))
        cols["pitch"].append(notes["pitch"].astype(np.int64))
        cols["velocity"].append(notes["velocity"].astype(np.int64))
        for key, value in (("part", first_part + index), ("channel", channel), ("program", int(track.program))):
            cols[key].append(np.full(n, value, np.int64))
    return {k: np.concatenate(v) if v else np.zeros(0, np.int64) for k, v in cols.items()}


def take(cols: dict[str, np.ndarray], keep: np.ndarray) -> dict[str, np.ndarray]:
    return {k: v[keep] for k, v in cols.items()}


def restruck(cols: dict[str, np.ndarray]) -> bool:
    """Whether a key of a part sounds twice at once (symusic's pairing cannot be trusted there)."""
    order = np.lexsort((cols["start"], cols["pitch"], cols["part"]))
    part, pitch, start, end = (cols[k][order] for k in ("part", "pitch", "start", "end"))
    same_key = (part[1:] == part[:-1]) & (pitch[1:] == pitch[:-1])
    return bool((same_key & (end[:-1] > start[1:])).any())


def one_key_at_a_time(cols: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], int]:
    """Same-pitch notes of a part: of notes starting together keep the longest; a later onset ends a
    sounding note. Returns the columns and the number of duplicates left out."""
    if not cols["start"].size:
        return cols, 0
    order = np.lexsort((-cols["end"], cols["start"], cols["pitch"], cols["part"]))  # part, pitch, start, longest first
    cols = take(cols, order)
    same_key = (cols["part"][1:] == cols["part"][:-1]) & (cols["pitch"][1:] == cols["pitch"][:-1])
    duplicate = np.concatenate([[False], same_key & (cols["start"][1:] == cols["start"][:-1])])
    cols = take(cols, ~duplicate)
    same_key = (cols["part"][1:] == cols["part"][:-1]) & (cols["pitch"][1:] == cols["pitch"][:-1])
    ends = cols["end"].copy()
    ends[:-1] = np.where(same_key, np.minimum(ends[:-1], cols["start"][1:]), ends[:-1])
    cols["end"] = ends
    return cols, int(duplicate.sum())
