"""``seqgen`` commands for musicians: ``judge``, ``harmonize``, ``infill``, ``render``."""

from __future__ import annotations

import click

from seqgen.generate import limits
from seqgen.generate.cli_common import (DATA_DIR, RULES, SEED_TYPE, command, finite, no_tensorflow, run_option,
                                        sampling_command)

MODEL = run_option("chorales")  # --run RUN_DIR, the shipped chorale model by default
OUT = click.option("-o", "--out", type=click.Path(dir_okay=False), required=True,
                   help="Output file; its suffix picks MIDI (.mid), MusicXML (.musicxml) or audio (.wav).")
KEY = click.option("--key", default=None, help='Move the piece into this key first, e.g. "A minor" (said what was done).')


def PROPOSAL(f):
    """--temperature, --top-p, --greedy, --seed, --num for the notes the model writes."""
    options = [
        click.option("--temperature", type=finite(0, 100, min_open=True), default=1.0, show_default=True,
                     help="Below 1: safer; above 1: wilder."),
        click.option("--top-p", type=finite(0, 1, min_open=True), default=None,
                     help="Sample among the most likely notes reaching probability p."),
        click.option("--greedy", is_flag=True, help="Always the most likely notes (deterministic)."),
        click.option("--seed", type=SEED_TYPE, default=0, show_default=True, help="Same seed, same output."),
        click.option("--num", type=click.IntRange(1, limits.MAX_NUM), default=1, show_default=True,
                     help="Versions to write (OUT-1, OUT-2...), seeds SEED, SEED+1..."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def OUTPUT(f):
    """--bpm, --instrument, --soundfont, --force."""
    options = [
        click.option("--bpm", type=finite(1, 1000), default=80, show_default=True, help="Tempo, in beats (quarter notes) per minute."),
        click.option("--instrument", type=click.IntRange(0, 127), default=19, show_default=True,
                     help="General MIDI program (19 = church organ)."),
        click.option("--soundfont", type=click.Path(exists=True, dir_okay=False), default=None,
                     help="SoundFont (.sf2) for .wav output with FluidSynth [default: search the usual places]."),
        click.option("--force", is_flag=True, help="Overwrite existing output files."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def register(main: click.Group, data: click.Group, train: click.Group, generate: click.Group) -> None:
    """Add the music tools as top-level commands."""
    main.add_command(judge_cmd)
    main.add_command(harmonize_cmd)
    main.add_command(infill_cmd)
    main.add_command(render_cmd)


@command("judge")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--reference", default="bach", show_default=True,
              help="'bach' (the music21 chorales), a folder of MIDI/MusicXML pieces, or 'none'.")
@click.option("--json", "as_json", is_flag=True, help="Print every measure of every file as JSON.")
@DATA_DIR
@no_tensorflow
def judge_cmd(files, reference, as_json, data_dir) -> None:
    """Part-writing errors, distances to Bach's distributions and general measures of 4-voice pieces.

    Example: seqgen judge chorale-1.mid chorale-2.mid --reference bach
    """
    from seqgen.generate.judge import format_report, judge, to_json

    report = judge(list(files), reference, data_dir)
    click.echo(to_json(report) if as_json else format_report(report))


@command("harmonize")
@click.argument("melody")
@OUT
@MODEL
@click.option("--given", type=click.Choice(["soprano", "bass"]), default="soprano", show_default=True,
              help="The voice MELODY gives; the model writes the other three.")
@click.option("--particles", type=click.IntRange(1, limits.MAX_PARTICLES), default=32, show_default=True,
              help="Hypotheses weighed against the coming melody notes (1 = plain forced decoding).")
@click.option("--parallel-penalty", type=finite(0, 1000), default=3.0, show_default=True,
              help="Nats taken off a hypothesis's weight for each parallel fifth or octave (0 = off).")
@click.option("--cadences/--no-cadences", default=True, show_default=True,
              help="Search phrase by phrase for a cadence at each phrase end (the fermatas and the last note).")
@click.option("--phrase-ends", default=None, metavar="BARS",
              help="Bars whose last melody note ends a phrase, 1-based in 4/4, e.g. 2,4,6 "
                   "(in place of the melody's fermatas; a MIDI melody has none).")
@RULES
@PROPOSAL
@KEY
@OUTPUT
@DATA_DIR
@sampling_command
def harmonize_cmd(melody, out, run_dir, given, particles, parallel_penalty, cadences, phrase_ends, rules, rule_penalty,
                  temperature, top_p, greedy, seed, num, key, bpm, instrument, soundfont, force, data_dir) -> None:
    """Keep a melody (or a bass) exactly and write the other three voices with a chorale model.

    MELODY is a monophonic MIDI/MusicXML file (of a 4-part file the top part, or the lowest with
    --given bass) or a dataset chorale: test:3, bwv269. Each phrase closes on a cadence where the
    model can find one: at the melody's fermatas (MusicXML, dataset chorales), at the bars
    --phrase-ends names, and at the last note.

    Example: seqgen harmonize bwv269 --particles 32 --seed 1 -o harmonized.mid

    Example: seqgen harmonize tune.mid --phrase-ends 2,4,6,8 -o harmonized.mid
    """
    from seqgen.generate.chorale_io import OutputConfig
    from seqgen.generate.harmonize import HarmonizeConfig, harmonize
    from seqgen.generate.rules import RulesConfig

    config = HarmonizeConfig(particles, temperature, top_p, seed, greedy, given, parallel_penalty=parallel_penalty,
                             rules=RulesConfig(rules, rule_penalty), cadences=cadences)
    output = OutputConfig(bpm, instrument, force, soundfont)
    for line in harmonize(run_dir, melody, out, config, num, key, output, data_dir, phrase_ends):
        click.echo(line)


@command("infill")
@click.argument("chorale")
@OUT
@click.option("--bars", default=None, help="Bars to regenerate, 1-based, 16th-note steps in 4/4: 5 or 5-6 [default: all].")
@click.option("--voices", default=None, help="Voices to regenerate, e.g. alto,tenor [default: all four].")
@MODEL
@click.option("--window", type=click.IntRange(1, limits.MAX_INFILL_WINDOW), default=8, show_default=True,
              help="Steps after each cell whose notes judge it (p(future | cell)).")
@click.option("--sweeps", type=click.IntRange(0, limits.MAX_SWEEPS), default=3, show_default=True,
              help="Gibbs sweeps over the region after the first left-to-right draw.")
@click.option("--candidates", type=click.IntRange(1, limits.MAX_CANDIDATES), default=8, show_default=True,
              help="Most likely notes tried per cell, besides the current one.")
@RULES
@PROPOSAL
@KEY
@OUTPUT
@DATA_DIR
@sampling_command
def infill_cmd(chorale, out, bars, voices, run_dir, window, sweeps, candidates, rules, rule_penalty, temperature, top_p,
               greedy, seed, num, key, bpm, instrument, soundfont, force, data_dir) -> None:
    """Regenerate some bars and/or voices of a four-voice piece so they fit what comes before and after.

    CHORALE is a 4-part MIDI/MusicXML file or a dataset chorale (test:3, bwv269). Everything
    outside the region is kept exactly.

    Example: seqgen infill bwv269 --bars 5-6 --voices alto,tenor --seed 1 -o infilled.mid
    """
    from seqgen.generate.chorale_io import OutputConfig
    from seqgen.generate.infill import InfillConfig, infill
    from seqgen.generate.rules import RulesConfig

    if top_p is not None:
        raise click.BadParameter("infill weighs a few candidates per cell; use --candidates instead", param_hint="--top-p")
    config = InfillConfig(window, sweeps, candidates, temperature, seed, greedy, RulesConfig(rules, rule_penalty))
    output = OutputConfig(bpm, instrument, force, soundfont)
    for line in infill(run_dir, chorale, out, config, bars=bars, voices=voices, num=num, key=key, output=output,
                       data_dir=data_dir):
        click.echo(line)


@command("render")
@click.argument("midi", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--out", type=click.Path(dir_okay=False), required=True, help="WAV file to write.")
@click.option("--soundfont", type=click.Path(exists=True, dir_okay=False), default=None,
              help="General MIDI SoundFont (.sf2) for FluidSynth [default: search the usual places].")
@click.option("--synth", type=click.Choice(["auto", "fluidsynth", "builtin"]), default="auto", show_default=True,
              help="auto: FluidSynth when it and a SoundFont are found, else the built-in synthesiser.")
@click.option("--sample-rate", type=click.IntRange(8000, 96000), default=44100, show_default=True,
              help="Samples per second of the WAV (44100: CD rate).")
@click.option("--force", is_flag=True, help="Overwrite an existing WAV file.")
@no_tensorflow
def render_cmd(midi, out, soundfont, synth, sample_rate, force) -> None:
    """Render a MIDI file to WAV audio, offline (FluidSynth if installed, else built in).

    Example: seqgen render chorale.mid -o chorale.wav
    """
    from seqgen.generate.audio import render_midi

    click.echo(render_midi(midi, out, soundfont=soundfont, synth=synth, sample_rate=sample_rate, force=force))
