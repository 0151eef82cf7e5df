"""Grid <-> Standard MIDI File, through mido.

Writing: a type-1 file with a conductor track (tempo, time signature) and one named track per
voice, each on its own channel with its own program. Held steps become one long note; struck
repeats stay separate notes (both come from :meth:`Grid.notes`). Every track ends at the grid's
last step, so trailing silence survives a round trip.

Reading (:func:`midi_to_grid`) is meant for files seqgen wrote (primers, round-trip tests): one
voice per track that has channel messages, notes quantised to the grid.
"""

from __future__ import annotations

import os
from numbers import Real
from pathlib import Path
from typing import Sequence

import mido
import numpy as np

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.files import atomic_path, check_writable
from seqgen.data_prep.grid import VOICE_NAMES, Grid

TICKS_PER_BEAT = 480  # divisible by 4 (16ths), 3 and 5: exact for any grid seqgen uses
DRUM_CHANNEL = 9  # General MIDI channel 10: percussion, never a pitched voice
CHANNELS = tuple(c for c in range(16) if c != DRUM_CHANNEL)


def voice_names(voices: int) -> list[str]:
    """Track / part names: soprano, alto, tenor, bass for up to four voices, else "voice 1", ..."""
    if voices <= len(VOICE_NAMES):
        return list(VOICE_NAMES[:voices])
    return [f"voice {v + 1}" for v in range(voices)]


def _programs(instrument: int | Sequence[int], voices: int) -> list[int]:
    """One General MIDI program (0-127) per voice from one program or a per-voice list."""
    programs = [instrument] * voices if isinstance(instrument, (int, np.integer)) else list(instrument)
    if len(programs) != voices:
        raise SeqgenError(f"got {len(programs)} instruments for {voices} voices: give one, or one per voice")
    for p in programs:
        if isinstance(p, bool) or not isinstance(p, (int, np.integer)) or not 0 <= p <= 127:
            raise SeqgenError(f"instrument must be a General MIDI program 0-127, got {p!r}")
    return [int(p) for p in programs]


def check_bpm(bpm: float) -> None:
    """Raise :class:`SeqgenError` unless ``bpm`` is a number in (0, 1000]."""
    if isinstance(bpm, bool) or not isinstance(bpm, Real) or not 0 < bpm <= 1000:
        raise SeqgenError(f"bpm must be in (0, 1000], got {bpm!r}: use e.g. 100")


def _check_settings(grid: Grid, bpm: float, velocity: int) -> None:
    check_bpm(bpm)
    if isinstance(velocity, bool) or not isinstance(velocity, (int, np.integer)) or not 1 <= velocity <= 127:
        raise SeqgenError(f"velocity must be 1-127, got {velocity!r}: use e.g. 80")
    if grid.voices > len(CHANNELS):
        raise SeqgenError(f"grid {grid.name!r} has {grid.voices} voices; MIDI allows {len(CHANNELS)} besides drums")
    if TICKS_PER_BEAT % grid.steps_per_quarter:
        raise SeqgenError(
            f"grid {grid.name!r}: {grid.steps_per_quarter} steps per quarter do not divide {TICKS_PER_BEAT} ticks"
        )


def _conductor_track(grid: Grid, bpm: float) -> mido.MidiTrack:
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("track_name", name=grid.name or "seqgen", time=0))
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=0))
    track.append(mido.MetaMessage("time_signature", numerator=4, denominator=4, time=0))
    track.append(mido.MetaMessage("end_of_track", time=0))
    return track


def _voice_track(
    name: str, channel: int, program: int, notes: list, end_tick: int, tps: int, velocity: int
) -> mido.MidiTrack:
    """One voice: name, program change, then its ``(pitch, start, length)`` notes as on/off pairs."""
    events = []  # (absolute tick, order, message); order 0 puts note-offs before note-ons at a tick
    for pitch, start, length in notes:
        events.append((start * tps, 1, mido.Message("note_on", channel=channel, note=pitch, velocity=velocity)))
        events.append(((start + length) * tps, 0, mido.Message("note_off", channel=channel, note=pitch, velocity=0)))
    events.sort(key=lambda e: (e[0], e[1]))
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("track_name", name=name, time=0))
    track.append(mido.Message("program_change", channel=channel, program=program, time=0))
    now = 0
    for tick, _, message in events:
        track.append(message.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=max(end_tick - now, 0)))
    return track


def grid_to_midi(
    grid: Grid,
    path: str | os.PathLike,
    bpm: float = 100,
    instrument: int | Sequence[int] = 0,
    velocity: int = 80,
    force: bool = False,
) -> Path:
    """Write ``grid`` as a type-1 MIDI file at ``path`` (atomically; existing files need ``force``).

    ``instrument`` is a General MIDI program 0-127 (0 = piano), or one per voice. Returns the path.
    """
    path = check_writable(path, force)
    _check_settings(grid, bpm, velocity)
    programs = _programs(instrument, grid.voices)
    tps = TICKS_PER_BEAT // grid.steps_per_quarter  # ticks per grid step
    per_voice: list[list] = [[] for _ in range(grid.voices)]
    for voice, pitch, start, length in grid.notes():
        per_voice[voice].append((pitch, start, length))
    midi = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT)
    midi.tracks.append(_conductor_track(grid, bpm))
    for v, name in enumerate(voice_names(grid.voices)):
        midi.tracks.append(_voice_track(name, CHANNELS[v], programs[v], per_voice[v], grid.steps * tps, tps, velocity))
    with atomic_path(path) as tmp:
        midi.save(tmp)
    return path


def _load(path: str | os.PathLike) -> mido.MidiFile:
    if not Path(path).is_file():
        raise SeqgenError(f"MIDI file {str(path)!r} not found: check the path")
    try:
        return mido.MidiFile(path)
    except (OSError, EOFError, ValueError, KeyError, IndexError) as exc:
        raise SeqgenError(f"{str(path)!r} is not a readable MIDI file ({exc}): give a .mid file seqgen wrote") from exc


def _track_notes(track: mido.MidiTrack) -> tuple[list[tuple[int, int, int]], int, bool]:
    """``([(pitch, start_tick, end_tick)], last_tick, has_channel_messages)`` of one track."""
    notes, open_notes, now, channel_seen = [], {}, 0, False
    for message in track:
        now += message.time
        if message.is_meta:
            continue
        channel_seen = channel_seen or hasattr(message, "channel")
        if message.type == "note_on" and message.velocity > 0:
            open_notes.setdefault(message.note, []).append(now)
        elif message.type in ("note_on", "note_off") and open_notes.get(message.note):
            notes.append((message.note, open_notes[message.note].pop(0), now))
    notes += [(pitch, start, now) for pitch, starts in open_notes.items() for start in starts]  # never released
    return notes, now, channel_seen


def _quantise(notes: list[tuple[int, int, int]], to_step: float) -> list[tuple[int, int, int]]:
    """Tick spans -> step spans ``(pitch, start, end)``, rounded to the nearest step, >= 1 step long."""
    out = []
    for pitch, start_tick, end_tick in notes:
        start = round(start_tick * to_step)
        out.append((pitch, start, max(round(end_tick * to_step), start + 1)))
    return out


def midi_to_grid(path: str | os.PathLike, voices: int | None = None, steps_per_quarter: int = 4) -> Grid:
    """Read a MIDI file seqgen wrote back into a :class:`Grid` (one voice per track with channel data).

    Onsets and ends are rounded to the nearest grid step (a note lasts at least one step); a note
    start is a struck step. ``voices``, when given, is the number of voice tracks the file must have.
    """
    midi = _load(path)
    tracks = [t for t in (_track_notes(track) for track in midi.tracks) if t[2]]
    if not tracks or (voices is not None and len(tracks) != voices):
        wanted = "at least one" if voices is None else str(voices)
        raise SeqgenError(f"{str(path)!r} has {len(tracks)} voice tracks, expected {wanted}: give a file seqgen wrote")
    to_step = steps_per_quarter / midi.ticks_per_beat
    spans = [_quantise(notes, to_step) for notes, _, _ in tracks]  # per voice [(pitch, start, end)] steps
    track_ends = [round(last_tick * to_step) for _, last_tick, _ in tracks]
    steps = max(track_ends + [end for notes in spans for _, _, end in notes])
    pitches = np.zeros((steps, len(tracks)), np.int16)
    struck = np.zeros((steps, len(tracks)), bool)
    for v, notes in enumerate(spans):
        for pitch, start, end in sorted(notes, key=lambda n: n[1]):
            pitches[start:end, v] = pitch
            struck[start, v] = True
    meta = {"source": str(path), **_tempo_and_programs(midi)}
    return Grid(pitches, struck, name=Path(path).stem, steps_per_quarter=steps_per_quarter, meta=meta)


def _tempo_and_programs(midi: mido.MidiFile) -> dict:
    """``{"bpm": first tempo or None, "programs": first program per voice track}``."""
    tempos = [m.tempo for t in midi.tracks for m in t if m.type == "set_tempo"]
    programs = [next((m.program for m in t if m.type == "program_change"), None) for t in midi.tracks]
    return {
        "bpm": mido.tempo2bpm(tempos[0]) if tempos else None,
        "programs": [p for p in programs if p is not None],
    }
