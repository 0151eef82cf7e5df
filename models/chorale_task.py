"""The chorale task: Bach chorales -> chorale codec -> training windows, and scoring over whole chorales."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from seqgen.data_prep.chorale_cache import load_chorales
from seqgen.data_prep.chorale_codec import ChoraleCodec
from seqgen.data_prep.chorales import Dataset, describe
from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.pipeline import token_windows, windows_dataset, with_bos
from seqgen.models.evaluate import score_sequences
from seqgen.models.task import Evaluation, Prepared, Task


@dataclass(frozen=True)
class ChoraleDataConfig:
    """How chorales become training windows."""

    window_steps: int = 64  # time steps per training window (x4 tokens)
    stride_steps: int = 16  # steps between window starts
    batch_size: int = 32  # windows per batch
    max_transpose: int = 5  # random transposition of each window, in semitones (0 = off)
    mode_dropout: float = 0.15  # share of training windows that keep no mode start token (BOS stays "unknown")

    def __post_init__(self) -> None:
        for name in ("window_steps", "stride_steps", "batch_size"):
            if getattr(self, name) < 1:
                raise SeqgenError(f"{name} must be >= 1, got {getattr(self, name)!r}")
        if not 0 <= self.max_transpose <= 12:
            raise SeqgenError(f"max_transpose must be in 0..12, got {self.max_transpose!r}")
        if not 0.0 <= self.mode_dropout <= 1.0:
            raise SeqgenError(f"mode_dropout must be in 0..1, got {self.mode_dropout!r}")


def encode_split(dataset: Dataset, split: str, codec: ChoraleCodec) -> list[np.ndarray]:
    """Every chorale of ``split`` as BOS-first tokens."""
    if not dataset.get(split):
        raise SeqgenError(f"the {split!r} split is empty; the data needs train, valid and test chorales")
    return [with_bos(codec.encode(g), codec.start_token(g)) for g in dataset[split]]


def mode_windows(sequences: list[np.ndarray], window: int, stride: int, period: int,
                 dropout: float = 0.0, seed: int = 0) -> np.ndarray:
    """``token_windows`` whose first input token is the piece's start token (its mode), so every
    window, not only a piece's first, learns what the mode token means; ``dropout`` of them keep
    their own first token. The first token is input only, never a target. ``(n, window + 1)``."""
    pieces = [s for s in sequences if len(s) >= window + 1]
    if not pieces:
        return token_windows(sequences, window, stride, period)  # its error names the window
    rng = np.random.default_rng(seed)
    out = []
    for seq in pieces:
        w = token_windows([seq], window, stride, period)
        keep = rng.random(len(w)) < dropout
        w[~keep, 0] = seq[0]
        out.append(w)
    return np.concatenate(out)


def chorale_datasets(dataset: Dataset, codec: ChoraleCodec, data: ChoraleDataConfig, seed: int = 0):
    """``(train, valid)`` tf.data pipelines; the training windows are transposed at random."""
    window, stride = data.window_steps * codec.period, data.stride_steps * codec.period
    dropout = data.mode_dropout if codec.phrases else 1.0  # without mode tokens: windows as cut
    train_w = mode_windows(encode_split(dataset, "train", codec), window, stride, codec.period, dropout, seed)
    valid_w = mode_windows(encode_split(dataset, "valid", codec), window, window, codec.period)
    augment = {}
    if data.max_transpose:
        augment = dict(augment=codec.transpose_tokens, shift_ranges=codec.shift_ranges(train_w, data.max_transpose))
    train = windows_dataset(train_w, data.batch_size, shuffle=True, seed=seed, **augment)
    valid = windows_dataset(valid_w, data.batch_size, shuffle=False)
    return train, valid


def repeat_baseline_accuracy(grids) -> float:
    """Accuracy of predicting each voice's previous pitch (the "repeat the last chord" baseline)."""
    hits = total = 0
    for g in grids:
        previous = np.vstack([np.zeros((1, g.voices), g.pitches.dtype), g.pitches[:-1]])
        hits += int((previous == g.pitches).sum())
        total += g.pitches.size
    return hits / max(total, 1)


def chorale_scores(model, codec, source: str, split: str = "test", data_dir: str | None = None) -> dict:
    """Scores of a chorale model over whole chorales of ``split`` (see :meth:`ChoraleTask.evaluate`)."""
    dataset = load_chorales(source, data_dir, progress=False)
    grids = dataset.get(split, [])
    if not grids:
        raise SeqgenError(f"the {split!r} split of {source} is empty; choose another --split")
    fitted = [codec.fit_into_range(g)[0] for g in grids]
    start = time.perf_counter()
    flags, pitches = score_sequences(model, [with_bos(codec.encode(g), codec.start_token(g)) for g in fitted],
                                     codec.pitch_groups())
    return {"split": split, "chorales": len(grids), "notes": pitches.count, "seconds": time.perf_counter() - start,
            "nats": pitches.nats_per_token, "accuracy": pitches.accuracy,
            "nats_flags": flags.nats_per_token, "accuracy_flags": flags.accuracy,
            "baseline_accuracy": repeat_baseline_accuracy(grids),
            "has_flags": any(g.meta.get("source") != "csv" for g in grids)}


def report_lines(s: dict) -> list[str]:
    """The report of ``seqgen evaluate`` for a chorale run.

    Cross-entropy is minus the log-probability of each whole chorale's pitches (every note predicted
    from everything before it, voices in S/A/T/B order within a step), summed and divided by the
    number of notes (4 per step, silences included). Held and struck tokens of a pitch are merged.
    """
    lines = [
        f"{s['split']}: {s['chorales']} chorales, {s['notes']} notes ({s['seconds']:.1f} s)",
        f"cross-entropy: {s['nats']:.4f} nats per note  (accuracy {s['accuracy']:.4f})",
        f"repeat-previous-chord baseline accuracy: {s['baseline_accuracy']:.4f}",
    ]
    if s["has_flags"]:
        lines.append(f"with struck/held flags: {s['nats_flags']:.4f} nats per note  (accuracy {s['accuracy_flags']:.4f})")
    return lines


class ChoraleTask(Task):
    """Bach chorales: music21's corpus or the jsb_chorales CSV layout, four voices on a 16th-note grid."""

    name = "chorale"
    data_config = ChoraleDataConfig
    default_split = "test"

    def normalise_source(self, source: dict) -> dict:
        return {"source": str(source.get("source") or "music21")}

    def prepare(self, source, data, *, seed=0, data_dir=None, codec=None, record=None) -> Prepared:
        dataset = load_chorales(source["source"], data_dir)
        if codec is None:
            codec = ChoraleCodec.fit([g for grids in dataset.values() for g in grids])
        train, valid = chorale_datasets(dataset, codec, data, seed)
        return Prepared(codec, train, valid, report=[describe(dataset)])

    def evaluate(self, run, split, data_dir=None) -> Evaluation:
        scores = chorale_scores(run.model, run.codec, run.info.source["source"], split, data_dir)
        return Evaluation(report_lines(scores), scores)

    def upgrade_v1(self, values: dict) -> dict:
        data = dict(values.get("data") or {})
        source = {"source": data.pop("source", "music21")}
        return {**values, "format": 2, "source": source, "data": data, "seqgen_version": "0.1.0"}


def data_summary(source: str = "music21", data_dir: str | None = None) -> str:
    """What ``seqgen data chorales`` prints: counts per split, pitch range, vocabulary size."""
    dataset = load_chorales(source, data_dir)
    codec = ChoraleCodec.fit([g for grids in dataset.values() for g in grids])
    extra = ", each also as a phrase-end soprano token, 2 mode starts" if codec.phrases else ""
    return (f"{describe(dataset)}\nvocabulary: {codec.vocab_size} tokens "
            f"(BOS, silence, {codec.low}-{codec.high} held/struck{extra})")
