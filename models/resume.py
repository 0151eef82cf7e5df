"""Training that survives a kill at any instant: backup, best score, log and patience kept with the run.

``RUN_DIR/state.json`` (replaced atomically) is the one record of where training stands::

    {"epoch": 3,                        epochs finished and backed up
     "weights": "epoch-3.weights.h5",   in backup/: weights and optimizer state after those epochs
     "monitor": "val_loss", "best": 2.83, "best_epoch": 1,
     "pending": {"value": .., "epoch": .., "sha256": ..},   a best.keras being replaced, else null
     "finished": false}

Every step writes a new file first and then replaces ``state.json``, so a kill leaves the old or the
new state, each complete. ``log.csv`` is rewritten whole (atomically) each epoch and cut back to the
backed-up epochs on resume: each epoch appears exactly once. ``best.keras`` changes only when the
score beats the recorded best, and the record of that best survives resumes, so it never gets worse.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
import shutil
from pathlib import Path

import keras

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.files import atomic_path
from seqgen.models import run_dir as rd

STATE_FILE = "state.json"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_json(path: Path, value: dict) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(value, indent=1, sort_keys=True))


def fresh_state() -> dict:
    return {"epoch": 0, "weights": None, "best": None, "best_epoch": -1, "pending": None, "finished": False}


def read_state(run: Path) -> dict:
    """The run's training state; a fresh one when training never finished an epoch."""
    fresh = fresh_state()
    try:
        state = json.loads((run / STATE_FILE).read_text())
    except FileNotFoundError:
        return fresh
    except (OSError, ValueError, RecursionError) as e:
        raise SeqgenError(f"{run / STATE_FILE} is damaged ({e}); start the run over with --force") from None
    if not isinstance(state, dict) or not isinstance(state.get("epoch"), int) or state["epoch"] < 0:
        raise SeqgenError(f"{run / STATE_FILE} is damaged (no epoch count); start the run over with --force")
    state = {**fresh, **state}
    _check_state(run, state)
    pending = state["pending"]
    # A kill between replacing best.keras and recording its score: the file's hash says which won.
    best = run / rd.BEST_FILE
    if pending is not None and best.exists() and _sha256(best) == pending.get("sha256"):
        state.update(best=pending["value"], best_epoch=pending["epoch"])
    state["pending"] = None
    return state


_NUMBER, _NONE = (int, float), type(None)
_STATE_TYPES = {"best": (*_NUMBER, _NONE), "best_epoch": (int,), "weights": (str, _NONE),
                "finished": (bool,), "pending": (dict, _NONE)}


def _check_state(run: Path, state: dict) -> None:
    """Every field of the right type, and the backup named as this module names it (no other path)."""
    bad = [k for k, kinds in _STATE_TYPES.items()
           if not isinstance(state[k], kinds) or isinstance(state[k], bool) != (bool in kinds)]
    if isinstance(state["weights"], str) and not re.fullmatch(r"epoch-\d+\.weights\.h5", state["weights"]):
        bad.append("weights")
    pending = state["pending"]
    if isinstance(pending, dict) and not (isinstance(pending.get("value"), _NUMBER)
                                          and isinstance(pending.get("epoch"), int)):
        bad.append("pending")
    if bad:
        raise SeqgenError(f"{run / STATE_FILE} is damaged (field {bad[0]!r}); start the run over with --force")


def read_log(run: Path) -> list[dict]:
    """Rows of ``log.csv`` (whole rows only: it is always replaced in one step)."""
    try:
        return list(csv.DictReader(io.StringIO((run / rd.LOG_FILE).read_text())))
    except FileNotFoundError:
        return []
    except (OSError, ValueError, csv.Error) as e:
        raise SeqgenError(f"{run / rd.LOG_FILE} is unreadable ({e}); start the run over with --force") from None


def write_log(run: Path, rows: list[dict]) -> None:
    keys = ["epoch"] + sorted({k for row in rows for k in row} - {"epoch"})
    out = io.StringIO()
    writer = csv.DictWriter(out, keys, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    with atomic_path(run / rd.LOG_FILE) as tmp:
        tmp.write_text(out.getvalue())


def remove_temporaries(run: Path) -> int:
    """Delete hidden temporary files a killed run left behind (``atomic_path`` names); returns how many."""
    stems = {Path(name).stem for name in rd.RUN_FILES}
    removed = 0
    for folder in (run, run / rd.BACKUP_DIR):
        if not folder.is_dir():
            continue
        for entry in folder.iterdir():
            parts = entry.name.split(".")
            ours = (parts[1].startswith("epoch-") if folder != run and len(parts) >= 2
                    else len(parts) >= 4 and parts[0] == "" and parts[1] in stems)  # a user's file stays
            if entry.is_file() and ours and entry.name.startswith(".") and ".tmp" in entry.name:
                entry.unlink()
                removed += 1
    return removed


class RunKeeper(keras.callbacks.Callback):
    """At each epoch's end: best checkpoint, then the log row, then the backup, then patience.

    Also watches the loss: a non-finite loss stops training at once and nothing of that epoch is
    kept (``nonfinite`` tells :func:`models.train.fit` to say so).
    """

    def __init__(self, run: Path, state: dict, monitor: str, patience: int):
        super().__init__()
        self.run, self.state, self.monitor, self.patience = run, state, monitor, patience
        self.rows = [r for r in read_log(run) if _int(r.get("epoch")) is not None and int(r["epoch"]) < state["epoch"]]
        self.nonfinite: str | None = None
        self.best_weights = None  # in memory when the best comes from this session

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.nonfinite = f"batch {batch + 1} of epoch {self.state['epoch'] + 1}"
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        logs = {k: float(v) for k, v in (logs or {}).items() if _is_number(v)}
        if self.nonfinite is None and not all(math.isfinite(v) for v in logs.values()):
            self.nonfinite = f"the end of epoch {epoch + 1}"
        if self.nonfinite is not None:
            self.model.stop_training = True
            return
        value = logs.get(self.monitor)
        if value is not None and (self.state["best"] is None or value < self.state["best"]):
            self._save_best(value, epoch)
        self.rows.append({"epoch": epoch, **logs})
        write_log(self.run, self.rows)
        self._backup(epoch + 1)
        if value is not None and epoch - self.state["best_epoch"] >= self.patience:
            self.model.stop_training = True

    def _save_best(self, value: float, epoch: int) -> None:
        with atomic_path(self.run / rd.BEST_FILE) as tmp:
            self.model.save(tmp)
            self.state["pending"] = {"value": value, "epoch": epoch, "sha256": _sha256(tmp)}
            _write_json(self.run / STATE_FILE, self.state)
        self.state.update(best=value, best_epoch=epoch, pending=None)
        _write_json(self.run / STATE_FILE, self.state)
        self.best_weights = self.model.get_weights()

    def _backup(self, epochs_done: int) -> None:
        folder = self.run / rd.BACKUP_DIR
        folder.mkdir(exist_ok=True)
        name = f"epoch-{epochs_done}.weights.h5"
        with atomic_path(folder / name, suffix=".weights.h5") as tmp:
            self.model.save_weights(tmp)  # weights and optimizer state (Keras 3)
        self.state.update(epoch=epochs_done, weights=name, monitor=self.monitor)
        _write_json(self.run / STATE_FILE, self.state)
        for old in folder.glob("epoch-*.weights.h5"):
            if old.name != name:
                old.unlink()

    def restore_best(self) -> None:
        """Put the best weights seen (this session or before a resume) into the model."""
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)
        elif (self.run / rd.BEST_FILE).exists():
            self.model.load_weights(self.run / rd.BEST_FILE)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _is_number(value) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def check_resumable(run: Path, epochs: int) -> dict:
    """The run's state, or one line saying why it cannot resume to ``epochs``; nothing is written
    (called before run.json records the new --epochs, so a refused resume changes nothing)."""
    state = read_state(run)
    if state["finished"] and not (run / rd.MODEL_FILE).exists():
        state["finished"] = False  # model.keras went missing: only the final write is redone
    if state["finished"] and epochs <= state["epoch"]:
        done = state["epoch"]
        raise SeqgenError(f"the run in {str(run)!r} finished training after {done} epoch{'' if done == 1 else 's'}; "
                          f"pass --epochs above {done} to train it further (--force starts over)")
    return state


def begin(run: Path, resume: bool, epochs: int) -> dict:
    """The state training starts from: fresh, or (``resume``) the last backed-up epoch.

    A finished run continues when ``epochs`` is more than it trained; patience counts afresh.
    """
    if not resume:
        return fresh_state()
    state = check_resumable(run, epochs)
    remove_temporaries(run)
    if state["finished"]:
        state.update(finished=False, best_epoch=state["epoch"] - 1)
    if state["weights"] and not (run / rd.BACKUP_DIR / state["weights"]).exists() and not (run / rd.BEST_FILE).exists():
        raise SeqgenError(f"the backup of {str(run)!r} is missing; start the run over with --force")
    return state


def restore(model: keras.Model, run: Path, state: dict) -> None:
    """Load the backed-up weights and optimizer state (or, for a finished run, its best weights)."""
    backup = run / rd.BACKUP_DIR / state["weights"] if state["weights"] else None
    source = backup if backup is not None and backup.exists() else run / rd.BEST_FILE
    if state["epoch"] == 0 or not source.exists():
        return
    if model.optimizer is not None and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    try:
        model.load_weights(source)
    except Exception as e:  # a damaged or foreign file: one line, not h5py internals
        detail = str(e).splitlines()[0][:120] if str(e) else ""
        raise SeqgenError(f"cannot resume from {source} ({type(e).__name__}: {detail}); "
                          "start the run over with --force") from None


def finish(run: Path, model: keras.Model, state: dict) -> None:
    """Write ``model.keras`` (the best checkpoint), mark the run finished, then drop the backup."""
    if (run / rd.BEST_FILE).exists():
        with atomic_path(run / rd.MODEL_FILE) as tmp:
            shutil.copyfile(run / rd.BEST_FILE, tmp)
    else:
        rd.save_model(model, run / rd.MODEL_FILE)
    _write_json(run / STATE_FILE, {**state, "finished": True, "weights": None, "pending": None})
    shutil.rmtree(run / rd.BACKUP_DIR, ignore_errors=True)
