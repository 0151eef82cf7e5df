"""``seqgen`` commands for Bach chorales: ``data chorales``, ``train chorales``, ``generate chorale``."""

from __future__ import annotations

import click

from seqgen.generate import limits
from seqgen.generate.cli_common import (DATA_DIR, RULES, command, finite, given_options, run_option, sampling_command,
                                        sampling_options, training_options)

SOURCE_HELP = "'music21' (built offline from its corpus) or a jsb_chorales folder or .tgz."
OPTION_KEYS = {"source": "source.source", "window": "data.window_steps", "transpose": "data.max_transpose"}


def register(main: click.Group, data: click.Group, train: click.Group, generate: click.Group) -> None:
    """Add the chorale commands to the CLI's groups."""
    data.add_command(data_chorales)
    train.add_command(train_chorales)
    generate.add_command(generate_chorale)


@command("chorales")
@click.option("--source", default="music21", show_default=True, help=SOURCE_HELP)
@DATA_DIR
def data_chorales(source: str, data_dir: str | None) -> None:
    """Build (first time) or load the Bach chorales and print their statistics.

    Example: seqgen data chorales --source jsb_chorales.tgz
    """
    from seqgen.models.chorale_task import data_summary

    click.echo(data_summary(source, data_dir))


@command("chorales")
@training_options
@click.option("--source", default="music21", show_default=True, help=SOURCE_HELP)
@click.option("--window", type=click.IntRange(4, limits.MAX_WINDOW), default=64, show_default=True,
              help="16th-note steps per training window.")
@click.option("--transpose", type=click.IntRange(0, 12), default=5, show_default=True,
              help="Random transposition range in semitones (0 = off).")
@DATA_DIR
def train_chorales(family, preset, batch_size, out, resume, force, train, source, window, transpose, data_dir) -> None:
    """Train LSTM, GRU or WaveNet on Bach chorales.

    Example: seqgen train chorales --model wavenet --preset small --out runs/wavenet
    """
    from seqgen.models.chorale_task import ChoraleDataConfig
    from seqgen.models.driver import TrainRequest, train as train_run

    data = ChoraleDataConfig(window_steps=window, stride_steps=max(window // 4, 1), batch_size=batch_size,
                             max_transpose=transpose)
    request = TrainRequest(family, preset, {"source": source}, data, train, given_options(OPTION_KEYS))
    trained = train_run("chorale", out, request, resume=resume, force=force, data_dir=data_dir)
    click.echo(f"trained {trained.info.family}/{trained.info.preset}; run saved in {trained.run}. "
               f"Next: seqgen evaluate {trained.run}")


@command("chorale")
@run_option("chorales")
@click.option("--primer", default=None,
              help="Start from: SPLIT:INDEX (test:3), a chorale name (bwv269), or a MIDI/MusicXML file.")
@click.option("--primer-steps", type=click.IntRange(1, limits.MAX_STEPS), default=16, show_default=True,
              help="How many 16th-note steps of the primer to keep.")
@click.option("--steps", type=click.IntRange(1, limits.MAX_STEPS), default=None,
              help="Sample this many 16th-note steps freely, primer included: no cadence search, the piece "
                   "stops mid-phrase (not with --phrases).")
@click.option("--phrases", type=click.IntRange(1, 32), default=None,
              help="Write this many phrases, each closing on a cadence, the last on the tonic (a search).  "
                   "[default: 4; a model without phrase ends samples 128 steps]")
@sampling_options
@click.option("--bpm", type=finite(1, 1000), default=80, show_default=True, help="Tempo.")
@click.option("--instrument", type=click.IntRange(0, 127), default=19, show_default=True,
              help="General MIDI program (19 = church organ).")
@click.option("--format", "fmt", type=click.Choice(["midi", "musicxml", "wav"]), default="midi", show_default=True,
              help="Output format (wav: rendered with FluidSynth if installed, else the built-in synthesiser).")
@click.option("--plot", is_flag=True, help="Also write a piano-roll PNG beside each piece (OUT.png).")
@click.option("--key", default=None,
              help='Write each piece in this key, e.g. "A minor": its mode is asked of the model, then the piece moved.')
@RULES
@click.option("-o", "--out", type=click.Path(dir_okay=False), required=True, help="Output file (OUT-1, OUT-2... with --num).")
@click.option("--force", is_flag=True, help="Overwrite existing output files.")
@DATA_DIR
@sampling_command
def generate_chorale(run_dir, primer, primer_steps, steps, phrases, temperature, top_k, top_p, greedy, num, seed,
                     bpm, instrument, fmt, plot, key, rules, rule_penalty, out, force, data_dir) -> None:
    """Write Bach-style chorales, four voices sampled one note at a time: by default four phrases
    ending on cadences, the last on the tonic; --steps N samples N steps freely instead.

    Example: seqgen generate chorale --primer bwv269 --temperature 0.8 --num 3 -o chorale.mid
    """
    from seqgen.generate.chorale_gen import write_chorales
    from seqgen.generate.rules import RulesConfig
    from seqgen.generate.sampling import SamplingConfig

    sampling = SamplingConfig(temperature, top_k, top_p, seed, greedy)
    part_writing = RulesConfig(rules, rule_penalty)
    for line in write_chorales(run_dir, out, primer=primer, primer_steps=primer_steps, steps=steps, num=num,
                               sampling=sampling, bpm=bpm, instrument=instrument, fmt=fmt, plot=plot,
                               force=force, data_dir=data_dir, key=key, phrases=phrases, rules=part_writing):
        click.echo(line)
