"""``seqgen`` commands for MIDI corpora: ``data midi``, ``train midi`` and ``generate midi``."""

from __future__ import annotations

import click

from seqgen.generate.cli_common import (DATA_DIR, command, finite, given_options, import_tensorflow_quietly,
                                        no_tensorflow, run_option, sampling_command, sampling_options, training_options)

ENCODINGS = ("grid", "events", "durations")  # models.midi_task.ENCODINGS, repeated so --help does not import TensorFlow
TFDS_ENCODINGS = ("events", "durations")  # data_prep.midi_tfds.ENCODINGS (per file: no corpus-fitted range)
OPTION_KEYS = {"corpus": "source.corpus", "encoding": "data.encoding", "voices": "data.voices",
               "window": "data.window", "transpose": "data.max_transpose", "controls": "data.controls",
               "workers": "data.workers"}
MAX_WORKERS = 256  # data_prep.midi_folder.MAX_WORKERS, repeated so --help imports nothing of the reader
# generate.midi_steering's defaults, repeated so --help does not import TensorFlow (tests/test_midi_steering.py)
KEY_STRENGTH, DENSITY_GAIN = 4.0, 6.0
WORKERS = click.option("--workers", type=click.IntRange(1, MAX_WORKERS), default=None,
                       help="Processes reading the files [default: every core, one per 1,000 files].")


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
@WORKERS
@DATA_DIR
@click.option("--tfds", "tfds_dir", type=click.Path(file_okay=False), default=None, metavar="OUT_DIR",
              help="Instead of the report, prepare the folder as the TFDS dataset midi_folder under OUT_DIR "
                   "(with Apache Beam when installed: pip install \"seqgen[beam]\").")
@click.option("--encoding", type=click.Choice(TFDS_ENCODINGS), default=None,
              help="--tfds: the tokens of each file [default: durations].")
@click.option("--beam-options", default=None, metavar="TEXT",
              help="--tfds: Apache Beam pipeline options for another runner, e.g. "
                   "'--runner=FlinkRunner --flink_master=HOST:8081' [default: Beam's local runner].")
@no_tensorflow
def data_midi(paths: tuple[str, ...], include_drums: bool, voices: int | None, workers: int | None,
              data_dir: str | None, tfds_dir: str | None, encoding: str | None, beam_options: str | None) -> None:
    """Read MIDI files, folders or globs and print what a training would use.

    Files read and skipped (with the reason), notes, duration, pitch range, polyphony, note lengths,
    the grid's voice count, and the notes each encoding leaves out, per reason and per file.

    Each file's notes are cached by content hash under --data-dir, so reading the same files again is quick.

    With --tfds, one folder becomes a TFDS dataset instead: one example per usable file (tokens,
    relative path, content hash), split train/validation by a hash of the path.

    Example: seqgen data midi my_midi/ extra/*.mid --workers 4

    Example: seqgen data midi my_midi/ --tfds ~/tfds --encoding events
    """
    if tfds_dir is not None:
        return _prepare_tfds(paths, tfds_dir, encoding, include_drums, voices, workers, beam_options)
    for name, value in (("--encoding", encoding), ("--beam-options", beam_options)):
        if value is not None:
            raise click.UsageError(f"{name} goes with --tfds OUT_DIR")
    from seqgen.data_prep.midi_cache import cache_dir
    from seqgen.data_prep.midi_report import describe_corpus

    click.echo(describe_corpus(paths, include_drums=include_drums, voices=voices, workers=workers,
                               cache=cache_dir(data_dir)))


def _prepare_tfds(paths, tfds_dir, encoding, include_drums, voices, workers, beam_options) -> None:
    """``data midi DIR --tfds OUT_DIR``: the TFDS builder over one folder."""
    if len(paths) != 1:
        raise click.UsageError("--tfds builds from one folder (examples are named by their path in it): give one DIR")
    if voices is not None:
        raise click.UsageError("--voices is for the grid report; --tfds writes events or durations tokens (--encoding)")
    import_tensorflow_quietly()
    from seqgen.data_prep.midi_tfds import built_lines, prepare_midi_tfds, quiet_tfds

    with quiet_tfds():
        built = prepare_midi_tfds(paths[0], tfds_dir, encoding=encoding or "durations", include_drums=include_drums,
                                  beam_options=beam_options, workers=workers)
    for line in built_lines(built, paths[0]):
        click.echo(line)


@command("midi")
@training_options
@click.option("--corpus", multiple=True, metavar="PATH",
              help="MIDI file, folder or quoted glob; repeat for several [from run.json with --resume].")
@click.option("--encoding", type=click.Choice(ENCODINGS), default="durations", show_default=True,
              help="grid: voices on a 16th-note grid; events: note-on/off, time-shift, velocity tokens; "
                   "durations: pitch and duration per note, time shifts, velocities.")
@click.option("--voices", type=click.IntRange(1, 15), default=None,
              help="grid: at most this many voices [default: the corpus's 99th-percentile polyphony, at most 8].")
@click.option("--window", type=click.IntRange(min=2), default=None,
              help="Steps (grid) or tokens per training window [default: 64 steps, 256 tokens].")
@click.option("--transpose", type=click.IntRange(0, 12), default=None,
              help="Random transposition range in semitones (0 = off) [default: 5 with --controls, else 0].")
@click.option("--controls", is_flag=True,
              help="events/durations: learn each window's key and note density, for generate midi --key/--density.")
@WORKERS
@DATA_DIR
def train_midi(family, preset, batch_size, out, resume, force, train, corpus, encoding, voices, window,
               transpose, controls, workers, data_dir) -> None:
    """Train LSTM, GRU or WaveNet on your own MIDI files.

    Broken files are skipped and listed; about 10% of the files (chosen by name) are held out.

    Example: seqgen train midi --corpus my_midi/ --encoding events --model lstm --out runs/mine
    """
    from seqgen.models.driver import TrainRequest, train as train_run
    from seqgen.models.midi_task import MidiDataConfig

    data = MidiDataConfig(encoding=encoding, voices=voices, window=window, batch_size=batch_size,
                          max_transpose=transpose, controls=controls, workers=workers)
    source = {"corpus": list(corpus)} if corpus or not resume else {}
    trained = train_run("midi", out, TrainRequest(family, preset, source, data, train, given_options(OPTION_KEYS)),
                        resume=resume, force=force, data_dir=data_dir)
    for line in trained.report:
        click.echo(line)
    click.echo(f"trained {trained.info.family}/{trained.info.preset}; run saved in {trained.run}. "
               f"Next: seqgen evaluate {trained.run}")


@command("midi")
@run_option("midi", required=True)
@click.option("--primer", type=click.Path(dir_okay=False), default=None, help="Start from this MIDI file.")
@click.option("--primer-beats", type=finite(0, 100_000, min_open=True), default=4, show_default=True,
              help="How many quarter notes of the primer to keep.")
@click.option("--steps", type=click.IntRange(min=1), default=None,
              help="Length in steps (grid: 16th notes; events: events), primer included [default: 128 / 512].")
@click.option("--seconds", type=finite(0, 3600, min_open=True), default=None,
              help="Length in seconds instead of --steps, primer included.")
@sampling_options
@click.option("--bpm", type=finite(1, 1000), default=None,
              help="Tempo of the file [default: the corpus's median tempo].")
@click.option("--instrument", type=click.IntRange(0, 127), default=0, show_default=True,
              help="General MIDI program (0 = piano).")
@click.option("--key", default=None, help='Key to ask for, e.g. "E minor" (runs trained with --controls).')
@click.option("--density", type=finite(0, 100, min_open=True), default=None,
              help="Notes per second to ask for (runs trained with --controls).")
@click.option("--key-strength", type=finite(0, 50), default=KEY_STRENGTH, show_default=True,
              help="With --key: nats taken off notes outside the key's scale while sampling (0 = off).")
@click.option("--density-gain", type=finite(0, 50), default=DENSITY_GAIN, show_default=True,
              help="With --density: how hard sampling pulls the running notes per second to it (0 = off).")
@click.option("-o", "--out", type=click.Path(dir_okay=False), required=True,
              help="Output file (OUT-1, OUT-2... with --num).")
@click.option("--force", is_flag=True, help="Overwrite existing output files.")
@sampling_command
def generate_midi(run_dir, primer, primer_beats, steps, seconds, temperature, top_k, top_p, greedy, num, seed,
                  bpm, instrument, key, density, key_strength, density_gain, out, force) -> None:
    """Write new MIDI from a run trained on your own corpus.

    Example: seqgen generate midi --run runs/mine --primer start.mid --seconds 30 --num 3 -o new.mid
    """
    from seqgen.generate.midi_gen import write_midi_pieces
    from seqgen.generate.sampling import SamplingConfig

    sampling = SamplingConfig(temperature, top_k, top_p, seed, greedy)
    for line in write_midi_pieces(run_dir, out, primer=primer, primer_beats=primer_beats, steps=steps,
                                  seconds=seconds, num=num, sampling=sampling, bpm=bpm, instrument=instrument,
                                  force=force, key=key, density=density, key_strength=key_strength,
                                  density_gain=density_gain):
        click.echo(line)
