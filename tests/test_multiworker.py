"""Several workers: two processes on 127.0.0.1 with ``TF_CONFIG`` train one tiny model together with
``MultiWorkerMirroredStrategy`` (chosen by ``choose_strategy``) through the project's ``fit``, and
must end with the same weights.

Each worker writes its own run folder, as on separate machines (the first worker's is the run). Both
are forked from one zygote that imported TensorFlow once (tests/zygote.py).
"""

from __future__ import annotations

import json
import os
import socket
import signal
import time
from pathlib import Path

import numpy as np

from tests.zygote import Zygote, running

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


def test_two_workers_train_together_and_agree(tmp_path):
    ports = _free_ports(2)
    zygote = Zygote(tmp_path / "zygote.log")  # both workers forked from one TensorFlow import
    try:
        pids = []
        for i in range(2):
            (tmp_path / f"run{i}").mkdir()
            pids.append(zygote.start("tests.test_multiworker", "worker", i, ports, str(tmp_path / f"run{i}"),
                                     str(tmp_path / f"w{i}.npz"), env={"TF_CONFIG": tf_config(i, ports)}))
        deadline = time.monotonic() + 300
        while any(running(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        for pid in pids:
            if running(pid):  # a collective waiting for a worker that died?
                os.kill(pid, signal.SIGKILL)
        codes = [zygote.wait(pid) for pid in pids]
    finally:
        zygote.close()
    assert codes == [0, 0], (tmp_path / "zygote.log").read_text()[-3000:]
    with np.load(tmp_path / "w0.npz") as a, np.load(tmp_path / "w1.npz") as b:
        assert len(a.files) == len(b.files) > 0
        for key in a.files:
            np.testing.assert_array_equal(a[key], b[key])
    for i in range(2):  # each worker's run folder is complete
        rows = (tmp_path / f"run{i}" / "log.csv").read_text().splitlines()
        assert len(rows) == 2 and (tmp_path / f"run{i}" / "model.keras").exists()
