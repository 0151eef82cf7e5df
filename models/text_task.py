"""Text end to end: corpus -> char/word codec -> windows -> trainer -> run directory, and evaluation.

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
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

import keras
import numpy as np
import tensorflow as tf

from seqgen.data_prep.codec_base import codec_from_config
from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.shakespeare import shakespeare_corpus
from seqgen.data_prep.text_codec import CharCodec, WordCodec
from seqgen.data_prep.text_corpus import PathLike, TextCorpus, describe_corpus, load_corpus
from seqgen.data_prep.text_pipeline import count_tokens, text_dataset, token_stream, validation_tokens
from seqgen.models import run_dir as rd
from seqgen.models.config import config_from_dict, config_to_dict, make_config
from seqgen.models.evaluate import Score
from seqgen.models.registry import build_model
from seqgen.models.train import TrainConfig, fit, train_config_dict

LEVELS = ("char", "word")
VAL_FRACTION = 0.1  # the last 10% of each file is held out
SAMPLES_FILE = "samples.txt"  # the text sampled after every epoch


@dataclass(frozen=True)
class TextDataConfig:
    """How a corpus becomes training windows."""

    window: int = 100  # tokens per training window (characters, or words at word level)
    batch_size: int = 32  # windows per batch
    max_vocab: int = 10_000  # word level only: the most frequent tokens kept
    encoding: str = "utf-8"  # of every corpus file

    def __post_init__(self) -> None:
        for name in ("window", "batch_size", "max_vocab"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise SeqgenError(f"TextDataConfig.{name} must be an integer >= 1, got {getattr(self, name)!r}")


def corpus_arguments(corpus: Sequence[PathLike], shakespeare: bool, data_dir: str | None) -> list[PathLike]:
    """The paths to read: the user's files/folders/globs, or the built-in Shakespeare (built once)."""
    if corpus and shakespeare:
        raise SeqgenError("give either corpus paths or --shakespeare, not both")
    if shakespeare:
        return [shakespeare_corpus(data_dir)]
    if not corpus:
        raise SeqgenError("no corpus given: name text files, folders or globs (--corpus PATH), or pass --shakespeare")
    return list(corpus)


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


class EpochSamples(keras.callbacks.Callback):
    """After every epoch, sample a short text from BOS and append it to ``path`` (and print it)."""

    def __init__(self, path: Path, codec, length: int = 200, temperature: float = 0.8, seed: int = 0,
                 verbose: bool = False):
        super().__init__()
        self.path, self.codec, self.length, self.verbose = Path(path), codec, length, verbose
        self.temperature, self.seed = temperature, seed
        self._sampler = None

    def on_epoch_end(self, epoch, logs=None):
        # generate.sampler knows only the step contract of models.base: no import cycle.
        from seqgen.generate.sampler import Sampler
        from seqgen.generate.sampling import make_strategy

        if self._sampler is None:  # one sampler: its compiled loop reads the current weights
            strategy = make_strategy(self.temperature, forbidden=self.codec.forbidden_ids)
            self._sampler = Sampler(self.model, strategy, seed=self.seed)
        tokens = self._sampler.generate(np.array([[self.codec.bos_id]], np.int32), self.length)  # (1, length)
        entry = f"=== epoch {epoch + 1} ===\n{self.codec.decode(tokens[0])}\n\n"
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(entry)
        if self.verbose:
            print(f"\n{entry}", end="", flush=True)


def _new_run_info(level: str, preset: str, config, codec, corpus: TextCorpus, shakespeare: bool,
                  data: TextDataConfig, train: TrainConfig) -> dict:
    files = [str(Path(f).resolve()) for f in corpus.files]  # absolute: evaluate runs from anywhere
    return {
        "task": "text", "level": level, "preset": preset, "model": config_to_dict(config), "codec": codec.to_config(),
        "data": {"files": files, "sizes": list(corpus.sizes), "shakespeare": shakespeare,
                 "val_fraction": corpus.val_fraction, **asdict(data)},
        "train": train_config_dict(train),
    }


def _check_resume(run: Path, info: dict, level: str | None, files: list[str] | None) -> None:
    if info.get("task") != "text":
        raise SeqgenError(f"{run} is a {info.get('task')!r} run, not a text run; resume it with its own command")
    if level is not None and level != info.get("level"):
        raise SeqgenError(f"{run} is a {info.get('level')}-level run, not {level}-level: drop --level to resume it")
    if files is not None and files != info["data"]["files"]:
        raise SeqgenError(f"{run} was trained on other files; resume without corpus options to use its own")


def train_text(out: str | Path, *, family: str, preset: str = "small", corpus: Sequence[PathLike] = (),
               shakespeare: bool = False, data_dir: str | None = None, level: str | None = None,
               data: TextDataConfig = TextDataConfig(), train: TrainConfig = TrainConfig(), resume: bool = False,
               force: bool = False, strategy=None, verbose="auto", extra_callbacks=(), samples: int = 200,
               **model_overrides) -> Path:
    """Train ``family`` at ``preset`` on a text corpus; returns the run directory.

    ``level`` is ``char`` (default for a new run) or ``word``. On ``resume`` the run's own corpus,
    codec, model and data settings are used. ``samples`` tokens are sampled after every epoch into
    ``RUN_DIR/samples.txt`` (0: none).
    """
    if resume:
        run = rd.prepare_run_dir(out, resume=True)
        info = rd.read_run_info(run)
        given = None
        if corpus or shakespeare:
            given = [str(Path(f).resolve()) for f in load_corpus(corpus_arguments(corpus, shakespeare, data_dir),
                                                                 data.encoding, VAL_FRACTION).files]
        _check_resume(run, info, level, given)
        text_corpus, _ = run_corpus(info, data_dir)
        codec, config = codec_from_config(info["codec"]), config_from_dict(info["model"])
        data = TextDataConfig(**{k: info["data"][k] for k in TextDataConfig.__dataclass_fields__})
        train_ds, valid_ds = text_datasets(text_corpus, codec, data, train.seed)
    else:
        # Everything is validated (corpus, vocabulary, config, windows) before the run directory is touched.
        level = level or "char"
        text_corpus = load_corpus(corpus_arguments(corpus, shakespeare, data_dir), data.encoding, VAL_FRACTION)
        codec = fit_codec(text_corpus, level, data.max_vocab)
        config = make_config(family, preset, codec.vocab_size, codec.period, **model_overrides)
        train_ds, valid_ds = text_datasets(text_corpus, codec, data, train.seed)
        run = rd.prepare_run_dir(out, force=force)
        (run / SAMPLES_FILE).unlink(missing_ok=True)  # a replaced run's samples go with it
        rd.write_run_info(run, _new_run_info(level, preset, config, codec, text_corpus, shakespeare, data, train))
    callbacks = list(extra_callbacks)
    if samples:
        callbacks.append(EpochSamples(run / SAMPLES_FILE, codec, samples, seed=train.seed, verbose=verbose != 0))
    fit(lambda: build_model(config), train_ds, valid_ds, run, train, resume=resume, strategy=strategy,
        extra_callbacks=callbacks, verbose=verbose)
    return run


def run_corpus(info: dict, data_dir: str | None = None) -> tuple[TextCorpus, list[str]]:
    """The corpus a run was trained on, re-read from its files; and notes for the user.

    The built-in Shakespeare is rebuilt in ``data_dir`` when the run's copy is not on this machine.
    """
    data = info["data"]
    files = data["files"]
    if data.get("shakespeare") and not all(Path(f).is_file() for f in files):
        files = [str(shakespeare_corpus(data_dir))]
    missing = [f for f in files if not Path(f).is_file()]
    if missing:
        raise SeqgenError(f"the run's corpus file {missing[0]!r} is gone: put it back there to evaluate or resume the run")
    corpus = load_corpus(files, data["encoding"], data["val_fraction"])
    notes = []
    if list(corpus.sizes) != list(data["sizes"]):
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


def evaluate_text(run: str | Path, split: str | None = None, data_dir: str | None = None,
                  level: str | None = None) -> str:
    """The report of ``seqgen evaluate`` for a text run: nats and bits per character over a whole part.

    ``level``, when given, must be the run's (``char`` or ``word``).
    """
    part = _text_split(split)
    info = rd.read_run_info(run)
    if info.get("task") != "text":
        raise SeqgenError(f"{run} is a {info.get('task')!r} run, not a text run")
    if level is not None and level != info.get("level"):
        raise SeqgenError(f"{run} is a {info.get('level')}-level run: it cannot be scored per {level}; drop the level")
    model, codec, info = rd.load_run(run)
    corpus, notes = run_corpus(info, data_dir)
    if part == "validation":
        tokens = validation_tokens(corpus, codec)
    else:
        tokens = np.concatenate(list(token_stream(corpus, codec, "train")))
    chars = sum(corpus.split_sizes(part))
    context = evaluation_context(model.config, info["data"]["window"])
    start = time.perf_counter()
    score = score_tokens(model, tokens, codec.bos_id, context)
    seconds = time.perf_counter() - start
    per_char = score.nats / max(chars, 1)
    unit = "character" if info["level"] == "char" else "word"
    where = "held-out part (the last" if part == "validation" else "training part (all but the last"
    lines = [f"{part}: {where} {corpus.val_fraction:.0%} of {len(corpus.files)} file(s)), {chars:,} characters, "
             f"{score.count:,} {unit} tokens scored ({seconds:.1f} s)"]
    if unit == "word":
        lines.append(f"cross-entropy: {score.nats_per_token:.4f} nats per word token  (accuracy {score.accuracy:.4f})")
    lines.append(f"cross-entropy: {per_char:.4f} nats per character, {per_char / math.log(2):.4f} bits per character"
                 + ("" if unit == "word" else f"  (accuracy {score.accuracy:.4f})"))
    unknown = int((tokens == codec.unk_id).sum())
    if unknown:
        lines.append(f"{unknown:,} {unit}(s) of this part are outside the vocabulary, scored as the unknown token")
    lines.append(f"scored in windows of {2 * context} tokens: every token predicted from at least {context} "
                 "tokens before it (fewer only at the very start)")
    return "\n".join(lines + notes)


def data_summary(paths: Sequence[PathLike] = (), encoding: str = "utf-8", shakespeare: bool = False,
                 data_dir: str | None = None) -> str:
    """What ``seqgen data text`` prints: characters, split sizes, vocabulary."""
    corpus = load_corpus(corpus_arguments(paths, shakespeare, data_dir), encoding, VAL_FRACTION)
    return describe_corpus(corpus)
