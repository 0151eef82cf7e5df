"""SketchSet -> ``tf.data`` batches of ``(strokes (batch, time, 3) float32, labels (batch,) int32)``.

Padding: drawings are padded at the END with all-zero rows. A canonical drawing ends with the pen
lifted (:mod:`data_prep.strokes`), so its last real row is never all zero, and the true length of
each row of a batch is "index of the last non-zero row + 1" (:func:`padded_lengths`). Zero rows
inside a drawing (a repeated point) stay real steps. The classifier derives its mask this way, so
batches need no extra length tensor, and padding more never changes a prediction.

Speed: drawings are bucketed by length (``bucket_by_sequence_length``) so a batch is padded only
to about its own length, then prefetched.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import tensorflow as tf

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.sketch_augment import SketchAugment, augment_dataset
from seqgen.data_prep.strokes import SketchSet


def pad_strokes(strokes: Sequence[np.ndarray], length: int | None = None) -> np.ndarray:
    """Drawings -> one zero-padded float32 batch ``(batch, time, 3)``; ``length`` crops or pads."""
    time = max((len(s) for s in strokes), default=0) if length is None else length
    batch = np.zeros((len(strokes), time, 3), dtype=np.float32)
    for i, s in enumerate(strokes):
        n = min(len(s), time)
        batch[i, :n] = s[:n]
    return batch


def padded_lengths(batch: np.ndarray) -> np.ndarray:
    """True lengths of a zero-padded batch ``(batch, time, 3)`` -> int64 ``(batch,)``."""
    nonzero = np.any(np.asarray(batch) != 0, axis=-1)  # (batch, time)
    positions = np.arange(1, nonzero.shape[1] + 1)
    return np.max(np.where(nonzero, positions, 0), axis=1, initial=0)


def auto_bucket_boundaries(lengths: np.ndarray, buckets: int = 8) -> list[int]:
    """Length quantiles splitting the drawings into about ``buckets`` equal groups."""
    if len(lengths) == 0 or buckets < 2:
        return []
    quantiles = np.quantile(np.asarray(lengths), np.linspace(0, 1, buckets + 1)[1:-1])
    # bucket_by_sequence_length puts length L in the first bucket whose boundary is > L.
    return sorted({int(q) + 1 for q in quantiles})


def _ragged(sketches: SketchSet) -> tf.RaggedTensor:
    """All drawings as one ragged tensor ``(drawings, None, 3)`` (no Python generator: fast)."""
    flat = np.concatenate([s.astype(np.float32) for s in sketches.strokes] + [np.zeros((0, 3), np.float32)])
    return tf.RaggedTensor.from_row_lengths(flat, sketches.lengths())


def sketch_dataset(
    sketches: SketchSet,
    batch_size: int = 64,
    *,
    shuffle: bool = False,
    seed: int = 0,
    bucket_boundaries: Sequence[int] | str | None = "auto",
    drop_remainder: bool = False,
    repeat: bool = False,
    augment: SketchAugment | None = None,
) -> tf.data.Dataset:
    """Batches of ``(strokes (batch, time, 3) float32, labels (batch,) int32)``, zero-padded.

    ``shuffle`` reshuffles every epoch from ``seed`` (the whole set is the buffer: sketches are
    small). ``bucket_boundaries``: "auto" (length quantiles), explicit lengths, or None for plain
    padded batches in order. Bucketing mixes the order of batches but never crops a drawing.
    ``augment`` (training only) changes each drawing at random, from ``seed``
    (:mod:`data_prep.sketch_augment`); buckets go by the drawings' original lengths.
    """
    _check_drawings(sketches, batch_size)
    augmenting = augment is not None and augment.enabled
    dataset = _drawing_dataset(sketches, shuffle=shuffle, seed=seed, repeat=repeat,
                               augment=augment if augmenting else None)
    bucket_boundaries = _resolve_boundaries(bucket_boundaries, sketches)
    batches = _batch_count(sketches.lengths(), bucket_boundaries or [], batch_size, drop_remainder)
    dataset = _padded_batches(dataset, batch_size, bucket_boundaries, drop_remainder, augmenting)
    if not repeat:  # a known length lets Keras show progress and not warn at the first epoch's end
        dataset = dataset.apply(tf.data.experimental.assert_cardinality(batches))
    return dataset.prefetch(tf.data.AUTOTUNE)


def _check_drawings(sketches: SketchSet, batch_size: int) -> None:
    """Refuse what would make an empty or poisoned dataset, before any TensorFlow work."""
    if batch_size < 1:
        raise SeqgenError(f"batch_size must be at least 1, got {batch_size}")
    if len(sketches) == 0:
        raise SeqgenError("no drawings to make a dataset of; check the data and the filters")
    if not all(np.isfinite(s).all() for s in sketches.strokes):
        raise SeqgenError("the drawings hold NaN or infinite values; refused (the readers drop such drawings: "
                          "check the data with 'seqgen data sketches')")


def _drawing_dataset(sketches: SketchSet, *, shuffle: bool, seed: int, repeat: bool,
                     augment: SketchAugment | None) -> tf.data.Dataset:
    """One element per drawing, ``(strokes (n, 3) float32, label () int32)``, shuffled and repeated as asked;
    with ``augment``, ``(strokes, label, original length)`` so buckets can go by the original length."""
    labels = tf.constant(sketches.labels.astype(np.int32))
    dataset = tf.data.Dataset.from_tensor_slices((_ragged(sketches), labels))
    # Each element is a dense (n, 3) drawing; the ragged slice may arrive ragged, so make sure.
    dataset = dataset.map(lambda x, y: (_dense(x), y), num_parallel_calls=tf.data.AUTOTUNE)
    if shuffle:
        dataset = dataset.shuffle(len(sketches), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        dataset = dataset.repeat()
    if augment is not None:  # elements become (strokes, label, original length)
        dataset = augment_dataset(dataset, augment, seed)
    return dataset


def _resolve_boundaries(bucket_boundaries: Sequence[int] | str | None, sketches: SketchSet) -> Sequence[int] | None:
    """The boundaries to bucket by: "auto" becomes the drawings' length quantiles; lengths and None pass through."""
    if isinstance(bucket_boundaries, str):
        if bucket_boundaries != "auto":
            raise SeqgenError(f"bucket_boundaries must be 'auto', a list of lengths or None, "
                              f"got {bucket_boundaries!r}")
        return auto_bucket_boundaries(sketches.lengths())
    return bucket_boundaries


def _padded_batches(dataset: tf.data.Dataset, batch_size: int, bucket_boundaries: Sequence[int] | None,
                    drop_remainder: bool, augmenting: bool) -> tf.data.Dataset:
    """Zero-padded batches ``(strokes (batch, time, 3), labels (batch,))``: per length bucket when there are
    boundaries (each batch padded only to about its own length), else in order. An augmented element's
    original length (its third part) picks its bucket, then is dropped."""
    shapes = ([None, 3], [], []) if augmenting else ([None, 3], [])
    if bucket_boundaries:
        dataset = dataset.bucket_by_sequence_length(
            element_length_func=lambda x, y, *n: n[0] if n else tf.shape(x)[0],
            bucket_boundaries=list(bucket_boundaries),
            bucket_batch_sizes=[batch_size] * (len(bucket_boundaries) + 1),
            padded_shapes=shapes,
            drop_remainder=drop_remainder,
        )
    else:
        dataset = dataset.padded_batch(batch_size, padded_shapes=shapes, drop_remainder=drop_remainder)
    if augmenting:
        dataset = dataset.map(lambda x, y, n: (x, y))
    return dataset


def _batch_count(lengths: np.ndarray, boundaries: Sequence[int], batch_size: int, drop_remainder: bool) -> int:
    """Batches per epoch: fixed, since a drawing's bucket depends on its length only."""
    buckets = np.searchsorted(np.asarray(boundaries), lengths, side="right")  # bucket i: [b_(i-1), b_i)
    sizes = np.bincount(buckets, minlength=len(boundaries) + 1)
    per_bucket = sizes // batch_size if drop_remainder else -(-sizes // batch_size)
    return int(per_bucket.sum())


def _dense(x: tf.Tensor | tf.RaggedTensor) -> tf.Tensor:
    return x.to_tensor() if isinstance(x, tf.RaggedTensor) else x
