"""The ``seqgen`` command line: thin click commands, each validating its options and calling one
library function. User errors (:class:`SeqgenError`) print one line and exit non-zero.

Heavy imports (TensorFlow, music21) happen inside the commands, so ``seqgen --help`` is instant.
"""

from __future__ import annotations

import functools

import click

from seqgen.data_prep.errors import SeqgenError
from seqgen.generate.cli_common import DATA_DIR, RUN_DIR, SeqgenGroup, import_tensorflow_quietly
from seqgen.generate.cli_generate import generate


@click.group(cls=SeqgenGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="seqgen")
def main() -> None:
    """seqgen: learn from sequences (Bach chorales, text, MIDI, sketches) and write new ones.

    \b
    Quick start:
      seqgen generate chorale -o chorale.mid      # a chorale from the shipped model
      seqgen data chorales                         # build the chorale dataset (offline)
      seqgen train chorales --model lstm --out runs/lstm
      seqgen evaluate runs/lstm
    """
    import_tensorflow_quietly()


@main.group(cls=SeqgenGroup)
def data() -> None:
    """Build or read a dataset and print its statistics."""


@main.group(cls=SeqgenGroup)
def train() -> None:
    """Train a model; the run directory holds everything generate and evaluate need."""


@data.command("chorales")
@click.option("--source", default="music21", show_default=True,
              help="'music21' (built offline from its corpus) or a jsb_chorales folder or .tgz.")
@DATA_DIR
def data_chorales(source: str, data_dir: str | None) -> None:
    """Build (first time) or load the Bach chorales and print their statistics.

    Example: seqgen data chorales --source jsb_chorales.tgz
    """
    from seqgen.models.chorale_task import data_summary

    click.echo(data_summary(source, data_dir))


_TRAIN_FLAGS = ("epochs", "learning_rate", "patience", "seed", "mixed_precision", "max_minutes")


def training_options(f=None, *, model_choice: bool = True):
    """The options every ``train`` command shares, handed to the command as one ``train`` TrainConfig.

    ``model_choice`` adds ``--model {lstm,gru,wavenet}`` and ``--preset`` (as ``family``, ``preset``);
    commands whose models are named otherwise (sketch classifiers) leave it out.
    """
    if f is None:
        return functools.partial(training_options, model_choice=model_choice)

    @functools.wraps(f)
    def command(*args, **kwargs):
        from seqgen.models.train import TrainConfig

        flags = {name: kwargs.pop(name) for name in _TRAIN_FLAGS}
        minutes = flags.pop("max_minutes")
        kwargs["train"] = TrainConfig(**flags, time_budget_s=minutes * 60 if minutes else None)
        return f(*args, **kwargs)

    options = [
        click.option("--epochs", type=click.IntRange(min=1), default=20, show_default=True),
        click.option("--batch-size", type=click.IntRange(min=1), default=32, show_default=True),
        click.option("--learning-rate", type=click.FloatRange(min=0, min_open=True), default=1e-3, show_default=True),
        click.option("--patience", type=click.IntRange(min=1), default=5, show_default=True,
                     help="Epochs without validation improvement before stopping."),
        click.option("--max-minutes", type=click.FloatRange(min=0, min_open=True), default=None,
                     help="Stop after the epoch that passes this much training time."),
        click.option("--out", type=click.Path(file_okay=False), required=True, help="Run directory to write."),
        click.option("--resume", is_flag=True, help="Continue an interrupted run in --out."),
        click.option("--force", is_flag=True, help="Replace an existing run in --out."),
        click.option("--seed", type=int, default=0, show_default=True, help="Weights and dropout."),
        click.option("--mixed-precision", is_flag=True, help="float16 on GPU (bfloat16 on CPU)."),
    ]
    if model_choice:
        options[:0] = [
            click.option("--model", "family", type=click.Choice(["lstm", "gru", "wavenet"]), required=True,
                         help="Model family."),
            click.option("--preset", default="small", show_default=True, help="Named size: tiny, small, medium."),
        ]
    for option in reversed(options):
        command = option(command)
    return command


@train.command("chorales")
@training_options
@click.option("--source", default="music21", show_default=True, help="'music21' or a jsb_chorales folder/.tgz.")
@click.option("--window", type=click.IntRange(min=4), default=64, show_default=True, help="Time steps per window.")
@click.option("--transpose", type=click.IntRange(0, 12), default=5, show_default=True,
              help="Random transposition range in semitones (0 = off).")
@DATA_DIR
def train_chorales_cmd(family, preset, batch_size, out, resume, force, train, source, window, transpose,
                       data_dir) -> None:
    """Train LSTM, GRU or WaveNet on Bach chorales.

    Example: seqgen train chorales --model wavenet --preset small --out runs/wavenet
    """
    from seqgen.models.chorale_task import ChoraleDataConfig, train_chorales

    data = ChoraleDataConfig(window_steps=window, stride_steps=max(window // 4, 1), batch_size=batch_size,
                             max_transpose=transpose)
    run = train_chorales(out, family=family, preset=preset, source=source, data_dir=data_dir, data=data,
                         train=train, resume=resume, force=force)
    click.echo(f"trained {family}/{preset}; run saved in {run}. Next: seqgen evaluate {run}")


# task in run.json -> "module:function(run_dir, split, data_dir) -> report"
EVALUATORS = {
    "chorale": "seqgen.models.chorale_task:evaluate_chorales",
    "text": "seqgen.models.text_task:evaluate_text",
    "midi": "seqgen.models.midi_task:evaluate_midi",
    "sketch": "seqgen.models.sketch_task:evaluate_sketch",
    "series": "seqgen.models.series_eval:evaluate_series",
}


@main.command()
@RUN_DIR
@click.option("--split", type=click.Choice(["train", "valid", "test"]), default=None,
              help="Held-out data to score [default: test for chorales, the validation part otherwise].")
@DATA_DIR
def evaluate(run_dir: str, split: str | None, data_dir: str | None) -> None:
    """Cross-entropy (nats per note, character or event) and accuracy of a run on held-out data.

    Example: seqgen evaluate runs/lstm --split test
    """
    import importlib

    from seqgen.models.run_dir import read_run_info

    task = read_run_info(run_dir).get("task")
    if task not in EVALUATORS:
        raise SeqgenError(f"{run_dir}: cannot evaluate a run of task {task!r}; known tasks: {', '.join(EVALUATORS)}")
    module, function = EVALUATORS[task].split(":")
    click.echo(getattr(importlib.import_module(module), function)(run_dir, split, data_dir))


main.add_command(generate)
for _domain in ("seqgen.generate.cli_text", "seqgen.generate.cli_midi", "seqgen.generate.cli_sketch",
                "seqgen.generate.cli_series"):
    # Each domain adds its commands to the shared groups (data, train, generate) or its own group.
    __import__(_domain, fromlist=["register"]).register(main=main, data=data, train=train, generate=generate)

if __name__ == "__main__":
    main()
