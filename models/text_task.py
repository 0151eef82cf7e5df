"""The text task: corpus -> char/word codec -> training windows, and scoring of a whole held-out part.

Evaluation scores the WHOLE held-out part (the last 10% of each file) in overlapping windows,
because a held-out part is too long for one call of the model and a step-by-step loop would be
slow. With context ``C`` (see :func:`evaluation_context`) every window holds ``2C`` tokens and
scores only its last ``C``, so each token is predicted from at least ``C`` tokens before it (or
from everything since the start of the stream, when closer):

* WaveNet: ``C >= receptive_field - 1``, so the windowed score is EXACTLY the score of one pass
  over the whole part (a prediction never sees further back than its receptive field);
* LSTM/GRU: an approximation. A state carried over the whole part would also remember what lies
  more than ``C`` tokens back; ``C`` is at least the training window, the longest history the
  model learnt to use, so the difference is small (and the same for every run compared).
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.shakespeare import shakespeare_corpus
from seqgen.data_prep.text_sources import VAL_FRACTION, corpus_arguments
from seqgen.data_prep.text_codec import CharCodec, WordCodec
from seqgen.data_prep.text_corpus import TextCorpus, describe_corpus, load_corpus
from seqgen.data_prep.text_pipeline import count_tokens, text_dataset, token_stream, validation_tokens
from seqgen.models.evaluate import Score
from seqgen.models.task import Evaluation, Prepared, Task

LEVELS = ("char", "word")



@dataclass(frozen=True)
class TextDataConfig:
    """How a corpus becomes training windows."""

    level: str = "char"  # tokens: "char" (characters) or "word"
    window: int = 100  # tokens per training window (characters, or words at word level)
    batch_size: int = 32  # windows per batch
    max_vocab: int = 10_000  # word level only: the most frequent tokens kept
    encoding: str = "utf-8"  # of every corpus file

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise SeqgenError(f"TextDataConfig.level must be 'char' or 'word', got {self.level!r}")
        for name in ("window", "batch_size", "max_vocab"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise SeqgenError(f"TextDataConfig.{name} must be an integer >= 1, got {getattr(self, name)!r}")


def fit_codec(corpus: TextCorpus, level: str, max_vocab: int = 10_000) -> CharCodec | WordCodec:
    """The vocabulary of the corpus's training part, characters or words."""
    if level not in LEVELS:
        raise SeqgenError(f"unknown level {level!r}: use 'char' or 'word'")
    return CharCodec.fit(corpus) if level == "char" else WordCodec.fit(corpus, max_vocab)


def text_datasets(corpus: TextCorpus, codec, data: TextDataConfig, seed: int = 0):
    """``(train, valid)`` tf.data pipelines; the validation windows shrink to fit a short held-out part."""
    train = text_dataset(corpus, codec, "train", data.window, data.batch_size, seed=seed)
    n_valid = count_tokens(corpus, codec, "validation")
    if n_valid < 2:
        raise SeqgenError(f"the held-out part (last {VAL_FRACTION:.0%} of each file) has {n_valid} tokens: give a longer corpus")
    valid = text_dataset(corpus, codec, "validation", min(data.window, n_valid - 1), data.batch_size)
    return train, valid


def run_corpus(source: dict, record: dict, data: TextDataConfig, data_dir: str | None = None) -> tuple[TextCorpus, list[str]]:
    """The corpus a run was trained on, re-read from its files; and notes for the user.

    The built-in Shakespeare is rebuilt in ``data_dir`` when the run's copy is not on this machine.
    """
    files = record["files"]
    if source.get("shakespeare") and not all(Path(f).is_file() for f in files):
        files = [str(shakespeare_corpus(data_dir))]
    missing = [f for f in files if not Path(f).is_file()]
    if missing:
        raise SeqgenError(f"the run's corpus file {missing[0]!r} is gone: put it back there to evaluate or resume the run")
    corpus = load_corpus(files, data.encoding, record["val_fraction"])
    notes = []
    if list(corpus.sizes) != list(record["sizes"]):
        notes.append("note: the corpus files changed since training, so the held-out part differs from training's")
    return corpus, notes


def evaluation_context(config, window: int) -> int:
    """Tokens of context every scored token gets: the training window, or WaveNet's receptive field."""
    return max(window, getattr(config, "receptive_field", 1) - 1, 1)


@tf.function(reduce_retracing=True)
def _window_scores(model, inputs, targets, mask):
    logits = tf.cast(model(inputs, training=False), tf.float32)  # (batch, width, vocab)
    nll = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=targets, logits=logits)  # (batch, width)
    hits = tf.cast(tf.argmax(logits, axis=-1, output_type=tf.int32) == targets, tf.float32)
    return tf.reduce_sum(nll * mask), tf.reduce_sum(hits * mask)


def score_tokens(model, tokens: np.ndarray, bos_id: int, context: int, span: int | None = None,
                 batch_size: int | None = None) -> Score:
    """Score ``tokens[1:]`` predicted from what precedes them, in windows (see the module docstring).

    Each window holds up to ``context`` tokens of context then ``span`` (default ``context``) scored
    ones; targets equal to ``bos_id`` (file boundaries) are not scored.
    """
    inputs, targets = np.asarray(tokens[:-1], np.int32), np.asarray(tokens[1:], np.int32)
    span = span or context
    width, starts = context + span, list(range(0, len(targets), span))
    # Bound the logits of one batch, (batch, width, vocab) float32, to about 128 MB.
    batch_size = batch_size or max(1, min(64, (1 << 25) // (width * int(model.config.vocab_size))))
    score = Score()
    for first in range(0, len(starts), batch_size):
        x, y, mask = (np.zeros((batch_size, width), dt) for dt in (np.int32, np.int32, np.float32))
        for row, start in enumerate(starts[first : first + batch_size]):
            lo, hi = max(0, start - context), min(start + span, len(targets))
            # Right padding only: causal models never look at it.
            x[row, : hi - lo], y[row, : hi - lo] = inputs[lo:hi], targets[lo:hi]
            mask[row, start - lo : hi - lo] = 1.0
        mask *= y != bos_id
        nats, hits = _window_scores(model, x, y, mask)
        score.nats += float(nats)
        score.correct += int(round(float(hits)))
        score.count += int(mask.sum())
    return score


def _text_split(split: str | None) -> str:
    """``seqgen evaluate --split`` -> the corpus part: valid (default) is the held-out part."""
    if split in (None, "valid", "validation"):
        return "validation"
    if split == "train":
        return "train"
    raise SeqgenError(f"a text run has no {split!r} split: its held-out part is --split valid (the default), or use train")


def evaluation_lines(corpus: TextCorpus, part: str, level: str, score: Score, seconds: float, context: int) -> list[str]:
    """The report of ``seqgen evaluate`` for a text run: nats and bits per character over a whole part."""
    chars = sum(corpus.split_sizes(part))
    per_char = score.nats / max(chars, 1)
    unit = "character" if level == "char" else "word"
    where = "held-out part (the last" if part == "validation" else "training part (all but the last"
    lines = [f"{part}: {where} {corpus.val_fraction:.0%} of {len(corpus.files)} file(s)), {chars:,} characters, "
             f"{score.count:,} {unit} tokens scored ({seconds:.1f} s)"]
    if unit == "word":
        lines.append(f"cross-entropy: {score.nats_per_token:.4f} nats per word token  (accuracy {score.accuracy:.4f})")
    lines.append(f"cross-entropy: {per_char:.4f} nats per character, {per_char / math.log(2):.4f} bits per character"
                 + ("" if unit == "word" else f"  (accuracy {score.accuracy:.4f})"))
    return lines


class TextTask(Task):
    """Text corpora (files, folders, globs, or the built-in Shakespeare), characters or words."""

    name = "text"
    data_config = TextDataConfig
    default_split = "valid"

    def normalise_source(self, source: dict) -> dict:
        corpus = [os.path.abspath(os.path.expanduser(str(c))) for c in source.get("corpus") or ()]
        shakespeare = bool(source.get("shakespeare"))
        if corpus and shakespeare:
            raise SeqgenError("give either corpus paths (--corpus) or --shakespeare, not both")
        if not corpus and not shakespeare:
            raise SeqgenError("no corpus given: name text files, folders or globs (--corpus PATH), or pass --shakespeare")
        return {"corpus": corpus, "shakespeare": shakespeare}  # absolute: evaluate and resume run from anywhere

    def prepare(self, source, data, *, seed=0, data_dir=None, codec=None, record=None) -> Prepared:
        if record is None:
            corpus = load_corpus(corpus_arguments(source["corpus"], source["shakespeare"], data_dir),
                                 data.encoding, VAL_FRACTION)
            record = {"files": [str(Path(f).resolve()) for f in corpus.files], "sizes": list(corpus.sizes),
                      "val_fraction": corpus.val_fraction}
            notes = []
        else:
            corpus, notes = run_corpus(source, record, data, data_dir)
        codec = codec or fit_codec(corpus, data.level, data.max_vocab)
        train, valid = text_datasets(corpus, codec, data, seed)
        return Prepared(codec, train, valid, record, [describe_corpus(corpus)] + notes)

    def evaluate(self, run, split, data_dir=None) -> Evaluation:
        part = _text_split(split)
        data = self.new_data_config(run.info.data)
        corpus, notes = run_corpus(run.info.source, run.info.record, data, data_dir)
        codec = run.codec
        if part == "validation":
            tokens = validation_tokens(corpus, codec)
        else:
            tokens = np.concatenate(list(token_stream(corpus, codec, "train")))
        context = evaluation_context(run.model.config, data.window)
        start = time.perf_counter()
        score = score_tokens(run.model, tokens, codec.bos_id, context)
        lines = evaluation_lines(corpus, part, data.level, score, time.perf_counter() - start, context)
        unknown = int((tokens == codec.unk_id).sum())
        if unknown:
            lines.append(f"{unknown:,} token(s) of this part are outside the vocabulary, scored as the unknown token")
        lines.append(f"scored in windows of {2 * context} tokens: every token predicted from at least {context} "
                     "tokens before it (fewer only at the very start)")
        chars = sum(corpus.split_sizes(part))
        return Evaluation(lines + notes, {"nats_per_char": score.nats / max(chars, 1), "accuracy": score.accuracy})

    def upgrade_v1(self, values: dict) -> dict:
        data = dict(values.get("data") or {})
        record = {"files": data.pop("files", []), "sizes": data.pop("sizes", []),
                  "val_fraction": data.pop("val_fraction", VAL_FRACTION)}
        source = {"corpus": [] if data.get("shakespeare") else list(record["files"]),
                  "shakespeare": bool(data.pop("shakespeare", False))}
        data["level"] = values.get("level", "char")
        rest = {k: v for k, v in values.items() if k not in ("level",)}
        return {**rest, "format": 2, "source": source, "data": data, "record": record, "seqgen_version": "0.1.0"}
