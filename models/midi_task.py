"""The MIDI corpus task: files -> held-out split -> grid or events tokens -> training windows, and
scoring of the held-out part.

Three encodings, chosen per run:

* ``grid``: each file on a 16th-note voice grid (:mod:`data_prep.midi_grid`), encoded with the
  chorale codec (one token per voice per step, pitch plus struck/held flag);
* ``events``: note-on, note-off, time-shift and velocity tokens (:mod:`data_prep.midi_events`);
* ``durations``: pitch and duration tokens per note, time shifts and velocities
  (:mod:`data_prep.midi_durations`): a note cannot hang.

The held-out part is chosen by file, from a hash of the file's name (stable across machines and
runs, whatever order the files are found in): about ``valid_fraction`` of the files, and at least
one file on each side when there are two or more. A corpus of one file holds out its last notes.
Training windows are transposed at random in ``tf.data`` for every encoding, by default only with
controls (``MidiDataConfig.max_transpose``).
"""

from __future__ import annotations

import math
import os
import statistics
import time
import zlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple, Sequence

import numpy as np

from seqgen.data_prep.chorale_codec import ChoraleCodec
from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.midi_controls import common_controls, window_controls
from seqgen.data_prep.midi_durations import DurationCodec, DurationConfig
from seqgen.data_prep.midi_events import EventCodec, fit_bounds
from seqgen.data_prep.midi_grid import grid_voices, performance_to_grid
from seqgen.data_prep.midi_cache import cache_dir
from seqgen.data_prep.midi_folder import Corpus, read_corpus
from seqgen.data_prep.midi_read import Performance
from seqgen.data_prep.midi_report import drop_lines
from seqgen.data_prep.midi_stats import note_stats
from seqgen.data_prep.pipeline import token_windows, windows_dataset, with_bos
from seqgen.models.evaluate import Score, score_sequences
from seqgen.models.task import Evaluation, Prepared, Task

ENCODINGS = ("grid", "events", "durations")
DEFAULT_WINDOW = {"grid": 64, "events": 256, "durations": 256}  # grid: time steps (x voices tokens); else tokens


TRANSPOSE_WITH_CONTROLS = 5  # semitones: the default transposition range of a run trained with --controls


@dataclass(frozen=True)
class MidiDataConfig:
    """How a MIDI corpus becomes training windows."""

    encoding: str = "durations"  # "grid" (16th-note voice grid), "events" or "durations" (RESULTS.md: encodings)
    voices: int | None = None  # grid: this many voices at most; None: the corpus's 99th-percentile polyphony, <= 8
    window: int | None = None  # steps (grid) or events per training window; None: 64 steps / 256 events
    batch_size: int = 32  # windows per batch
    # Random transposition of each window, in semitones (0 = off); None: TRANSPOSE_WITH_CONTROLS with
    # controls (so every key asked was seen in training), else 0: a 10-minute CPU run on 300 folk tunes
    # kept 94% of notes in key untransposed against 71% with +-5 (RESULTS.md, "A 10-minute CPU run").
    max_transpose: int | None = None
    valid_fraction: float = 0.1  # share of the files held out for validation
    controls: bool = False  # events/durations: each window starts with its key and density tokens (midi_controls)
    workers: int | None = None  # processes reading the files; None: every core, one per 1,000 files (midi_folder)

    def __post_init__(self) -> None:
        if self.encoding not in ENCODINGS:
            raise SeqgenError(f"encoding must be one of {', '.join(ENCODINGS)}, got {self.encoding!r}")
        if self.voices is not None and not 1 <= self.voices <= 15:
            raise SeqgenError(f"voices must be 1-15 (MIDI channels besides drums), got {self.voices!r}")
        if self.window is not None and self.window < 2:
            raise SeqgenError(f"window must be >= 2, got {self.window!r}")
        if self.batch_size < 1:
            raise SeqgenError(f"batch_size must be >= 1, got {self.batch_size!r}")
        if self.max_transpose is not None and not 0 <= self.max_transpose <= 12:
            raise SeqgenError(f"max_transpose must be in 0..12, got {self.max_transpose!r}")
        if not 0 < self.valid_fraction < 1:
            raise SeqgenError(f"valid_fraction must be in (0, 1), got {self.valid_fraction!r}")
        if self.workers is not None and not 1 <= self.workers <= 256:
            raise SeqgenError(f"workers must be 1-256 (midi_folder.MAX_WORKERS), got {self.workers!r}")
        if self.controls and self.encoding == "grid":
            raise SeqgenError("controls need a token-stream encoding: use --encoding durations (or events) "
                              "with --controls")

    @property
    def transpose(self) -> int:
        """The transposition range used: ``max_transpose``, or its default (see the field)."""
        if self.max_transpose is not None:
            return self.max_transpose
        return TRANSPOSE_WITH_CONTROLS if self.controls else 0

    @property
    def window_units(self) -> int:
        """Steps (grid) or events (events) per training window."""
        return self.window or DEFAULT_WINDOW[self.encoding]


class MidiSplit(NamedTuple):
    """The training and held-out performances; ``tail`` when one file's last notes are held out."""

    train: tuple[Performance, ...]
    valid: tuple[Performance, ...]
    tail: bool = False


# ------------------------------------------------------------------------------------ the split


def _name_key(path: str) -> float:
    """A stable pseudo-random number in [0, 1) from a file's name (``hash()`` changes per process)."""
    return zlib.crc32(Path(path).name.encode("utf-8")) / 2**32


def split_tail(performance: Performance, fraction: float = 0.1) -> tuple[Performance, Performance | None]:
    """``(first part, last part)`` of one performance, cut at an onset so ~``fraction`` of the onsets
    are held out; the last part starts at time 0. ``None`` when it has a single onset."""
    onsets = sorted({n.start_beat for n in performance.notes})
    if len(onsets) < 2:
        return performance, None
    cut = onsets[min(len(onsets) - 1, max(1, round(len(onsets) * (1 - fraction))))]
    head = tuple(n for n in performance.notes if n.start_beat < cut)
    tail = [n for n in performance.notes if n.start_beat >= cut]
    seconds, beats = tail[0].start, float(math.floor(cut))  # whole beats keep the notes' place in the beat
    tail = tuple(n._replace(start=n.start - seconds, end=n.end - seconds, start_beat=n.start_beat - beats,
                            end_beat=n.end_beat - beats) for n in tail)
    return replace(performance, notes=head), replace(performance, notes=tail)


def split_corpus(performances: Sequence[Performance], valid_fraction: float = 0.1) -> MidiSplit:
    """Hold out ~``valid_fraction`` of the files by a hash of their names (at least one each side)."""
    performances = list(performances)
    if len(performances) == 1:
        head, tail = split_tail(performances[0], valid_fraction)
        return MidiSplit((head,), (tail,) if tail is not None else (), tail=True)
    keys = [_name_key(p.name) for p in performances]
    held = [k < valid_fraction for k in keys]
    if not any(held):
        held[int(np.argmin(keys))] = True
    if all(held):
        held[int(np.argmax(keys))] = False
    return MidiSplit(tuple(p for p, h in zip(performances, held) if not h),
                     tuple(p for p, h in zip(performances, held) if h))


def recorded_split(performances: Sequence[Performance], split_info: dict, valid_fraction: float) -> MidiSplit:
    """The split a run recorded in run.json (held-out file names), applied to freshly read files."""
    valid_names = set(split_info["valid_files"])
    if split_info["tail"]:
        match = [p for p in performances if p.name in valid_names]
        if not match:
            raise SeqgenError(f"the run's only file {sorted(valid_names)[0]!r} is not in the corpus any more; restore it")
        head, tail = split_tail(match[0], valid_fraction)
        return MidiSplit((head,), (tail,) if tail is not None else (), tail=True)
    return MidiSplit(tuple(p for p in performances if p.name not in valid_names),
                     tuple(p for p in performances if p.name in valid_names))


# --------------------------------------------------------------------------- encoding and windows


def fit_codec(performances: Sequence[Performance], data: MidiDataConfig) -> ChoraleCodec | EventCodec:
    """The codec of a new run: the grid's voices and pitch range come from the whole corpus."""
    controls = int(data.controls)
    if data.encoding == "events":  # decode bounds from the corpus's note lengths and polyphony
        return EventCodec(replace(fit_bounds(performances), controls=controls))
    if data.encoding == "durations":
        return DurationCodec(DurationConfig(controls=controls))  # notes carry their length: nothing to bound
    voices = grid_voices(performances, data.voices)
    return ChoraleCodec.fit([performance_to_grid(p, voices) for p in performances], voices=voices)


def encode_performances(performances: Sequence[Performance], codec) -> list[np.ndarray]:
    """Every performance as BOS-first tokens of ``codec`` (grid pitches moved by octaves into range)."""
    if isinstance(codec, EventCodec):
        return [with_bos(codec.encode(p), codec.bos_id) for p in performances]
    grids = [codec.fit_into_range(performance_to_grid(p, codec.voices))[0] for p in performances]
    return [with_bos(codec.encode(g), codec.bos_id) for g in grids]


def _valid_windows(sequences: list[np.ndarray], window: int, period: int) -> np.ndarray | None:
    """Held-out windows, shortened to the longest held-out piece when it is shorter than ``window``."""
    longest = max((len(s) for s in sequences), default=0)
    window = min(window, (longest - 1) // period * period)
    if window < period:
        return None
    return token_windows(sequences, window, window, period)


def midi_datasets(split: MidiSplit, codec, data: MidiDataConfig, seed: int = 0):
    """``(train, valid or None, controls)`` tf.data pipelines (the training windows transposed at random),
    and with ``data.controls`` the commonest key and density of the training windows (else None)."""
    period = codec.period
    window = data.window_units * period
    train_w = token_windows(encode_performances(split.train, codec), window, max(window // 4, period), period)
    valid_w = _valid_windows(encode_performances(split.valid, codec), window, period)
    controls = None
    if data.controls:
        train_w = window_controls(codec, train_w)  # (n, window + 1), tokens 0-1: key, density
        valid_w = window_controls(codec, valid_w) if valid_w is not None else None
        controls = common_controls(train_w, codec.first_control)
    augment = {}
    if data.transpose:  # the codec knows which of its tokens are pitches
        augment = dict(augment=codec.transpose_tokens, shift_ranges=codec.shift_ranges(train_w, data.transpose))
    train = windows_dataset(train_w, data.batch_size, shuffle=True, seed=seed, **augment)
    valid = windows_dataset(valid_w, data.batch_size, shuffle=False) if valid_w is not None else None
    return train, valid, controls


# ------------------------------------------------------------------------------------- training


def corpus_report(corpus: Corpus, split: MidiSplit, codec) -> list[str]:
    """What training tells the user about the data: files read and skipped (why), the split, the codec."""
    lines = [f"files read: {len(corpus.performances)}, skipped: {len(corpus.skipped)}"]
    lines += [f"  skipped {path}: {reason}" for path, reason in corpus.skipped]
    if split.tail:
        lines.append(f"held out: the last notes of {split.train[0].name} (a corpus of one file)")
    else:
        lines.append(f"training files: {len(split.train)}, held-out files: {len(split.valid)}")
    lines.append(codec.describe())
    return lines + drop_lines(corpus.performances, codec)


def _held_out_names(split: MidiSplit) -> list[str]:
    """The files run.json records as held out (for a one-file corpus: that file, whose tail is held out)."""
    return [split.train[0].name] if split.tail else sorted(p.name for p in split.valid)


# ------------------------------------------------------------------------------------ evaluation


class MidiScore(NamedTuple):
    """Held-out scores of a MIDI run."""

    files: int  # performances scored
    tokens: Score  # per token: a voice at a step (grid) or an event
    pitches: Score  # grid: struck and held token of a pitch merged; events: same as tokens
    steps: int  # grid: time steps; events: events
    seconds: float  # music seconds scored (from the files' tempi)
    elapsed: float  # wall seconds the scoring took

    @property
    def nats_per_second(self) -> float:
        """Nats to encode one second of music: comparable across encodings and grids."""
        return self.tokens.nats / max(self.seconds, 1e-9)

    @property
    def nats_per_step(self) -> float:
        """Nats per grid time step (all voices) or per event."""
        return self.tokens.nats / max(self.steps, 1)


def score_midi(model, codec, source: dict, record: dict, data: MidiDataConfig, split: str = "valid") -> MidiScore:
    """Scores of a MIDI model over the ``split`` ("valid" or "train") part of its run's corpus."""
    if split not in ("train", "valid"):
        raise SeqgenError(f"a midi run holds out one part of its corpus: use --split valid (or train), not {split!r}")
    files = record["split"]["valid_files"] if split == "valid" else source["corpus"]
    chosen = recorded_split(read_corpus(files).performances, record["split"], data.valid_fraction)
    performances = chosen.valid if split == "valid" else chosen.train
    if not performances:
        raise SeqgenError(f"the {split!r} part of the run is empty (its only file has a single onset); train on more music")
    start = time.perf_counter()
    tokens, pitches = score_sequences(model, encode_performances(performances, codec), codec.pitch_groups(),
                                      batch_size=4)
    steps = tokens.count // codec.period
    seconds = sum(p.duration for p in performances)
    return MidiScore(len(performances), tokens, pitches, steps, seconds, time.perf_counter() - start)


def report_lines(score: MidiScore, split: str, data: MidiDataConfig, codec) -> list[str]:
    """The report of ``seqgen evaluate`` for a MIDI run."""
    if data.encoding != "grid":
        return [
            f"{split}: {score.files} files, {score.steps} events, {score.seconds:.1f} s of music ({score.elapsed:.1f} s)",
            f"cross-entropy: {score.tokens.nats_per_token:.4f} nats per event  (accuracy {score.tokens.accuracy:.4f}), "
            f"{score.nats_per_second:.1f} nats per second of music",
        ]
    return [
        f"{split}: {score.files} files, {score.steps} steps x {codec.voices} voices, {score.seconds:.1f} s of music "
        f"({score.elapsed:.1f} s)",
        f"cross-entropy: {score.tokens.nats_per_token:.4f} nats per note  (accuracy {score.tokens.accuracy:.4f}), "
        f"{score.nats_per_step:.4f} nats per step, {score.nats_per_second:.1f} nats per second of music",
        f"pitch only (struck/held merged): {score.pitches.nats_per_token:.4f} nats per note  "
        f"(accuracy {score.pitches.accuracy:.4f})",
    ]


class MidiTask(Task):
    """The user's MIDI files (folders, files, globs), on a voice grid or as performance events."""

    name = "midi"
    data_config = MidiDataConfig
    default_split = "valid"

    def normalise_source(self, source: dict) -> dict:
        corpus = source.get("corpus") or ()
        if isinstance(corpus, (str, os.PathLike)):
            corpus = [corpus]
        if not corpus:
            raise SeqgenError("no corpus given: pass --corpus with MIDI files, folders or globs")
        return {"corpus": [os.path.abspath(os.fspath(p)) for p in corpus]}

    def prepare(self, source, data, *, seed=0, data_dir=None, codec=None, record=None) -> Prepared:
        read = read_corpus(source["corpus"], workers=data.workers, cache=cache_dir(data_dir))
        if record is None:
            split = split_corpus(read.performances, data.valid_fraction)
            codec = fit_codec(read.performances, data)
            bpm = statistics.median(p.tempos[0][1] if p.tempos else 120.0 for p in read.performances)
            record = {"split": {"tail": split.tail, "valid_files": _held_out_names(split)}, "bpm": bpm,
                      "note_stats": note_stats(read.performances)}  # bounds generated notes (generate.midi_gen)
        else:
            split = recorded_split(read.performances, record["split"], data.valid_fraction)
        train, valid, controls = midi_datasets(split, codec, data, seed)
        if controls is not None and "controls" not in record:
            record = {**record, "controls": controls}  # what generate midi asks for when not told
        return Prepared(codec, train, valid, record, corpus_report(read, split, codec))

    def evaluate(self, run, split, data_dir=None) -> Evaluation:
        data = self.new_data_config(run.info.data)
        score = score_midi(run.model, run.codec, run.info.source, run.info.record, data, split)
        return Evaluation(report_lines(score, split, data, run.codec),
                          {"nats_per_token": score.tokens.nats_per_token, "accuracy": score.tokens.accuracy,
                           "nats_per_second": score.nats_per_second})

    def upgrade_v1(self, values: dict) -> dict:
        rest = {k: v for k, v in values.items() if k not in ("corpus", "split", "bpm", "encoding")}
        if isinstance(rest.get("data"), dict):  # v1 runs predate the durations default: they were grid unless said
            rest["data"] = {"encoding": values.get("encoding", "grid"), **rest["data"]}
        return {**rest, "format": 2, "source": {"corpus": values.get("corpus", [])},
                "record": {"split": values.get("split"), "bpm": values.get("bpm", 120.0),
                           "note_stats": values.get("note_stats")}, "seqgen_version": "0.1.0"}
