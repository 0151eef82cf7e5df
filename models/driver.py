"""One train / evaluate / load path for every task (see :mod:`seqgen.models.task` for the contract).

``--resume`` works the same for every task: the run's recorded settings win, and an option the user
gave that contradicts them is one line naming both values. ``--epochs`` may grow on resume (that is
how a finished run trains longer); everything else comes from ``run.json``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from seqgen.data_prep.errors import SeqgenError
from seqgen.models import resume as run_state, run_check, run_dir as rd
from seqgen.models.run_info import RunInfo, read_json, write_info
from seqgen.models.task import Prepared, Task, get_task
from seqgen.models.train import TrainConfig

RESUMABLE_TRAIN = ("epochs", "time_budget_s")  # training settings a resumed run may change
TRAIN_WORDS = {"chorale": "chorales", "sketch": "sketches"}  # task -> the word of its 'seqgen train' command


@dataclass(frozen=True)
class TrainRequest:
    """What the user asked to train. On resume, only ``given`` options are looked at (and checked)."""

    family: str | None = None  # model family; None: the task's default (or the run's on resume)
    preset: str | None = None  # named size; None: the task's default
    source: dict = field(default_factory=dict)  # task-specific: corpus paths, built-in data names
    data: Any = None  # the task's data config; None: its defaults
    train: TrainConfig = TrainConfig()
    given: Mapping[str, str] = field(default_factory=dict)  # "data.window" -> "--window": what the user typed
    overrides: dict = field(default_factory=dict)  # model config values beyond the preset


@dataclass
class Trained:
    run: Path
    info: RunInfo
    report: list[str]  # lines for the user: files read and skipped, split, vocabulary
    history: Any = None  # Keras History of this session's training (history.model is the trained model)


@dataclass
class LoadedRun:
    """A run read back: its description, model and codec, and the task that reads it."""

    path: Path
    info: RunInfo
    task: Task
    model: Any
    codec: Any


def read_info(run: str | Path, expect: str | tuple[str, ...] | None = None, command: str = "") -> RunInfo:
    """The validated ``run.json`` of ``run`` in the current shape (older runs are upgraded).

    ``expect``: the task(s) the caller can use, checked first, so a run of another task is one line
    naming its task even when the rest of its run.json is of another version.
    """
    values = read_json(run)
    if expect is not None:
        check_task(run, values.get("task"), expect, command)
    if "format" not in values:  # seqgen 0.1 wrote no format number
        try:
            values = get_task(values.get("task")).upgrade_v1(values)
        except (TypeError, ValueError, AttributeError, KeyError) as e:
            raise SeqgenError(f"{Path(run) / 'run.json'} (written by seqgen 0.1) is damaged ({type(e).__name__}); "
                              "train the run again") from None
    elif values["format"] != 2:
        raise SeqgenError(f"{run}: run.json format {values['format']!r} is newer than this seqgen; upgrade seqgen")
    return RunInfo.from_dict(values, f"{Path(run) / 'run.json'}")


def check_task(run: str | Path, task: object, expect: str | tuple[str, ...] | None, command: str = "") -> None:
    """Refuse a run of another task before anything heavy (weights) is read."""
    if expect is None:
        return
    wanted = (expect,) if isinstance(expect, str) else expect
    if task not in wanted:
        word = TRAIN_WORDS.get(wanted[0], wanted[0])
        hint = command or (f"; give a run of 'seqgen train {word}'" if len(wanted) == 1 else "")
        raise SeqgenError(f"{run} is a {task!r} run, not a {' or '.join(wanted)} run{hint}")


def load_run(run: str | Path, expect: str | tuple[str, ...] | None = None, *, best: bool = False) -> LoadedRun:
    """Read ``run``: the task recorded in run.json is checked against ``expect`` BEFORE any weights load."""
    info = read_info(run, expect)
    task = get_task(info.task)
    codec = task.load_codec(info.codec)
    run_check.check_codec(run, info.model, codec)  # before the weights: a mismatch is one line, at once
    model = rd.load_model_file(run, best=best)
    run_check.check_model(run, info.model, codec, model)
    return LoadedRun(Path(run), info, task, model, codec)


def evaluate(run: str | Path, split: str | None = None, data_dir: str | None = None,
             expect: str | tuple[str, ...] | None = None):
    """Scores of ``run`` on ``split`` (the task's default when None), as an :class:`Evaluation`."""
    loaded = load_run(run, expect)
    return loaded.task.evaluate(loaded, split or loaded.task.default_split, data_dir)


def _values(request: TrainRequest, task: Task) -> dict:
    data = request.data if request.data is not None else task.data_config()
    values = {"family": request.family, "preset": request.preset, **{f"source.{k}": v for k, v in request.source.items()}}
    values.update({f"data.{k}": v for k, v in asdict(data).items()})
    values.update({f"train.{k}": v for k, v in asdict(request.train).items()})
    return values


def _recorded(info: RunInfo) -> dict:
    values = {"family": info.family, "preset": info.preset, **{f"source.{k}": v for k, v in info.source.items()}}
    values.update({f"data.{k}": v for k, v in info.data.items()})
    values.update({f"train.{k}": v for k, v in info.train.items()})
    return values


def check_resume_options(run: Path, info: RunInfo, request: TrainRequest, task: Task) -> None:
    """Every option the user gave must agree with the run's record (the run's settings win)."""
    if request.source:
        request = TrainRequest(**{**request.__dict__, "source": task.normalise_source(request.source)})
    asked, recorded = _flat(_plain(_values(request, task))), _flat(_plain(_recorded(info)))
    for key, flag in request.given.items():
        if key.startswith("train.") and key[6:] in RESUMABLE_TRAIN:
            continue
        mine, theirs = _under(asked, key), _under(recorded, key)
        if theirs and mine != theirs:
            # A source option given without its source (--max-categories alone) reaches the request
            # without a value; an option the run left at its default was recorded as None.
            asked = f"{flag} {_show(mine)}" if mine else flag
            has = _show(theirs) if any(v is not None for v in theirs.values()) else f"no {flag}"
            raise SeqgenError(f"{asked} conflicts with the run in {run}, which has {has}; "
                              f"drop {flag} to resume with the run's settings")


def _flat(values: dict, prefix: str = "") -> dict:
    """Nested settings (a sketch run's ``data.prep``) as dotted leaves: ``{"data.prep.raw": "keep"}``."""
    out = {}
    for key, value in values.items():
        if isinstance(value, dict) and value:
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _under(values: dict, key: str) -> dict:
    """The leaves at ``key`` or below it (one option may set a whole group, as ``--augment`` does)."""
    return {k: v for k, v in values.items() if k == key or k.startswith(key + ".")}


def _plain(value):
    """``value`` as it reads back from JSON (tuples become lists), so asked and recorded compare."""
    return json.loads(json.dumps(value))


def _show(leaves: dict) -> str:
    """One value as the user typed it; a group as ``name=value`` pairs."""
    if len(leaves) == 1:
        (value,) = leaves.values()
        return ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return ", ".join(f"{k.rsplit('.', 1)[-1]}={v}" for k, v in sorted(leaves.items()))


def _resumed_train_config(info: RunInfo, request: TrainRequest) -> TrainConfig:
    values = dict(info.train)
    for name in RESUMABLE_TRAIN:
        if f"train.{name}" in request.given or name == "time_budget_s":
            values[name] = getattr(request.train, name)
    try:
        return TrainConfig(**values)
    except TypeError as e:
        raise SeqgenError(f"run.json: bad training settings ({e}); the run is damaged") from None


def _check_out_is_free(out: str | Path, force: bool) -> None:
    """Refuse a busy run directory before any data is read (nothing is touched here)."""
    path = Path(out)
    if path.is_file() or (path.is_dir() and any(path.iterdir()) and not force):
        rd.prepare_run_dir(path)  # raises the usual one-line error
    if force and path.is_dir() and any(path.iterdir()) and not rd.is_run_dir(path):
        raise SeqgenError(f"{str(path)!r} holds files that are not a seqgen run; --force only replaces runs")


def _start(task: Task, out, request: TrainRequest, force: bool, data_dir,
           prepared: Prepared | None = None) -> tuple[Path, RunInfo, Prepared, Any]:
    family = request.family or task.default_family
    if family is None:
        raise SeqgenError(f"--model is required for a new {task.name} run: one of {', '.join(task.families)}")
    preset = request.preset or task.default_preset
    task.check_model(family, preset)
    _check_out_is_free(out, force)
    source = task.normalise_source(request.source)
    data = request.data if request.data is not None else task.data_config()
    # Everything is validated (data, codec, config, pipelines) before the run directory is touched.
    if prepared is None:
        prepared = task.prepare(source, data, seed=request.train.seed, data_dir=data_dir)
    config = task.model_config(family, preset, prepared.codec, dict(request.overrides), data)
    info = RunInfo(task=task.name, model=task.config_to_dict(config), source=source, data=asdict(data),
                   train=asdict(request.train), preset=preset, codec=prepared.codec.to_config(), record=prepared.record)
    run = rd.prepare_run_dir(out, force=force)
    write_info(run, info)
    return run, info, prepared, config


def _continue(task: Task, out, request: TrainRequest, data_dir) -> tuple[Path, RunInfo, Prepared, Any, TrainConfig]:
    run = rd.prepare_run_dir(out, resume=True)
    info = read_info(run, task.name, "; resume it with its own train command")
    check_resume_options(run, info, request, task)
    train = _resumed_train_config(info, request)
    run_state.check_resumable(run, train.epochs)  # refused before anything is read or written
    codec = task.load_codec(info.codec)
    prepared = task.prepare(info.source, task.new_data_config(info.data), seed=train.seed, data_dir=data_dir,
                            codec=codec, record=info.record)
    if train.epochs != info.train.get("epochs"):
        info = RunInfo(**{**info.__dict__, "train": asdict(train)})
        write_info(run, info)
    return run, info, prepared, task.config_from_dict(info.model), train


def train(task: Task | str, out: str | Path, request: TrainRequest = TrainRequest(), *, resume: bool = False,
          force: bool = False, data_dir: str | None = None, strategy=None, verbose="auto",
          callbacks: Callable[[Path, Any], list] | None = None, prepared: Prepared | None = None) -> Trained:
    """Train a model for ``task`` into the run directory ``out`` (new, replaced with ``force``, or resumed).

    ``callbacks(run, codec)`` adds Keras callbacks from layers above (per-epoch text samples).
    ``prepared`` (new runs only) skips the task's data preparation: experiments prepare once for
    many runs.
    """
    from seqgen.models.train import fit

    task = get_task(task) if isinstance(task, str) else task
    if resume:
        run, info, prepared, config, train_config = _continue(task, out, request, data_dir)
    else:
        run, info, prepared, config = _start(task, out, request, force, data_dir, prepared)
        train_config = request.train
    extra = task.callbacks(run, prepared.codec, verbose) + (callbacks(run, prepared.codec) if callbacks else [])
    history = fit(lambda: task.build_model(config, prepared.codec), prepared.train, prepared.valid, run,
                  train_config, resume=resume, strategy=strategy, extra_callbacks=extra, verbose=verbose,
                  **task.compile_options())
    record = task.after_training(run, info, prepared)
    if record is not None:
        info = RunInfo(**{**info.__dict__, "record": record})
        write_info(run, info)
    return Trained(run, info, prepared.report, history)
