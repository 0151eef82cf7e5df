"""``seqgen generate ...``: write new pieces from a trained run or a shipped model."""

from __future__ import annotations

import click

from seqgen.generate.cli_common import DATA_DIR, SeqgenGroup, sampling_options


@click.group(cls=SeqgenGroup)
def generate() -> None:
    """Generate music or text from a trained model (or the shipped one)."""


@generate.command("chorale")
@click.option("--model", "run_dir", type=click.Path(exists=True, file_okay=False), default=None,
              help="Run directory of 'seqgen train chorales' [default: the shipped model].")
@click.option("--primer", default=None,
              help="Start from: SPLIT:INDEX (test:3), a chorale name (bwv269), or a MIDI/MusicXML file.")
@click.option("--primer-steps", type=click.IntRange(min=1), default=16, show_default=True,
              help="How many 16th-note steps of the primer to keep.")
@click.option("--steps", type=click.IntRange(min=1), default=128, show_default=True,
              help="Length in 16th-note steps, primer included.")
@sampling_options
@click.option("--bpm", type=click.FloatRange(min=1, max=1000), default=80, show_default=True)
@click.option("--instrument", type=click.IntRange(0, 127), default=19, show_default=True,
              help="General MIDI program (19 = church organ).")
@click.option("--format", "fmt", type=click.Choice(["midi", "musicxml", "wav"]), default="midi", show_default=True,
              help="wav: rendered with FluidSynth if installed, else the built-in synthesiser.")
@click.option("--plot", is_flag=True, help="Also write a piano-roll PNG beside each piece.")
@click.option("-o", "--out", type=click.Path(dir_okay=False), required=True, help="Output file (OUT-1, OUT-2... with --num).")
@click.option("--force", is_flag=True, help="Overwrite existing output files.")
@DATA_DIR
def generate_chorale(run_dir, primer, primer_steps, steps, temperature, top_k, top_p, greedy, num, seed,
                     bpm, instrument, fmt, plot, out, force, data_dir) -> None:
    """Write Bach-style chorales, four voices sampled one note at a time.

    Example: seqgen generate chorale --primer bwv269 --temperature 0.8 --num 3 -o chorale.mid
    """
    from seqgen.generate.chorale_gen import SamplingConfig, write_chorales

    sampling = SamplingConfig(temperature, top_k, top_p, seed, greedy)
    for line in write_chorales(run_dir, out, primer=primer, primer_steps=primer_steps, steps=steps, num=num,
                               sampling=sampling, bpm=bpm, instrument=instrument, fmt=fmt, plot=plot,
                               force=force, data_dir=data_dir):
        click.echo(line)
