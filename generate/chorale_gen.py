"""Chorale generation: a run (or the shipped model), a primer, the sampler, and the writers."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqgen.data_prep.chorale_codec import ChoraleCodec
from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.files import check_writable, numbered_names
from seqgen.data_prep.grid import Grid
from seqgen.data_prep.pipeline import with_bos
from seqgen.generate.runs import open_run
from seqgen.generate.sampler import Sampler
from seqgen.generate.sampling import make_strategy

FORMATS = {"midi": ".mid", "musicxml": ".musicxml", "wav": ".wav"}  # format -> suffix given to an -o without one
SUFFIXES = {"midi": (".mid", ".midi"), "musicxml": (".musicxml", ".xml"), "wav": (".wav",)}  # what -o may end in


@dataclass(frozen=True)
class SamplingConfig:
    """How tokens are picked (validated by the strategies themselves)."""

    temperature: float = 1.0  # <1 safer, >1 wilder
    top_k: int | None = None  # keep the k most likely tokens
    top_p: float | None = None  # keep the smallest set reaching probability p
    seed: int = 0  # same seed, same music
    greedy: bool = False  # always the most likely token (deterministic)


MAX_PRIMER_STEPS = 100_000  # 16th notes (about 1.7 hours at 60 bpm): a longer "primer" is a damaged file


def read_primer_file(path: Path, voices: int) -> Grid:
    """A user's MIDI or MusicXML file -> Grid of ``voices`` voices (top voice first)."""
    if not path.is_file():
        raise SeqgenError(f"primer file {str(path)!r} does not exist; check the --primer path")
    if path.suffix.lower() in (".mid", ".midi"):
        from seqgen.data_prep.midi_grid import performance_to_grid
        from seqgen.data_prep.midi_read import read_midi

        grid = performance_to_grid(read_midi(path), voices=voices)
    else:
        grid = _read_musicxml(path, voices)
    if not (grid.pitches > 0).any():
        raise SeqgenError(f"primer {path} has no notes; give a file with notes in it")
    return grid


def _read_musicxml(path: Path, voices: int) -> Grid:
    from music21 import converter, stream

    from seqgen.data_prep.chorales import score_to_grid
    from seqgen.data_prep.musicxml_check import check_musicxml

    check_musicxml(path)  # absurd durations would keep music21 busy for hours
    try:
        score = converter.parse(str(path))
        if isinstance(score, stream.Opus):  # several pieces in one file: the first one primes
            score = score.scores[0]
        steps = float(score.highestTime) * 4
        if not steps <= MAX_PRIMER_STEPS:
            raise SeqgenError(f"primer {path} lasts {steps:.0f} 16th notes, more than {MAX_PRIMER_STEPS}; "
                              "give a shorter primer")
        grid = score_to_grid(score, path.stem, voices=None, any_names=True)
    except SeqgenError:
        raise
    except Exception as e:  # music21 raises many types for files it cannot read
        raise SeqgenError(f"primer {path} is not a readable MusicXML file ({type(e).__name__}); check the file") from None
    if grid is None:
        raise SeqgenError(f"primer {path} has no parts of notes; give a file with {voices} parts")
    if grid.voices != voices:
        raise SeqgenError(f"primer {path} has {grid.voices} parts; the model writes {voices} voices, one part each")
    return grid


def resolve_primer(spec: str, voices: int, source: str = "music21", data_dir: str | None = None) -> Grid:
    """``SPLIT:INDEX`` (e.g. ``test:3``), a BWV name (``bwv269``) or a MIDI/MusicXML file -> Grid."""
    path = Path(spec)
    if path.suffix.lower() in (".mid", ".midi", ".xml", ".musicxml", ".mxl"):
        if not path.is_file():
            raise SeqgenError(f"primer file {spec!r} does not exist")
        return read_primer_file(path, voices)
    from seqgen.data_prep.chorale_cache import load_chorales

    dataset = load_chorales(source, data_dir, progress=False)
    if ":" in spec:
        split, _, index = spec.partition(":")
        grids = dataset.get(split)
        if grids is None or not index.isdigit() or int(index) >= len(grids):
            raise SeqgenError(f"primer {spec!r}: use SPLIT:INDEX with SPLIT in train/valid/test and INDEX below the split's size")
        return grids[int(index)]
    matches = [g for grids in dataset.values() for g in grids if g.name.lower() == spec.lower()]
    if not matches:
        raise SeqgenError(f"primer {spec!r} is not a file, SPLIT:INDEX, or a chorale name such as bwv269")
    return matches[0]


def output_paths(out: str | os.PathLike, num: int, fmt: str, plot: bool, force: bool) -> list[tuple[Path, Path | None]]:
    """Where each piece goes (``OUT-1.mid``... when ``num > 1``) and its piano roll (``OUT.png``
    beside it with ``plot``), all checked before any work."""
    out = Path(out)
    if out.suffix == "":
        out = out.with_suffix(FORMATS[fmt])
    if out.suffix.lower() not in SUFFIXES[fmt]:
        raise SeqgenError(f"-o {out}: a {fmt} file should end in {' or '.join(SUFFIXES[fmt])}; "
                          f"give -o {out.with_suffix(FORMATS[fmt]).name} (--plot writes the PNG beside it)")
    names = numbered_names(out, num)
    pairs = []
    for name in names:
        png = name.with_suffix(".png") if plot else None
        pairs.append((check_writable(name, force), check_writable(png, force) if png else None))
    return pairs


def generate_grids(model, codec: ChoraleCodec, primer: Grid | None, steps: int, num: int,
                   sampling: SamplingConfig, primer_steps: int = 16) -> tuple[list[Grid], list[str]]:
    """``num`` pieces of ``steps`` time steps (the primer's steps included); and notes for the user."""
    notes = []
    prime_tokens = np.array([], np.int32)
    if primer is not None:
        primer, moved = codec.fit_into_range(primer)
        if moved:
            notes.append(f"primer: {moved} notes outside the model's range {codec.low}-{codec.high} moved by octaves")
        primer = Grid(primer.pitches[:primer_steps], primer.struck[:primer_steps], primer.name)
        prime_tokens = codec.encode(primer)
    if steps <= len(prime_tokens) // codec.voices:
        raise SeqgenError(f"--steps {steps} must exceed the primer's {len(prime_tokens) // codec.voices} steps")
    strategy = make_strategy(sampling.temperature, sampling.top_k, sampling.top_p, codec.forbidden_ids)
    sampler = Sampler(model, strategy, seed=sampling.seed, greedy=sampling.greedy)
    batch = np.tile(with_bos(prime_tokens, codec.bos_id), (num, 1))  # (num, 1 + primer tokens)
    new = sampler.generate(batch, steps * codec.voices - len(prime_tokens))  # (num, new tokens)
    grids = [codec.decode(np.concatenate([prime_tokens, row]), name=f"seqgen-{i + 1}") for i, row in enumerate(new)]
    return grids, notes


def write_chorales(run: str | None, out: str, *, primer: str | None, primer_steps: int, steps: int, num: int,
                   sampling: SamplingConfig, bpm: float, instrument: int, fmt: str, plot: bool, force: bool,
                   data_dir: str | None = None, key: str | None = None) -> list[str]:
    """Everything ``seqgen generate chorale`` does; returns the lines to print.

    Options and output paths are all checked before any sampling, so bad input writes nothing.
    ``key`` (``"A minor"``) moves each piece into that key afterwards (and MusicXML carries its signature).
    """
    from seqgen.data_prep.music_metrics import parse_key
    from seqgen.generate.midi_writer import check_bpm

    check_bpm(bpm)
    make_strategy(sampling.temperature, sampling.top_k, sampling.top_p)  # validates before loading anything
    if key is not None:
        parse_key(key)  # a bad key fails before the model loads
    paths = output_paths(out, num, fmt, plot, force)
    loaded = open_run(run, "chorale")
    primer_grid = None
    if primer is not None:
        source = loaded.info.source.get("source", "music21")  # primers by name come from the run's data
        primer_grid = resolve_primer(primer, loaded.codec.voices, source, data_dir)
    grids, lines = generate_grids(loaded.model, loaded.codec, primer_grid, steps, num, sampling, primer_steps)
    for grid, (path, png) in zip(grids, paths):
        lines += write_piece(grid, path, png, fmt=fmt, bpm=bpm, instrument=instrument, force=force, key=key)
    return lines


def write_piece(grid: Grid, path: Path, png: Path | None, *, fmt: str, bpm: float, instrument: int, force: bool,
                key: str | None = None) -> list[str]:
    """One generated piece written as ``fmt`` (moved into ``key`` first when given), its piano roll to ``png``."""
    from seqgen.generate.midi_writer import grid_to_midi
    from seqgen.generate.score_writer import grid_to_musicxml, piano_roll_png

    lines, key_name = [], None
    if key is not None:
        from seqgen.generate.harmonize import apply_key

        grid, key_name, lines = apply_key(grid, key)
    if fmt == "wav":
        from seqgen.generate.audio import render_grid

        return lines + [render_grid(grid, path, bpm=bpm, instrument=instrument, force=force)]
    if fmt == "midi":
        grid_to_midi(grid, path, bpm=bpm, instrument=instrument, force=force)
    else:
        grid_to_musicxml(grid, path, bpm=bpm, force=force, key=key_name)
    lines.append(f"wrote {path} ({grid.steps} steps, {len(grid.notes())} notes)")
    if png is not None:
        piano_roll_png(grid, png, title=path.stem, force=force)
        lines.append(f"wrote {png}")
    return lines
