"""Keras 3's ``fit`` under ``MultiWorkerMirroredStrategy``: two small fixes so that it runs.

Keras 3.x (seen with 3.15 and TensorFlow 2.21; upstream keras-team/keras#20585, still open) fails
twice when several workers train together, although the TensorFlow machinery underneath works:

1. at the start of ``fit`` it builds the model from one batch, first averaging the distributed batch
   across workers with ``strategy.reduce(..., axis=None)``, which cannot convert the per-replica
   integer tokens ("Attempt to convert a value (PerReplica...)"). We build from a local batch first.
2. after each step it averages the logs (scalars: loss, metrics) across workers with ``axis=0``,
   which does not exist on a scalar ("Invalid reduction dimension 0"). We average them with
   ``axis=None`` (across replicas only), which is what ``axis=0`` means for one value per replica.

Both use Keras internals, so they are applied only under this strategy and checked by
``tests/test_processes.py`` (two workers on 127.0.0.1 must end with the same weights).
"""

from __future__ import annotations

import keras
import tensorflow as tf


def is_multiworker(strategy: tf.distribute.Strategy) -> bool:
    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)


def _patch_log_reduction() -> None:
    from keras.src.backend.tensorflow import trainer as tf_trainer
    from keras.src import tree

    original = tf_trainer.reduce_per_replica
    if getattr(original, "_seqgen_multiworker", False):
        return

    def reduce_per_replica(values, strategy, reduction):
        if reduction in ("auto", "mean") and tf_trainer._collective_all_reduce_multi_worker(strategy):
            def mean(v):
                if isinstance(v, tf.distribute.DistributedValues) or tf.is_tensor(v):
                    return strategy.reduce("MEAN", v, axis=None if v.shape.rank == 0 else 0)
                return v

            return tree.map_structure(mean, values)
        return original(values, strategy, reduction)

    reduce_per_replica._seqgen_multiworker = True
    tf_trainer.reduce_per_replica = reduce_per_replica


def prepare_for_multiworker(model: keras.Model, strategy: tf.distribute.Strategy, train_ds: tf.data.Dataset) -> None:
    """Apply both fixes to ``model`` (compiled in ``strategy``'s scope) before ``model.fit``."""
    _patch_log_reduction()
    batch = next(iter(train_ds))  # a local batch: the same shapes and types as every worker's
    with strategy.scope():
        model._symbolic_build(data_batch=batch)
    # Everything is built now; Keras's own pre-fit build (the failing reduce) has nothing left to do.
    model._maybe_symbolic_build = lambda iterator=None, data_batch=None: None
