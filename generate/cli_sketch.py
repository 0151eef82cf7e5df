"""``seqgen`` commands for sketches, in the one grammar ``seqgen VERB TASK``: ``data sketches``,
``train sketches``, ``experiment sketches``, ``show sketches``, ``classify RUN_DIR FILE`` (a verb on a
run, as ``forecast`` is) and ``evaluate RUN_DIR`` (the root command, which writes the confusion PNG).

seqgen 0.2's spellings (``seqgen sketch train``, ``sketch evaluate``, ...) still work: the ``sketch``
group stays as hidden aliases of the same commands."""

from __future__ import annotations

import click

from seqgen.generate import limits
from seqgen.generate.cli_common import SEED_TYPE, finite
from seqgen.generate.cli_common import (BATCH_SIZE, EPOCHS, LEARNING_RATE, MAX_MINUTES, PATIENCE, RUN_DIR,
                                        SeqgenGroup, command, given_options, no_tensorflow, training_options)

CLASSIFIERS = ("textbook", "default", "tiny")  # models.sketch_classifier.PRESETS, named here so --help stays light
OPTION_KEYS = {"data": "source.paths", "synthetic": "source.synthetic", "categories": "source.categories",
               "max_categories": "source.max_categories", "per_class": "source.per_class", "split_seed": "source.seed",
               "max_length": "data.prep.max_length", "rdp": "data.prep.rdp_epsilon", "raw": "data.prep.raw",
               "augment": "data.augment"}
SHOWN_BY_DEFAULT = 16  # drawings ``show sketches`` draws when no --index is given

DATA = click.option("--data", multiple=True, metavar="PATH",
                    help="A sketch file or folder: sketch-rnn .npz, QuickDraw .ndjson or .tfrecord (repeat for more).")
INDEX = click.option("--index", "indices", type=click.IntRange(0, limits.MAX_INDEX), multiple=True,
                     help="A drawing of the file, counted from 0 (repeat for more) [default: all].")


def selection_options(f):
    """--synthetic, --categories, --max-categories, --per-class, --split-seed: which drawings to use."""
    options = [
        click.option("--synthetic", is_flag=True, help="Use built-in synthetic shapes (offline, no files)."),
        click.option("--categories", default=None, help="Comma-separated categories to keep, e.g. cat,dog,tree."),
        click.option("--max-categories", type=click.IntRange(min=1), default=None,
                     help="Keep only the first N categories by name."),
        click.option("--per-class", type=click.IntRange(min=1), default=None,
                     help="Training drawings per category (valid/test in proportion) [default: all; synthetic: 80]."),
        click.option("--split-seed", type=SEED_TYPE, default=0, show_default=True,
                     help="Seed of the train/valid/test split and of the --per-class sampling."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def prep_options(f):
    """--max-length, --rdp, --raw, --augment: how drawings are prepared for a model (saved with the run)."""
    f = click.option("--augment", default="on", show_default=True,
                     help="Vary training drawings at random: on, off, or e.g. "
                          "scale=0.15,rotation=10,dropout=0.1,jitter=0.05 (never at evaluation).")(f)
    f = click.option("--raw", type=click.Choice(["simplify", "keep"]), default="simplify", show_default=True,
                     help="Raw screen-pixel drawings: simplify them as Google made the 0-255 set, or keep them.")(f)
    f = click.option("--rdp", type=finite(0, 255), default=0.0, show_default=True,
                     help="Simplify strokes (Ramer-Douglas-Peucker tolerance in pixels; 0 = off).")(f)
    return click.option("--max-length", type=click.IntRange(1, limits.MAX_WINDOW), default=250, show_default=True,
                        help="Points kept per drawing (longer ones are cropped).")(f)


def make_source(paths, synthetic, categories, max_categories, per_class, split_seed):
    """The :class:`SketchSource` the options name, or None when they name no data."""
    from seqgen.data_prep.sketch_source import SketchSource

    if not paths and not synthetic:
        return None
    names = None if categories is None else tuple(c.strip() for c in categories.split(",") if c.strip())
    return SketchSource(paths=tuple(paths), synthetic=synthetic, categories=names, max_categories=max_categories,
                        per_class=per_class, seed=split_seed)


def make_prep(max_length, rdp, raw="simplify"):
    from seqgen.data_prep.stroke_ops import StrokePrep

    return StrokePrep(rdp_epsilon=rdp, max_length=max_length, raw=raw)


def make_augment(text):
    from seqgen.data_prep.sketch_augment import parse_augment

    return parse_augment(text)


def register(main: click.Group, data: click.Group, train: click.Group, generate: click.Group) -> None:
    """Add the sketch commands to the CLI's groups (and the old ``sketch`` group, hidden)."""
    data.add_command(data_sketches)
    train.add_command(sketch_train, "sketches")
    main.add_command(sketch_classify, "classify")
    verb_group(main, "show", "Draw data as pictures.").add_command(sketch_show, "sketches")
    verb_group(main, "experiment", "Train several models on one split and compare them.").add_command(
        sketch_experiment, "sketches")
    for subcommand in (sketch_train, sketch_evaluate, sketch_classify, sketch_show, sketch_experiment):
        sketch.add_command(subcommand)  # the hidden group lists them under their old names
    main.add_command(sketch)


def verb_group(main: click.Group, name: str, help_text: str) -> click.Group:
    """The root's ``name`` group (``seqgen show TASK``), made on first use."""
    if name not in main.commands:
        main.add_command(SeqgenGroup(name, help=help_text))
    return main.commands[name]


@command("sketches")
@click.argument("paths", nargs=-1)
@selection_options
@no_tensorflow
def data_sketches(paths, synthetic, categories, max_categories, per_class, split_seed) -> None:
    """Read sketch files (or --synthetic) and print categories, drawings per split and lengths.

    Example: seqgen data sketches quickdraw/ --max-categories 20
    """
    from seqgen.data_prep.errors import SeqgenError
    from seqgen.data_prep.sketch_source import data_summary

    source = make_source(paths, synthetic, categories, max_categories, per_class, split_seed)
    if source is None:
        raise SeqgenError("no drawings given: name sketch files or folders, or pass --synthetic")
    click.echo(data_summary(source))


@click.group("sketch", cls=SeqgenGroup, hidden=True)
def sketch() -> None:
    """seqgen 0.2's sketch commands (now train sketches, evaluate, classify, show sketches, experiment sketches)."""


@command("train")
@training_options(families=CLASSIFIERS, default_family="default", presets=False)
@DATA
@selection_options
@prep_options
def sketch_train(family, preset, batch_size, out, resume, force, train, data, synthetic, categories,
                 max_categories, per_class, split_seed, max_length, rdp, raw, augment) -> None:
    """Train a sketch classifier (--model: textbook, default or tiny); on --resume the run's settings win.

    Example: seqgen train sketches --data quickdraw/ --max-categories 20 --model default --out runs/sketch
    """
    from seqgen.models.driver import TrainRequest, train as train_run
    from seqgen.models.sketch_task import SketchDataConfig

    source = make_source(data, synthetic, categories, max_categories, per_class, split_seed)
    request = TrainRequest(family, None, source.to_dict() if source else {},
                           SketchDataConfig(batch_size, make_prep(max_length, rdp, raw), make_augment(augment)), train,
                           given_options(OPTION_KEYS))
    trained = train_run("sketch", out, request, resume=resume, force=force)
    for line in trained.report:
        click.echo(line)
    click.echo(f"trained a sketch classifier; run saved in {trained.run}. Next: seqgen evaluate {trained.run}")


@command("evaluate")
@RUN_DIR
@click.option("--split", type=click.Choice(["train", "valid", "test"]), default="test", show_default=True)
@click.option("-o", "--out", type=click.Path(dir_okay=False), default=None,
              help="Confusion matrix PNG [default: RUN_DIR/confusion_<split>.png, replaced].")
@click.option("--force", is_flag=True, help="Overwrite an existing -o file.")
def sketch_evaluate(run_dir, split, out, force) -> None:
    """Top-1/3/5 and per-category accuracy on held-out drawings, and a confusion matrix PNG.

    Example: seqgen evaluate runs/sketch -o confusion.png
    """
    from seqgen.generate.reports import evaluate_run

    for line in evaluate_run(run_dir, split, expect="sketch", figure=out, force=force):
        click.echo(line)


@command("classify")
@RUN_DIR
@click.argument("file")
@click.option("--top", type=click.IntRange(min=1), default=3, show_default=True, help="Labels shown per drawing.")
@INDEX
def sketch_classify(run_dir, file, top, indices) -> None:
    """The most likely categories, with probabilities, for each drawing of FILE (any layout).

    Example: seqgen classify runs/sketch cat.ndjson --index 0 --index 5
    """
    from seqgen.generate.sketch_classify import classify_file

    for line in classify_file(run_dir, file, top, indices):
        click.echo(line)


@command("show")
@click.argument("file")
@INDEX
@click.option("-o", "--out", type=click.Path(dir_okay=False), required=True, help="PNG to write.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@no_tensorflow
def sketch_show(file, indices, out, force) -> None:
    """Draw drawings of FILE (any layout) into a PNG [default: the first 16].

    Example: seqgen show sketches cat.ndjson --index 3 -o cat.png
    """
    from seqgen.data_prep.files import check_writable
    from seqgen.generate.sketch_render import check_indices, sketches_png
    from seqgen.data_prep.sketch_sources import read_file as read_drawings  # no TensorFlow for drawing

    check_writable(out, force)  # refused before reading anything
    sketches = read_drawings(file)
    first = list(range(min(len(sketches), SHOWN_BY_DEFAULT)))
    chosen = check_indices(indices, len(sketches), file) if indices else first
    click.echo(f"drew {len(chosen)} drawing(s) of {file} into {sketches_png(sketches, chosen, out, force)}")


@command("experiment")
@DATA
@selection_options
@click.option("--models", "presets", default="textbook,default", show_default=True,
              help="Comma-separated classifier presets to compare.")
@click.option("--seeds", type=click.IntRange(min=1), default=3, show_default=True, help="Training seeds per model.")
@click.option("--seed", type=SEED_TYPE, default=0, show_default=True, help="The first training seed.")
@EPOCHS
@BATCH_SIZE
@LEARNING_RATE
@PATIENCE
@MAX_MINUTES
@prep_options
@click.option("--out", type=click.Path(file_okay=False), required=True, help="Folder for runs, tables and plot.")
@click.option("--force", is_flag=True, help="Replace an earlier experiment in --out.")
def sketch_experiment(data, synthetic, categories, max_categories, per_class, split_seed, presets, seeds, seed,
                      epochs, batch_size, learning_rate, patience, max_minutes, max_length, rdp, raw, augment, out,
                      force) -> None:
    """Train each preset with each seed on one split; write a comparison table and learning curves.

    Example: seqgen experiment sketches --data quickdraw/ --max-categories 20 --models textbook,default --out exp
    """
    from pathlib import Path

    from seqgen.data_prep.errors import SeqgenError
    from seqgen.generate.sketch_render import learning_curves_png
    from seqgen.models.sketch_experiment import (CURVES_PNG, TABLE_CSV, TABLE_MD, learning_curves, markdown_table,
                                                 run_experiment, summary_rows)
    from seqgen.models.train import TrainConfig

    source = make_source(data, synthetic, categories, max_categories, per_class, split_seed)
    if source is None:
        raise SeqgenError("no drawings given: name sketch files or folders (--data PATH) or pass --synthetic")
    train = TrainConfig(epochs=epochs, learning_rate=learning_rate, patience=patience, seed=seed,
                        time_budget_s=max_minutes * 60 if max_minutes else None)
    results = run_experiment(out, source=source, presets=presets, seeds=seeds, augment=make_augment(augment),
                             prep=make_prep(max_length, rdp, raw),
                             batch_size=batch_size, train=train, force=force, log=click.echo)
    learning_curves_png(learning_curves(results), Path(out) / CURVES_PNG, force=True)
    click.echo(markdown_table(summary_rows(results)))
    click.echo(f"written: {', '.join(str(Path(out) / n) for n in (TABLE_MD, TABLE_CSV, CURVES_PNG))}")
