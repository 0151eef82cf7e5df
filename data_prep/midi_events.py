"""The ``events`` encoding of MIDI: a performance as a stream of note-on, note-off, time-shift and
velocity tokens (Oore et al. 2018, "This time with feeling"), plus writing notes back to MIDI.

Token ids with the default config (vocabulary 389)::

    0            BOS
    1 + p        note-on of pitch p        (p = 0..127)
    129 + p      note-off of pitch p
    257 + k      time shift of k + 1 steps (k = 0..99; one step = 10 ms, so 10 ms..1 s)
    357 + b      velocity bin b            (b = 0..31; sets the velocity of the note-ons that follow)

Times are seconds, quantised to the step; a gap longer than the longest shift takes several shift
tokens. A velocity token is written only when the bin changes. At one instant note-offs come before
note-ons, so a repeated note is re-struck. The stream has no channels or programs: every note is
one instrument. Same-pitch notes cannot overlap in this vocabulary: a note-on of a sounding pitch
ends the earlier note (the same rule as the MIDI reader), and of same-pitch notes starting in the
same step (from different parts) only the longest is kept: :meth:`EventCodec.encode_counted` says
how many were left out.

Nothing in the vocabulary forces a note-off, so a sampled stream can start notes it never ends. The
decoder bounds that with the corpus's own figures, recorded in the config by :func:`fit_bounds`:
a note held longer than ``max_note_ms`` (the corpus's 99th-percentile note length) is released
there, and a note-on beyond ``max_polyphony`` sounding notes (the corpus's 99th percentile of
notes sounding at an onset, its notes bounded the same way) releases the oldest sounding note, as
a synthesiser steals a voice.
The 99th percentile, not the longest: real corpora hold a few notes never released (a 450 s note in
a music21-exported quartet), and a bound at such outliers bounds nothing.
:meth:`EventCodec.decode_counted` counts both.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Iterable, Sequence

import mido
import numpy as np

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.files import atomic_path, check_writable
from seqgen.data_prep.midi_columns import one_key_at_a_time
from seqgen.data_prep import midi_controls
from seqgen.data_prep.midi_notes import columns_of
from seqgen.data_prep.midi_read import DRUM_CHANNEL, Note, Performance
from seqgen.data_prep.midi_stats import onset_polyphony

BOS = 0
NOTE_ON = 1  # first note-on id
NOTE_OFF = NOTE_ON + 128  # first note-off id
TIME_SHIFT = NOTE_OFF + 128  # first time-shift id
DEFAULT_VELOCITY = 64  # for note-ons a sampled sequence plays before any velocity token


@dataclass(frozen=True)
class EventConfig:
    """The resolution of the ``events`` vocabulary."""

    time_step_ms: int = 10  # one time-shift step; 10 ms is below what listeners notice in timing
    max_shift_ms: int = 1000  # the longest single shift token (a multiple of the step); longer gaps chain
    velocity_bins: int = 32  # 128 MIDI velocities in this many equal bins
    max_note_ms: int = 0  # decode releases notes held longer (0 = no bound); fit_bounds: the corpus's
    max_polyphony: int = 0  # decode keeps at most this many notes sounding (0 = no bound); fit_bounds
    controls: int = 0  # 1: key and density control tokens after the vocabulary (data_prep.midi_controls)

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise SeqgenError(f"midi events config: {f.name} must be an integer, got {value!r}")
        if not 1 <= self.time_step_ms <= 1000:
            raise SeqgenError(f"midi events config: time_step_ms must be 1-1000, got {self.time_step_ms}")
        if self.max_shift_ms < self.time_step_ms or self.max_shift_ms % self.time_step_ms:
            raise SeqgenError(
                f"midi events config: max_shift_ms ({self.max_shift_ms}) must be a positive multiple of "
                f"time_step_ms ({self.time_step_ms})"
            )
        if not 1 <= self.velocity_bins <= 128:
            raise SeqgenError(f"midi events config: velocity_bins must be 1-128, got {self.velocity_bins}")
        if not 0 <= self.max_note_ms <= 3_600_000:
            raise SeqgenError(f"midi events config: max_note_ms must be 0 (no bound) to 3600000, got {self.max_note_ms}")
        if not 0 <= self.max_polyphony <= 128:
            raise SeqgenError(f"midi events config: max_polyphony must be 0 (no bound) to 128, got {self.max_polyphony}")
        if self.controls not in (0, 1):
            raise SeqgenError(f"midi events config: controls must be 0 (off) or 1, got {self.controls}")


def _as_notes(notes: Performance | Iterable[Note]) -> Sequence[Note]:
    """A performance's notes as they are (a NoteTable stays columns), other iterables as a list."""
    return notes.notes if isinstance(notes, Performance) else list(notes)


class EventCodec:
    """Notes <-> performance-event tokens (see the module doc for the layout)."""

    type_name = "midi_events"
    config_class = EventConfig
    bos_id = BOS
    period = 1
    forbidden_ids = (BOS,)
    first_shift = TIME_SHIFT  # first time-shift id
    pitched_end = TIME_SHIFT  # ids [NOTE_ON, pitched_end) name a pitch (note-ons and note-offs)

    def __init__(self, config: EventConfig | None = None):
        self.config = config or self.config_class()
        self.shift_steps = self.config.max_shift_ms // self.config.time_step_ms  # shift tokens
        self.first_velocity = self.first_shift + self.shift_steps

    @property
    def first_control(self) -> int:
        """The first control-token id: the codec's own vocabulary ends here."""
        return self.first_velocity + self.config.velocity_bins

    @property
    def vocab_size(self) -> int:
        return self.first_control + midi_controls.COUNT * self.config.controls

    def to_config(self) -> dict:
        return {"type": self.type_name, **asdict(self.config)}

    @classmethod
    def from_config(cls, config: dict) -> "EventCodec":
        if config.get("type", cls.type_name) != cls.type_name:
            raise SeqgenError(f"config of type {config.get('type')!r} given to the {cls.type_name} codec")
        return cls(cls.config_class(**{f.name: config[f.name] for f in fields(cls.config_class) if f.name in config}))

    def token_steps(self, tokens: np.ndarray) -> np.ndarray:
        """Time steps each token moves the clock by (0 for anything but a time shift), same shape."""
        tokens = np.asarray(tokens)
        is_shift = (tokens >= self.first_shift) & (tokens < self.first_shift + self.shift_steps)
        return np.where(is_shift, tokens - self.first_shift + 1, 0)

    def shift_token(self, steps: int) -> int:
        """The id of a time shift of ``steps`` (1 to the longest shift) time steps."""
        return self.first_shift + steps - 1

    def velocity_bin(self, velocity: int) -> int:
        return min(self.config.velocity_bins - 1, int(velocity) * self.config.velocity_bins // 128)

    def bin_velocity(self, b: int) -> int:
        """The velocity a bin decodes to: the middle of the bin."""
        return int(np.clip(round((b + 0.5) * 128 / self.config.velocity_bins), 1, 127))

    def _spans(self, notes: Sequence[Note]) -> tuple[np.ndarray, int]:
        """``(spans (n, 4) of [start_step, end_step, pitch, velocity] sorted by (start, pitch), duplicates)``:
        every span at least one step long, a re-strike of a sounding pitch ends it, and of same-pitch
        notes starting in one step only the longest is kept (the others are counted)."""
        cols = columns_of(notes)
        pitch = cols["pitch"]
        bad = (pitch < 0) | (pitch > 127)
        if bad.any():
            k = int(np.argmax(bad))
            raise SeqgenError(f"note at {cols['start'][k]:.3f} s has pitch {pitch[k]}, outside MIDI 0-127: transpose less")
        to_step = 1000.0 / self.config.time_step_ms
        start = np.maximum(0, np.floor(cols["start"] * to_step + 0.5).astype(np.int64))  # (notes,)
        end = np.maximum(np.floor(cols["end"] * to_step + 0.5).astype(np.int64), start + 1)
        # the reader's rule for a key of a part, with the whole stream as one part (the stream has no parts)
        steps = {"start": start, "end": end, "pitch": pitch, "velocity": cols["velocity"], "part": np.zeros_like(pitch)}
        kept, duplicates = one_key_at_a_time(steps)
        spans = np.stack([kept[k] for k in ("start", "end", "pitch", "velocity")], axis=1)  # (kept, 4)
        return spans[np.lexsort((-kept["end"], kept["pitch"], kept["start"]))], duplicates

    def encode(self, notes: Performance | Iterable[Note]) -> np.ndarray:
        """Notes (or a :class:`Performance`) -> int32 tokens ``(n,)``, no BOS."""
        return self.encode_counted(notes)[0]

    def encode_counted(self, notes: Performance | Iterable[Note]) -> tuple[np.ndarray, int]:
        """``(tokens (n,), same-pitch notes left out)``: see :meth:`encode`."""
        events = []  # (step, 0 = off / 1 = on, pitch, velocity)
        spans, duplicates = self._spans(_as_notes(notes))
        for start, end, pitch, velocity in spans.tolist():
            events += [(start, 1, pitch, velocity), (end, 0, pitch, 0)]
        events.sort()
        tokens, now, current_bin = [], 0, None
        for step, is_on, pitch, velocity in events:
            gap = step - now
            while gap > 0:
                k = min(gap, self.shift_steps)
                tokens.append(TIME_SHIFT + k - 1)
                gap -= k
            now = step
            if is_on:
                b = self.velocity_bin(velocity)
                if b != current_bin:
                    tokens.append(self.first_velocity + b)
                    current_bin = b
                tokens.append(NOTE_ON + pitch)
            else:
                tokens.append(NOTE_OFF + pitch)
        return np.asarray(tokens, np.int32), duplicates

    def decode(self, tokens: np.ndarray, bpm: float = 120.0) -> list[Note]:
        """Tokens ``(n,)`` -> notes sorted by ``(start, pitch)``; any sequence of ids in the vocabulary decodes.

        BOS is skipped, a note-off of a silent pitch is ignored, a note-on of a sounding pitch ends the
        earlier note, notes still sounding at the end close there; every note lasts at least one step.
        The config's ``max_note_ms`` and ``max_polyphony`` bound what sounds (module doc).
        Beats assume a steady ``bpm`` (the stream has no tempo). Channel, track and program are 0.
        """
        return self.decode_counted(tokens, bpm)[0]

    def decode_counted(self, tokens: np.ndarray, bpm: float = 120.0) -> tuple[list[Note], dict[str, int]]:
        """``(notes, {"long": notes released at max_note_ms, "polyphony": notes released for max_polyphony})``."""
        tokens = np.asarray(tokens, np.int64).reshape(-1)  # (n,)
        if tokens.size and (tokens.min() < 0 or tokens.max() >= self.vocab_size):
            bad = int(tokens[(tokens < 0) | (tokens >= self.vocab_size)][0])
            raise SeqgenError(f"token {bad} is outside the midi_events vocabulary 0-{self.vocab_size - 1}: wrong codec?")
        longest = math.ceil(self.config.max_note_ms / self.config.time_step_ms) or None  # steps
        cap = self.config.max_polyphony or None
        spans, sounding, now, velocity = [], {}, 0, DEFAULT_VELOCITY  # sounding: pitch -> (step, velocity), oldest first
        bounded = {"long": 0, "polyphony": 0}
        for t in tokens.tolist():
            if NOTE_ON <= t < NOTE_OFF:
                pitch = t - NOTE_ON
                earlier = sounding.pop(pitch, None)
                if earlier is not None and earlier[0] < now:
                    spans.append((pitch, now, *earlier))  # a same-step re-strike replaces the earlier note
                if cap is not None and len(sounding) >= cap:
                    oldest = next(iter(sounding))
                    spans.append((oldest, now, *sounding.pop(oldest)))
                    bounded["polyphony"] += 1
                sounding[pitch] = (now, velocity)
            elif NOTE_OFF <= t < TIME_SHIFT and t - NOTE_OFF in sounding:
                spans.append((t - NOTE_OFF, now, *sounding.pop(t - NOTE_OFF)))
            elif TIME_SHIFT <= t < self.first_velocity:
                now += t - TIME_SHIFT + 1
                if longest is not None:
                    for pitch in [p for p, (start, _) in sounding.items() if now - start > longest]:
                        start, vel = sounding.pop(pitch)
                        spans.append((pitch, start + longest, start, vel))
                        bounded["long"] += 1
            elif self.first_velocity <= t < self.first_control:  # control tokens play nothing
                velocity = self.bin_velocity(t - self.first_velocity)
        spans += [(pitch, now, start, vel) for pitch, (start, vel) in sounding.items()]
        step_s, beats_per_s = self.config.time_step_ms / 1000.0, bpm / 60.0
        notes = []
        for pitch, end, start, vel in spans:
            t0, t1 = start * step_s, max(end, start + 1) * step_s
            notes.append(Note(t0, t1, t0 * beats_per_s, t1 * beats_per_s, pitch, vel, 0, 0, 0))
        return sorted(notes, key=lambda n: (n.start, n.pitch)), bounded

    # -- what the task modules ask every token codec (no isinstance branches there) ----------------

    def describe(self) -> str:
        return f"events: {self.vocab_size} tokens"

    def pitch_groups(self) -> None:
        """Every token is its own group (there are no held/struck variants of a pitch)."""
        return None

    def shift_ranges(self, windows: np.ndarray, max_shift: int) -> np.ndarray:
        """``(n, 2)`` inclusive [lowest, highest] shift keeping each event window's pitches in 0-127."""
        pitched = (windows >= NOTE_ON) & (windows < self.pitched_end)
        pitches = (windows - NOTE_ON) % 128
        lo = np.where(pitched, pitches, 1000).min(axis=1)
        hi = np.where(pitched, pitches, -1000).max(axis=1)
        ranges = np.stack([np.clip(-lo, -max_shift, 0), np.clip(127 - hi, 0, max_shift)], axis=1)
        return np.where(pitched.any(axis=1, keepdims=True), ranges, 0).astype(np.int32)  # no notes: (0, 0)

    def transpose_tokens(self, tokens, shift):
        """TF op: move the tokens that name a pitch by ``shift`` semitones (time and velocity stay)."""
        import tensorflow as tf

        pitched = (tokens >= NOTE_ON) & (tokens < self.pitched_end)
        moved = tf.where(pitched, tokens + tf.cast(shift, tokens.dtype), tokens)
        return midi_controls.transpose_controls(moved, shift, self.first_control) if self.config.controls else moved


def fit_bounds(performances: Iterable[Performance], config: EventConfig | None = None,
               percentile: float = 99.0) -> EventConfig:
    """``config`` with ``max_note_ms`` and ``max_polyphony`` set from the corpus: the ``percentile`` of its
    note lengths (rounded down to a time step), and of the notes sounding at each onset once the corpus's
    own notes are bounded at that length (so its few stuck notes do not raise the polyphony bound)."""
    config = config or EventConfig()
    performances = list(performances)
    lengths = np.concatenate([[n.end - n.start for n in p.notes] for p in performances] or [[0.0]])
    step = config.time_step_ms
    longest_s = float(np.percentile(lengths, percentile))
    bounded = [[n._replace(end=min(n.end, n.start + longest_s)) for n in p.notes] for p in performances]
    counts = np.concatenate([onset_polyphony(notes) for notes in bounded] or [[1]])
    longest = math.floor(longest_s * 1000 / step) * step  # released notes stay within the corpus's length
    return replace(config, max_note_ms=int(min(max(longest, step), 3_600_000)),
                   max_polyphony=int(min(max(np.percentile(counts, percentile, method="higher"), 1), 128)))


def notes_to_midi(
    notes: Performance | Sequence[Note],
    path: str | os.PathLike,
    bpm: float = 120.0,
    ticks_per_beat: int = 480,
    force: bool = False,
) -> Path:
    """Write notes (by their seconds) as a one-track MIDI file at a steady ``bpm``, atomically.

    Each note keeps its channel; each channel gets the program of its first note. An existing
    ``path`` is replaced only with ``force``. Returns the path. Written with mido, not symusic:
    symusic ends every track one tick after its last event, so a piece cut at N seconds would last
    N seconds and a tick (writing a few pieces is never the slow part).
    """
    path = check_writable(path, force)
    if not 0 < bpm <= 1000 or ticks_per_beat < 1:
        raise SeqgenError(f"need 0 < bpm <= 1000 and ticks_per_beat >= 1, got {bpm} and {ticks_per_beat}")
    notes = _as_notes(notes)
    to_tick = bpm / 60.0 * ticks_per_beat
    events = []  # (tick, order, message); order: programs, then note-offs, then note-ons at a tick
    for channel, program in {n.channel: n.program for n in reversed(notes)}.items():
        if channel != DRUM_CHANNEL:
            events.append((0, 0, mido.Message("program_change", channel=channel, program=program)))
    for n in notes:
        on = round(n.start * to_tick)
        off = max(round(n.end * to_tick), on + 1)
        velocity = int(np.clip(n.velocity, 1, 127))
        events.append((on, 2, mido.Message("note_on", channel=n.channel, note=n.pitch, velocity=velocity)))
        events.append((off, 1, mido.Message("note_off", channel=n.channel, note=n.pitch, velocity=0)))
    events.sort(key=lambda e: (e[0], e[1]))
    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=0)])
    now = 0
    for tick, _, message in events:
        track.append(message.copy(time=tick - now))
        now = tick
    midi = mido.MidiFile(type=0, ticks_per_beat=ticks_per_beat, tracks=[track])
    with atomic_path(path) as tmp:
        midi.save(tmp)
    return path
