"""The mido-based MIDI reader seqgen used before symusic (data_prep/midi_read.py at 152e00f), kept
unchanged so benchmarks/midi_read_speed.py can compare the two on the same files. Not used by seqgen.

MIDI files and corpora -> :class:`Performance`: every note in seconds and in beats.

What real files contain and how it is read (through mido, which also undoes running status):

* formats 0 and 1 share one timeline and one tempo map (``set_tempo`` from any track); format 2
  tracks are independent songs, read one after another (each with its own tempo map);
* seconds follow the tempo map; beats (quarter notes) are ``ticks / ticks_per_beat``, so grids built
  from beats do not move when the tempo changes. Tempo and time-signature changes are recorded;
  pickups need nothing special: beat 0 is the start of the file, notes keep their phase;
* a note-on with velocity 0 is a note-off. A note-on for a (channel, pitch) that is still sounding
  closes the earlier note there (a key cannot sound twice: synthesisers retrigger); a note-off in
  the same tick as such a retrigger belongs to the closed note and is ignored; a note-off with no
  open note is ignored; notes never released end with their track;
* the drum channel (index 9, "channel 10") is left out unless ``include_drums``.

A corpus reader never fails for one bad file: it returns the usable performances and the skipped
``(path, reason)`` pairs, and raises :class:`SeqgenError` only when nothing is usable.
"""

from __future__ import annotations

import glob
import os
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, NamedTuple, Sequence

import mido
import numpy as np

from seqgen.data_prep.errors import SeqgenError

DRUM_CHANNEL = 9  # General MIDI "channel 10": percussion, pitches name instruments
MIDI_SUFFIXES = (".mid", ".midi")
DEFAULT_TEMPO = 500_000  # microseconds per quarter note (120 bpm) until a set_tempo says otherwise


class Note(NamedTuple):
    """One note; seconds follow the tempo map, beats are quarter notes from the file's start."""

    start: float  # seconds
    end: float  # seconds
    start_beat: float  # quarter notes
    end_beat: float  # quarter notes
    pitch: int  # MIDI 0-127
    velocity: int  # 1-127
    channel: int  # 0-15; 9 = drums
    track: int  # index of the track in the file
    program: int  # General MIDI program 0-127 in force on the channel at the onset


@dataclass(frozen=True)
class Performance:
    """The notes of one file, sorted by ``(start, pitch)``, and its tempo and metre changes."""

    notes: tuple[Note, ...]
    name: str = ""  # the file's path, informative only
    ticks_per_beat: int = 480
    midi_format: int = 1
    tempos: tuple[tuple[float, float], ...] = ((0.0, 120.0),)  # (beat, bpm) per change
    time_signatures: tuple[tuple[float, int, int], ...] = ()  # (beat, numerator, denominator)

    @property
    def duration(self) -> float:
        """Seconds from the file's start to the end of the last note."""
        return max((n.end for n in self.notes), default=0.0)

    @property
    def duration_beats(self) -> float:
        return max((n.end_beat for n in self.notes), default=0.0)


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


def _load(path: Path) -> mido.MidiFile:
    if path.stat().st_size == 0:
        raise _Unusable("empty file (0 bytes)")
    try:
        midi = mido.MidiFile(path)
    except EOFError as exc:
        raise _Unusable("truncated MIDI data (the file ends inside a chunk)") from exc
    # mido reports bad bytes with OSError, ValueError, KeyError, IndexError, struct.error...; any
    # exception from parsing one untrusted file means "this file is unusable", never a crash.
    except Exception as exc:  # noqa: BLE001
        raise _Unusable(f"not a readable MIDI file ({type(exc).__name__}: {exc})") from exc
    if midi.type not in (0, 1, 2):
        raise _Unusable(f"unknown MIDI format {midi.type} (expected 0, 1 or 2)")
    if midi.ticks_per_beat <= 0:
        raise _Unusable(f"SMPTE time division ({midi.ticks_per_beat}) is not supported; re-export with ticks per beat")
    if not midi.tracks:
        raise _Unusable("no tracks")
    return midi


def _absolute(track: mido.MidiTrack) -> list[tuple[int, mido.Message]]:
    """``[(absolute tick, message)]`` of one track."""
    now, out = 0, []
    for message in track:
        now += message.time
        out.append((now, message))
    return out


class _TempoMap:
    """Ticks -> seconds through the ``set_tempo`` changes of a timeline (later wins within a tick)."""

    def __init__(self, timed: list[list[tuple[int, mido.Message]]], ticks_per_beat: int):
        changes = {0: DEFAULT_TEMPO}
        for tick, message in sorted((e for t in timed for e in t if e[1].type == "set_tempo"), key=lambda e: e[0]):
            changes[tick] = message.tempo
        self.ticks = np.array(sorted(changes), np.float64)  # (changes,)
        self.tempos = np.array([changes[t] for t in sorted(changes)], np.float64)  # µs per beat
        self.sec_per_tick = self.tempos / 1e6 / ticks_per_beat  # (changes,)
        self.secs = np.concatenate([[0.0], np.cumsum(np.diff(self.ticks) * self.sec_per_tick[:-1])])
        self.ticks_per_beat = ticks_per_beat

    def seconds(self, ticks: np.ndarray) -> np.ndarray:
        k = np.searchsorted(self.ticks, ticks, side="right") - 1
        return self.secs[k] + (ticks - self.ticks[k]) * self.sec_per_tick[k]

    def changes(self) -> list[tuple[float, float]]:
        """``(beat, bpm)`` per change."""
        return [(float(t / self.ticks_per_beat), float(mido.tempo2bpm(int(q)))) for t, q in zip(self.ticks, self.tempos)]


def _programs(timed: list[list[tuple[int, mido.Message]]]) -> dict[int, tuple[list[int], list[int]]]:
    """channel -> (ticks, programs) of its program changes, in time order."""
    out: dict[int, tuple[list[int], list[int]]] = {}
    for tick, message in sorted((e for t in timed for e in t if e[1].type == "program_change"), key=lambda e: e[0]):
        ticks, programs = out.setdefault(message.channel, ([], []))
        ticks.append(tick)
        programs.append(message.program)
    return out


def _track_spans(timed: list[tuple[int, mido.Message]]) -> list[tuple[int, int, int, int, int]]:
    """``[(start_tick, end_tick, pitch, velocity, channel)]`` of one track (pairing rules: module doc)."""
    spans, sounding, retriggered = [], {}, set()  # sounding: (channel, pitch) -> (start, velocity)
    end_tick = timed[-1][0] if timed else 0
    for tick, m in timed:
        if m.type not in ("note_on", "note_off"):
            continue
        key = (m.channel, m.note)
        if m.type == "note_on" and m.velocity > 0:
            if key in sounding:
                start, velocity = sounding.pop(key)
                spans.append((start, tick, m.note, velocity, m.channel))
                retriggered.add((key, tick))
            sounding[key] = (tick, m.velocity)
        elif key in sounding:
            if sounding[key][0] == tick and (key, tick) in retriggered:
                retriggered.discard((key, tick))  # the off of the note this tick's note-on closed
                continue
            start, velocity = sounding.pop(key)
            spans.append((start, tick, m.note, velocity, m.channel))
    spans += [(start, max(end_tick, start), key[1], vel, key[0]) for key, (start, vel) in sounding.items()]
    return spans


def _read_timeline(tracks: Sequence[mido.MidiTrack], first_index: int, tpb: int):
    """Note rows (ticks from the timeline's start), tempo map, time signatures and end tick of tracks
    that play together; drums included."""
    timed = [_absolute(t) for t in tracks]
    tempo_map, programs = _TempoMap(timed, tpb), _programs(timed)
    rows = []  # (start_tick, end_tick, pitch, velocity, channel, track, program)
    for index, events in enumerate(timed):
        for start, end, pitch, velocity, channel in _track_spans(events):
            ticks, progs = programs.get(channel, ([], []))
            k = bisect_right(ticks, start) - 1
            rows.append((start, end, pitch, velocity, channel, first_index + index, progs[k] if k >= 0 else 0))
    signatures = sorted(
        (tick / tpb, m.numerator, m.denominator) for t in timed for tick, m in t if m.type == "time_signature"
    )
    end_tick = max((t[-1][0] for t in timed if t), default=0)
    return rows, tempo_map, signatures, end_tick


def _performance(path: Path, include_drums: bool) -> Performance:
    """Read one file or raise :class:`_Unusable` with the reason."""
    midi = _load(path)
    tpb = midi.ticks_per_beat
    # Format 2 tracks are separate patterns: play them one after another, each with its own tempi.
    timelines = [[t] for t in midi.tracks] if midi.type == 2 else [midi.tracks]
    notes, tempos, signatures, offset_tick, offset_sec, had_drums = [], [], [], 0, 0.0, False
    for i, tracks in enumerate(timelines):
        rows, tempo_map, sigs, end_tick = _read_timeline(tracks, i, tpb)
        had_drums |= any(r[4] == DRUM_CHANNEL for r in rows)
        rows = [r for r in rows if include_drums or r[4] != DRUM_CHANNEL]
        if rows:
            ticks = np.array([r[:2] for r in rows], np.float64)  # (notes, 2) start and end tick
            secs = tempo_map.seconds(ticks) + offset_sec
            beats = (ticks + offset_tick) / tpb
            notes += [Note(float(s[0]), float(s[1]), float(b[0]), float(b[1]), *r[2:]) for r, s, b in zip(rows, secs, beats)]
        tempos += [(beat + offset_tick / tpb, bpm) for beat, bpm in tempo_map.changes()]
        signatures += [(beat + offset_tick / tpb, num, den) for beat, num, den in sigs]
        offset_sec += float(tempo_map.seconds(np.array([end_tick], np.float64))[0])
        offset_tick += end_tick
    if not notes:
        raise _Unusable("only drum notes (channel 10); pass include_drums=True to keep them" if had_drums else "no notes")
    notes.sort(key=lambda n: (n.start, n.pitch, n.track))
    return Performance(tuple(notes), str(path), tpb, midi.type, tuple(tempos), tuple(signatures))


def read_midi(path: str | os.PathLike, include_drums: bool = False) -> Performance:
    """Read one MIDI file; an unusable file raises :class:`SeqgenError` naming it and why."""
    path = Path(path)
    if not path.is_file():
        raise SeqgenError(f"MIDI file {str(path)!r} not found: check the path")
    try:
        return _performance(path, include_drums)
    except _Unusable as exc:
        raise SeqgenError(f"{str(path)!r}: {exc}: give another MIDI file") from exc


def read_corpus(paths: Iterable[str | os.PathLike], include_drums: bool = False) -> Corpus:
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
            performances.append(_performance(file, include_drums))
        except _Unusable as exc:
            skipped.append((str(file), str(exc)))
    if not performances:
        first_path, first_reason = skipped[0]
        raise SeqgenError(
            f"none of the {len(files)} MIDI files in {shown} is usable (e.g. {first_path}: {first_reason}): "
            "run `seqgen data midi` on them to see why"
        )
    return Corpus(tuple(performances), tuple(skipped))


def polyphony(notes: Sequence[Note]) -> tuple[int, float, float]:
    """``(max simultaneous notes, seconds with at least one note sounding, summed note seconds)``.

    Mean polyphony is the last over the middle: how many notes sound on average while any does.
    A note ending exactly when another starts does not overlap it.
    """
    if not notes:
        return 0, 0.0, 0.0
    times = np.array([t for n in notes for t in (n.end, n.start)], np.float64)  # (2 * notes,)
    deltas = np.tile([-1, 1], len(notes))  # ends sort before starts at equal times (lexsort by time, then delta)
    order = np.lexsort((deltas, times))
    counts = np.cumsum(deltas[order])  # notes sounding after each event
    gaps = np.diff(times[order])  # time to the next event
    sounding = float(gaps[counts[:-1] > 0].sum())
    return int(counts.max()), sounding, float(sum(n.end - n.start for n in notes))


def describe_corpus(corpus: Corpus | Iterable[str | os.PathLike], include_drums: bool = False) -> str:
    """A human report for ``seqgen data midi``: files read and skipped (with reasons), notes, duration,
    pitch range and polyphony. ``corpus`` is a :class:`Corpus` or paths to read."""
    if not isinstance(corpus, Corpus):
        corpus = read_corpus(corpus, include_drums=include_drums)
    notes = [n for p in corpus.performances for n in p.notes]
    stats = [polyphony(p.notes) for p in corpus.performances]
    sounding, note_time = sum(s[1] for s in stats), sum(s[2] for s in stats)
    pitches = [n.pitch for n in notes]
    lines = [
        f"files read: {len(corpus.performances)}",
        f"files skipped: {len(corpus.skipped)}",
        *(f"  {path}: {reason}" for path, reason in corpus.skipped),
        f"notes: {len(notes)}",
        f"duration: {sum(p.duration for p in corpus.performances):.1f} s "
        f"({sum(p.duration_beats for p in corpus.performances):.1f} beats)",
        f"pitch range: {min(pitches)}-{max(pitches)}",
        f"polyphony: max {max(s[0] for s in stats)}, mean {note_time / sounding if sounding else 0.0:.2f}",
    ]
    return "\n".join(lines)


def allowed_shifts(low: int, high: int, lo: int, hi: int, max_shift: int) -> list[int]:
    """Transpositions in ``[-max_shift, max_shift]`` that keep pitches ``low..high`` within ``[lo, hi]``."""
    if not (0 <= lo <= hi <= 127) or max_shift < 0:
        raise SeqgenError(f"transposition: need 0 <= lo <= hi <= 127 and max_shift >= 0, got {lo}, {hi}, {max_shift}")
    return [s for s in range(-max_shift, max_shift + 1) if lo <= low + s and high + s <= hi]
