"""What every ``seqgen`` command shares: error handling, quiet TensorFlow start-up, common options."""

from __future__ import annotations

import os

import click

from seqgen.data_prep.errors import SeqgenError

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


class SeqgenGroup(click.Group):
    """A click group that turns :class:`SeqgenError` into ``Error: <one line>`` and exit code 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except SeqgenError as e:
            raise click.ClickException(str(e)) from None



DATA_DIR = click.option("--data-dir", type=click.Path(file_okay=False), envvar="SEQGEN_DATA_DIR",
                        help="Cache folder for built datasets [default: the user cache dir; env SEQGEN_DATA_DIR].")
RUN_DIR = click.argument("run_dir", type=click.Path(exists=True, file_okay=False))


def sampling_options(f):
    """--temperature, --top-k, --top-p, --seed, --greedy, --num: the same for every generate command."""
    options = [
        click.option("--temperature", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True,
                     help="Below 1: safer; above 1: wilder."),
        click.option("--top-k", type=click.IntRange(min=1), default=None, help="Sample among the k most likely tokens."),
        click.option("--top-p", type=click.FloatRange(0, 1, min_open=True), default=None,
                     help="Sample among the most likely tokens reaching probability p (nucleus)."),
        click.option("--greedy", is_flag=True, help="Always take the most likely token (deterministic)."),
        click.option("--num", type=click.IntRange(min=1), default=1, show_default=True, help="Pieces, in one batch."),
        click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same output."),
    ]
    for option in reversed(options):
        f = option(f)
    return f
