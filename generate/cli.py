"""The ``seqgen`` command line: the root, its groups, ``evaluate``, and the task modules' commands.

Each task has one module of thin commands (``cli_chorale``, ``cli_text``, ``cli_midi``,
``cli_sketch``...) that adds them to the groups here through its ``register``. Shared options live in
:mod:`seqgen.generate.cli_common`. Nothing imports TensorFlow until a command runs.
"""

from __future__ import annotations

import importlib

import click

from seqgen.generate.cli_common import DATA_DIR, RUN_DIR, SeqgenGroup

TASK_COMMANDS = ("seqgen.generate.cli_chorale", "seqgen.generate.cli_text", "seqgen.generate.cli_midi",
                 "seqgen.generate.cli_sketch", "seqgen.generate.cli_series", "seqgen.generate.cli_music",
                 "seqgen.studio.cli")


@click.group(cls=SeqgenGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="seqgen")
def main() -> None:
    """seqgen: learn from sequences (Bach chorales, text, MIDI, numeric series, sketches) and write new ones.

    One grammar: seqgen VERB TASK (data, train, generate, show, experiment), verbs on a run
    (evaluate, classify, forecast) and the musician's verbs (harmonize, infill, render, judge).

    \b
    Quick start:
      seqgen generate chorale -o chorale.mid      # a chorale from the shipped model
      seqgen data chorales                         # build the chorale dataset (offline)
      seqgen train chorales --model lstm --out runs/lstm
      seqgen evaluate runs/lstm
    """


@main.group()
def data() -> None:
    """Build or read a dataset and print its statistics."""


@main.group()
def train() -> None:
    """Train a model; the run directory holds everything generate and evaluate need."""


@main.group()
def generate() -> None:
    """Generate music or text from a trained run (or the shipped model)."""


@main.command()
@RUN_DIR
@click.option("--split", type=click.Choice(["train", "valid", "test"]), default=None,
              help="Data to score [default: test for chorales and sketches, the held-out part otherwise].")
@DATA_DIR
@click.option("-o", "--out", type=click.Path(dir_okay=False), default=None,
              help="Sketch runs: confusion matrix PNG [default: RUN_DIR/confusion_<split>.png, replaced].")
@click.option("--force", is_flag=True, help="Overwrite an existing -o file.")
def evaluate(run_dir: str, split: str | None, data_dir: str | None, out: str | None, force: bool) -> None:
    """Score a run of any task on held-out data (cross-entropy, accuracy; top-k for sketches).

    Example: seqgen evaluate runs/lstm --split test
    """
    from seqgen.generate.reports import evaluate_run

    for line in evaluate_run(run_dir, split, data_dir, figure=out, force=force):
        click.echo(line)


for _module in TASK_COMMANDS:
    importlib.import_module(_module).register(main=main, data=data, train=train, generate=generate)

if __name__ == "__main__":
    main()
