"""``seqgen`` commands for text corpora: ``data text``, ``train text``, ``generate text``."""

from __future__ import annotations

import click

from seqgen.generate.cli_common import DATA_DIR, sampling_options

ENCODING = click.option("--encoding", default="utf-8", show_default=True,
                        help="Encoding of the corpus files (e.g. latin-1, utf-16).")
SHAKESPEARE = click.option("--shakespeare", is_flag=True,
                           help="Use the built-in Shakespeare corpus (38 plays, offline).")


def register(main: click.Group, data: click.Group, train: click.Group, generate: click.Group) -> None:
    """Add this domain's commands to the CLI's groups."""
    from seqgen.generate.cli import training_options  # defined before cli.py calls register

    @data.command("text")
    @click.argument("paths", nargs=-1)
    @ENCODING
    @SHAKESPEARE
    @DATA_DIR
    def data_text(paths, encoding, shakespeare, data_dir) -> None:
        """Read a text corpus (files, folders, globs) and print its characters, vocabulary and split.

        Example: seqgen data text my_books/ --encoding latin-1
        """
        from seqgen.models.text_task import data_summary

        click.echo(data_summary(paths, encoding, shakespeare, data_dir))

    @train.command("text")
    @training_options
    @click.option("--corpus", multiple=True, help="A text file, folder or glob (repeat for more).")
    @SHAKESPEARE
    @click.option("--level", type=click.Choice(["char", "word"]), default=None,
                  help="Tokens: characters or words [default: char; on --resume: the run's].")
    @click.option("--max-vocab", type=click.IntRange(min=5), default=10_000, show_default=True,
                  help="Word level: the most frequent tokens kept.")
    @click.option("--window", type=click.IntRange(min=2), default=100, show_default=True,
                  help="Tokens per training window.")
    @ENCODING
    @DATA_DIR
    def train_text_cmd(family, preset, batch_size, out, resume, force, train,
                       corpus, shakespeare, level, max_vocab, window, encoding, data_dir) -> None:
        """Train LSTM, GRU or WaveNet on text; a sample is appended to RUN_DIR/samples.txt every epoch.

        Example: seqgen train text --shakespeare --model lstm --out runs/shakespeare
        """
        from seqgen.models.text_task import TextDataConfig, train_text

        data_config = TextDataConfig(window=window, batch_size=batch_size, max_vocab=max_vocab, encoding=encoding)
        run = train_text(out, family=family, preset=preset, corpus=corpus, shakespeare=shakespeare,
                         data_dir=data_dir, level=level, data=data_config,
                         train=train,
                         resume=resume, force=force)
        click.echo(f"trained {family}/{preset}; run saved in {run}. Next: seqgen evaluate {run}")

    @generate.command("text")
    @click.option("--model", "run_dir", type=click.Path(exists=True, file_okay=False), default=None,
                  help="Run directory of 'seqgen train text' [default: the shipped Shakespeare model].")
    @click.option("--prompt", default=None, help="Text the output starts with.")
    @click.option("--prompt-file", type=click.Path(exists=True, dir_okay=False), default=None,
                  help="Read the prompt from this file.")
    @click.option("--length", type=click.IntRange(min=1), default=500, show_default=True,
                  help="Tokens to generate after the prompt (characters, or words at word level).")
    @sampling_options
    @click.option("--skip-unknown", is_flag=True, help="Drop prompt characters (words) the model never saw.")
    @click.option("-o", "--out", type=click.Path(dir_okay=False), default=None,
                  help="Write to this file (OUT-1, OUT-2... with --num) instead of the terminal.")
    @click.option("--force", is_flag=True, help="Overwrite existing output files.")
    def generate_text(run_dir, prompt, prompt_file, length, temperature, top_k, top_p, greedy, num, seed,
                      skip_unknown, out, force) -> None:
        """Write text in the style of a corpus, streamed to the terminal as it is produced.

        Example: seqgen generate text --prompt "ROMEO:" --length 400 --temperature 0.8
        """
        from seqgen.generate.chorale_gen import SamplingConfig
        from seqgen.generate.text_gen import write_text

        sampling = SamplingConfig(temperature, top_k, top_p, seed, greedy)
        for line in write_text(run_dir, out, prompt=prompt, prompt_file=prompt_file, length=length, num=num,
                               sampling=sampling, skip_unknown=skip_unknown, force=force):
            click.echo(line)
