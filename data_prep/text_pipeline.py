"""Streaming tf.data pipelines over a text corpus: ``(inputs, targets)`` windows, targets shifted by one.

Design: a Python generator reads the split's files in chunks (:func:`iter_split_chunks`),
encodes each chunk with the codec, and cuts the token stream into rows of ``window + 1`` tokens
with numpy; ``tf.data.Dataset.from_generator`` turns the rows into a dataset that is shuffled
through a bounded buffer, batched and prefetched. Memory is therefore one chunk, one shuffle
buffer and a few batches, whatever the corpus size.

Why a generator rather than ``TextLineDataset`` plus a ``StaticHashTable`` over code points: the
word codec's tokenizer is a Python regex that tf.strings cannot reproduce exactly, and one code
path for both codecs keeps train and evaluation tokens identical to ``codec.encode``. The char
codec encodes with vectorised numpy (a ``searchsorted`` per chunk), far faster than training.
The cost is the GIL during encoding, hidden behind ``prefetch``.

Token stream of a split: for each file, BOS then the tokens of that file's part (the first
90% for ``train``, the last 10% for ``validation``); parts that are empty are skipped. Windows
may span two files: the BOS between them marks the boundary, which is also how generation starts.
With shuffling, each epoch visits the files in a new order and starts at a random offset below
``shift``, so the windows differ from one epoch to the next.
"""

from __future__ import annotations

import itertools
import math
from typing import Iterator, Sequence

import numpy as np
import tensorflow as tf

from seqgen.data_prep.codec_base import Codec
from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.text_corpus import PathLike, TextCorpus, as_corpus, iter_split_chunks

CorpusSource = TextCorpus | Sequence[PathLike] | PathLike


def token_stream(
    corpus: TextCorpus, codec: Codec, split: str, order: Sequence[int] | None = None
) -> Iterator[np.ndarray]:
    """int32 token chunks of ``split``: BOS before each file's part, then its encoded text."""
    bos = np.array([codec.bos_id], dtype=np.int32)
    last = None
    for index, text in iter_split_chunks(corpus, split, order):
        if index != last:
            last = index
            yield bos
        yield np.asarray(codec.encode(text), dtype=np.int32)


def count_tokens(corpus: TextCorpus, codec: Codec, split: str) -> int:
    """Tokens in ``split`` (BOS included), by arithmetic for characters, else by a streaming pass."""
    if getattr(codec, "one_token_per_char", False):
        sizes = corpus.split_sizes(split)
        return sum(sizes) + sum(1 for n in sizes if n)  # one BOS per non-empty part
    return sum(len(tokens) for tokens in token_stream(corpus, codec, split))


def _max_offset(n_tokens: int, window: int, shift: int, shuffle: bool) -> int:
    """Largest random start offset used when shuffling (never costing the only window)."""
    return max(0, min(shift - 1, n_tokens - (window + 1))) if shuffle else 0


def _windows_in(n_tokens: int, window: int, shift: int) -> int:
    """Rows of ``window + 1`` tokens, one every ``shift`` tokens, that fit in ``n_tokens``."""
    return (n_tokens - window - 1) // shift + 1 if n_tokens > window else 0


def _check_window(window: int, batch_size: int, shift: int) -> None:
    for name, value in (("window", window), ("batch size", batch_size), ("shift", shift)):
        if value < 1:
            raise SeqgenError(f"{name} must be a positive number of tokens, got {value}")


def count_windows(
    files: CorpusSource,
    codec: Codec,
    split: str = "train",
    window: int = 100,
    shift: int | None = None,
    shuffle: bool | None = None,
    encoding: str = "utf-8",
    val_fraction: float = 0.1,
) -> int:
    """Windows per epoch that :func:`text_dataset` yields with the same arguments."""
    corpus = as_corpus(files, encoding, val_fraction)
    shift = window if shift is None else shift
    shuffle = split == "train" if shuffle is None else shuffle
    _check_window(window, 1, shift)
    n_tokens = count_tokens(corpus, codec, split)
    return _windows_in(n_tokens - _max_offset(n_tokens, window, shift, shuffle), window, shift)


def steps_per_epoch(
    files: CorpusSource, codec: Codec, split: str, window: int, batch_size: int, shift: int | None = None, **kwargs
) -> int:
    """Batches per epoch of :func:`text_dataset` (full batches only for ``train``)."""
    n = count_windows(files, codec, split, window, shift, **kwargs)
    return n // batch_size if split == "train" else math.ceil(n / batch_size)


def _window_rows(
    corpus: TextCorpus, codec: Codec, split: str, window: int, shift: int, rng: np.random.Generator | None, max_offset: int
) -> Iterator[np.ndarray]:
    """Rows ``(k, window + 1)`` of consecutive tokens, a row every ``shift`` tokens."""
    order = None if rng is None else rng.permutation(len(corpus.files))
    skip = 0 if rng is None else int(rng.integers(max_offset + 1))
    buf = np.empty(0, dtype=np.int32)  # tokens not yet covered by a full row
    for tokens in token_stream(corpus, codec, split, order):
        buf = np.concatenate([buf, tokens])
        if skip:
            buf, skip = buf[skip:], max(0, skip - len(buf))
        n_rows = _windows_in(len(buf), window, shift)
        if n_rows:
            views = np.lib.stride_tricks.sliding_window_view(buf, window + 1)  # (len - window, window + 1)
            yield np.ascontiguousarray(views[: n_rows * shift : shift])  # (n_rows, window + 1)
            buf = buf[n_rows * shift :]


def _plan_windows(
    corpus: TextCorpus, codec: Codec, split: str, window: int, batch_size: int, shift: int, shuffle: bool
) -> tuple[int, int]:
    """``(windows per epoch, largest random offset)``, refusing a split too short to train on."""
    _check_window(window, batch_size, shift)
    n_tokens = count_tokens(corpus, codec, split)
    max_offset = _max_offset(n_tokens, window, shift, shuffle)
    n_windows = _windows_in(n_tokens - max_offset, window, shift)
    if n_windows == 0:
        raise SeqgenError(
            f"the {split} split has {n_tokens} tokens, fewer than one window of {window} + 1: "
            + (f"use a smaller --window (at most {n_tokens - 1}) or a bigger corpus" if n_tokens > 2  # --window >= 2
               else "give a bigger corpus")
        )
    if split == "train" and n_windows < batch_size:  # training keeps full batches only
        raise SeqgenError(
            f"the {split} split gives {n_windows} windows of {window} tokens, fewer than one batch of {batch_size}: "
            f"use a smaller --batch-size (at most {n_windows}) or --window"
        )
    return n_windows, max_offset


def text_dataset(
    files: CorpusSource,
    codec: Codec,
    split: str = "train",
    window: int = 100,
    batch_size: int = 64,
    shuffle: bool | None = None,
    seed: int = 0,
    encoding: str = "utf-8",
    val_fraction: float = 0.1,
    shift: int | None = None,
    shuffle_buffer: int = 4096,
) -> tf.data.Dataset:
    """Batches ``(inputs, targets)`` of int32 ``(batch, window)``; ``targets[:, t] = inputs[:, t + 1]``.

    ``files`` is a loaded :class:`TextCorpus` (then ``encoding`` and ``val_fraction`` are its own)
    or paths. ``shift`` (default ``window``) is the stride between windows; ``shuffle`` defaults to
    True for ``train``. Training drops the last partial batch (static shapes); validation keeps it.
    The dataset knows its length, so Keras shows progress without ``steps_per_epoch``.
    """
    corpus = as_corpus(files, encoding, val_fraction)
    shift = window if shift is None else shift
    shuffle = split == "train" if shuffle is None else shuffle
    drop_remainder = split == "train"
    n_windows, max_offset = _plan_windows(corpus, codec, split, window, batch_size, shift, shuffle)
    epochs = itertools.count()  # a new, seeded file order and offset at every pass over the data

    def rows() -> Iterator[np.ndarray]:
        rng = np.random.default_rng([seed, next(epochs)]) if shuffle else None
        yield from _window_rows(corpus, codec, split, window, shift, rng, max_offset)

    ds = tf.data.Dataset.from_generator(rows, output_signature=tf.TensorSpec((None, window + 1), tf.int32))
    ds = ds.unbatch().take(n_windows)  # (window + 1,) each; exactly n_windows whatever the offset
    if shuffle:
        ds = ds.shuffle(min(shuffle_buffer, n_windows), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)  # (batch, window + 1)
    ds = ds.map(lambda r: (r[:, :-1], r[:, 1:]), num_parallel_calls=tf.data.AUTOTUNE)
    n_batches = n_windows // batch_size if drop_remainder else math.ceil(n_windows / batch_size)
    ds = ds.apply(tf.data.experimental.assert_cardinality(n_batches))
    return ds.prefetch(tf.data.AUTOTUNE)


def validation_tokens(
    files: CorpusSource, codec: Codec, encoding: str = "utf-8", val_fraction: float = 0.1
) -> np.ndarray:
    """The whole validation split as one int32 array ``(n,)`` for evaluation.

    Each file's part starts with BOS, so ``tokens[0] == bos_id``. When scoring, predict
    ``tokens[1:]`` from ``tokens[:-1]`` and skip positions whose target is ``bos_id`` (file
    boundaries). Divide by ``TextCorpus.split_sizes("validation")`` summed for nats per character.
    Holds the validation part in memory (4 bytes per token).
    """
    corpus = as_corpus(files, encoding, val_fraction)
    parts = list(token_stream(corpus, codec, "validation"))
    if not parts:
        raise SeqgenError(
            f"the corpus has no validation text (val_fraction={corpus.val_fraction}): use a larger validation fraction"
        )
    return np.concatenate(parts)
