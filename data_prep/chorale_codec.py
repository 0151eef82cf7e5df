"""The chorale codec: a voice grid <-> one token per note, voices interleaved step by step.

A grid of ``steps x voices`` becomes ``steps * voices`` tokens in row order (soprano, alto, tenor,
bass of step 0, then of step 1, ...), so a model predicting one token at a time predicts each voice
conditioned on the voices already chosen at that step. Each token carries the pitch and whether the
note is struck or held, so repeated notes survive; metrics that ignore the flag sum the two.

Token ids: 0 = BOS, 1 = silence, ``2 + 2 * (pitch - low) + struck`` for pitches ``low..high``.
The same codec serves grid-encoded MIDI corpora with another number of voices.

With ``phrases=True`` (music21 chorales, codec format 2) two blocks follow, so the ids above keep
their meaning and a model trained without them can be warm-started:

- phrase ends: ``F + 2 * (pitch - low) + struck`` with ``F = 2 + 2 * pitches`` is the *soprano*
  token of a step under a fermata (music21 marks each phrase end so). The layout stays one token
  per voice per step; only the soprano's token says "this step ends a phrase".
- mode starts: ``MAJOR``, ``MINOR`` replace BOS as the first token, so a model learns the mode
  from the start token (BOS itself still means "mode unknown", e.g. for jsb CSVs, which carry no
  fermatas and no mode).
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from seqgen.data_prep.codec_base import _MISSING, config_value
from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.grid import Grid

BOS, SILENCE, FIRST_PITCH = 0, 1, 2
MODES = ("major", "minor")  # the order of the mode start tokens


class ChoraleCodec:
    """Grid <-> tokens over the pitch range ``low..high`` for ``voices`` voices (``phrases``: see above)."""

    type_name = "chorale"
    bos_id = BOS

    def __init__(self, low: int, high: int, voices: int = 4, phrases: bool = False):
        if not (1 <= low <= high <= 127):
            raise SeqgenError(f"chorale codec: need 1 <= low <= high <= 127, got low={low}, high={high}")
        if voices < 1:
            raise SeqgenError(f"chorale codec: voices must be >= 1, got {voices}")
        self.low, self.high, self.voices, self.phrases = int(low), int(high), int(voices), bool(phrases)

    @classmethod
    def fit(cls, grids: Iterable[Grid], voices: int | None = None, phrases: bool | None = None) -> "ChoraleCodec":
        """The codec whose pitch range is exactly that of ``grids`` (the vocabulary comes from data);
        with phrase and mode tokens when any grid carries fermatas (``phrases=None``)."""
        grids = list(grids)
        sounding = np.concatenate([g.pitches[g.pitches > 0] for g in grids]) if grids else np.array([])
        if sounding.size == 0:
            raise SeqgenError("cannot build a vocabulary: the chorales contain no notes")
        if phrases is None:
            phrases = any("fermata" in g.meta for g in grids)
        return cls(int(sounding.min()), int(sounding.max()), voices or grids[0].voices, phrases)

    @property
    def period(self) -> int:
        """Tokens per time step: the model predicts voice ``position % period``."""
        return self.voices

    @property
    def fermata_start(self) -> int:
        """First id of the phrase-end block (== the plain vocabulary size)."""
        return FIRST_PITCH + 2 * (self.high - self.low + 1)

    @property
    def mode_ids(self) -> tuple[int, ...]:
        """Start-token ids of ``MODES`` (none without phrases)."""
        first = self.fermata_start + 2 * (self.high - self.low + 1)
        return (first, first + 1) if self.phrases else ()

    @property
    def vocab_size(self) -> int:
        return self.mode_ids[-1] + 1 if self.phrases else self.fermata_start

    @property
    def forbidden_ids(self) -> tuple[int, ...]:
        """Tokens a sampler never emits: the start tokens."""
        return (BOS, *self.mode_ids)

    def start_id(self, mode: str | None) -> int:
        """The first token of a piece in ``mode`` (``"major"``/``"minor"``); BOS if unknown or unsupported."""
        if mode is not None and mode not in MODES:
            raise SeqgenError(f"chorale codec: mode must be one of {', '.join(MODES)}, got {mode!r}")
        return self.mode_ids[MODES.index(mode)] if self.phrases and mode else BOS

    def start_token(self, grid: Grid) -> int:
        """The first token for ``grid``: its mode (``meta["mode"]``) when known."""
        return self.start_id(grid.meta.get("mode"))

    def mode_of(self, token: int) -> str | None:
        """The mode a start token stands for (``None`` for BOS or any other token)."""
        return MODES[self.mode_ids.index(token)] if token in self.mode_ids else None

    def encode(self, grid: Grid) -> np.ndarray:
        """Grid ``(steps, voices)`` -> int32 tokens ``(steps * voices,)``, no start token."""
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
        tokens = np.where(p > 0, FIRST_PITCH + 2 * (p - self.low) + grid.struck, SILENCE)  # (steps, voices)
        if self.phrases and "fermata" in grid.meta:
            ends = np.asarray(grid.meta["fermata"], bool)[: grid.steps] & (p[:, 0] > 0)  # (steps,)
            tokens[ends, 0] += self.fermata_start - FIRST_PITCH
        return tokens.reshape(-1).astype(np.int32)

    def decode(self, tokens: np.ndarray, name: str = "") -> Grid:
        """Tokens -> Grid. Any token sequence decodes: a trailing partial step is dropped, start tokens
        read as silence, a "held" note whose pitch differs from the step before counts as struck, and
        a phrase-end token in any voice marks its step (``meta["fermata"]``, phrases only)."""
        tokens = np.asarray(tokens, np.int64).reshape(-1)
        tokens = tokens[: len(tokens) // self.voices * self.voices].reshape(-1, self.voices)
        tokens = np.where(np.isin(tokens, self.forbidden_ids), SILENCE, tokens)
        ends = tokens >= self.fermata_start  # (steps, voices)
        tokens = np.where(ends, tokens - self.fermata_start + FIRST_PITCH, tokens)
        sounding = tokens >= FIRST_PITCH
        pitches = np.where(sounding, self.low + (tokens - FIRST_PITCH) // 2, 0)
        struck = sounding & ((tokens - FIRST_PITCH) % 2 == 1)  # Grid adds the struck flags a pitch change implies
        meta = {"fermata": ends.any(axis=1)} if self.phrases else {}
        return Grid(pitches.astype(np.int16), struck, name=name, meta=meta)

    def pitch_groups(self) -> np.ndarray:
        """``(vocab,)`` group id per token, merging the held, struck and phrase-end tokens of each pitch.

        Metrics "per note, without flags" sum probabilities within a group.
        """
        ids = np.arange(self.vocab_size)
        plain = self._plain(ids)
        groups = np.where(plain < FIRST_PITCH, plain, FIRST_PITCH + (plain - FIRST_PITCH) // 2)
        for i, mode_id in enumerate(self.mode_ids):  # start tokens: groups of their own
            groups[mode_id] = self.fermata_start + i
        return groups

    def _plain(self, tokens: np.ndarray) -> np.ndarray:
        """``tokens`` with phrase-end ids read as their plain pitch ids (start tokens land past the pitches)."""
        return np.where(tokens >= self.fermata_start, tokens - self.fermata_start + FIRST_PITCH, tokens)

    def phrase_end_ids(self) -> np.ndarray:
        """``(vocab,)`` bool: the phrase-end (fermata) tokens; none without phrases."""
        ids = np.arange(self.vocab_size)
        return (ids >= self.fermata_start) & (ids < (self.mode_ids[0] if self.phrases else self.vocab_size))

    def without_phrase_ends(self, tokens: np.ndarray) -> np.ndarray:
        """``tokens`` of a piece (no start tokens) with each phrase-end token replaced by its plain note."""
        tokens = np.asarray(tokens)
        return np.where(self.phrase_end_ids()[tokens], self._plain(tokens), tokens)

    def _notes(self) -> tuple[np.ndarray, np.ndarray]:
        """``(vocab,)`` bool of the note tokens (plain or phrase end), and ``(vocab,)`` their plain ids."""
        ids = np.arange(self.vocab_size)
        plain = self._plain(ids)
        return (plain >= FIRST_PITCH) & ((ids < self.fermata_start) | self.phrase_end_ids()), plain

    def held_ids(self) -> np.ndarray:
        """``(vocab,)`` bool: the tokens that hold a note over from the step before (plain or phrase end)."""
        notes, plain = self._notes()
        return notes & ((plain - FIRST_PITCH) % 2 == 0)

    def struck_ids(self) -> np.ndarray:
        """``(vocab,)`` bool: the tokens that strike a note (plain or phrase end)."""
        notes, plain = self._notes()
        return notes & ((plain - FIRST_PITCH) % 2 == 1)

    def describe(self) -> str:
        extra = ", phrase ends and mode starts" if self.phrases else ""
        return f"grid: {self.voices} voices, pitches {self.low}-{self.high}{extra}, {self.vocab_size} tokens"

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
        config = {"type": self.type_name, "low": self.low, "high": self.high, "voices": self.voices}
        return {**config, "phrases": True} if self.phrases else config  # older runs' configs stay as they were

    @classmethod
    def from_config(cls, config: dict) -> "ChoraleCodec":
        def field(name, default=_MISSING):
            return config_value(config, name, int, "chorale", default=default, low=0, high=127)

        phrases = config.get("phrases", False)
        if not isinstance(phrases, bool):
            raise SeqgenError(f"chorale codec config: phrases must be true or false, got {phrases!r}")
        return cls(field("low"), field("high"), field("voices", 4), phrases)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ChoraleCodec) and self.to_config() == other.to_config()

    # -- transposition augmentation inside tf.data (the codec knows which tokens are pitches) --

    def _pitch_ids(self, tokens):
        """Where ``tokens`` (numpy or TF) are notes: plain or phrase-end pitch tokens, not start tokens."""
        sounding = tokens >= FIRST_PITCH
        return sounding & (tokens < self.mode_ids[0]) if self.phrases else sounding

    def shift_ranges(self, windows: np.ndarray, max_shift: int) -> np.ndarray:
        """``(n, 2)`` inclusive [lowest, highest] shift keeping each token window inside the vocabulary."""
        sounding = self._pitch_ids(windows)
        plain = self._plain(windows)
        pitches = np.where(sounding, self.low + (plain - FIRST_PITCH) // 2, 0)
        lo = np.where(sounding, pitches, 1000).min(axis=1)
        hi = np.where(sounding, pitches, -1000).max(axis=1)
        down = np.clip(self.low - lo, -max_shift, 0)  # windows without notes get the full range: harmless
        up = np.clip(self.high - hi, 0, max_shift)
        return np.stack([down, up], axis=1).astype(np.int32)

    def transpose_tokens(self, tokens, shift):
        """TF op: move the pitch tokens of ``tokens`` by ``shift`` semitones (2 ids per semitone); the
        shift keeps plain and phrase-end tokens inside their blocks (``shift_ranges``), modes stay."""
        import tensorflow as tf

        return tf.where(self._pitch_ids(tokens), tokens + 2 * shift, tokens)
