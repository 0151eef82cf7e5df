"""The runs page: every run in DIR (task, model, epochs, learning curve, ``evaluate`` figures), and training.

Training calls :func:`seqgen.models.driver.train` in its own worker thread (generation keeps its
own), with a Keras callback that reports each epoch's losses and stops at the next batch when the
user cancels (the run stays resumable: training is kill-safe). Only one job may train a given
folder at a time, so two tabs cannot write the same run.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from seqgen.studio.jobs import Job
from seqgen.studio.params import number
from seqgen.studio.security import StudioError, inside

MAX_RUNS = 200  # runs listed
MAX_LOG_ROWS = 2000  # epochs read from one log.csv
TASKS = ("series", "text", "chorale")
FAMILIES = ("lstm", "gru", "wavenet")
PRESETS = ("tiny", "small", "medium")


def read_log(run: Path) -> dict[str, list[float]]:
    """``log.csv`` as columns of numbers (bounded: the first ``MAX_LOG_ROWS`` epochs)."""
    path = run / "log.csv"
    if not path.is_file():
        return {}
    columns: dict[str, list[float]] = {}
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        for i, row in enumerate(csv.DictReader(f)):
            if i >= MAX_LOG_ROWS:
                break
            for key, value in row.items():
                try:
                    columns.setdefault(str(key), []).append(float(value))
                except (TypeError, ValueError):
                    columns.setdefault(str(key), []).append(float("nan"))
    return {k: [None if v != v else v for v in vals] for k, vals in columns.items()}


def describe(run: Path, name: str) -> dict:
    """What the runs page shows of one run: task, family, preset, epochs, learning curve, saved figures."""
    try:
        info = json.loads((run / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"name": name, "error": "run.json is unreadable"}
    model = info.get("model") if isinstance(info.get("model"), dict) else {}
    log = read_log(run)
    return {"name": name, "task": info.get("task"), "family": model.get("family") or info.get("family"),
            "preset": info.get("preset"), "epochs": len(log.get("epoch", [])), "log": log,
            "has_model": (run / "model.keras").is_file()}


def list_runs(root: Path) -> list[dict]:
    """Runs (folders with run.json) up to two levels below ``root``, never following symlinks out."""
    found = []
    if not root.is_dir():
        return found
    for path in sorted([*root.glob("*/run.json"), *root.glob("*/*/run.json")])[:MAX_RUNS]:
        run = path.parent
        if run.resolve().is_relative_to(root):
            found.append(describe(run, run.relative_to(root).as_posix()))
    return found


async def runs(request: Request) -> JSONResponse:
    from seqgen.generate.runs import SHIPPED

    root = request.app.state.config.runs
    shipped = [describe(path, f"shipped:{task}") for task, path in SHIPPED.items() if (path / "run.json").is_file()]
    return JSONResponse({"folder": str(root), "runs": list_runs(root), "shipped": shipped,
                         "training": [j.view() for j in request.app.state.train_jobs.list()]})


def _source(task: str, body: dict, root: Path) -> dict:
    """The training data: built-in (synthetic series, Shakespeare, music21 chorales) or a file inside DIR."""
    data = (body.get("data") or "").strip()
    if task == "chorale":
        return {"source": "music21"}
    if task == "text":
        return {"corpus": [str(inside(root, data))], "shakespeare": False} if data else {"corpus": [], "shakespeare": True}
    if not data:
        return {"synthetic": True}
    target = (body.get("target") or "").strip()
    if not target:
        raise StudioError("a series CSV needs its target column: fill in 'target'")
    return {"csv": str(inside(root, data)), "target": target, "time": (body.get("time") or "").strip() or None,
            "synthetic": False}


def _callback(job: Job, epochs: int):
    import keras

    class Progress(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if job.cancel_flag.is_set():
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            shown = ", ".join(f"{k} {float(v):.4f}" for k, v in sorted((logs or {}).items()))
            job.progress, job.message = (epoch + 1) / epochs, f"epoch {epoch + 1} of {epochs}: {shown}"
            job.chunks.append(json.dumps({"epoch": epoch + 1, **{k: float(v) for k, v in (logs or {}).items()}}))
            job.touch()

    return Progress()


def train_work(root: Path, body: dict, job: Job) -> dict:
    from seqgen.models.driver import TrainRequest, train
    from seqgen.models.train import TrainConfig

    task, family, preset = body.get("task"), body.get("model") or "lstm", body.get("preset") or "tiny"
    if task not in TASKS or family not in FAMILIES or preset not in PRESETS:
        raise StudioError(f"task, model and preset must be one of {TASKS}, {FAMILIES}, {PRESETS}; "
                          f"got {task!r}, {family!r}, {preset!r}")
    epochs, resume = number(body, "epochs", 3, 1, 1000, int), bool(body.get("resume"))
    out = inside(root, body.get("out") or "", must_exist=resume)
    request = TrainRequest(family, preset, {} if resume else _source(task, body, root), None, TrainConfig(epochs=epochs))
    job.report(message=f"preparing {task} data")
    trained = train(task, out, request, resume=resume, verbose=0, callbacks=lambda run, codec: [_callback(job, epochs)])
    return {"run": out.relative_to(root).as_posix(), "report": trained.report[-5:]}


def evaluate_work(root: Path, body: dict, job: Job, data_dir: str | None) -> dict:
    """The lines of ``seqgen evaluate`` for a run in DIR or a shipped one (``shipped:chorale``)."""
    from seqgen.generate.reports import evaluate_run
    from seqgen.generate.runs import SHIPPED

    name = str(body.get("run") or "")
    if name.startswith("shipped:"):
        run = SHIPPED.get(name.partition(":")[2])
        if run is None:
            raise StudioError(f"no shipped run {name!r}; pick one the runs page lists")
    else:
        run = inside(root, name)
        if not (run / "run.json").is_file():
            raise StudioError(f"{name!r} in the runs folder has no run.json; pick a run the runs page lists")
    job.report(0.1, f"evaluating {name} (a chorale run builds the dataset the first time)")
    return {"run": name, "lines": evaluate_run(run, None, data_dir)}


async def evaluate(request: Request) -> JSONResponse:
    from seqgen.studio.chorale_api import body_of

    body, state = await body_of(request), request.app.state
    job = state.jobs.submit("evaluate", lambda job: evaluate_work(state.config.runs, body, job, state.config.data_dir))
    return JSONResponse(job.view(), status_code=202)


async def start_training(request: Request) -> JSONResponse:
    from seqgen.studio.chorale_api import body_of

    body, state = await body_of(request), request.app.state
    out = inside(state.config.runs, body.get("out") or "", must_exist=False)
    name = out.relative_to(state.config.runs).as_posix()
    with state.train_lock:  # the check and the submit together: two tabs cannot both start one folder
        busy = [j for j in state.train_jobs.list() if j.status in ("queued", "running") and j.target == name]
        if busy:
            raise StudioError(f"{name!r} is being trained by job {busy[0].id}; wait for it or cancel it", 409)
        job = state.train_jobs.submit("train", lambda job: train_work(state.config.runs, body, job), target=name)
    return JSONResponse(job.view(), status_code=202)


ROUTES = [Route("/api/runs", runs), Route("/api/train", start_training, methods=["POST"]),
          Route("/api/evaluate", evaluate, methods=["POST"])]
