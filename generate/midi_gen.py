"""Generation from a MIDI-corpus run: a primer file, the sampler, and the MIDI writers.

Grid runs reuse the chorale machinery (the same codec, any number of voices) and write with
:func:`generate.midi_writer.grid_to_midi`; events and durations runs (one token stream, the same
time shifts) write with
:func:`data_prep.midi_events.notes_to_midi`. The length is given in steps (grid: 16th notes;
events: event tokens; the primer included) or in seconds: for grid runs seconds become steps at
the tempo, for events runs tokens are drawn chunk by chunk until every piece's time shifts reach
the length, and the last shift is shortened so each piece ends exactly there.

Generated notes are bounded by the corpus: events runs decode with the codec's ``max_note_ms`` and
``max_polyphony`` (set from the corpus at training), grid runs cut notes held longer than the
corpus's 99th-percentile note length (``note_stats`` in run.json), so a chord cannot freeze. Each
written file's line says how many notes were bounded.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from seqgen.data_prep.chorale_codec import ChoraleCodec
from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.midi_controls import asked_controls
from seqgen.data_prep.midi_events import EventCodec, notes_to_midi
from seqgen.data_prep.music_metrics import parse_key
from seqgen.data_prep.pipeline import with_bos
from seqgen.generate.chorale_gen import generate_grids
from seqgen.generate.chorale_io import read_primer_file
from seqgen.generate.midi_steering import DENSITY_GAIN, KEY_STRENGTH, duration_grammar, steering
from seqgen.generate.outputs import output_paths
from seqgen.generate.runs import open_run
from seqgen.generate.sampler import sampler_for
from seqgen.generate.sampling import SamplingConfig, compose, make_strategy

DEFAULT_STEPS = {"grid": 128, "events": 512, "durations": 512}  # when neither steps nor seconds is given
MAX_EVENTS_PER_SECOND = 200  # cap for --seconds: a model that rarely moves time still stops
SLACK_EVENTS = 256  # added to that cap, for short pieces
MAX_SECONDS = 3600.0


def check_length(steps: int | None, seconds: float | None) -> None:
    """Steps and seconds are alternatives; each must be positive."""
    if steps is not None and seconds is not None:
        raise SeqgenError("give --steps or --seconds, not both")
    if steps is not None and steps < 1:
        raise SeqgenError(f"--steps must be >= 1, got {steps}")
    if seconds is not None and not 0 < seconds <= MAX_SECONDS:
        raise SeqgenError(f"--seconds must be in (0, {MAX_SECONDS:.0f}], got {seconds}")


def _check_primer_path(primer: str | os.PathLike) -> Path:
    path = Path(primer)
    if not path.is_file():
        raise SeqgenError(f"primer file {str(primer)!r} does not exist")
    if path.suffix.lower() not in (".mid", ".midi"):
        raise SeqgenError(f"primer {str(primer)!r} is not a MIDI file (.mid, .midi): give a MIDI file")
    return path


# ------------------------------------------------------------------------------------- events


def shift_steps(tokens: np.ndarray, codec: EventCodec) -> np.ndarray:
    """Time steps each token moves the clock by (0 for anything but a time shift), same shape."""
    return codec.token_steps(tokens)


def trim_to_steps(tokens: np.ndarray, codec: EventCodec, steps: int) -> np.ndarray:
    """``tokens (n,)`` cut where the clock reaches ``steps`` time steps, the last shift shortened to land
    exactly there. Tokens that never reach it come back whole."""
    tokens = np.asarray(tokens, np.int32)
    clock = np.cumsum(shift_steps(tokens, codec))  # (n,) time after each token
    reached = np.flatnonzero(clock >= steps)
    if reached.size == 0:
        return tokens
    end = int(reached[0])
    out = tokens[: end + 1].copy()
    before = int(clock[end - 1]) if end > 0 else 0
    out[end] = codec.shift_token(steps - before)  # a shift of exactly the remaining steps
    return out


def event_primer(path: str | os.PathLike, codec: EventCodec, beats: float) -> np.ndarray:
    """The notes of a MIDI file starting in its first ``beats`` quarter notes, from time 0, as tokens."""
    from seqgen.data_prep.midi_read import read_midi

    notes = read_midi(_check_primer_path(path)).notes
    first_beat, first_second = notes[0].start_beat, notes[0].start
    kept = [n._replace(start=n.start - first_second, end=n.end - first_second)
            for n in notes if n.start_beat < first_beat + beats]
    return codec.encode(kept)


def start_tokens(codec: EventCodec, prime: np.ndarray) -> np.ndarray:
    """What the model reads first: a controlled run's training windows start with their key and
    density tokens, never with BOS, so a primer that starts with control tokens gets no BOS."""
    prime = np.asarray(prime, np.int32)
    controlled = codec.config.controls and len(prime) >= 2 and prime[0] >= codec.first_control
    return prime if controlled else with_bos(prime, codec.bos_id)


def generate_events(model, codec: EventCodec, prime: np.ndarray, num: int, sampling: SamplingConfig,
                    steps: int | None = None, seconds: float | None = None,
                    steer=None) -> tuple[list[np.ndarray], list[str]]:
    """``num`` token rows (primer included) of ``steps`` tokens or ``seconds`` of music; and notes for the user.

    ``steer`` (:func:`midi_steering.steering`) is a processor run after the forbidden ids; control
    tokens are forbidden after the primer (training windows hold them only at their start)."""
    controls = range(codec.first_control, codec.vocab_size)
    chain = [s for s in (duration_grammar(codec), steer) if s is not None]
    steer = compose(*chain) if chain else None
    sampler = sampler_for(model, sampling, (*codec.forbidden_ids, *controls), rules=steer)
    batch = np.tile(start_tokens(codec, prime), (num, 1))  # (num, [BOS] + primer tokens)
    if seconds is None:
        steps = steps or DEFAULT_STEPS["events"]
        if steps <= len(prime):
            raise SeqgenError(f"--steps {steps} must exceed the primer's {len(prime)} events")
        new = sampler.generate(batch, steps - len(prime))  # (num, new tokens)
        return [np.concatenate([prime, row]) for row in new], []
    target = round(seconds * 1000 / codec.config.time_step_ms)  # time steps
    primed = int(shift_steps(prime, codec).sum())
    if primed >= target:
        raise SeqgenError(f"--seconds {seconds:g} must exceed the primer's {primed * codec.config.time_step_ms / 1000:g} s")
    cap = math.ceil(seconds * MAX_EVENTS_PER_SECOND) + SLACK_EVENTS
    chunks, clock = [], np.full(num, primed)
    for chunk in sampler.stream(batch, cap):  # (num, chunk): the sampler's chunks, so time is checked as it goes
        chunks.append(chunk)
        clock += shift_steps(chunk, codec).sum(axis=1)
        if (clock >= target).all():
            break
    rows = [trim_to_steps(np.concatenate([prime, row]), codec, target) for row in np.concatenate(chunks, axis=1)]
    notes = [f"piece {i + 1} stopped at {c * codec.config.time_step_ms / 1000:.1f} s after {cap} events "
             "(the model moves time slowly; try a lower --temperature)" for i, c in enumerate(clock) if c < target]
    return rows, notes


# --------------------------------------------------------------------------------------- grid


def grid_primer(path: str | os.PathLike, codec: ChoraleCodec):
    """A MIDI primer on the run's grid: its lines folded into the run's voices; and notes for the user."""
    grid = read_primer_file(_check_primer_path(path), codec.voices)
    dropped = int(grid.meta.get("dropped_notes", 0))
    notes = [f"primer: {dropped} notes dropped to fit the model's {codec.voices} voices"] if dropped else []
    return grid, notes


def grid_steps(steps: int | None, seconds: float | None, bpm: float, steps_per_quarter: int = 4) -> int:
    """Grid steps for ``steps`` or for ``seconds`` at ``bpm``."""
    if seconds is not None:
        return max(1, round(seconds * bpm / 60 * steps_per_quarter))
    return steps or DEFAULT_STEPS["grid"]


# ------------------------------------------------------------------------------------ the lot


def _write_events(model, codec: EventCodec, paths: list[Path], primer: str | None, primer_beats: float,
                  steps: int | None, seconds: float | None, sampling: SamplingConfig, bpm: float,
                  instrument: int, force: bool, controls: np.ndarray = np.zeros(0, np.int32),
                  steer=None) -> list[str]:
    prime = event_primer(primer, codec, primer_beats) if primer else np.array([], np.int32)
    prime = np.concatenate([controls, prime]).astype(np.int32)  # control tokens first, as in training windows
    rows, lines = generate_events(model, codec, prime, len(paths), sampling, steps, seconds, steer)
    for row, path in zip(rows, paths):
        decoded, bounded = codec.decode_counted(row, bpm=bpm)
        length = shift_steps(row, codec).sum() * codec.config.time_step_ms / 1000
        if seconds is not None:  # durations notes may outlast the last shift: the piece ends at --seconds
            decoded = [n._replace(end=min(n.end, length), end_beat=min(n.end_beat, length * bpm / 60))
                       for n in decoded if n.start < length]
        notes = [n._replace(program=instrument) for n in decoded]
        notes_to_midi(notes, path, bpm=bpm, force=force)
        lines.append(f"wrote {path} ({len(row)} events, {len(notes)} notes, {length:.1f} s){_bounded_events(codec, bounded)}")
    return lines


def _bounded_events(codec: EventCodec, bounded: dict[str, int]) -> str:
    parts = []
    if bounded.get("no_duration"):  # durations codec: pitch tokens the model gave no length, skipped
        return f"; {bounded['no_duration']} pitches without a duration skipped"
    if bounded.get("long"):
        parts.append(f"{bounded['long']} released at {codec.config.max_note_ms / 1000:g} s")
    if bounded.get("polyphony"):
        parts.append(f"{bounded['polyphony']} released to keep {codec.config.max_polyphony} notes sounding")
    return f"; bounded by the corpus: {', '.join(parts)}" if parts else ""


def grid_hold_limit(record: dict, steps_per_quarter: int = 4) -> int | None:
    """The longest note a grid run writes, in steps: the corpus's 99th-percentile length (None: no record)."""
    beats = (record.get("note_stats") or {}).get("length_p99_beats")
    return max(1, math.floor(beats * steps_per_quarter)) if beats else None


def _write_grids(model, codec: ChoraleCodec, paths: list[Path], primer: str | None, primer_beats: float,
                 steps: int | None, seconds: float | None, sampling: SamplingConfig, bpm: float,
                 instrument: int, force: bool, hold_limit: int | None = None) -> list[str]:
    from seqgen.data_prep.midi_grid import bound_holds
    from seqgen.generate.midi_writer import grid_to_midi

    primer_grid, lines = grid_primer(primer, codec) if primer else (None, [])
    total = grid_steps(steps, seconds, bpm)
    primer_steps = max(1, round(primer_beats * 4))  # 16th notes
    kept = min(primer_grid.steps, primer_steps) if primer_grid is not None else 0
    if total <= kept:
        asked = f"--seconds {seconds:g} ({total} steps at {bpm:g} bpm)" if seconds is not None else f"--steps {total}"
        raise SeqgenError(f"{asked} must exceed the primer's {kept} steps; ask for more or give --primer-beats less")
    grids, notes = generate_grids(model, codec, primer_grid, total, len(paths), sampling, primer_steps)
    for grid, path in zip(grids, paths):
        grid, cut = bound_holds(grid, hold_limit) if hold_limit else (grid, 0)
        grid_to_midi(grid, path, bpm=bpm, instrument=instrument, force=force)
        held = f"; {cut} notes cut at {hold_limit} steps, the corpus's longest" if cut else ""
        notes.append(f"wrote {path} ({grid.steps} steps, {grid.voices} voices, {len(grid.notes())} notes){held}")
    return lines + notes


def write_midi_pieces(run: str | os.PathLike, out: str | os.PathLike, *, primer: str | None = None,
                      primer_beats: float = 4.0, steps: int | None = None, seconds: float | None = None,
                      num: int = 1, sampling: SamplingConfig = SamplingConfig(), bpm: float | None = None,
                      instrument: int = 0, force: bool = False, key: str | None = None,
                      density: float | None = None, key_strength: float = KEY_STRENGTH,
                      density_gain: float = DENSITY_GAIN) -> list[str]:
    """Everything ``seqgen generate midi`` does; returns the lines to print.

    Options, output paths, the run and the primer are all checked before any sampling, so bad input
    writes nothing. ``bpm`` defaults to the median first tempo of the run's corpus. ``key`` and
    ``density`` (notes per second) need a run trained with controls; such a run gets the training
    windows' commonest key and density when they are not given. What is asked is also held at
    sampling time (:mod:`generate.midi_steering`): ``key_strength`` nats off out-of-key note-ons,
    ``density_gain`` for the density; 0 turns either off.
    """
    from seqgen.generate.midi_writer import check_bpm

    check_length(steps, seconds)
    if bpm is not None:
        check_bpm(bpm)
    if not primer_beats > 0:
        raise SeqgenError(f"--primer-beats must be > 0, got {primer_beats}")
    if key is not None:
        parse_key(key)  # a bad key is refused before the run loads
    make_strategy(sampling.temperature, sampling.top_k, sampling.top_p)  # validates before loading anything
    paths = [path for path, _ in output_paths(out, num, "midi", False, force)]
    loaded = open_run(run, "midi")
    model, codec, record = loaded.model, loaded.codec, loaded.info.record
    args = (model, codec, paths, primer, primer_beats, steps, seconds, sampling,
            bpm or float(record.get("bpm", 120.0)), instrument, force)
    if isinstance(codec, EventCodec):
        controls, said = asked_controls(codec, key, density, record.get("controls") or {})
        steer = steering(codec, key, density, key_strength, density_gain)
        return ([said] if said else []) + _write_events(*args, controls=controls, steer=steer)
    if key is not None or density is not None:
        raise SeqgenError("--key and --density need a run trained with controls: "
                          "seqgen train midi --encoding durations --controls")
    return _write_grids(*args, hold_limit=grid_hold_limit(record))
