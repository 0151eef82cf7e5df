"""The trainer and the chorale task end to end on tiny data: run directory, resume, strategy."""

import json
import shutil

import numpy as np
import pytest
import tensorflow as tf

from seqgen.data_prep.errors import SeqgenError
from seqgen.models import driver
from seqgen.models import run_dir as rd
from seqgen.models.chorale_task import ChoraleDataConfig, repeat_baseline_accuracy
from seqgen.models.train import TrainConfig, choose_strategy
from tests.shared_runs import shared

DATA = ChoraleDataConfig(window_steps=8, stride_steps=2, batch_size=8, max_transpose=2)  # the shared run's, as the CLI makes it


def train_chorales(out, *, family, preset, source, data=None, train=TrainConfig(), resume=False, force=False,
                   strategy=None, verbose=0):
    """The chorale task through the shared driver, as ``seqgen train chorales`` calls it."""
    request = driver.TrainRequest(family, preset, {"source": source}, data, train)
    return driver.train("chorale", out, request, resume=resume, force=force, strategy=strategy, verbose=verbose).run


@pytest.fixture(scope="module")
def csv_data(tmp_path_factory):
    return str(shared(tmp_path_factory, "chorale") / "jsb")


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A finished 3-epoch GRU run on DATA (shared by the session); tests that change it work on a copy."""
    return shared(tmp_path_factory, "chorale") / "run"


def copy_of(run, tmp_path):
    shutil.copytree(run, tmp_path / "run")
    return tmp_path / "run"


def test_train_writes_a_complete_run_and_evaluates(finished_run):
    out = finished_run
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


def test_existing_run_needs_resume_or_force(tmp_path, csv_data, finished_run):
    out = copy_of(finished_run, tmp_path)
    before = (out / "model.keras").read_bytes()
    with pytest.raises(SeqgenError, match="already holds a seqgen run; pass --resume or --force"):
        train_chorales(out, family="gru", preset="tiny", source=csv_data, data=DATA, verbose=0)
    with pytest.raises(SeqgenError, match="finished training after 3 epochs; pass --epochs above 3"):
        train_chorales(out, family="gru", preset="tiny", source=csv_data, data=DATA, resume=True,
                       train=TrainConfig(epochs=3), verbose=0)
    assert (out / "model.keras").read_bytes() == before
    with pytest.raises(SeqgenError, match="unknown preset"):
        train_chorales(tmp_path / "new", family="lstm", preset="huge", source=csv_data, verbose=0)
    assert not (tmp_path / "new").exists()  # nothing created for a bad option
    # --force replaces the run; the time budget stops it after the epoch that passes the budget.
    train_chorales(out, family="lstm", preset="tiny", source=csv_data, data=DATA,
                   train=TrainConfig(epochs=5, time_budget_s=1e-3), force=True, verbose=0)
    assert json.loads((out / "run.json").read_text())["model"]["family"] == "lstm"
    assert len((out / "log.csv").read_text().splitlines()) == 2  # header + one epoch
    with pytest.raises(SeqgenError, match="time_budget_s must be > 0"):
        TrainConfig(time_budget_s=0)
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


def test_mirrored_strategy_on_two_logical_cpus(tmp_path):
    cpus = tf.config.list_logical_devices("CPU")
    if len(cpus) < 2:
        pytest.skip("TensorFlow was initialised before the test set-up could split the CPU")
    strategy = choose_strategy(devices=[d.name for d in cpus[:2]])
    assert isinstance(strategy, tf.distribute.MirroredStrategy) and strategy.num_replicas_in_sync == 2
    run = tmp_path / "run"
    run.mkdir()
    history = _tiny_fit(run, 2, strategy=strategy)  # the trainer's whole path, variables mirrored
    assert len(history.history["loss"]) == 2 and (run / "model.keras").exists() and (run / "best.keras").exists()


def test_default_strategy_without_gpus_or_workers(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert not isinstance(choose_strategy(), tf.distribute.MirroredStrategy)


def test_repeat_baseline():
    from seqgen.data_prep.grid import Grid

    grid = Grid.from_pitches(np.array([[60, 55, 52, 48], [60, 55, 52, 48], [62, 55, 50, 47]]))
    assert repeat_baseline_accuracy([grid]) == pytest.approx(5 / 12)  # step 0 has no previous chord


# --- resume you can trust: the trainer on a tiny model, no task around it ---------------------------------------

def _tiny_fit(run, epochs, *, resume=False, extra=(), scale=1.0, strategy=None):
    import keras

    from seqgen.models.train import fit

    x = np.random.default_rng(0).integers(0, 5, (32, 6))
    ds = tf.data.Dataset.from_tensor_slices((x, np.roll(x, -1, axis=1))).batch(8)

    def build():
        return keras.Sequential([keras.Input((6,), dtype="int32"), keras.layers.Embedding(5, 8),
                                 keras.layers.Dense(5), keras.layers.Rescaling(scale)])

    return fit(build, ds, ds, run, TrainConfig(epochs=epochs, learning_rate=0.05, patience=epochs),
               resume=resume, extra_callbacks=extra, strategy=strategy, verbose=0)


class _InterruptAt:
    def __new__(cls, at):
        import keras

        class Interrupt(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                if epoch == at:
                    raise KeyboardInterrupt

        return Interrupt()


def _epochs(run):
    return [int(row.split(",")[0]) for row in (run / "log.csv").read_text().splitlines()[1:]]


def test_resume_restores_the_best_score_and_cleans_temporaries(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    with pytest.raises(KeyboardInterrupt):
        _tiny_fit(run, 4, extra=[_InterruptAt(1)])
    best = (run / "best.keras").read_bytes()
    state = json.loads((run / "state.json").read_text())
    assert state["epoch"] == 2 and state["best"] is not None
    # Pretend the recorded best was unbeatable: a resumed run must not replace best.keras with worse weights.
    (run / "state.json").write_text(json.dumps({**state, "best": -1.0}))
    for leftover in (".best.x1y2.tmp.keras", ".log.abc.tmp.csv", "backup/.epoch-3.weights.q.tmp.weights.h5"):
        (run / leftover).write_bytes(b"half")
    (run / ".mine.tmp.keras").write_text("a user's file")  # not a name a run writes: kept
    _tiny_fit(run, 4, resume=True)
    assert _epochs(run) == [0, 1, 2, 3]
    assert (run / "best.keras").read_bytes() == best == (run / "model.keras").read_bytes()
    assert sorted(p.name for p in run.iterdir() if p.name.startswith(".")) == [".mine.tmp.keras"]
    assert json.loads((run / "state.json").read_text())["finished"] is True and not (run / "backup").exists()


def test_a_finished_run_continues_to_more_epochs(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    _tiny_fit(run, 2)
    with pytest.raises(SeqgenError, match="finished training after 2 epochs; pass --epochs above 2"):
        _tiny_fit(run, 2, resume=True)
    history = _tiny_fit(run, 3, resume=True)
    assert _epochs(run) == [0, 1, 2] and len(history.history["loss"]) == 1


def test_best_checkpoint_interrupted_before_its_score_was_recorded(tmp_path):
    from seqgen.models import resume

    run = tmp_path / "run"
    run.mkdir()
    (run / "best.keras").write_bytes(b"new weights")
    pending = {"value": 0.5, "epoch": 3, "sha256": resume._sha256(run / "best.keras")}
    (run / "state.json").write_text(json.dumps({"epoch": 3, "best": 0.9, "best_epoch": 1, "pending": pending}))
    assert resume.read_state(run)["best"] == 0.5  # best.keras was replaced: its score counts
    (run / "best.keras").write_bytes(b"old weights")  # the kill came before the replacement
    assert resume.read_state(run)["best"] == 0.9
    (run / "state.json").write_text(json.dumps({"epoch": 3, "weights": "../../elsewhere.weights.h5"}))
    with pytest.raises(SeqgenError, match="state.json is damaged .*'weights'.* --force"):
        resume.read_state(run)


def test_non_finite_loss_stops_with_one_line(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    with pytest.raises(SeqgenError, match="loss became non-finite .* at batch 1 of epoch 1, .* lower --learning-rate"):
        _tiny_fit(run, 3, scale=float("inf"))
    assert not (run / "model.keras").exists() and not (run / "best.keras").exists()


def test_force_replaces_only_runs_and_only_their_files(tmp_path):
    stray = tmp_path / "stray"
    stray.mkdir()
    for name, text in (("run.json", '{"task": "my-own-thing"}'), ("samples.txt", "mine"), ("log.csv", "mine")):
        (stray / name).write_text(text)
    with pytest.raises(SeqgenError, match="not a seqgen run; --force only replaces runs"):
        rd.prepare_run_dir(stray, force=True)
    with pytest.raises(SeqgenError, match="nothing to resume"):
        rd.prepare_run_dir(stray, resume=True)
    assert (stray / "samples.txt").read_text() == "mine" and (stray / "log.csv").read_text() == "mine"
    ours = tmp_path / "ours"
    (ours / "backup").mkdir(parents=True)
    (ours / "run.json").write_text('{"task": "text"}')
    (ours / "notes.txt").write_text("keep")
    (ours / ".model.abc.tmp.keras").write_text("leftover")
    rd.prepare_run_dir(ours, force=True)
    assert [p.name for p in ours.iterdir()] == ["notes.txt"]


def test_damaged_model_file_says_damaged(tmp_path, finished_run):
    run = copy_of(finished_run, tmp_path)
    data = (run / "model.keras").read_bytes()
    (run / "model.keras").write_bytes(data[: len(data) // 2])
    with pytest.raises(SeqgenError, match="model.keras is damaged"):
        rd.load_model_file(run)
    (run / "run.json").write_text('{"task": "text", "codec": [1]}')
    with pytest.raises(SeqgenError, match="the field 'codec' should be an object or null"):
        driver.read_info(run)
