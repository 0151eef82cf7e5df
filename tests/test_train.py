"""The trainer and the chorale task end to end on tiny data: run directory, resume, strategy."""

import json

import numpy as np
import pytest
import tensorflow as tf

from seqgen.data_prep.errors import SeqgenError
from seqgen.models import driver
from seqgen.models.chorale_task import ChoraleDataConfig, repeat_baseline_accuracy
from seqgen.models.train import TrainConfig, choose_strategy
from tests.chorale_factory import write_csv_chorales

DATA = ChoraleDataConfig(window_steps=8, stride_steps=4, batch_size=8, max_transpose=2)


def train_chorales(out, *, family, preset, source, data=None, train=TrainConfig(), resume=False, force=False,
                   strategy=None, verbose=0):
    """The chorale task through the shared driver, as ``seqgen train chorales`` calls it."""
    request = driver.TrainRequest(family, preset, {"source": source}, data, train)
    return driver.train("chorale", out, request, resume=resume, force=force, strategy=strategy, verbose=verbose).run


@pytest.fixture(scope="module")
def csv_data(tmp_path_factory):
    return str(write_csv_chorales(tmp_path_factory.mktemp("jsb")))


def test_train_writes_a_complete_run_and_evaluates(tmp_path, csv_data):
    out = tmp_path / "run"
    train_chorales(out, family="gru", preset="tiny", source=csv_data, data=DATA,
                   train=TrainConfig(epochs=3, learning_rate=0.01), verbose=0)
    for name in ("run.json", "model.keras", "best.keras", "log.csv", "tensorboard"):
        assert (out / name).exists(), name
    assert not (out / "backup").exists()  # removed once training ends
    info = json.loads((out / "run.json").read_text())
    assert info["task"] == "chorale" and info["model"]["family"] == "gru" and info["codec"]["type"] == "chorale"
    log = (out / "log.csv").read_text().splitlines()
    assert len(log) == 4 and "val_loss" in log[0]
    losses = [float(row.split(",")[2]) for row in log[1:]]  # epoch,accuracy,loss,...
    assert losses[-1] < losses[0]
    report = driver.evaluate(out, "test").text()
    assert "nats per note" in report and "baseline accuracy" in report
    assert "with struck/held flags" not in report  # CSV data has no flags
    loaded = driver.load_run(out, "chorale")
    assert loaded.model.config.vocab_size == loaded.codec.vocab_size


def test_existing_run_needs_resume_or_force(tmp_path, csv_data):
    out = tmp_path / "run"
    train_chorales(out, family="lstm", preset="tiny", source=csv_data, data=DATA, train=TrainConfig(epochs=1), verbose=0)
    before = (out / "model.keras").read_bytes()
    with pytest.raises(SeqgenError, match="already holds a seqgen run; pass --resume or --force"):
        train_chorales(out, family="lstm", preset="tiny", source=csv_data, data=DATA, verbose=0)
    with pytest.raises(SeqgenError, match="finished training; nothing to resume"):
        train_chorales(out, family="lstm", preset="tiny", source=csv_data, data=DATA, resume=True, verbose=0)
    assert (out / "model.keras").read_bytes() == before
    with pytest.raises(SeqgenError, match="unknown preset"):
        train_chorales(tmp_path / "new", family="lstm", preset="huge", source=csv_data, verbose=0)
    assert not (tmp_path / "new").exists()  # nothing created for a bad option
    train_chorales(out, family="lstm", preset="tiny", source=csv_data, data=DATA, train=TrainConfig(epochs=1),
                   force=True, verbose=0)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(SeqgenError, match="not a seqgen run"):
        train_chorales(tmp_path / "mine", family="lstm", preset="tiny", source=csv_data, force=True, verbose=0)
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_interrupted_run_resumes_where_it_stopped(tmp_path, csv_data):
    import keras

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt

    out = tmp_path / "run"
    from seqgen.models import train as trainer

    original_fit = trainer.fit

    def fit_with_interrupt(*args, extra_callbacks=(), **kwargs):
        return original_fit(*args, extra_callbacks=[*extra_callbacks, Interrupt()], **kwargs)

    trainer.fit = fit_with_interrupt
    try:
        with pytest.raises(KeyboardInterrupt):
            train_chorales(out, family="lstm", preset="tiny", source=csv_data, data=DATA,
                           train=TrainConfig(epochs=4), verbose=0)
    finally:
        trainer.fit = original_fit
    assert (out / "backup").exists() and not (out / "model.keras").exists()
    train_chorales(out, family="lstm", preset="tiny", source=csv_data, data=DATA, train=TrainConfig(epochs=4),
                   resume=True, verbose=0)
    epochs = [int(row.split(",")[0]) for row in (out / "log.csv").read_text().splitlines()[1:]]
    assert epochs == [0, 1, 2, 3]  # epochs 2 and 3 appended after the restart, none repeated
    assert (out / "model.keras").exists() and not (out / "backup").exists()


def test_mirrored_strategy_on_two_logical_cpus(tmp_path, csv_data):
    cpus = tf.config.list_logical_devices("CPU")
    if len(cpus) < 2:
        pytest.skip("TensorFlow was initialised before the test set-up could split the CPU")
    strategy = choose_strategy(devices=[d.name for d in cpus[:2]])
    assert isinstance(strategy, tf.distribute.MirroredStrategy) and strategy.num_replicas_in_sync == 2
    out = tmp_path / "run"
    train_chorales(out, family="wavenet", preset="tiny", source=csv_data, data=DATA,
                   train=TrainConfig(epochs=2, learning_rate=0.01), strategy=strategy, verbose=0)
    assert (out / "model.keras").exists()


def test_default_strategy_without_gpus_or_workers(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert not isinstance(choose_strategy(), tf.distribute.MirroredStrategy)


def test_repeat_baseline():
    from seqgen.data_prep.grid import Grid

    grid = Grid.from_pitches(np.array([[60, 55, 52, 48], [60, 55, 52, 48], [62, 55, 50, 47]]))
    assert repeat_baseline_accuracy([grid]) == pytest.approx(5 / 12)  # step 0 has no previous chord


def test_time_budget_stops_after_the_epoch_that_passes_it(tmp_path, csv_data):
    out = tmp_path / "run"
    train_chorales(out, family="lstm", preset="tiny", source=csv_data, data=DATA,
                   train=TrainConfig(epochs=5, time_budget_s=1e-3), verbose=0)
    assert len((out / "log.csv").read_text().splitlines()) == 2  # header + one epoch
    with pytest.raises(SeqgenError, match="time_budget_s must be > 0"):
        TrainConfig(time_budget_s=0)
