"""Kill safety: a real training process is killed (SIGKILL) again and again, including in the middle of
checkpoint, log and backup writes, and resumed; the run must end as if nothing had happened. Used by
``tests/test_processes.py`` and ``benchmarks/kill_soak.py``.

Each training is a fresh process forked from one zygote (tests/zygote.py). The worker kills itself
just before or just after its N-th file replacement (``os.replace``: every
atomic write ends in one), so the kill points are deterministic; one more kill comes from outside
at a random moment. ``benchmarks/kill_soak.py`` does the same for many more rounds.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from tests.zygote import Zygote, running

def tiny_data():
    """Deterministic tiny next-token data: (inputs, targets) of shape (32, 6)."""
    x = np.random.default_rng(0).integers(0, 5, (32, 6))
    return x, np.roll(x, -1, axis=1)


def worker(run: str, epochs: int, kill_event: int) -> None:
    """Train (always with resume) and SIGKILL this process at the ``kill_event``-th replace event."""
    import keras
    import tensorflow as tf

    from seqgen.models.train import TrainConfig, fit

    state = Path(run) / "state.json"
    if state.exists() and json.loads(state.read_text()).get("finished"):
        return  # a kill that came after the last write: nothing left to do
    real_replace, count = os.replace, [0]

    def tick():
        count[0] += 1
        if count[0] == kill_event:
            os.kill(os.getpid(), signal.SIGKILL)

    def replace(src, dst):
        tick()
        real_replace(src, dst)
        tick()

    os.replace = replace
    x, y = tiny_data()
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)

    def build():
        return keras.Sequential([keras.Input((6,), dtype="int32"), keras.layers.Embedding(5, 8),
                                 keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(5)])

    fit(build, ds, ds, Path(run), TrainConfig(epochs=epochs, learning_rate=0.03, patience=epochs),
        resume=True, verbose=0)


def best_loss(path: Path) -> float:
    """Validation loss of a saved model on the tiny data (what the trainer's val_loss measures)."""
    import keras

    model = keras.models.load_model(path, compile=False, safe_mode=True)
    x, y = tiny_data()
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    return float(loss(y, model(x)))


class Observer:
    """Checks after every kill that the recorded best and best.keras only ever improve."""

    def __init__(self, run: Path):
        self.run, self.best, self.file_loss = run, float("inf"), float("inf")

    def check(self) -> None:
        state_path, best_path = self.run / "state.json", self.run / "best.keras"
        if state_path.exists():
            best = json.loads(state_path.read_text()).get("best")
            if best is not None:
                assert best <= self.best + 1e-6, "the recorded best got worse"
                self.best = best
        if best_path.exists():
            loss = best_loss(best_path)
            assert loss <= self.file_loss + 1e-5, "best.keras got worse"
            self.file_loss = loss


def epochs_done(run: Path) -> int:
    try:
        return json.loads((run / "state.json").read_text())["epoch"]
    except (OSError, ValueError, KeyError):
        return 0


def kill_later(pid: int, run: Path, delay: float) -> None:
    """SIGKILL worker ``pid`` ``delay`` seconds after it finishes its first epoch (its start-up takes
    a while and varies with the machine's load, so a fixed time would often kill it too early)."""
    start = epochs_done(run)
    while running(pid) and epochs_done(run) == start:
        time.sleep(0.005)
    time.sleep(delay)
    if running(pid):
        os.kill(pid, signal.SIGKILL)


def kill_and_resume(zygote: Zygote, run: Path, epochs: int, kill_events, timed_kills,
                    observer: Observer) -> int:
    """Run the worker once per kill plan, then to the end; returns how many kills happened."""
    kills = 0
    plans = [("event", k) for k in kill_events] + [("time", t) for t in timed_kills]
    for kind, value in plans + [("none", 0)]:
        pid = zygote.start("tests.kill_run", "worker", str(run), epochs, value if kind == "event" else 0)
        if kind == "time":
            kill_later(pid, run, value)
        code = zygote.wait(pid)
        if code == -signal.SIGKILL:
            kills += 1
        else:
            assert code == 0, zygote.log.read_text()[-2000:]
        observer.check()
        if code == 0 and kind != "none":
            break  # finished before the kill point: nothing left to interrupt
    return kills


def check_final_run(run: Path, epochs: int, observer: Observer) -> None:
    rows = (run / "log.csv").read_text().splitlines()
    assert [int(r.split(",")[0]) for r in rows[1:]] == list(range(epochs)), rows
    state = json.loads((run / "state.json").read_text())
    assert state["finished"] and state["epoch"] == epochs and not (run / "backup").exists()
    assert (run / "model.keras").read_bytes() == (run / "best.keras").read_bytes()
    val_losses = [float(dict(zip(rows[0].split(","), r.split(",")))["val_loss"]) for r in rows[1:]]
    # best.keras is at least as good as every epoch the log shows, and its recorded score is its own.
    assert best_loss(run / "best.keras") == pytest.approx(state["best"], abs=1e-4)
    assert state["best"] <= min(val_losses) + 1e-6
    assert state["best"] <= observer.best + 1e-6
    assert not [p.name for p in run.iterdir() if p.name.startswith(".")]
