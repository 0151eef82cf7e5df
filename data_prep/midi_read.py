"""MIDI files and corpora -> :class:`Performance`: every note in seconds and in beats.

Files are parsed by symusic (a C++ MIDI library, about 80x faster than the pure-Python mido at
parsing; see benchmarks/RESULTS.md). What real files contain and how it is read:

* formats 0 and 1 share one timeline and one tempo map (``set_tempo`` from any track); format 2
  tracks are independent songs, read one after another (each with its own tempo map);
* seconds follow the tempo map (float64, from ticks); beats (quarter notes) are
  ``ticks / ticks_per_beat``, so grids built from beats do not move when the tempo changes. Tempo
  and time-signature changes are recorded; beat 0 is the start of the file, so pickups keep their phase;
* a part is one source track, channel and program (symusic splits tracks that way). Its notes get
  ``track`` = the part's index and ``channel`` = 9 for drum parts, else the part's index among the
  pitched parts mapped onto the 15 pitched MIDI channels (the file's own channel numbers are not kept);
* symusic pairs note-ons and note-offs first-on first-off (a note-on with velocity 0 is a note-off).
  Where that leaves two notes of one key overlapping in a part (a key struck again while it
  sounds), the pairing has gone astray and symusic may have dropped notes: such a file's notes are
  paired again as the project's mido reader did (:mod:`data_prep.midi_read_mido`: a new strike
  ends the sounding note, notes never released end with their track). Otherwise a note-on never released is dropped by symusic;
* within a part, two notes of one pitch starting together keep the longer (the other is counted as
  a duplicate), and a note of a pitch still sounding ends the earlier note there;
* the drum channel (index 9, "channel 10") is left out unless ``include_drums``; its notes are counted.

Every file is checked against :class:`ReadLimits` before anything grows with its length: size on
disk, the longest note and the whole piece in seconds and in beats. A file beyond a limit is
skipped with the reason (a 37-byte file holding one note for 2^28 ticks is a 78-hour note).

A corpus reader never fails for one bad file: it returns the usable performances and the skipped
``(path, reason)`` pairs, and raises :class:`SeqgenError` only when nothing is usable.
"""

from __future__ import annotations

import glob
import os
import struct
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Iterable, NamedTuple, Sequence

import numpy as np

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.midi_columns import (
    DRUM_CHANNEL,
    TempoMap,
    note_columns,
    one_key_at_a_time,
    restruck,
    take,
)
from seqgen.data_prep.midi_notes import Note, NoteTable, columns_of
from seqgen.data_prep.midi_read_mido import note_columns as mido_columns

MIDI_SUFFIXES = (".mid", ".midi")
DROP_REASONS = ("drums", "duplicates", "voices", "pitch")  # why notes are left out, in report order


@dataclass(frozen=True)
class ReadLimits:
    """What one file may hold; a file beyond a limit is skipped with the reason."""

    max_file_bytes: int = 64 * 2**20  # the largest MIDI files of public collections are a few MB
    max_note_seconds: float = 600.0  # a note held 10 minutes is a stuck note, not music
    max_seconds: float = 4 * 3600.0  # a piece of 4 hours (longer than any opera act)
    max_beats: float = 50_000.0  # quarter notes: bounds the 16th-note grid at 200,000 steps

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise SeqgenError(f"read limits: {f.name} must be a positive number, got {value!r}")


@dataclass(frozen=True)
class Performance:
    """The notes of one file, sorted by ``(start, pitch)``, its tempo and metre changes, and the notes
    the reader left out, as ``(reason, count)`` pairs (reasons from :data:`DROP_REASONS`)."""

    notes: Sequence[Note]  # a NoteTable when read from a file, a tuple when built by hand
    name: str = ""  # the file's path, informative only
    ticks_per_beat: int = 480
    midi_format: int = 1
    tempos: tuple[tuple[float, float], ...] = ((0.0, 120.0),)  # (beat, bpm) per change
    time_signatures: tuple[tuple[float, int, int], ...] = ()  # (beat, numerator, denominator)
    dropped: tuple[tuple[str, int], ...] = ()  # (reason, notes) for each reason with notes left out

    @property
    def duration(self) -> float:
        """Seconds from the file's start to the end of the last note."""
        ends = columns_of(self.notes)["end"]
        return float(ends.max()) if ends.size else 0.0

    @property
    def duration_beats(self) -> float:
        ends = columns_of(self.notes)["end_beat"]
        return float(ends.max()) if ends.size else 0.0


@dataclass(frozen=True)
class Corpus:
    """The usable performances of a set of paths, and the files skipped with the reason for each."""

    performances: tuple[Performance, ...]
    skipped: tuple[tuple[str, str], ...]  # (path, reason)


class _Unusable(Exception):
    """A file that cannot serve; the message is the reason (without the path)."""


def find_midi_files(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Expand files, folders (recursively, ``.mid``/``.midi`` in any case) and globs, in order, once each.

    A file named explicitly is taken whatever its suffix. A path that does not exist, or a glob that
    matches nothing, raises :class:`SeqgenError`.
    """
    found: dict[Path, None] = {}  # ordered set
    for raw in paths:
        path = Path(raw)
        if path.exists():
            matches = [path]
        elif glob.has_magic(str(raw)):
            matches = [Path(m) for m in sorted(glob.glob(str(raw), recursive=True))]
            if not matches:
                raise SeqgenError(f"{str(raw)!r} matches no file: check the pattern")
        else:
            raise SeqgenError(f"{str(raw)!r} does not exist: check the path")
        for match in matches:
            if match.is_dir():
                inside = (p for p in match.rglob("*") if p.suffix.lower() in MIDI_SUFFIXES and p.is_file())
                found.update((p, None) for p in sorted(inside))
            elif match.is_file():
                found[match] = None
    return list(found)


# ------------------------------------------------------------------------------------ bytes


def _read_bytes(path: Path, limits: ReadLimits) -> bytes:
    size = path.stat().st_size
    if size == 0:
        raise _Unusable("empty file (0 bytes)")
    if size > limits.max_file_bytes:
        raise _Unusable(f"{size / 2**20:.0f} MB, over the {limits.max_file_bytes / 2**20:.0f} MB limit for one MIDI file")
    return path.read_bytes()


def _header(data: bytes) -> tuple[int, int]:
    """``(format, offset of the first chunk after the header)``; checks what symusic does not."""
    if len(data) < 14:
        raise _Unusable("truncated MIDI data (the file ends inside a chunk)")
    if data[:4] != b"MThd":
        raise _Unusable(f"not a readable MIDI file (no MThd header; it starts with {data[:4]!r})")
    length, midi_format, tracks, division = struct.unpack(">LHHH", data[4:14])
    if midi_format not in (0, 1, 2):
        raise _Unusable(f"unknown MIDI format {midi_format} (expected 0, 1 or 2)")
    if division & 0x8000:
        raise _Unusable("SMPTE time division is not supported; re-export with ticks per beat")
    if division == 0:
        raise _Unusable("0 ticks per beat in the header; re-export the file")
    if tracks == 0:
        raise _Unusable("no tracks")
    return midi_format, 8 + length


def _format2_timelines(data: bytes, offset: int) -> list[bytes]:
    """Each track chunk of a format-2 file as a format-0 file of its own (the chunk bytes are copied)."""
    division = data[12:14]
    out = []
    while offset + 8 <= len(data):
        kind, length = data[offset : offset + 4], struct.unpack(">L", data[offset + 4 : offset + 8])[0]
        if offset + 8 + length > len(data):
            raise _Unusable("truncated MIDI data (the file ends inside a chunk)")
        if kind == b"MTrk":
            out.append(b"MThd" + struct.pack(">LHH", 6, 0, 1) + division + data[offset : offset + 8 + length])
        offset += 8 + length
    return out


def _parse(data: bytes):
    """symusic's score in ticks; any parsing error becomes the file's reason."""
    from symusic import Score

    try:
        return Score.from_midi(data)
    # symusic raises RuntimeError with the parser's message (and could raise others on odd bytes):
    # any exception from parsing one untrusted file means "this file is unusable", never a crash.
    except Exception as exc:  # noqa: BLE001
        message = str(exc).removeprefix("MiniMidi: ").removesuffix(": iostream error")
        if "chunk length" in message or "less than" in message:
            raise _Unusable(f"truncated MIDI data (the file ends inside a chunk: {message})") from None
        raise _Unusable(f"not a readable MIDI file ({message})") from None


def _reread(blob: bytes, first_part: int, cols: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The file's notes paired by the retrigger rule (module doc); symusic's when the scan fails."""
    try:
        return mido_columns(blob, first_part)
    except Exception:  # noqa: BLE001 - symusic read these bytes; keep its notes rather than fail the file
        return cols


def _check_limits(cols: dict[str, np.ndarray], limits: ReadLimits) -> None:
    """Skip a file whose longest note or whole length is beyond ``limits`` (seconds and beats)."""
    if not cols["start_s"].size:
        return
    lengths = cols["end_s"] - cols["start_s"]  # (notes,) seconds
    k = int(np.argmax(lengths))
    if lengths[k] > limits.max_note_seconds:
        raise _Unusable(f"a note (pitch {cols['pitch'][k]} at {cols['start_s'][k]:.1f} s) lasts {lengths[k]:.0f} s, "
                        f"over the {limits.max_note_seconds:g} s limit for one note (a stuck note?): fix the file")
    if cols["end_s"].max() > limits.max_seconds:
        raise _Unusable(f"lasts {cols['end_s'].max():.0f} s, over the {limits.max_seconds:g} s limit for one piece: "
                        "split the file")
    if cols["end_b"].max() > limits.max_beats:
        raise _Unusable(f"lasts {cols['end_b'].max():.0f} quarter notes, over the limit of {limits.max_beats:g}: "
                        "split the file")


class _Timelines(NamedTuple):
    cols: dict[str, np.ndarray]  # every kept note, seconds and beats included
    tempos: list[tuple[float, float]]
    signatures: list[tuple[float, int, int]]
    drums: int  # drum notes seen
    duplicates: int


def _timelines(blobs: list[bytes], include_drums: bool) -> _Timelines:
    """The notes of format 0/1 data (one blob) or of format-2 tracks played one after another."""
    parts, tempos, signatures, drums, duplicates = [], [], [], 0, 0
    first_part, offset_tick, offset_sec = 0, 0, 0.0
    for blob in blobs:
        score = _parse(blob)
        tpb = score.ticks_per_quarter
        cols = note_columns(score, first_part)
        if restruck(cols):
            cols = _reread(blob, first_part, cols)
        next_part = int(cols["part"].max()) + 1 if cols["part"].size else first_part
        cols, dup = one_key_at_a_time(cols)
        is_drum = cols["channel"] == DRUM_CHANNEL
        drums += int(is_drum.sum())
        duplicates += dup
        cols = cols if include_drums else take(cols, ~is_drum)
        tempo_map = TempoMap(score.tempos, tpb)
        cols["start_s"] = tempo_map.seconds(cols["start"].astype(np.float64)) + offset_sec
        cols["end_s"] = tempo_map.seconds(cols["end"].astype(np.float64)) + offset_sec
        cols["start_b"] = (cols["start"] + offset_tick) / tpb
        cols["end_b"] = (cols["end"] + offset_tick) / tpb
        parts.append(cols)
        tempos += [(beat + offset_tick / tpb, bpm) for beat, bpm in tempo_map.changes()]
        signatures += [(t.time / tpb + offset_tick / tpb, int(t.numerator), int(t.denominator))
                       for t in score.time_signatures]
        end_tick = int(score.end())
        offset_sec += float(tempo_map.seconds(np.array([end_tick], np.float64))[0])
        offset_tick += end_tick
        first_part = next_part
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    return _Timelines(cols, tempos, sorted(signatures), drums, duplicates)


def _performance(path: Path, include_drums: bool, limits: ReadLimits) -> Performance:
    """Read one file or raise :class:`_Unusable` with the reason."""
    data = _read_bytes(path, limits)
    midi_format, offset = _header(data)
    read = _timelines(_format2_timelines(data, offset) if midi_format == 2 else [data], include_drums)
    cols = read.cols
    if not cols["start"].size:
        if read.drums:
            raise _Unusable("only drum notes (channel 10), which are left out unless --include-drums")
        raise _Unusable("no notes")
    _check_limits(cols, limits)
    order = np.lexsort((cols["part"], cols["pitch"], cols["start_s"]))  # by start, pitch, part
    names = {"start": "start_s", "end": "end_s", "start_beat": "start_b", "end_beat": "end_b", "track": "part"}
    notes = NoteTable({field: cols[names.get(field, field)][order] for field in Note._fields})
    dropped = [("drums", 0 if include_drums else read.drums), ("duplicates", read.duplicates)]
    tpb = struct.unpack(">H", data[12:14])[0]
    return Performance(notes, str(path), tpb, midi_format, tuple(read.tempos), tuple(read.signatures),
                       tuple((reason, n) for reason, n in dropped if n))


def read_midi(path: str | os.PathLike, include_drums: bool = False, limits: ReadLimits = ReadLimits()) -> Performance:
    """Read one MIDI file; an unusable file raises :class:`SeqgenError` naming it and why."""
    path = Path(path)
    if not path.is_file():
        raise SeqgenError(f"MIDI file {str(path)!r} not found: check the path")
    try:
        return _performance(path, include_drums, limits)
    except _Unusable as exc:
        raise SeqgenError(f"{str(path)!r}: {exc}: give another MIDI file") from exc


def read_corpus(paths: Iterable[str | os.PathLike], include_drums: bool = False,
                limits: ReadLimits = ReadLimits()) -> Corpus:
    """Read every MIDI file under ``paths`` (files, folders, globs); skip bad ones with a reason.

    Raises :class:`SeqgenError` (one line) when a path does not exist or no file is usable.
    """
    paths = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    files = find_midi_files(paths)
    shown = ", ".join(str(p) for p in paths)
    if not files:
        raise SeqgenError(f"no MIDI file (.mid, .midi) found in {shown}: give a folder or files of MIDI")
    performances, skipped = [], []
    for file in files:
        try:
            performances.append(_performance(file, include_drums, limits))
        except _Unusable as exc:
            skipped.append((str(file), str(exc)))
        except OSError as exc:  # unreadable on disk (permissions, a vanished file): skip it, say why
            skipped.append((str(file), f"cannot be read ({exc.strerror or exc})"))
    if not performances:
        first_path, first_reason = skipped[0]
        raise SeqgenError(
            f"none of the {len(files)} MIDI files in {shown} is usable (e.g. {first_path}: {first_reason}): "
            "run `seqgen data midi` on them to see why"
        )
    return Corpus(tuple(performances), tuple(skipped))
