"""The trainer: Keras ``fit`` inside a distribution strategy, with checkpoints, resume and logs.

It does not know which model it trains: it takes a function that builds a model, called inside
the strategy's scope so the variables are placed (mirrored) where the strategy wants them.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Sequence

import keras
import tensorflow as tf

from seqgen.data_prep.errors import SeqgenError
from seqgen.models import multiworker
from seqgen.models import resume as run_state
from seqgen.models import run_dir as rd


_OPTIMIZERS = {"adam": keras.optimizers.Adam, "nadam": keras.optimizers.Nadam}


@dataclass(frozen=True)
class TrainConfig:
    """How to train, whatever the model."""

    epochs: int = 20  # upper bound; early stopping usually ends sooner
    learning_rate: float = 1e-3  # Adam
    clipnorm: float = 1.0  # gradient norm clipping: keeps RNN training stable
    patience: int = 5  # epochs without validation improvement before stopping
    seed: int = 0  # weight initialisation and dropout
    mixed_precision: bool = False  # float16 on GPU, bfloat16 on CPU; logits stay float32
    steps_per_execution: int = 1  # >1 runs several batches per call: less Python overhead on GPUs
    optimizer: str = "adam"  # "adam" or "nadam" (the textbook's)
    time_budget_s: float | None = None  # stop after the epoch that passes this many seconds

    def __post_init__(self) -> None:
        for name in ("epochs", "patience", "steps_per_execution"):
            if getattr(self, name) < 1:
                raise SeqgenError(f"TrainConfig.{name} must be >= 1, got {getattr(self, name)!r}")
        if self.optimizer not in _OPTIMIZERS:
            raise SeqgenError(f"TrainConfig.optimizer must be one of {', '.join(_OPTIMIZERS)}, got {self.optimizer!r}")
        if self.time_budget_s is not None and not self.time_budget_s > 0:
            raise SeqgenError(f"TrainConfig.time_budget_s must be > 0, got {self.time_budget_s!r}")
        if not self.learning_rate > 0:
            raise SeqgenError(f"TrainConfig.learning_rate must be > 0, got {self.learning_rate!r}")


def choose_strategy(devices: Sequence[str] | None = None) -> tf.distribute.Strategy:
    """The strategy for this machine.

    ``TF_CONFIG`` naming several workers -> ``MultiWorkerMirroredStrategy``; several GPUs (or an
    explicit ``devices`` list, e.g. two logical CPUs in tests) -> ``MirroredStrategy``; otherwise the
    default strategy on the one device.
    """
    cluster = _tf_config_cluster()
    if len(cluster.get("worker", [])) + len(cluster.get("chief", [])) > 1:
        return tf.distribute.MultiWorkerMirroredStrategy()
    if devices:
        return tf.distribute.MirroredStrategy(devices=list(devices))
    if len(tf.config.list_logical_devices("GPU")) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


def _tf_config_cluster() -> dict:
    """The ``cluster`` of the ``TF_CONFIG`` environment variable, checked (a typo there is one line)."""
    raw = os.environ.get("TF_CONFIG", "{}")
    try:
        config = json.loads(raw)
    except ValueError as e:
        raise SeqgenError(f"the TF_CONFIG environment variable is not valid JSON ({e}); fix it or unset it") from None
    cluster = config.get("cluster", {}) if isinstance(config, dict) else None
    if not isinstance(cluster, dict) or not all(isinstance(v, list) for v in cluster.values()):
        raise SeqgenError('TF_CONFIG must look like {"cluster": {"worker": ["host:port", ...]}, '
                          '"task": {"type": "worker", "index": 0}}; fix it or unset it')
    return cluster


class TimeBudget(keras.callbacks.Callback):
    """Stop training once ``seconds`` have passed: at the end of that epoch, or of that batch
    with ``per_batch`` (benchmarks with strict budgets shorter than an epoch)."""

    def __init__(self, seconds: float, per_batch: bool = False):
        super().__init__()
        self.seconds, self.per_batch = seconds, per_batch

    def on_train_begin(self, logs=None):
        self.start = time.monotonic()

    def _check(self):
        if time.monotonic() - self.start > self.seconds:
            self.model.stop_training = True

    def on_train_batch_end(self, batch, logs=None):
        if self.per_batch:
            self._check()

    def on_epoch_end(self, epoch, logs=None):
        self._check()


def _callbacks(run: Path, config: TrainConfig, keeper: run_state.RunKeeper) -> list:
    budget = [TimeBudget(config.time_budget_s)] if config.time_budget_s else []
    # The keeper first: a later callback that raises (Ctrl-C) finds the epoch already saved.
    return [keeper] + budget + [keras.callbacks.TensorBoard(str(run / rd.TENSORBOARD_DIR), write_graph=False)]


def _precision_policy(enabled: bool) -> str:
    if not enabled:
        return "float32"
    return "mixed_float16" if tf.config.list_logical_devices("GPU") else "mixed_bfloat16"


def fit(
    build: Callable[[], keras.Model],
    train_ds: tf.data.Dataset,
    val_ds: tf.data.Dataset | None,
    run: Path,
    config: TrainConfig,
    *,
    resume: bool = False,
    strategy: tf.distribute.Strategy | None = None,
    extra_callbacks: Sequence[keras.callbacks.Callback] = (),
    verbose: int | str = "auto",
    loss: keras.losses.Loss | str | None = None,
    metrics: Sequence | None = None,
) -> keras.callbacks.History:
    """Train ``build()`` on ``train_ds``; the best model by validation loss ends in ``run/model.keras``.

    ``run`` must be prepared with :func:`models.run_dir.prepare_run_dir` and hold ``run.json``.
    Interrupted runs continue where they stopped when called again with ``resume=True``.
    ``loss`` and ``metrics`` default to sparse cross-entropy on logits and accuracy (token models).
    """
    strategy = strategy or choose_strategy()
    verbose = progress_verbosity(verbose)
    run = Path(run)
    state = run_state.begin(run, resume, config.epochs)
    keras.utils.set_random_seed(config.seed + state["epoch"])  # a resumed run does not replay epoch 0's shuffles
    with _dtype_policy(_precision_policy(config.mixed_precision)):
        model = _compiled_model(build, strategy, config, loss, metrics, run, state)
        _build_state_before_tracing(model, strategy, train_ds)
        if multiworker.is_multiworker(strategy):
            multiworker.prepare_for_multiworker(model, strategy, train_ds)
        keeper = run_state.RunKeeper(run, state, "val_loss" if val_ds is not None else "loss", config.patience)
        run_state.write_log(run, keeper.rows)  # cut back to the backed-up epochs before any is retrained
        callbacks = _callbacks(run, config, keeper) + list(extra_callbacks)
        # shuffle=False: the tf.data pipeline already shuffles (Keras would only warn).
        history = model.fit(train_ds, validation_data=val_ds, epochs=config.epochs, initial_epoch=state["epoch"],
                            callbacks=callbacks, verbose=verbose, shuffle=False)
    _check_finite(keeper)
    keeper.restore_best()
    run_state.finish(run, model, keeper.state)
    return history


def progress_verbosity(verbose: int | str, stream=None) -> int | str:
    """Keras's ``verbose`` for ``fit``: "auto" is a progress bar on a terminal, else one plain line per
    epoch (2), so redirected logs hold no escape codes or carriage-return redraws."""
    if verbose != "auto":
        return verbose
    stream = sys.stdout if stream is None else stream
    return 1 if getattr(stream, "isatty", lambda: False)() else 2


@contextlib.contextmanager
def _dtype_policy(name: str):
    """Keras's global dtype policy set to ``name`` for one training, and put back after (even on errors)."""
    previous_policy = keras.mixed_precision.dtype_policy().name
    keras.mixed_precision.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.mixed_precision.set_dtype_policy(previous_policy)


def _compiled_model(build: Callable[[], keras.Model], strategy: tf.distribute.Strategy, config: TrainConfig,
                    loss, metrics, run: Path, state: dict) -> keras.Model:
    """``build()`` compiled inside the strategy's scope (variables placed where it wants them), with the
    run's backed-up weights and optimizer state loaded when it resumes."""
    with strategy.scope():
        model = build()
        model.compile(
            optimizer=_OPTIMIZERS[config.optimizer](config.learning_rate, clipnorm=config.clipnorm),
            loss=loss if loss is not None else keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=list(metrics) if metrics is not None else ["accuracy"],
            steps_per_execution=config.steps_per_execution,
        )
        run_state.restore(model, run, state)
    return model


def _build_state_before_tracing(model: keras.Model, strategy: tf.distribute.Strategy,
                                train_ds: tf.data.Dataset) -> None:
    with strategy.scope():
        build_training_state(model, train_ds.element_spec)


def build_training_state(model: keras.Model, data_spec) -> None:
    """Create a compiled model's optimizer slots and metric totals for batches like ``data_spec``
    (``(inputs, targets)`` as TensorSpecs or arrays; only shapes and dtypes are read).

    Without a strategy set on the model, Keras 3 creates them inside the first trace of the train
    step, and tf.function traces a step that created variables a second time: building them first
    saves that trace, 35-45% of a small model's start-up (tiny GRU 2.3 against 3.5 CPU-s, tiny
    WaveNet 4.0 against 7.3). Keras does the same itself when a strategy is set.
    """
    symbolic_build = getattr(model, "_symbolic_build", None)  # private in Keras 3; skipped if it goes
    if symbolic_build is not None:
        symbolic_build(data_batch=data_spec)


def _check_finite(keeper: run_state.RunKeeper) -> None:
    """Refuse a training whose loss went NaN or infinite (that epoch was not kept)."""
    if keeper.nonfinite:
        raise SeqgenError(f"training stopped: the loss became non-finite (NaN or infinity) at {keeper.nonfinite}, "
                          "and that epoch was not kept; check the data, or train again with a lower --learning-rate "
                          "(--force)")


def train_config_dict(config: TrainConfig) -> dict:
    return asdict(config)
