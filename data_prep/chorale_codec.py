"""The chorale codec: a voice grid <-> one token per note, voices interleaved step by step.

A grid of ``steps x voices`` becomes ``steps * voices`` tokens in row order (soprano, alto, tenor,
bass of step 0, then of step 1, ...), so a model predicting one token at a time predicts each voice
conditioned on the voices already chosen at that step. Each token carries the pitch and whether the
note is struck or held, so repeated notes survive; metrics that ignore the flag sum the two.

Token ids: 0 = BOS, 1 = silence, ``2 + 2 * (pitch - low) + struck`` for pitches ``low..high``.
The same codec serves grid-encoded MIDI corpora with another number of voices.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from seqgen.data_prep.codec_base import _MISSING, config_value
from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.grid import Grid

BOS, SILENCE, FIRST_PITCH = 0, 1, 2


class ChoraleCodec:
    """Grid <-> tokens over the pitch range ``low..high`` for ``voices`` voices."""

    type_name = "chorale"
    bos_id = BOS
    forbidden_ids = (BOS,)

    def __init__(self, low: int, high: int, voices: int = 4):
        if not (1 <= low <= high <= 127):
            raise SeqgenError(f"chorale codec: need 1 <= low <= high <= 127, got low={low}, high={high}")
        if voices < 1:
            raise SeqgenError(f"chorale codec: voices must be >= 1, got {voices}")
        self.low, self.high, self.voices = int(low), int(high), int(voices)

    @classmethod
    def fit(cls, grids: Iterable[Grid], voices: int | None = None) -> "ChoraleCodec":
        """The codec whose pitch range is exactly that of ``grids`` (the vocabulary comes from data)."""
        grids = list(grids)
        sounding = np.concatenate([g.pitches[g.pitches > 0] for g in grids]) if grids else np.array([])
        if sounding.size == 0:
            raise SeqgenError("cannot build a vocabulary: the chorales contain no notes")
        return cls(int(sounding.min()), int(sounding.max()), voices or grids[0].voices)

    @property
    def period(self) -> int:
        """Tokens per time step: the model predicts voice ``position % period``."""
        return self.voices

    @property
    def vocab_size(self) -> int:
        return FIRST_PITCH + 2 * (self.high - self.low + 1)

    def encode(self, grid: Grid) -> np.ndarray:
        """Grid ``(steps, voices)`` -> int32 tokens ``(steps * voices,)``, no BOS."""
        if grid.voices != self.voices:
            raise SeqgenError(f"{grid.name or 'piece'}: has {grid.voices} voices, the model expects {self.voices}")
        p = grid.pitches.astype(np.int32)
        outside = (p > 0) & ((p < self.low) | (p > self.high))
        if outside.any():
            t, v = np.argwhere(outside)[0]
            raise SeqgenError(
                f"{grid.name or 'piece'}, step {t}, voice {v}: pitch {p[t, v]} is outside the vocabulary "
                f"{self.low}-{self.high}; transpose it into range"
            )
        tokens = np.where(p > 0, FIRST_PITCH + 2 * (p - self.low) + grid.struck, SILENCE)
        return tokens.reshape(-1).astype(np.int32)

    def decode(self, tokens: np.ndarray, name: str = "") -> Grid:
        """Tokens -> Grid. Any token sequence decodes: a trailing partial step is dropped, BOS reads
        as silence, and a "held" note whose pitch differs from the step before counts as struck."""
        tokens = np.asarray(tokens, np.int64).reshape(-1)
        tokens = tokens[: len(tokens) // self.voices * self.voices].reshape(-1, self.voices)
        sounding = tokens >= FIRST_PITCH
        pitches = np.where(sounding, self.low + (tokens - FIRST_PITCH) // 2, 0)
        struck = sounding & ((tokens - FIRST_PITCH) % 2 == 1)  # Grid adds the struck flags a pitch change implies
        return Grid(pitches.astype(np.int16), struck, name=name)

    def pitch_groups(self) -> np.ndarray:
        """``(vocab,)`` group id per token, merging the held and struck token of each pitch.

        Metrics "per note, without flags" sum probabilities within a group.
        """
        ids = np.arange(self.vocab_size)
        return np.where(ids < FIRST_PITCH, ids, FIRST_PITCH + (ids - FIRST_PITCH) // 2)

    def describe(self) -> str:
        return f"grid: {self.voices} voices, pitches {self.low}-{self.high}, {self.vocab_size} tokens"

    def fit_into_range(self, grid: Grid) -> tuple[Grid, int]:
        """Move notes outside the vocabulary by octaves until they fit; returns the grid and how many
        notes moved (a note held over several grid steps counts once)."""
        p = grid.pitches.astype(np.int32).copy()
        outside = (p > 0) & ((p < self.low) | (p > self.high))  # (steps, voices) cells
        previous = np.vstack([np.zeros((1, p.shape[1]), np.int32), p[:-1]])
        onsets = grid.struck | (p != previous)  # where a note starts
        moved = int((outside & onsets).sum())
        for mask, step in (((p > 0) & (p < self.low), 12), ((p > self.high), -12)):
            while mask.any():
                p[mask] += step
                mask = (p > 0) & ((p < self.low) if step > 0 else (p > self.high))
        if self.high - self.low < 11 and ((p > 0) & ((p < self.low) | (p > self.high))).any():
            raise SeqgenError(f"{grid.name or 'piece'}: the vocabulary {self.low}-{self.high} spans less than an octave")
        return Grid(p.astype(np.int16), grid.struck, grid.name, grid.steps_per_quarter, dict(grid.meta)), moved

    def to_config(self) -> dict:
        return {"type": self.type_name, "low": self.low, "high": self.high, "voices": self.voices}

    @classmethod
    def from_config(cls, config: dict) -> "ChoraleCodec":
        def field(name, default=_MISSING):
            return config_value(config, name, int, "chorale", default=default, low=0, high=127)

        return cls(field("low"), field("high"), field("voices", 4))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ChoraleCodec) and self.to_config() == other.to_config()

    # -- transposition augmentation inside tf.data (the codec knows which tokens are pitches) --

    def shift_ranges(self, windows: np.ndarray, max_shift: int) -> np.ndarray:
        """``(n, 2)`` inclusive [lowest, highest] shift keeping each token window inside the vocabulary."""
        sounding = windows >= FIRST_PITCH
        pitches = np.where(sounding, self.low + (windows - FIRST_PITCH) // 2, 0)
        lo = np.where(sounding, pitches, 1000).min(axis=1)
        hi = np.where(sounding, pitches, -1000).max(axis=1)
        down = np.clip(self.low - lo, -max_shift, 0)  # windows without notes get the full range: harmless
        up = np.clip(self.high - hi, 0, max_shift)
        return np.stack([down, up], axis=1).astype(np.int32)

    @staticmethod
    def transpose_tokens(tokens, shift):
        """TF op: move the pitch tokens of ``tokens`` by ``shift`` semitones (2 ids per semitone)."""
        import tensorflow as tf

        return tf.where(tokens >= FIRST_PITCH, tokens + 2 * shift, tokens)
