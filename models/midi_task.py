"""Custom MIDI corpora end to end: files -> held-out split -> grid or events tokens -> trainer -> run
directory, and evaluation on the held-out part.

Two encodings, chosen per run:

* ``grid``: each file on a 16th-note voice grid (:mod:`data_prep.midi_grid`), encoded with the
  chorale codec (one token per voice per step, pitch plus struck/held flag);
* ``events``: note-on, note-off, time-shift and velocity tokens (:mod:`data_prep.midi_events`).

The held-out part is chosen by file, from a hash of the file's name (stable across machines and
runs, whatever order the files are found in): about ``valid_fraction`` of the files, and at least
one file on each side when there are two or more. A corpus of one file holds out its last notes.
Training windows are transposed at random in ``tf.data`` for both encodings.
"""

from __future__ import annotations

import math
import os
import statistics
import time
import zlib
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import NamedTuple, Sequence

import numpy as np

from seqgen.data_prep.chorale_codec import ChoraleCodec
from seqgen.data_prep.codec_base import codec_from_config
from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.midi_events import NOTE_ON, TIME_SHIFT, EventCodec, fit_bounds
from seqgen.data_prep.midi_grid import grid_voices, performance_to_grid
from seqgen.data_prep.midi_read import Corpus, Performance, read_corpus
from seqgen.data_prep.midi_stats import drop_lines, note_stats
from seqgen.data_prep.pipeline import token_windows, windows_dataset, with_bos
from seqgen.models import run_dir as rd
from seqgen.models.config import config_from_dict, config_to_dict, make_config
from seqgen.models.evaluate import Score, score_sequences
from seqgen.models.registry import build_model
from seqgen.models.train import TrainConfig, fit, train_config_dict

ENCODINGS = ("grid", "events")
DEFAULT_WINDOW = {"grid": 64, "events": 256}  # grid: time steps (x voices tokens); events: tokens
PITCH_TOKENS_END = TIME_SHIFT  # note-on (1..128) and note-off (129..256) ids lie below this


@dataclass(frozen=True)
class MidiDataConfig:
    """How a MIDI corpus becomes training windows."""

    encoding: str = "grid"  # "grid" (voices on a 16th-note grid) or "events" (performance events)
    voices: int | None = None  # grid: this many voices at most; None: the corpus's 99th-percentile polyphony, <= 8
    window: int | None = None  # steps (grid) or events per training window; None: 64 steps / 256 events
    batch_size: int = 32  # windows per batch
    max_transpose: int = 5  # random transposition of each window, in semitones (0 = off)
    valid_fraction: float = 0.1  # share of the files held out for validation

    def __post_init__(self) -> None:
        if self.encoding not in ENCODINGS:
            raise SeqgenError(f"encoding must be one of {', '.join(ENCODINGS)}, got {self.encoding!r}")
        if self.voices is not None and not 1 <= self.voices <= 15:
            raise SeqgenError(f"voices must be 1-15 (MIDI channels besides drums), got {self.voices!r}")
        if self.window is not None and self.window < 2:
            raise SeqgenError(f"window must be >= 2, got {self.window!r}")
        if self.batch_size < 1:
            raise SeqgenError(f"batch_size must be >= 1, got {self.batch_size!r}")
        if not 0 <= self.max_transpose <= 12:
            raise SeqgenError(f"max_transpose must be in 0..12, got {self.max_transpose!r}")
        if not 0 < self.valid_fraction < 1:
            raise SeqgenError(f"valid_fraction must be in (0, 1), got {self.valid_fraction!r}")

    @property
    def window_units(self) -> int:
        """Steps (grid) or events (events) per training window."""
        return self.window or DEFAULT_WINDOW[self.encoding]


class MidiSplit(NamedTuple):
    """The training and held-out performances; ``tail`` when one file's last notes are held out."""

    train: tuple[Performance, ...]
    valid: tuple[Performance, ...]
    tail: bool = False


class TrainedMidi(NamedTuple):
    """What :func:`train_midi` returns: the run directory and lines for the user."""

    run: Path
    report: list[str]


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


def transpose_event_tokens(tokens, shift):
    """TF op: move note-on and note-off tokens by ``shift`` semitones (time and velocity stay)."""
    import tensorflow as tf

    pitched = (tokens >= NOTE_ON) & (tokens < PITCH_TOKENS_END)
    return tf.where(pitched, tokens + tf.cast(shift, tokens.dtype), tokens)


def event_shift_ranges(windows: np.ndarray, max_shift: int) -> np.ndarray:
    """``(n, 2)`` inclusive [lowest, highest] shift keeping each event window's pitches in 0-127."""
    pitched = (windows >= NOTE_ON) & (windows < PITCH_TOKENS_END)  # (n, window + 1)
    pitches = (windows - NOTE_ON) % 128
    lo = np.where(pitched, pitches, 1000).min(axis=1)
    hi = np.where(pitched, pitches, -1000).max(axis=1)
    ranges = np.stack([np.clip(-lo, -max_shift, 0), np.clip(127 - hi, 0, max_shift)], axis=1)
    return np.where(pitched.any(axis=1, keepdims=True), ranges, 0).astype(np.int32)  # no notes: (0, 0)


def fit_codec(performances: Sequence[Performance], data: MidiDataConfig) -> ChoraleCodec | EventCodec:
    """The codec of a new run: the grid's voices and pitch range come from the whole corpus."""
    if data.encoding == "events":
        return EventCodec(fit_bounds(performances))  # decode bounds from the corpus's note lengths and polyphony
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
    """``(train, valid or None)`` tf.data pipelines; the training windows are transposed at random."""
    period = codec.period
    window = data.window_units * period
    train_w = token_windows(encode_performances(split.train, codec), window, max(window // 4, period), period)
    valid_w = _valid_windows(encode_performances(split.valid, codec), window, period)
    augment = {}
    if data.max_transpose:
        if isinstance(codec, EventCodec):
            augment = dict(augment=transpose_event_tokens, shift_ranges=event_shift_ranges(train_w, data.max_transpose))
        else:
            augment = dict(augment=lambda w, s: codec.transpose_tokens(w, s),
                           shift_ranges=codec.shift_ranges(train_w, data.max_transpose))
    train = windows_dataset(train_w, data.batch_size, shuffle=True, seed=seed, **augment)
    valid = windows_dataset(valid_w, data.batch_size, shuffle=False) if valid_w is not None else None
    return train, valid


# ------------------------------------------------------------------------------------- training


def corpus_report(corpus: Corpus, split: MidiSplit, codec) -> list[str]:
    """What training tells the user about the data: files read and skipped (why), the split, the codec."""
    lines = [f"files read: {len(corpus.performances)}, skipped: {len(corpus.skipped)}"]
    lines += [f"  skipped {path}: {reason}" for path, reason in corpus.skipped]
    if split.tail:
        lines.append(f"held out: the last notes of {split.train[0].name} (a corpus of one file)")
    else:
        lines.append(f"training files: {len(split.train)}, held-out files: {len(split.valid)}")
    if isinstance(codec, ChoraleCodec):
        lines.append(f"grid: {codec.voices} voices, pitches {codec.low}-{codec.high}, {codec.vocab_size} tokens")
    else:
        lines.append(f"events: {codec.vocab_size} tokens")
    return lines + drop_lines(corpus.performances, codec)


def _absolute(paths: Sequence[str]) -> list[str]:
    return [os.path.abspath(os.fspath(p)) for p in paths]


def _held_out_names(split: MidiSplit) -> list[str]:
    """The files run.json records as held out (for a one-file corpus: that file, whose tail is held out)."""
    return [split.train[0].name] if split.tail else sorted(p.name for p in split.valid)


def _check_out_is_free(out: str | Path, force: bool) -> None:
    """Refuse a busy run directory before reading the corpus (prepare_run_dir without force only checks)."""
    path = Path(out)
    if not force and (path.is_file() or (path.is_dir() and any(path.iterdir()))):
        rd.prepare_run_dir(path)  # raises the usual one-line error; touches nothing


def _resume_state(out, corpus, family: str, data: MidiDataConfig | None):
    """``(run, info, data)`` of a run to resume, refusing options that contradict it."""
    run = rd.prepare_run_dir(out, resume=True)
    info = rd.read_run_info(run)
    if info.get("task") != "midi":
        raise SeqgenError(f"{run} is a {info.get('task')!r} run, not a midi run; resume it with its own command")
    if corpus and _absolute(corpus) != info["corpus"]:
        raise SeqgenError(f"{run} was trained on {', '.join(info['corpus'])}; give the same --corpus or none to resume")
    if data is not None and data.encoding != info["encoding"]:
        raise SeqgenError(f"{run} uses the {info['encoding']!r} encoding; drop --encoding or give the same")
    if family != info["model"]["family"]:
        raise SeqgenError(f"{run} is a {info['model']['family']} run; resume it with --model {info['model']['family']}")
    return run, info, MidiDataConfig(**info["data"])


def train_midi(out: str | Path, corpus: Sequence[str] | None = None, *, family: str, preset: str = "small",
               data: MidiDataConfig | None = None, train: TrainConfig = TrainConfig(), resume: bool = False,
               force: bool = False, strategy=None, verbose="auto", **model_overrides) -> TrainedMidi:
    """Train ``family`` at ``preset`` on the MIDI files under ``corpus`` (files, folders, globs).

    Unusable files are skipped and listed in the report; no usable file raises :class:`SeqgenError`.
    With ``resume`` the corpus, encoding and data settings come from the run's ``run.json``.
    """
    if isinstance(corpus, (str, os.PathLike)):
        corpus = [corpus]
    if resume:
        run, info, data = _resume_state(out, corpus, family, data)
        read = read_corpus(info["corpus"])
        split = recorded_split(read.performances, info["split"], data.valid_fraction)
        codec, config = codec_from_config(info["codec"]), config_from_dict(info["model"])
    else:
        if not corpus:
            raise SeqgenError("no corpus given: pass --corpus with MIDI files, folders or globs")
        data = data or MidiDataConfig()
        _check_out_is_free(out, force)
        read = read_corpus(_absolute(corpus))
        split = split_corpus(read.performances, data.valid_fraction)
        codec = fit_codec(read.performances, data)
        config = make_config(family, preset, codec.vocab_size, codec.period, **model_overrides)
    # Everything is validated (windows included) before the run directory is touched.
    train_ds, valid_ds = midi_datasets(split, codec, data, train.seed)
    if not resume:
        run = rd.prepare_run_dir(out, force=force)
        rd.write_run_info(run, {
            "task": "midi", "encoding": data.encoding, "preset": preset, "model": config_to_dict(config),
            "codec": codec.to_config(), "corpus": _absolute(corpus), "data": asdict(data),
            "split": {"tail": split.tail, "valid_files": _held_out_names(split)},
            "note_stats": note_stats(read.performances),  # bounds generated notes (generate.midi_gen)
            "bpm": statistics.median(p.tempos[0][1] if p.tempos else 120.0 for p in read.performances),
            "train": train_config_dict(train),
        })
    fit(lambda: build_model(config), train_ds, valid_ds, run, train, resume=resume, strategy=strategy, verbose=verbose)
    return TrainedMidi(run, corpus_report(read, split, codec))


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
    def nats_per_step(self) -> float:
        """Nats per grid time step (all voices) or per event."""
        return self.tokens.nats / max(self.steps, 1)


def score_midi(run: str | Path, split: str = "valid") -> tuple[MidiScore, dict]:
    """``(scores, run.json)`` of a MIDI run over the ``split`` ("valid" or "train") part of its corpus."""
    if split not in ("train", "valid"):
        raise SeqgenError(f"a midi run holds out one part of its corpus: use --split valid (or train), not {split!r}")
    model, codec, info = rd.load_run(run)
    if info.get("task") != "midi":
        raise SeqgenError(f"{run} is a {info.get('task')!r} run, not a midi run")
    files = info["split"]["valid_files"] if split == "valid" else info["corpus"]
    chosen = recorded_split(read_corpus(files).performances, info["split"], info["data"]["valid_fraction"])
    performances = chosen.valid if split == "valid" else chosen.train
    if not performances:
        raise SeqgenError(f"the {split!r} part of {run} is empty (its only file has a single onset); train on more music")
    start = time.perf_counter()
    groups = codec.pitch_groups() if isinstance(codec, ChoraleCodec) else None
    tokens, pitches = score_sequences(model, encode_performances(performances, codec), groups, batch_size=4)
    steps = tokens.count // codec.period
    seconds = sum(p.duration for p in performances)
    return MidiScore(len(performances), tokens, pitches, steps, seconds, time.perf_counter() - start), info


def evaluate_midi(run: str | Path, split: str | None = "valid", data_dir: str | None = None) -> str:
    """The report of ``seqgen evaluate`` for a MIDI run (``data_dir`` is unused: run.json names the files)."""
    score, info = score_midi(run, split or "valid")
    name = split or "valid"
    if info["encoding"] == "events":
        return "\n".join([
            f"{name}: {score.files} files, {score.steps} events, {score.seconds:.1f} s of music ({score.elapsed:.1f} s)",
            f"cross-entropy: {score.tokens.nats_per_token:.4f} nats per event  (accuracy {score.tokens.accuracy:.4f}), "
            f"{score.tokens.nats / max(score.seconds, 1e-9):.1f} nats per second of music",
        ])
    voices = info["codec"]["voices"]
    return "\n".join([
        f"{name}: {score.files} files, {score.steps} steps x {voices} voices ({score.elapsed:.1f} s)",
        f"cross-entropy: {score.tokens.nats_per_token:.4f} nats per note  (accuracy {score.tokens.accuracy:.4f}), "
        f"{score.nats_per_step:.4f} nats per step",
        f"pitch only (struck/held merged): {score.pitches.nats_per_token:.4f} nats per note  "
        f"(accuracy {score.pitches.accuracy:.4f})",
    ])

