"""Small MIDI files for tests, written with mido: tracks, channels, tempo changes, odd and broken files.

Notes are given as ``(pitch, start_beat, length_beats[, velocity])``; times are in quarter notes
and become ticks at ``TPB`` ticks per beat. mido writes running status (one status byte for a run of
channel messages of the same kind), so ``velocity0_offs=True`` gives a track whose note-ons and
note-offs are all ``0x9n`` bytes after the first.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Iterable, Sequence

import mido

TPB = 480  # ticks per quarter note


def track_from_events(events: Iterable[tuple[int, mido.Message]], name: str | None = None) -> mido.MidiTrack:
    """A track from ``(absolute tick, message)`` pairs; equal ticks keep the order given."""
    track = mido.MidiTrack()
    if name is not None:
        track.append(mido.MetaMessage("track_name", name=name, time=0))
    now = 0
    for tick, message in sorted(events, key=lambda e: e[0]):
        track.append(message.copy(time=tick - now))
        now = tick
    return track


def note_track(
    notes: Iterable[Sequence[float]],
    channel: int = 0,
    program: int | None = None,
    name: str | None = None,
    velocity0_offs: bool = False,
) -> mido.MidiTrack:
    """One track of ``(pitch, start_beat, length_beats[, velocity])`` notes on ``channel``.

    At equal ticks note-offs come before note-ons, as in a well-formed file. With ``velocity0_offs``
    a note-off is written as a note-on with velocity 0.
    """
    events = []  # (tick, order, message)
    if program is not None:
        events.append((0, -1, mido.Message("program_change", channel=channel, program=program)))
    for pitch, start, length, *rest in notes:
        velocity = int(rest[0]) if rest else 80
        on, off = round(start * TPB), round((start + length) * TPB)
        events.append((on, 1, mido.Message("note_on", channel=channel, note=pitch, velocity=velocity)))
        kind = "note_on" if velocity0_offs else "note_off"
        events.append((off, 0, mido.Message(kind, channel=channel, note=pitch, velocity=0)))
    events.sort(key=lambda e: (e[0], e[1]))
    return track_from_events([(tick, m) for tick, _, m in events], name)


def conductor_track(
    tempos: Iterable[tuple[float, float]] = ((0, 120),),
    time_signatures: Iterable[tuple[float, int, int]] = ((0, 4, 4),),
) -> mido.MidiTrack:
    """Tempo ``(beat, bpm)`` and time-signature ``(beat, numerator, denominator)`` changes."""
    events = [(round(b * TPB), mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm))) for b, bpm in tempos]
    events += [
        (round(b * TPB), mido.MetaMessage("time_signature", numerator=n, denominator=d)) for b, n, d in time_signatures
    ]
    return track_from_events(events, "conductor")


def write_midi(path: str | os.PathLike, tracks: Sequence[mido.MidiTrack], midi_format: int = 1) -> Path:
    """Write ``tracks`` as a MIDI file of ``midi_format`` (0, 1 or 2) at ``TPB`` ticks per beat."""
    midi = mido.MidiFile(type=midi_format, ticks_per_beat=TPB)
    midi.tracks.extend(tracks)
    midi.save(path)
    return Path(path)


def write_notes(path: str | os.PathLike, *parts: Iterable[Sequence[float]], bpm: float = 120, **track_kw) -> Path:
    """A format-1 file: a conductor track at ``bpm`` and one track per part, part ``i`` on channel ``i``."""
    tracks = [conductor_track(((0, bpm),))]
    tracks += [note_track(part, channel=i, **track_kw) for i, part in enumerate(parts)]
    return write_midi(path, tracks)


def merge_to_format0(path: str | os.PathLike, tracks: Sequence[mido.MidiTrack]) -> Path:
    """The same music as a format-0 file: every track merged into one."""
    return write_midi(path, [mido.merge_tracks(tracks)], midi_format=0)


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Any bytes, for files that are not MIDI at all."""
    Path(path).write_bytes(data)
    return Path(path)


def write_truncated(path: str | os.PathLike) -> Path:
    """A valid header followed by a track chunk that claims more bytes than the file has."""
    header = b"MThd" + struct.pack(">LHHH", 6, 1, 1, TPB)
    return write_bytes(path, header + b"MTrk" + struct.pack(">L", 100) + b"\x00\x90\x3c\x40")


def write_bad_status(path: str | os.PathLike) -> Path:
    """A complete file whose only track starts with a data byte (running status with nothing to run on)."""
    header = b"MThd" + struct.pack(">LHHH", 6, 0, 1, TPB)
    body = b"\x00\x3c\x40\x00\xff\x2f\x00"
    return write_bytes(path, header + b"MTrk" + struct.pack(">L", len(body)) + body)
