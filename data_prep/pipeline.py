"""``tf.data`` pipelines over token sequences: windows, optional augmentation, shuffle, batch, prefetch.

Training sees fixed-length windows cut from whole sequences (each starting with BOS); a window of
``window + 1`` tokens gives inputs ``w[:-1]`` and targets ``w[1:]``. Windows start at multiples of the
codec's period, so ``position % period`` inside a window is the voice being predicted.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import tensorflow as tf

from seqgen.data_prep.errors import SeqgenError

AUTOTUNE = tf.data.AUTOTUNE


def with_bos(tokens: np.ndarray, bos_id: int) -> np.ndarray:
    """``[BOS] + tokens`` as int32: every sequence a model reads starts with BOS."""
    return np.concatenate([[bos_id], np.asarray(tokens)]).astype(np.int32)


def token_windows(sequences: Sequence[np.ndarray], window: int, stride: int, period: int = 1) -> np.ndarray:
    """All windows of ``window + 1`` tokens, every ``stride`` tokens, from each sequence.

    ``stride`` is rounded up to a multiple of ``period``. The last window of each sequence is
    aligned to its end so no tail is lost. Returns ``(n, window + 1)`` int32.
    """
    if window < 1 or stride < 1:
        raise SeqgenError(f"window and stride must be >= 1, got window={window}, stride={stride}")
    stride = -(-stride // period) * period
    out = []
    for seq in sequences:
        if len(seq) < window + 1:
            continue
        last = (len(seq) - window - 1) // period * period
        starts = sorted(set(range(0, last + 1, stride)) | {last})
        out.extend(seq[s : s + window + 1] for s in starts)
    if not out:
        longest = max((len(s) for s in sequences), default=0)
        raise SeqgenError(
            f"no sequence is longer than one training window ({window + 1} tokens; longest {longest}): "
            "use a smaller window or more data"
        )
    return np.stack(out).astype(np.int32)


def windows_dataset(
    windows: np.ndarray,
    batch_size: int,
    *,
    shuffle: bool,
    seed: int = 0,
    augment: Callable[[tf.Tensor, tf.Tensor], tf.Tensor] | None = None,
    shift_ranges: np.ndarray | None = None,
    drop_remainder: bool = False,
) -> tf.data.Dataset:
    """Windows -> batches of ``(inputs (batch, window), targets (batch, window))``.

    ``augment(window, shift)`` (with per-window inclusive ``shift_ranges`` ``(n, 2)``) draws one
    random shift per window per epoch, from a seeded ``tf.data`` random stream.
    """
    ds = tf.data.Dataset.from_tensor_slices(windows)
    if augment is not None:
        ranges = tf.data.Dataset.from_tensor_slices(shift_ranges.astype(np.int64))
        ds = tf.data.Dataset.zip((ds, ranges))
    if shuffle:
        ds = ds.shuffle(len(windows), seed=seed, reshuffle_each_iteration=True)
    if augment is not None:
        draws = tf.data.Dataset.random(seed=seed)
        ds = tf.data.Dataset.zip((ds, draws)).map(
            lambda pair, r: augment(pair[0], tf.cast(pair[1][0] + r % (pair[1][1] - pair[1][0] + 1), tf.int32)),
            num_parallel_calls=AUTOTUNE,
        )
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    ds = ds.map(lambda w: (w[:, :-1], w[:, 1:]), num_parallel_calls=AUTOTUNE)
    return ds.prefetch(AUTOTUNE)
