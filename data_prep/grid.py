"""A polyphonic piece on a fixed time grid: the in-memory form of chorales and grid-encoded MIDI.

``pitches[t, v]`` is the MIDI pitch voice ``v`` sounds at step ``t`` (0 = silence); ``struck[t, v]``
says whether that note starts at step ``t`` (True) or is held over from step ``t-1`` (False). The
flag is what lets two repeated quarter notes survive a trip to MIDI as two notes. Voices are
ordered from the top down (soprano, alto, tenor, bass for chorales).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from seqgen.data_prep.errors import SeqgenError

VOICE_NAMES = ("soprano", "alto", "tenor", "bass")


@dataclass(frozen=True)
class Grid:
    """One piece: ``pitches`` and ``struck`` of shape ``(steps, voices)``."""

    pitches: np.ndarray  # (steps, voices) int16, MIDI pitch, 0 = silence
    struck: np.ndarray  # (steps, voices) bool, True where a note starts at this step
    name: str = ""  # e.g. "bwv269" or a file name; informative only
    steps_per_quarter: int = 4  # 4 = sixteenth-note grid
    meta: dict = field(default_factory=dict, compare=False)  # free-form (source, key, ...)

    def __post_init__(self) -> None:
        pitches = np.asarray(self.pitches, dtype=np.int16)
        struck = np.asarray(self.struck, dtype=bool)
        if pitches.ndim != 2 or pitches.shape != struck.shape:
            raise SeqgenError(
                f"grid {self.name!r}: pitches {pitches.shape} and struck {struck.shape} must both be (steps, voices)"
            )
        if pitches.size and (pitches.min() < 0 or pitches.max() > 127):
            raise SeqgenError(f"grid {self.name!r}: pitches must be 0 (silence) or MIDI 1-127")
        # Canonical flags, so comparisons are exact: silence is never struck, and a note whose
        # pitch differs from the step before cannot be held over from it.
        struck = (struck | infer_struck(pitches)) & (pitches > 0)
        object.__setattr__(self, "pitches", pitches)
        object.__setattr__(self, "struck", struck)

    @property
    def steps(self) -> int:
        return int(self.pitches.shape[0])

    @property
    def voices(self) -> int:
        return int(self.pitches.shape[1])

    @classmethod
    def from_pitches(cls, pitches: np.ndarray, **kwargs) -> "Grid":
        """Build a grid with no struck/held information: every repeated pitch counts as held."""
        return cls(pitches=pitches, struck=infer_struck(pitches), **kwargs)

    def transposed(self, semitones: int) -> "Grid":
        """The same piece moved by ``semitones`` (silence stays silence)."""
        moved = np.where(self.pitches > 0, self.pitches + semitones, 0)
        return Grid(moved, self.struck, self.name, self.steps_per_quarter, dict(self.meta))

    def notes(self) -> list[tuple[int, int, int, int]]:
        """``(voice, pitch, start_step, length_steps)`` for every note, struck repeats kept apart."""
        out = []
        for v in range(self.voices):
            start = None
            for t in range(self.steps + 1):
                p = int(self.pitches[t, v]) if t < self.steps else 0
                new = t == self.steps or p == 0 or self.struck[t, v] or (start is not None and p != int(self.pitches[start, v]))
                if start is not None and new:
                    out.append((v, int(self.pitches[start, v]), start, t - start))
                    start = None
                if start is None and p > 0:
                    start = t
        return out


def infer_struck(pitches: np.ndarray) -> np.ndarray:
    """Struck flags for data without them: a note is struck where its pitch differs from the step before."""
    pitches = np.asarray(pitches)
    previous = np.vstack([np.zeros((1, pitches.shape[1]), pitches.dtype), pitches[:-1]])
    return (pitches > 0) & (pitches != previous)
