"""Random changes to training drawings inside ``tf.data``: scaling, rotation, stroke dropout, point jitter.

With few drawings per class (QuickDraw categories of 25), a classifier learns the drawings
themselves; drawing each one a little differently every epoch makes it learn the category. Applied
to PREPARED stroke-3 ``(n, 3)`` drawings (offsets already divided by the training scale), only in
the training pipeline; evaluation, validation and classification see drawings as they are.

Randomness is stateless: every drawing's changes come from a seed drawn from
``tf.data.Dataset.random(seed)``, so a pipeline built with the same seed yields the same batches,
and each epoch draws new changes.
"""

from __future__ import annotations

import dataclasses
import math

from seqgen.data_prep.errors import SeqgenError


@dataclasses.dataclass(frozen=True)
class SketchAugment:
    """How much to vary training drawings; saved in ``run.json``. All zero: no augmentation."""

    scale: float = 0.15  # each axis scaled by a factor in [1 - scale, 1 + scale] (sketch-rnn's random_scale_factor)
    rotation: float = 10.0  # degrees: the drawing turns by an angle in [-rotation, rotation]
    stroke_dropout: float = 0.1  # chance of leaving out each stroke (a drawing keeps at least one)
    jitter: float = 0.05  # std of noise moved into each point, in prepared units (about 1 px of 0..255)

    def __post_init__(self) -> None:
        limits = {"scale": (0.0, 0.9), "rotation": (0.0, 180.0), "stroke_dropout": (0.0, 0.9), "jitter": (0.0, 1.0)}
        for name, (low, high) in limits.items():
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and low <= value <= high):
                raise SeqgenError(f"augmentation {name.replace('_', '-')} must be between {low} and {high}, "
                                  f"got {value!r}")

    @classmethod
    def off(cls) -> "SketchAugment":
        """No augmentation."""
        return cls(0.0, 0.0, 0.0, 0.0)

    @property
    def enabled(self) -> bool:
        return any(dataclasses.astuple(self))

    def to_dict(self) -> dict:
        """JSON-able; ``SketchAugment.from_dict`` rebuilds it."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> "SketchAugment":
        """From ``run.json``; a run without the entry (older runs) had none."""
        if data is None:
            return cls.off()
        if not isinstance(data, dict):
            raise SeqgenError(f"run.json: 'augment' must be an object, got {type(data).__name__}")
        return cls(**{f.name: data.get(f.name, 0.0) for f in dataclasses.fields(cls)})


def _drop_strokes(xy, pen, seed, rate: float):
    """Leave out whole strokes; later strokes keep their places. ``xy (n, 2)``, ``pen (n, 1)``."""
    import tensorflow as tf  # here, so the config (and --help) never imports TensorFlow

    stroke_of_row = tf.cast(tf.cumsum(pen[:, 0], exclusive=True), tf.int32)  # (n,) stroke index of each row
    strokes = stroke_of_row[-1] + 1
    keep = tf.random.stateless_uniform([strokes], seed) >= rate  # (strokes,)
    keep = tf.logical_or(keep, tf.logical_not(tf.reduce_any(keep)))  # none left: keep them all
    rows = tf.gather(keep, stroke_of_row)  # (n,)
    absolute = tf.cumsum(xy, axis=0)  # (n, 2) positions
    kept = tf.boolean_mask(absolute, rows)  # (m, 2)
    start = kept[:1] - xy[:1]  # the first row keeps its offset (0 when drawings start at the origin)
    return kept - tf.concat([start, kept[:-1]], axis=0), tf.boolean_mask(pen, rows)


def augment_drawing(strokes, seed, config: SketchAugment):
    """One prepared drawing ``(n, 3)`` changed at random (seed: int ``(2,)``); the pen column is kept."""
    import tensorflow as tf

    seeds = tf.random.experimental.stateless_split(seed, 4)  # (4, 2) independent streams
    xy, pen = strokes[:, :2], strokes[:, 2:]
    if config.stroke_dropout:
        xy, pen = _drop_strokes(xy, pen, seeds[0], config.stroke_dropout)
    factors = tf.random.stateless_uniform([2], seeds[1], 1.0 - config.scale, 1.0 + config.scale)
    angle = tf.random.stateless_uniform([], seeds[2], -config.rotation, config.rotation) * (math.pi / 180.0)
    cos, sin = tf.cos(angle), tf.sin(angle)
    rotation = tf.stack([tf.stack([cos, sin]), tf.stack([-sin, cos])])  # (2, 2): row vectors times it turn them
    xy = tf.matmul(xy * factors, rotation)  # linear, so offsets change as the absolute points would
    if config.jitter:
        noise = tf.random.stateless_normal(tf.shape(xy), seeds[3], stddev=config.jitter)  # (n, 2) per point
        noise = tf.concat([tf.zeros_like(noise[:1]), noise[1:]], axis=0)  # the first point stays put
        xy = xy + noise - tf.concat([tf.zeros_like(noise[:1]), noise[:-1]], axis=0)
    return tf.concat([xy, pen], axis=1)


def augment_dataset(dataset, config: SketchAugment, seed: int):
    """``(strokes, label)`` elements -> ``(augmented strokes, label, original length)``.

    The original length is kept for bucketing, so the batches per epoch stay what they were.
    """
    import tensorflow as tf

    randoms = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)  # (2,) int64 seeds

    def change(element, pair):
        strokes, label = element
        return augment_drawing(strokes, pair, config), label, tf.shape(strokes)[0]

    return tf.data.Dataset.zip((dataset, randoms)).map(change, num_parallel_calls=tf.data.AUTOTUNE)


_NAMES = {"scale": "scale", "rotation": "rotation", "dropout": "stroke_dropout", "stroke_dropout": "stroke_dropout",
          "jitter": "jitter"}


def parse_augment(text: str) -> SketchAugment:
    """``--augment`` text -> config: ``on`` (the defaults), ``off``, or
    ``scale=0.2,rotation=15,dropout=0.1,jitter=0.05`` (settings not named are 0)."""
    text = text.strip().lower()
    if text in ("on", "default"):
        return SketchAugment()
    if text in ("off", "none", ""):
        return SketchAugment.off()
    values = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        if name.strip() not in _NAMES:
            raise SeqgenError(f"--augment: unknown setting {name.strip()!r}; use on, off or "
                              "scale=0.15,rotation=10,dropout=0.1,jitter=0.05")
        try:
            values[_NAMES[name.strip()]] = float(value)
        except ValueError:
            raise SeqgenError(f"--augment: {part.strip()!r} needs a number, e.g. rotation=10") from None
    return dataclasses.replace(SketchAugment.off(), **values)
