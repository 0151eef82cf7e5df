"""Tests that need real, separate training processes, all forked from one zygote per module that
imported TensorFlow once (tests/zygote.py):

- kill safety (tests/kill_run.py): a training SIGKILLed at replace events and at a random moment,
  resumed each time, ends as a correct run;
- several workers: two processes on 127.0.0.1 with ``TF_CONFIG`` train one tiny model together with
  ``MultiWorkerMirroredStrategy`` (chosen by ``choose_strategy``) through the project's ``fit``, and
  must end with the same weights. Each worker writes its own run folder, as on separate machines
  (the first worker's is the run).
"""

from __future__ import annotations

import json
import os
import random
import socket
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from tests.kill_run import Observer, check_final_run, kill_and_resume
from tests.zygote import Zygote, running

EPOCHS = 5


@pytest.fixture(scope="module")
def zygote(tmp_path_factory):
    forks = Zygote(tmp_path_factory.mktemp("zygote") / "zygote.log")
    yield forks
    forks.close()

def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def worker(index: int, ports: list[int], run: str, out: str) -> None:
    """One worker, with its TF_CONFIG set (the strategy reads it when it is made), then fit."""
    import keras
    import tensorflow as tf

    from seqgen.models.train import TrainConfig, choose_strategy, fit

    strategy = choose_strategy()
    assert isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy), type(strategy)
    assert strategy.num_replicas_in_sync == len(ports)
    x = np.random.default_rng(0).integers(0, 5, (64, 6))
    ds = tf.data.Dataset.from_tensor_slices((x, np.roll(x, -1, axis=1))).batch(16)  # global batch 16

    def build():
        return keras.Sequential([keras.Input((6,), dtype="int32"), keras.layers.Embedding(5, 8),
                                 keras.layers.Dense(5)])

    history = fit(build, ds, ds, Path(run), TrainConfig(epochs=1, learning_rate=0.05), strategy=strategy, verbose=0)
    np.savez(out, *history.model.get_weights())


def tf_config(index: int, ports: list[int]) -> str:
    return json.dumps({"cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]},
                       "task": {"type": "worker", "index": index}})


def test_two_workers_train_together_and_agree(tmp_path, zygote):
    ports = _free_ports(2)
    pids = []
    for i in range(2):
        (tmp_path / f"run{i}").mkdir()
        pids.append(zygote.start("tests.test_processes", "worker", i, ports, str(tmp_path / f"run{i}"),
                                 str(tmp_path / f"w{i}.npz"), env={"TF_CONFIG": tf_config(i, ports)}))
    deadline = time.monotonic() + 300
    while any(running(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in pids:
        if running(pid):  # a collective waiting for a worker that died?
            os.kill(pid, signal.SIGKILL)
    codes = [zygote.wait(pid) for pid in pids]
    assert codes == [0, 0], zygote.log.read_text()[-3000:]
    with np.load(tmp_path / "w0.npz") as a, np.load(tmp_path / "w1.npz") as b:
        assert len(a.files) == len(b.files) > 0
        for key in a.files:
            np.testing.assert_array_equal(a[key], b[key])
    for i in range(2):  # each worker's run folder is complete
        rows = (tmp_path / f"run{i}" / "log.csv").read_text().splitlines()
        assert len(rows) == 2 and (tmp_path / f"run{i}" / "model.keras").exists()


def test_killed_training_resumes_to_a_correct_run(tmp_path, zygote):
    rng = random.Random(7)
    run = tmp_path / "run"
    run.mkdir()
    observer = Observer(run)
    # About 12 replace events per epoch: these land in checkpoint, state, log and backup writes.
    events = [rng.randint(3, 14), rng.randint(10, 24)]
    kills = kill_and_resume(zygote, run, EPOCHS, events, [rng.uniform(0.0, 0.2)], observer)
    assert kills >= 2
    check_final_run(run, EPOCHS, observer)
