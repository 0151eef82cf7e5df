"""The ``durations`` encoding of MIDI: each note is a pitch token followed by a duration token, with
time shifts between onsets and velocity tokens (the events codec's time base, with MidiTok TSD's
idea that a note carries its length).

Token ids with the default config (vocabulary 365)::

    0            BOS
    1 + p        note of pitch p               (p = 0..127), its duration follows
    129 + k      time shift of k + 1 steps     (k = 0..99; one step = 10 ms, so 10 ms..1 s)
    229 + b      velocity bin b                (b = 0..31; sets the velocity of the notes that follow)
    261 + d      duration bin d                (d = 0..103; see :func:`duration_bins`)

A piece reads ``[shift...] [velocity] pitch duration [velocity] pitch duration ... shift ...``:
the notes of one onset in pitch order, then the shift to the next onset. A velocity token is
written only when the bin changes. Notes longer than the longest duration bin
(``max_duration_ms``, 8 s: longer than the 99.9th percentile of the folk and piano corpora) are
shortened to it when encoding; same-pitch notes are left out as by the events codec
(:meth:`DurationCodec.encode_counted` counts them).

Decoding can never leave a note on: a note ends where its duration token says, or earlier when the
same pitch is struck again while it sounds (a key sounds once at a time, as in the reader). A pitch
token not followed at once by a duration token is skipped and counted (``no_duration``), so every
sequence of ids in the vocabulary decodes.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Iterable

import numpy as np

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.midi_events import DEFAULT_VELOCITY, NOTE_ON, EventCodec, _as_notes
from seqgen.data_prep.midi_read import Note, Performance

FIRST_SHIFT = NOTE_ON + 128  # time shifts follow the 128 pitch tokens


@dataclass(frozen=True)
class DurationConfig:
    """The resolution of the ``durations`` vocabulary."""

    time_step_ms: int = 10  # one time-shift step, as in the events codec (below what listeners notice)
    max_shift_ms: int = 1000  # the longest single shift token (a multiple of the step); longer gaps chain
    velocity_bins: int = 32  # 128 MIDI velocities in this many equal bins
    max_duration_ms: int = 8000  # the longest duration token; longer notes are shortened to it
    controls: int = 0  # 1: key and density control tokens after the vocabulary (data_prep.midi_controls)

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise SeqgenError(f"midi durations config: {f.name} must be an integer, got {value!r}")
        if not 1 <= self.time_step_ms <= 1000:
            raise SeqgenError(f"midi durations config: time_step_ms must be 1-1000, got {self.time_step_ms}")
        if self.max_shift_ms < self.time_step_ms or self.max_shift_ms % self.time_step_ms:
            raise SeqgenError(f"midi durations config: max_shift_ms ({self.max_shift_ms}) must be a positive "
                              f"multiple of time_step_ms ({self.time_step_ms})")
        if not 1 <= self.velocity_bins <= 128:
            raise SeqgenError(f"midi durations config: velocity_bins must be 1-128, got {self.velocity_bins}")
        if not self.time_step_ms <= self.max_duration_ms <= 600_000:
            raise SeqgenError(f"midi durations config: max_duration_ms must be {self.time_step_ms}-600000 "
                              f"(the reader's longest note), got {self.max_duration_ms}")
        if self.controls not in (0, 1):
            raise SeqgenError(f"midi durations config: controls must be 0 (off) or 1, got {self.controls}")


def duration_bins(max_steps: int) -> np.ndarray:
    """Durations in time steps, ascending, up to ``max_steps``: every step up to 50 (0.5 s at 10 ms),
    every 5 up to 200, every 25 beyond. Short notes need fine timing, long ones do not."""
    fine = np.arange(1, 51)
    middle = np.arange(55, 201, 5)
    coarse = np.arange(225, max(max_steps, 225) + 1, 25)
    bins = np.concatenate([fine, middle, coarse])
    bins = bins[bins <= max_steps]
    return bins if bins.size and bins[-1] == max_steps else np.append(bins, max_steps)


class DurationCodec(EventCodec):
    """Notes <-> pitch, duration, time-shift and velocity tokens (see the module doc for the layout)."""

    type_name = "midi_durations"
    config_class = DurationConfig
    first_shift = FIRST_SHIFT
    pitched_end = FIRST_SHIFT  # only the pitch tokens name a pitch

    def __init__(self, config: DurationConfig | None = None):
        super().__init__(config)
        self.bins = duration_bins(self.config.max_duration_ms // self.config.time_step_ms)  # (durations,) steps
        self.first_duration = self.first_velocity + self.config.velocity_bins

    @property
    def first_control(self) -> int:
        return self.first_duration + len(self.bins)

    def duration_token(self, steps: int) -> int:
        """The id of the bin nearest to ``steps`` time steps (ties to the shorter)."""
        k = int(np.searchsorted(self.bins, steps))
        if k == len(self.bins) or (k > 0 and steps - self.bins[k - 1] <= self.bins[k] - steps):
            k -= 1
        return self.first_duration + max(k, 0)

    def encode_counted(self, notes: Performance | Iterable[Note]) -> tuple[np.ndarray, int]:
        """``(tokens (n,), same-pitch notes left out)``, as the events codec's."""
        spans, duplicates = self._spans(_as_notes(notes))
        longest = int(self.bins[-1])
        tokens, now, current_bin = [], 0, None
        for start, end, pitch, velocity in spans.tolist():
            gap = start - now
            while gap > 0:
                k = min(gap, self.shift_steps)
                tokens.append(self.shift_token(k))
                gap -= k
            now = start
            b = self.velocity_bin(velocity)
            if b != current_bin:
                tokens.append(self.first_velocity + b)
                current_bin = b
            tokens += [NOTE_ON + pitch, self.duration_token(min(end - start, longest))]
        return np.asarray(tokens, np.int32), duplicates

    def decode_counted(self, tokens: np.ndarray, bpm: float = 120.0) -> tuple[list[Note], dict[str, int]]:
        """``(notes sorted by (start, pitch), {"no_duration": pitch tokens without a duration after them})``.

        BOS is skipped; a re-strike of a sounding pitch ends the earlier note there (a same-step
        re-strike replaces it). Beats assume a steady ``bpm``. Channel, track and program are 0.
        """
        tokens = np.asarray(tokens, np.int64).reshape(-1)  # (n,)
        if tokens.size and (tokens.min() < 0 or tokens.max() >= self.vocab_size):
            bad = int(tokens[(tokens < 0) | (tokens >= self.vocab_size)][0])
            raise SeqgenError(f"token {bad} is outside the {self.type_name} vocabulary 0-{self.vocab_size - 1}: "
                              "wrong codec?")
        spans, latest = [], {}  # spans: [start, end, pitch, velocity]; latest: pitch -> index in spans
        now, velocity, pending, orphans = 0, DEFAULT_VELOCITY, None, 0
        for t in tokens.tolist():
            if self.first_duration <= t < self.first_control and pending is not None:
                earlier = latest.get(pending)
                if earlier is not None and spans[earlier][1] > now:
                    spans[earlier][1] = now  # a re-strike ends the sounding note (empty ones dropped below)
                latest[pending] = len(spans)
                spans.append([now, now + int(self.bins[t - self.first_duration]), pending, velocity])
                pending = None
                continue
            orphans += pending is not None
            pending = None
            if NOTE_ON <= t < FIRST_SHIFT:
                pending = t - NOTE_ON
            elif FIRST_SHIFT <= t < self.first_velocity:
                now += t - FIRST_SHIFT + 1
            elif self.first_velocity <= t < self.first_duration:
                velocity = self.bin_velocity(t - self.first_velocity)
        orphans += pending is not None
        step_s, beats_per_s = self.config.time_step_ms / 1000.0, bpm / 60.0
        notes = [Note(s * step_s, e * step_s, s * step_s * beats_per_s, e * step_s * beats_per_s, p, v, 0, 0, 0)
                 for s, e, p, v in spans if e > s]
        return sorted(notes, key=lambda n: (n.start, n.pitch)), {"no_duration": orphans}

    def describe(self) -> str:
        return (f"durations: {self.vocab_size} tokens ({len(self.bins)} note lengths up to "
                f"{self.config.max_duration_ms / 1000:g} s)")
