"""``seqgen`` commands for MIDI corpora: ``data midi``, ``train midi`` and ``generate midi``."""

from __future__ import annotations

import click

from seqgen.generate.cli_common import (command, given_options, no_tensorflow, run_option, sampling_options,
                                        training_options)

ENCODINGS = ("grid", "events", "durations")  # models.midi_task.ENCODINGS, repeated so --help does not import TensorFlow
OPTION_KEYS = {"corpus": "source.corpus", "encoding": "data.encoding", "voices": "data.voices",
               "window": "data.window", "transpose": "data.max_transpose", "controls": "data.controls"}


def register(main: click.Group, data: click.Group, train: click.Group, generate: click.Group) -> None:
    """Add the MIDI commands to the CLI's groups."""
    data.add_command(data_midi)
    train.add_command(train_midi)
    generate.add_command(generate_midi)


@command("midi")
@click.argument("paths", nargs=-1, required=True)
@click.option("--include-drums", is_flag=True, help="Count notes on the drum channel (10) too.")
@click.option("--voices", type=click.IntRange(1, 15), default=None,
              help="Grid voices to report the cost of [default: the corpus's 99th-percentile polyphony, at most 8].")
@no_tensorflow
def data_midi(paths: tuple[str, ...], include_drums: bool, voices: int | None) -> None:
    """Read MIDI files, folders or globs and print what a training would use.

    Files read and skipped (with the reason), notes, duration, pitch range, polyphony, note lengths,
    the grid's voice count, and the notes each encoding leaves out, per reason and per file.

    Example: seqgen data midi my_midi/ extra/*.mid
    """
    from seqgen.data_prep.midi_report import describe_corpus

    click.echo(describe_corpus(paths, include_drums=include_drums, voices=voices))


@command("midi")
@training_options
@click.option("--corpus", multiple=True, metavar="PATH",
              help="MIDI file, folder or quoted glob; repeat for several [from run.json with --resume].")
@click.option("--encoding", type=click.Choice(ENCODINGS), default="grid", show_default=True,
              help="grid: voices on a 16th-note grid; events: note-on/off, time-shift, velocity tokens; "
                   "durations: pitch and duration per note, time shifts, velocities.")
@click.option("--voices", type=click.IntRange(1, 15), default=None,
              help="grid: at most this many voices [default: the corpus's 99th-percentile polyphony, at most 8].")
@click.option("--window", type=click.IntRange(min=2), default=None,
              help="Steps (grid) or tokens per training window [default: 64 steps, 256 tokens].")
@click.option("--transpose", type=click.IntRange(0, 12), default=5, show_default=True,
              help="Random transposition range in semitones (0 = off).")
@click.option("--controls", is_flag=True,
              help="events/durations: learn each window's key and note density, for generate midi --key/--density.")
def train_midi(family, preset, batch_size, out, resume, force, train, corpus, encoding, voices, window,
               transpose, controls) -> None:
    """Train LSTM, GRU or WaveNet on your own MIDI files.

    Broken files are skipped and listed; about 10% of the files (chosen by name) are held out.

    Example: seqgen train midi --corpus my_midi/ --encoding events --model lstm --out runs/mine
    """
    from seqgen.models.driver import TrainRequest, train as train_run
    from seqgen.models.midi_task import MidiDataConfig

    data = MidiDataConfig(encoding=encoding, voices=voices, window=window, batch_size=batch_size,
                          max_transpose=transpose, controls=controls)
    source = {"corpus": list(corpus)} if corpus or not resume else {}
    trained = train_run("midi", out, TrainRequest(family, preset, source, data, train, given_options(OPTION_KEYS)),
                        resume=resume, force=force)
    for line in trained.report:
        click.echo(line)
    click.echo(f"trained {trained.info.family}/{trained.info.preset}; run saved in {trained.run}. "
               f"Next: seqgen evaluate {trained.run}")


@command("midi")
@run_option("midi", required=True)
@click.option("--primer", type=click.Path(dir_okay=False), default=None, help="Start from this MIDI file.")
@click.option("--primer-beats", type=click.FloatRange(min=0, min_open=True), default=4, show_default=True,
              help="How many quarter notes of the primer to keep.")
@click.option("--steps", type=click.IntRange(min=1), default=None,
              help="Length in steps (grid: 16th notes; events: events), primer included [default: 128 / 512].")
@click.option("--seconds", type=click.FloatRange(min=0, max=3600, min_open=True), default=None,
              help="Length in seconds instead of --steps, primer included.")
@sampling_options
@click.option("--bpm", type=click.FloatRange(min=1, max=1000), default=None,
              help="Tempo of the file [default: the corpus's median tempo].")
@click.option("--instrument", type=click.IntRange(0, 127), default=0, show_default=True,
              help="General MIDI program (0 = piano).")
@click.option("--key", default=None, help='Key to ask for, e.g. "E minor" (runs trained with --controls).')
@click.option("--density", type=click.FloatRange(min=0, max=100, min_open=True), default=None,
              help="Notes per second to ask for (runs trained with --controls).")
@click.option("-o", "--out", type=click.Path(dir_okay=False), required=True, help="Output file (OUT-1, OUT-2... with --num).")
@click.option("--force", is_flag=True, help="Overwrite existing output files.")
def generate_midi(run_dir, primer, primer_beats, steps, seconds, temperature, top_k, top_p, greedy, num, seed,
                  bpm, instrument, key, density, out, force) -> None:
    """Write new MIDI from a run trained on your own corpus.

    Example: seqgen generate midi --run runs/mine --primer start.mid --seconds 30 --num 3 -o new.mid
    """
    from seqgen.generate.midi_gen import write_midi_pieces
    from seqgen.generate.sampling import SamplingConfig

    sampling = SamplingConfig(temperature, top_k, top_p, seed, greedy)
    for line in write_midi_pieces(run_dir, out, primer=primer, primer_beats=primer_beats, steps=steps,
                                  seconds=seconds, num=num, sampling=sampling, bpm=bpm, instrument=instrument,
                                  force=force, key=key, density=density):
        click.echo(line)
