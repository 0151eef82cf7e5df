"""``seqgen`` commands for text corpora: ``data text``, ``train text``, ``generate text``."""

from __future__ import annotations

import click

from seqgen.generate import limits
from seqgen.generate.cli_common import (DATA_DIR, command, given_options, no_tensorflow, run_option, sampling_command,
                                        sampling_options, training_options)

ENCODING = click.option("--encoding", default="utf-8", show_default=True,
                        help="Encoding of the corpus files (e.g. latin-1, utf-16).")
SHAKESPEARE = click.option("--shakespeare", is_flag=True,
                           help="Use the built-in Shakespeare corpus (38 plays, offline).")
OPTION_KEYS = {"corpus": "source.corpus", "shakespeare": "source.shakespeare", "level": "data.level",
               "max_vocab": "data.max_vocab", "window": "data.window", "encoding": "data.encoding"}


def register(main: click.Group, data: click.Group, train: click.Group, generate: click.Group) -> None:
    """Add the text commands to the CLI's groups."""
    data.add_command(data_text)
    train.add_command(train_text)
    generate.add_command(generate_text)


@command("text")
@click.argument("paths", nargs=-1)
@ENCODING
@SHAKESPEARE
@DATA_DIR
@no_tensorflow
def data_text(paths, encoding, shakespeare, data_dir) -> None:
    """Read a text corpus (files, folders, globs) and print its characters, vocabulary and split.

    Example: seqgen data text my_books/ --encoding latin-1
    """
    from seqgen.data_prep.text_sources import corpus_summary

    click.echo(corpus_summary(paths, encoding, shakespeare, data_dir))


@command("text")
@training_options
@click.option("--corpus", multiple=True, help="A text file, folder or glob (repeat for more).")
@SHAKESPEARE
@click.option("--level", type=click.Choice(["char", "word"]), default="char", show_default=True,
              help="Tokens: characters or words.")
@click.option("--max-vocab", type=click.IntRange(5, limits.MAX_VOCAB), default=10_000, show_default=True,
              help="Word level: the most frequent tokens kept.")
@click.option("--window", type=click.IntRange(2, limits.MAX_WINDOW), default=100, show_default=True,
              help="Tokens per training window.")
@click.option("--samples", type=click.IntRange(0, limits.MAX_SAMPLES), default=200, show_default=True,
              help="Tokens sampled into RUN_DIR/samples.txt after every epoch (0 = none).")
@ENCODING
@DATA_DIR
def train_text(family, preset, batch_size, out, resume, force, train, corpus, shakespeare, level, max_vocab, window,
               samples, encoding, data_dir) -> None:
    """Train LSTM, GRU or WaveNet on text; a sample is appended to RUN_DIR/samples.txt every epoch.

    Example: seqgen train text --shakespeare --model lstm --out runs/shakespeare
    """
    from seqgen.generate.text_gen import epoch_samples
    from seqgen.models.driver import TrainRequest, train as train_run
    from seqgen.models.text_task import TextDataConfig

    data = TextDataConfig(level=level, window=window, batch_size=batch_size, max_vocab=max_vocab, encoding=encoding)
    source = {"corpus": list(corpus), "shakespeare": shakespeare}
    request = TrainRequest(family, preset, source if (corpus or shakespeare or not resume) else {}, data, train,
                           given_options(OPTION_KEYS))
    trained = train_run("text", out, request, resume=resume, force=force, data_dir=data_dir,
                        callbacks=epoch_samples(samples, train.seed))
    click.echo(f"trained {trained.info.family}/{trained.info.preset}; run saved in {trained.run}. "
               f"Next: seqgen evaluate {trained.run}")


@command("text")
@run_option("text")
@click.option("--prompt", default=None, help="Text the output starts with.")
@click.option("--prompt-file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Read the prompt from this file.")
@click.option("--length", type=click.IntRange(1, limits.MAX_LENGTH), default=500, show_default=True,
              help="Tokens to generate after the prompt (characters, or words at word level).")
@sampling_options
@click.option("--skip-unknown", is_flag=True, help="Drop prompt characters (words) the model never saw.")
@click.option("--encoding", default=None, help="Encoding of --prompt-file [default: the run's corpus encoding].")
@click.option("-o", "--out", type=click.Path(dir_okay=False), default=None,
              help="Write to this file (OUT-1, OUT-2... with --num) instead of the terminal.")
@click.option("--force", is_flag=True, help="Overwrite existing output files.")
@sampling_command
def generate_text(run_dir, prompt, prompt_file, length, temperature, top_k, top_p, greedy, num, seed,
                  skip_unknown, encoding, out, force) -> None:
    """Write text in the style of a corpus, streamed to the terminal as it is produced.

    Example: seqgen generate text --prompt "ROMEO:" --length 400 --temperature 0.8
    """
    from seqgen.generate.sampling import SamplingConfig
    from seqgen.generate.text_gen import write_text

    sampling = SamplingConfig(temperature, top_k, top_p, seed, greedy)
    for line in write_text(run_dir, out, prompt=prompt, prompt_file=prompt_file, length=length, num=num,
                           sampling=sampling, skip_unknown=skip_unknown, force=force, encoding=encoding):
        click.echo(line)
