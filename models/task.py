"""The task contract: what each task (chorales, text, MIDI corpora, sketches, series) implements once.

A task knows its data: where it comes from (``source``), how it becomes tensors (``prepare``: read,
split, fit or reuse the codec, build the ``tf.data`` pipelines), which model it builds, how a run is
scored (``evaluate``) and how runs written before the current ``run.json`` shape read (``upgrade_v1``).
The shared driver (:mod:`seqgen.models.driver`) does the rest the same way for every task: run
directories, resume, ``run.json``, the trainer, loading. Generation lives in ``seqgen.generate``.

Adding a task is one module with a :class:`Task` subclass plus one line in :data:`TASKS`.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

from seqgen.data_prep.errors import SeqgenError

# name recorded in run.json -> "module:class"; strings, so naming the tasks imports nothing heavy.
TASKS = {
    "chorale": "seqgen.models.chorale_task:ChoraleTask",
    "text": "seqgen.models.text_task:TextTask",
    "midi": "seqgen.models.midi_task:MidiTask",
    "sketch": "seqgen.models.sketch_task:SketchTask",
    "series": "seqgen.models.series_task:SeriesTask",
}


@dataclass
class Prepared:
    """What a task's data preparation hands the driver."""

    codec: Any  # the run's codec (to_config() -> JSON): tokens, or class names for classifiers
    train: Any  # tf.data.Dataset of (inputs, targets) batches
    valid: Any  # tf.data.Dataset or None when nothing is held out
    record: dict = field(default_factory=dict)  # facts to find again on resume/evaluate (held-out files...)
    report: list[str] = field(default_factory=list)  # lines for the user (files skipped, split, vocabulary)
    data: Any = None  # the task's own prepared data, for after_training (series: the standardised values)


@dataclass
class Evaluation:
    """A task's scores of a run: lines to print, numbers for programs, pictures for generate to draw."""

    lines: list[str]
    scores: dict = field(default_factory=dict)
    figures: dict = field(default_factory=dict)  # name -> data; drawn by seqgen.generate (models draws nothing)

    def text(self) -> str:
        return "\n".join(self.lines)


class Task(ABC):
    """One task. Subclasses set the class attributes and implement the abstract methods."""

    name: ClassVar[str]  # recorded in run.json
    data_config: ClassVar[type]  # frozen dataclass of the task's data options
    families: ClassVar[tuple[str, ...]] = ("lstm", "gru", "wavenet")  # what --model accepts
    default_family: ClassVar[str | None] = None  # None: --model is required for a new run
    default_preset: ClassVar[str] = "small"
    default_split: ClassVar[str] = "test"  # what seqgen evaluate scores without --split

    @abstractmethod
    def prepare(self, source: dict, data, *, seed: int = 0, data_dir: str | None = None,
                codec=None, record: dict | None = None) -> Prepared:
        """Read ``source`` and build the pipelines. ``codec``/``record`` given: a resumed run's, to
        reuse (same vocabulary, same split); otherwise fit a new codec and choose the split."""

    @abstractmethod
    def evaluate(self, run, split: str, data_dir: str | None = None) -> Evaluation:
        """Score a loaded run (:class:`seqgen.models.driver.LoadedRun`) on ``split``."""

    def normalise_source(self, source: dict) -> dict:
        """``source`` as recorded in run.json (absolute paths...), validated before anything is read."""
        return dict(source)

    def new_data_config(self, values: dict):
        """The data config from run.json's ``data`` (unknown keys are a damaged run)."""
        known = {f.name for f in fields(self.data_config)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise SeqgenError(f"run.json: unknown {self.name} data settings {unknown}; the run was written by another version")
        try:
            return self.data_config(**values)
        except TypeError as e:
            raise SeqgenError(f"run.json: bad {self.name} data settings ({e}); the run is damaged") from None

    # --- the model -----------------------------------------------------------------------------

    def check_model(self, family: str, preset: str) -> None:
        """Refuse an unknown family or preset before any data is read (cheap, one line)."""
        self.model_config(family, preset, _AnyCodec(), {})

    def model_config(self, family: str, preset: str, codec, overrides: dict, data=None):
        from seqgen.models.config import make_config

        return make_config(family, preset, codec.vocab_size, codec.period, **overrides)

    def config_to_dict(self, config) -> dict:
        from seqgen.models.config import config_to_dict

        return config_to_dict(config)

    def config_from_dict(self, values: dict):
        from seqgen.models.config import config_from_dict

        try:
            return config_from_dict(values)
        except (TypeError, KeyError) as e:
            raise SeqgenError(f"run.json: bad model config ({type(e).__name__}: {e}); the run is damaged") from None

    def build_model(self, config, codec):
        from seqgen.models.registry import build_model

        return build_model(config)

    def load_codec(self, values: dict | None):
        from seqgen.data_prep.codec_base import codec_from_config

        if values is None:
            raise SeqgenError(f"run.json: a {self.name} run needs a codec and has none; the run is damaged")
        return codec_from_config(values)

    def callbacks(self, run, codec, verbose) -> list:
        """Task-specific Keras callbacks while training (none by default)."""
        return []

    def compile_options(self) -> dict:
        """``loss`` and ``metrics`` for the trainer; none: sparse cross-entropy on logits and accuracy."""
        return {}

    def after_training(self, run, info, prepared: Prepared) -> dict | None:
        """A new ``record`` for run.json once the best model is saved (series: forecast intervals), or None."""
        return None

    def upgrade_v1(self, values: dict) -> dict:
        """A format-1 run.json (seqgen 0.1) in the current shape (see :mod:`seqgen.models.run_info`)."""
        raise SeqgenError(f"this {self.name} run was written by an older seqgen in a shape this version cannot read; "
                          "train it again")


class _AnyCodec:
    """Stands in for a codec when only the family and preset are checked."""

    vocab_size, period = 2, 1


def get_task(name: object) -> Task:
    """The task registered as ``name`` (one line naming the known tasks otherwise)."""
    if not isinstance(name, str) or name not in TASKS:
        raise SeqgenError(f"unknown task {name!r} in run.json; this seqgen knows {', '.join(TASKS)}")
    module, cls = TASKS[name].split(":")
    return getattr(importlib.import_module(module), cls)()
