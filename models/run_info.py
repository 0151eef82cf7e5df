"""``run.json``: one shape for every task, validated field by field when read.

::

    {"format": 2, "task": "chorale", "seqgen_version": "0.2.0",
     "preset": "small", "model": {...config, "family": "lstm"}, "codec": {...codec, "type": "chorale"},
     "source": {...where the data came from}, "data": {...the task's data config},
     "train": {...TrainConfig}, "record": {...facts the task must find again: held-out files, class counts}}

Runs written before this shape (format 1, seqgen 0.1) are upgraded on reading by their task's
``upgrade`` (see :mod:`seqgen.models.tasks`), so they keep loading. A ``run.json`` that is valid JSON
with a wrong type somewhere gives one line naming the field, never a traceback.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.files import atomic_path

FORMAT = 2
RUN_FILE = "run.json"
MAX_RUN_FILE_BYTES = 64 << 20  # a run.json is a few KB; a vocabulary of 100k words stays far below this


def seqgen_version() -> str:
    from seqgen import __version__

    return __version__


@dataclass(frozen=True)
class RunInfo:
    """Everything a run records besides its weights."""

    task: str  # name of the task (chorale, text, midi, sketch, series): decides who reads the rest
    model: dict  # the model config (config_to_dict), including its family
    source: dict  # where the data came from (paths, built-in corpus names), for evaluate and resume
    data: dict  # the task's data config (window, batch size, ...)
    train: dict  # the TrainConfig
    preset: str | None = None  # the named size the config started from
    codec: dict | None = None  # the codec (vocabulary, voices, classes...), rebuilt by codec_from_config
    record: dict = field(default_factory=dict)  # facts the task must find again (held-out files...)
    seqgen_version: str = field(default_factory=seqgen_version)  # the version that wrote the run

    def to_dict(self) -> dict:
        return {"format": FORMAT, **asdict(self)}

    @property
    def family(self) -> str | None:
        return self.model.get("family")

    @classmethod
    def from_dict(cls, values: object, where: str = RUN_FILE) -> "RunInfo":
        """Validate ``values`` (parsed ``run.json`` in the current format) field by field."""
        if not isinstance(values, dict):
            raise SeqgenError(f"{where}: expected a JSON object, got {type(values).__name__}; the run is damaged, train it again")
        expected = {"task": str, "model": dict, "source": dict, "data": dict, "train": dict,
                    "preset": (str, type(None)), "codec": (dict, type(None)), "record": dict, "seqgen_version": str}
        for name, kind in expected.items():  # wrong types first: they say most about the damage
            if name in values and not isinstance(values[name], kind):
                raise SeqgenError(f"{where}: the field {name!r} should be {_kind_name(kind)}, "
                                  f"got {type(values[name]).__name__}; the run is damaged, train it again")
        for name in ("task", "model", "source", "data", "train"):
            if name not in values:
                raise SeqgenError(f"{where}: the field {name!r} is missing; the run is damaged, train it again")
        return cls(**{name: values[name] for name in expected if name in values})


def _kind_name(kind) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {str: "a string", dict: "an object", type(None): "null"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def read_json(path: str | Path) -> dict:
    """``run.json`` of ``path`` parsed (any format), or one line saying why it cannot be."""
    path = Path(path)
    file = path / RUN_FILE
    try:
        if file.stat().st_size > MAX_RUN_FILE_BYTES:
            raise SeqgenError(f"{file} is {file.stat().st_size:,} bytes, too large for a run description; "
                              "give a folder written by 'seqgen train'")
        values = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SeqgenError(f"{str(path)!r} is not a seqgen run (no {RUN_FILE}); give a folder written by 'seqgen train'") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise SeqgenError(f"{file} is unreadable ({type(e).__name__}); the run is damaged, train it again") from None
    if not isinstance(values, dict):
        raise SeqgenError(f"{file}: expected a JSON object, got {type(values).__name__}; the run is damaged, train it again")
    return values


def write_info(path: str | Path, info: RunInfo) -> None:
    """Write ``run.json`` atomically."""
    with atomic_path(Path(path) / RUN_FILE) as tmp:
        tmp.write_text(json.dumps(info.to_dict(), indent=2, sort_keys=True), encoding="utf-8")
