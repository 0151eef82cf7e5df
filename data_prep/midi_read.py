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

Folders and globs are read by :mod:`data_prep.midi_folder` (in parallel, through the cache of
:mod:`data_prep.midi_cache`), which never fails for one bad file.
"""

from __future__ import annotations

import functools
import os
import struct
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import NamedTuple, Sequence

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
from seqgen.data_prep.midi_cache import NotesCache, entry_key
from seqgen.data_prep.midi_notes import Note, NoteTable, columns_of
from seqgen.data_prep.midi_read_mido import note_columns as mido_columns

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
    key: str = field(default="", compare=False)  # its file's cache key (midi_cache.entry_key), read through a cache

    @property
    def duration(self) -> float:
        """Seconds from the file's start to the end of the last note."""
        ends = columns_of(self.notes)["end"]
        return float(ends.max()) if ends.size else 0.0

    @property
    def duration_beats(self) -> float:
        ends = columns_of(self.notes)["end_beat"]
        return float(ends.max()) if ends.size else 0.0


class _Unusable(Exception):
    """A file that cannot serve; the message is the reason (without the path)."""


# ------------------------------------------------------------------------------------ bytes


def _read_bytes(path: Path, limits: ReadLimits) -> bytes:
    """The file's bytes (one ``open``, ``fstat`` and ``read``: a cached read of a small file is mostly this)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        if size == 0:
            raise _Unusable("empty file (0 bytes)")
        if size > limits.max_file_bytes:
            raise _Unusable(f"{size / 2**20:.0f} MB, over the {limits.max_file_bytes / 2**20:.0f} MB limit "
                            "for one MIDI file")
        chunks = []
        while size > 0 and (chunk := os.read(fd, size)):  # a short read (large files) asks again
            chunks.append(chunk)
            size -= len(chunk)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)
    finally:
        os.close(fd)


def _header(data: bytes) -> tuple[int, int]:
    """``(format, offset of the first chunk after the header)``; checks what symusic does not."""
    if data[:4] != b"MThd" and not b"MThd".startswith(data):  # a text file named .mid is no truncated MIDI
        raise _Unusable(f"not a readable MIDI file (no MThd header; it starts with {data[:4]!r})")
    if len(data) < 14:
        raise _Unusable("truncated MIDI data (the file ends inside a chunk)")
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


@functools.lru_cache(maxsize=16)
def _settings(include_drums: bool, limits: ReadLimits) -> str:
    return f"drums={include_drums} {limits}"


def _to_entry(p: Performance) -> dict[str, np.ndarray]:
    """A performance as one ``(1 + notes + tempos + signatures, 9)`` float64 array, the cache entry
    (rows of a :mod:`data_prep.midi_cache` shard). Row 0: ticks per beat, format, the three
    counts, the notes left out per reason; then a row per note (:data:`Note` fields), per tempo
    change ``(beat, bpm)`` and per time signature ``(beat, numerator, denominator)``."""
    cols = columns_of(p.notes)
    width = len(Note._fields)
    head = [p.ticks_per_beat, p.midi_format, len(p.notes), len(p.tempos), len(p.time_signatures)]
    head += [dict(p.dropped).get(r, 0) for r in DROP_REASONS]
    pad = (lambda rows, n: np.array(rows, np.float64).reshape(-1, n) @ np.eye(n, width))  # noqa: E731
    parts = [np.array([head], np.float64), np.stack([cols[f] for f in Note._fields], axis=1).reshape(-1, width),
             pad(p.tempos, 2), pad(p.time_signatures, 3)]
    return {"entry": np.concatenate(parts)}


def _from_entry(entry: dict[str, np.ndarray], path: Path, key: str = "") -> Performance | None:
    """The performance a cache entry holds, named by ``path``, or None for an entry that does not add up
    (read the file again); an entry of an unusable file raises its reason."""
    if "reason" in entry:
        raise _Unusable(str(entry["reason"]))
    rows = entry["entry"]
    width = len(Note._fields)
    if rows.ndim != 2 or rows.shape[1] != width or not len(rows) or not np.isfinite(rows[0]).all():
        return None
    tpb, midi_format, n, t, s = (int(v) for v in rows[0, :5])
    if min(n, t, s) < 0 or 1 + n + t + s != len(rows):
        return None
    notes = NoteTable.from_block(rows[1 : 1 + n])
    tempos = tuple((b, bpm) for b, bpm in rows[1 + n : 1 + n + t, :2].tolist())
    signatures = tuple((b, int(num), int(den)) for b, num, den in rows[1 + n + t : 1 + n + t + s, :3].tolist())
    dropped = tuple((r, int(k)) for r, k in zip(DROP_REASONS, rows[0, 5 : 5 + len(DROP_REASONS)].tolist()) if k)
    return Performance(notes, str(path), tpb, midi_format, tempos, signatures, dropped, key)


def cached_performance(path: Path, include_drums: bool, limits: ReadLimits, cache: NotesCache) -> Performance | None:
    """A file's performance from ``cache`` (its bytes read and hashed, one look-up), None on a miss;
    a cached unusable file raises :class:`_Unusable` with its reason."""
    key = entry_key(_read_bytes(path, limits), _settings(include_drums, limits))
    entry = cache.get(key)
    return None if entry is None else _from_entry(entry, path, key)


def _performance(path: Path, include_drums: bool, limits: ReadLimits, cache: NotesCache | None = None) -> Performance:
    """Read one file (through ``cache`` when given: a miss is parsed and put there) or raise :class:`_Unusable`."""
    data = _read_bytes(path, limits)
    if cache is None:
        return _parse_performance(data, path, include_drums, limits)
    key = entry_key(data, _settings(include_drums, limits))
    entry = cache.get(key)
    cached = None if entry is None else _from_entry(entry, path, key)
    if cached is not None:
        return cached
    try:
        performance = _parse_performance(data, path, include_drums, limits)
    except _Unusable as exc:
        cache.put(key, {"reason": np.array(str(exc))})
        raise
    cache.put(key, _to_entry(performance))
    return replace(performance, key=key)


def _parse_performance(data: bytes, path: Path, include_drums: bool, limits: ReadLimits) -> Performance:
    """The performance in one file's bytes, or :class:`_Unusable` with the reason."""
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


def read_midi(path: str | os.PathLike, include_drums: bool = False, limits: ReadLimits = ReadLimits(),
              cache: Path | None = None) -> Performance:
    """Read one MIDI file (through the cache folder ``cache``, :mod:`data_prep.midi_cache`, when given);
    an unusable file raises :class:`SeqgenError` naming it and why."""
    path = Path(path)
    if not path.is_file():
        raise SeqgenError(f"MIDI file {str(path)!r} not found: check the path")
    try:
        if cache is None:
            return _performance(path, include_drums, limits)
        with NotesCache(cache) as notes_cache:
            return _performance(path, include_drums, limits, notes_cache)
    except _Unusable as exc:
        raise SeqgenError(f"{str(path)!r}: {exc}: give another MIDI file") from exc
