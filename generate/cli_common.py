"""What every ``seqgen`` command shares: error handling, quiet TensorFlow start-up, and the option
decorators (one vocabulary across commands: ``--model`` is always a model family or classifier name,
``--run`` a run directory, and ``--epochs``, ``--batch-size``, ``--max-minutes`` mean the same everywhere).

Nothing here imports TensorFlow: ``seqgen CMD --help`` and usage errors stay fast. A command's
TensorFlow is imported (quietly) when it runs, unless it is marked :func:`no_tensorflow`.
"""

from __future__ import annotations

import functools
import math
import os

import click
from click.core import ParameterSource

from seqgen.data_prep.errors import SeqgenError
from seqgen.generate import limits

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow C++ notices (oneDNN, CUDA) are not for users; Python errors still show


def import_tensorflow_quietly() -> None:
    """Import TensorFlow with stderr silenced at the file-descriptor level.

    TensorFlow 2.21 prints CUDA and oneDNN notices from C++ before its logging is set up, so no
    environment variable hides them. What it prints is kept and shown if the import fails.
    """
    import sys
    import tempfile

    if "tensorflow" in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow

            tensorflow.config.list_physical_devices("GPU")  # device start-up notices, silenced too
        except BaseException:
            os.dup2(saved, 2)
            captured.seek(0)
            sys.stderr.write(captured.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


# TensorFlow's threads per op for the sampling commands, unless the user sets TF_NUM_INTRAOP_THREADS: a
# sampling step is a chain of small ops (one token of a small RNN, the rules' lookups), where splitting each
# op over cores costs more than it saves. Measured on a 2-core CPU (benchmarks/RESULTS.md, 2026-12-08): 20
# chorales 45.6 -> 37.6 s, the sampler's step at batch 16 1.8-2.0 -> 1.1-1.4 ms, text 1x512 GRU 5,800 ->
# 10,800 characters a second. One thread also makes a seed's output the same whatever the machine's core count.
SAMPLING_THREADS = "1"


def sampling_command(f):
    """Mark a command that samples (generate, harmonize, infill): TensorFlow starts with
    :data:`SAMPLING_THREADS` threads per op, unless TF_NUM_INTRAOP_THREADS says otherwise."""
    f.__seqgen_sampling__ = True
    return f


def no_tensorflow(f):
    """Mark a command that never needs TensorFlow (reading MIDI or text, drawing): it is not imported."""
    f.__seqgen_no_tensorflow__ = True
    return f


class SeqgenCommand(click.Command):
    """A command that imports TensorFlow quietly before running (unless marked :func:`no_tensorflow`)
    and turns :class:`SeqgenError` into ``Error: <one line>`` and exit code 1."""

    def invoke(self, ctx):
        import sys

        if getattr(self.callback, "__seqgen_sampling__", False) and "tensorflow" not in sys.modules:
            os.environ.setdefault("TF_NUM_INTRAOP_THREADS", SAMPLING_THREADS)  # read when TensorFlow starts
        if not getattr(self.callback, "__seqgen_no_tensorflow__", False):
            import_tensorflow_quietly()
        try:
            return super().invoke(ctx)
        except SeqgenError as e:
            raise click.ClickException(str(e)) from None


class SeqgenGroup(click.Group):
    """A click group whose commands and sub-groups are :class:`SeqgenCommand` and :class:`SeqgenGroup`."""

    command_class = SeqgenCommand

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except SeqgenError as e:
            raise click.ClickException(str(e)) from None


SeqgenGroup.group_class = SeqgenGroup


class FiniteFloat(click.FloatRange):
    """A float range that refuses nan and inf (click's FloatRange lets nan through every bound)."""

    name = "finite number"

    def convert(self, value, param, ctx):
        number = click.types.FloatParamType.convert(self, value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return super().convert(number, param, ctx)


def finite(min=None, max=None, min_open=False, max_open=False) -> FiniteFloat:
    """A click type for a finite float in a range: every float option of seqgen uses it."""
    return FiniteFloat(min, max, min_open=min_open, max_open=max_open)


SEED_TYPE = click.IntRange(0, limits.MAX_SEED)


DATA_DIR = click.option("--data-dir", type=click.Path(file_okay=False), envvar="SEQGEN_DATA_DIR",
                        help="Cache folder for built datasets [default: the user cache dir; env SEQGEN_DATA_DIR].")
RUN_DIR = click.argument("run_dir", type=click.Path(exists=True, file_okay=False))  # evaluate RUN_DIR


def RULES(f):
    """--rules strict|soft|off and --rule-penalty: part-writing rules while sampling (chorale, harmonize, infill)."""
    f = click.option("--rule-penalty", type=click.FloatRange(min=0, max=1000), default=3.0, show_default=True,
                     help="With --rules soft: nats taken off a note's logit per rule it breaks.")(f)
    return click.option("--rules", type=click.Choice(["strict", "soft", "off"]), default="strict", show_default=True,
                        help="Part-writing rules while sampling (parallel/hidden fifths and octaves, crossing, "
                             "overlap, spacing, ranges, tritone leaps): strict forbids a note that breaks one "
                             "unless every note does; soft penalises it.")(f)


def sampling_options(f):
    """--temperature, --top-k, --top-p, --seed, --greedy, --num: the same for every generate command."""
    options = [
        click.option("--temperature", type=finite(min=0, max=100, min_open=True), default=1.0, show_default=True,
                     help="Below 1: safer; above 1: wilder."),
        click.option("--top-k", type=click.IntRange(1, limits.MAX_TOP_K), default=None, help="Sample among the k most likely tokens."),
        click.option("--top-p", type=finite(0, 1, min_open=True), default=None,
                     help="Sample among the most likely tokens reaching probability p (nucleus)."),
        click.option("--greedy", is_flag=True, help="Always take the most likely token (deterministic)."),
        click.option("--num", type=click.IntRange(1, limits.MAX_NUM), default=1, show_default=True, help="Pieces, in one batch."),
        click.option("--seed", type=SEED_TYPE, default=0, show_default=True, help="Same seed, same output."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def run_option(task: str, required: bool = False):
    """``--run RUN_DIR`` of a generate command (the shipped model when not required and not given).

    ``--model RUN_DIR``, its name before seqgen 0.2, still works but is hidden: ``--model`` now always
    names a model family.
    """
    default = "" if required else " [default: the shipped model]"

    def decorate(f):
        @functools.wraps(f)
        def command(*args, run_dir=None, legacy_run=None, **kwargs):
            if run_dir and legacy_run:
                raise click.UsageError("give the run directory once, with --run")
            if required and not (run_dir or legacy_run):
                raise click.UsageError("missing option --run RUN_DIR (a folder written by 'seqgen train')")
            return f(*args, run_dir=run_dir or legacy_run, **kwargs)

        path = click.Path(exists=True, file_okay=False)
        command = click.option("--model", "legacy_run", type=path, default=None, hidden=True)(command)
        return click.option("--run", "run_dir", type=path, default=None, metavar="RUN_DIR",
                            help=f"Run directory of 'seqgen train {task}'{default}.")(command)
    return decorate


# Options every train command shares -> the driver's names for them (for --resume checks).
SHARED_TRAIN_KEYS = {"family": "family", "preset": "preset", "batch_size": "data.batch_size",
                     "epochs": "train.epochs", "learning_rate": "train.learning_rate", "patience": "train.patience",
                     "seed": "train.seed", "mixed_precision": "train.mixed_precision"}
_TRAIN_FLAGS = ("epochs", "learning_rate", "patience", "seed", "mixed_precision", "max_minutes")


def given_options(keys: dict[str, str]) -> dict[str, str]:
    """``{driver key: "--flag"}`` for the options of the running command the user typed (or set by
    environment), among ``keys`` (option name -> driver key) and the shared training options."""
    ctx = click.get_current_context()
    keys = {**SHARED_TRAIN_KEYS, **keys}
    given = {}
    for param in ctx.command.params:
        source = ctx.get_parameter_source(param.name)
        if param.name in keys and source in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT):
            given[keys[param.name]] = max(param.opts, key=len)
    return given


def training_options(f=None, *, families: tuple[str, ...] = ("lstm", "gru", "wavenet"), default_family=None,
                     presets: bool = True):
    """The options every ``train`` command shares, handed to the command as one ``train`` TrainConfig
    plus ``family``, ``preset`` (None without ``presets``), ``batch_size``, ``out``, ``resume``, ``force``."""
    if f is None:
        return functools.partial(training_options, families=families, default_family=default_family, presets=presets)

    @functools.wraps(f)
    def command(*args, **kwargs):
        from seqgen.models.train import TrainConfig

        flags = {name: kwargs.pop(name) for name in _TRAIN_FLAGS}
        minutes = flags.pop("max_minutes")
        kwargs["train"] = TrainConfig(**flags, time_budget_s=minutes * 60 if minutes else None)
        kwargs.setdefault("preset", None)
        return f(*args, **kwargs)

    for option in reversed(_training_option_list(families, default_family, presets)):
        command = option(command)
    return command


# The options of every training command, shared by name so that ``train`` and ``experiment`` commands
# cannot drift apart (one default, one help text each).
EPOCHS = click.option("--epochs", type=click.IntRange(1, limits.MAX_EPOCHS), default=20, show_default=True,
                      help="Most epochs to train (early stopping may end sooner); on --resume, may grow.")
BATCH_SIZE = click.option("--batch-size", type=click.IntRange(1, limits.MAX_BATCH), default=32, show_default=True,
                          help="Examples per training batch.")
LEARNING_RATE = click.option("--learning-rate", type=finite(0, limits.MAX_LEARNING_RATE, min_open=True), default=1e-3,
                             show_default=True, help="Adam's step size.")
PATIENCE = click.option("--patience", type=click.IntRange(1, limits.MAX_PATIENCE), default=5, show_default=True,
                        help="Epochs without validation improvement before stopping.")
MAX_MINUTES = click.option("--max-minutes", type=finite(0, limits.MAX_MINUTES, min_open=True), default=None,
                           help="Stop after the epoch that passes this much training time.")
SEED = click.option("--seed", type=SEED_TYPE, default=0, show_default=True, help="Weights, dropout and data order.")


def _training_option_list(families: tuple[str, ...], default_family: str | None, presets: bool) -> list:
    """The click options of :func:`training_options`, in ``--help`` order (no --preset without ``presets``)."""
    family_default = f" [default: {default_family}" if default_family else " [required for a new run"
    options = [
        click.option("--model", "family", type=click.Choice(families), default=None,
                     help=f"Model family{family_default}; on --resume: the run's]."),
        click.option("--preset", default=None, help="Named size: tiny, small, medium [default: small; on --resume: "
                     "the run's]."),
        EPOCHS, BATCH_SIZE, LEARNING_RATE, PATIENCE, MAX_MINUTES,
        click.option("--out", type=click.Path(file_okay=False), required=True, help="Run directory to write."),
        click.option("--resume", is_flag=True, help="Continue the run in --out with its recorded settings."),
        click.option("--force", is_flag=True, help="Replace an existing run in --out (only a seqgen run)."),
        SEED,
        click.option("--mixed-precision", is_flag=True, help="float16 on GPU (bfloat16 on CPU)."),
    ]
    if not presets:
        options.pop(1)
    return options


def command(name: str | None = None, **kwargs):
    """``click.command`` making a :class:`SeqgenCommand` (for commands a task module adds to a group)."""
    return click.command(name, cls=SeqgenCommand, **kwargs)
