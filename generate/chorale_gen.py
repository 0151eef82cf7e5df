"""Chorale generation: a run (or the shipped model), a primer, the sampler, and the writers."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from seqgen.data_prep.chorale_codec import ChoraleCodec
from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.grid import Grid
from seqgen.data_prep.pipeline import with_bos
from seqgen.generate import limits
from seqgen.generate.cadence import key_in_mode
from seqgen.generate.chorale_io import resolve_primer, write_piece
from seqgen.generate.outputs import output_paths
from seqgen.generate.phrase_search import PhraseConfig, phrase_pieces
from seqgen.generate.runs import open_run
from seqgen.generate.sampler import sampler_for
from seqgen.generate.sampling import SamplingConfig


DEFAULT_PHRASES = 4  # what a piece is when no length is asked: four phrases, the last on the final cadence
FREE_STEPS = 128  # the length asked of a model without phrase ends when none is given (the old default)


def piece_length(steps: int | None, phrases: int | None) -> tuple[int | None, int | None]:
    """``(steps, phrases)`` as asked, exactly one set: ``steps`` asks for free sampling of that many steps (no
    cadence), ``phrases`` for that many phrases through the cadence search; neither means
    :data:`DEFAULT_PHRASES` phrases; both is a contradiction, refused before any model loads."""
    if steps is not None and phrases is not None:
        raise SeqgenError(f"give --steps {steps} (free sampling, no cadence) or --phrases {phrases} "
                          "(phrases ending on cadences), not both")
    return (steps, None) if steps is not None else (None, phrases or DEFAULT_PHRASES)


def max_steps(steps: int | None, phrases: int | None) -> int:
    """The longest piece :func:`generate_grids` can write for this length (for the token limit)."""
    steps, phrases = piece_length(steps, phrases)
    return steps if steps is not None else phrases * PhraseConfig().max_phrase_steps


def generate_grids(model, codec: ChoraleCodec, primer: Grid | None, steps: int | None, num: int,
                   sampling: SamplingConfig, primer_steps: int = 16, progress=None, mode: str | None = None,
                   phrases: int | None = None, rules=None, tonic: int | None = None,
                   scale_penalty: float | None = None,
                   search: PhraseConfig | None = None) -> tuple[list[Grid], list[str]]:
    """``num`` pieces of ``steps`` time steps (the primer's steps included: free sampling), or of ``phrases``
    phrases ending on cadences (:mod:`generate.phrase_search`); neither: :data:`DEFAULT_PHRASES` phrases
    (:func:`piece_length`), or :data:`FREE_STEPS` free steps, said in a note, when the codec marks no phrase
    ends. ``mode`` sets the start token. Returns the grids and notes for the user.

    ``progress(done, total)`` (tokens) is called after each sampler chunk; the studio stops a job by raising in it.
    ``rules`` (a :class:`generate.rules.RulesConfig`; None: off) applies the part-writing rules while sampling.
    ``tonic`` with ``mode`` is the key asked: its scale steers the sampler (``scale_penalty`` nats off each note
    outside it, :data:`generate.rules.SCALE_PENALTY` by default, 0: off), and the phrase search ends in it.
    ``search`` sets the phrase search (its ``phrases`` replaced by the count asked; default :class:`PhraseConfig`).
    """
    steps, phrases, notes = _length_for(codec, steps, phrases)
    prime_tokens = np.array([], np.int32)
    if primer is not None:
        primer, moved = codec.fit_into_range(primer)
        if moved:
            notes.append(f"primer: {moved} notes outside the model's range {codec.low}-{codec.high} moved by octaves")
        primer = Grid(primer.pitches[:primer_steps], primer.struck[:primer_steps], primer.name)
        prime_tokens = codec.encode(primer)
    processor = _steering(codec, rules, mode, tonic, scale_penalty)
    if phrases:
        grids, more = phrase_pieces(model, codec, num, sampling, replace(search or PhraseConfig(), phrases=phrases),
                                    mode, prime_tokens,
                                    rules=processor, tonic=tonic)
        return grids, notes + more
    if steps <= len(prime_tokens) // codec.voices:
        raise SeqgenError(f"--steps {steps} must exceed the primer's {len(prime_tokens) // codec.voices} steps")
    sampler = sampler_for(model, sampling, codec.forbidden_ids, rules=processor)
    batch = np.tile(with_bos(prime_tokens, codec.start_id(mode)), (num, 1))  # (num, 1 + primer tokens)
    new = sampler.generate(batch, steps * codec.voices - len(prime_tokens), progress)  # (num, new tokens)
    grids = [codec.decode(np.concatenate([prime_tokens, row]), name=f"seqgen-{i + 1}") for i, row in enumerate(new)]
    for grid in grids if mode and codec.phrases else ():
        grid.meta["key"] = key_in_mode(grid, mode)  # the asked mode's best key: what --key moves from
    return grids, notes


def _length_for(codec: ChoraleCodec, steps: int | None, phrases: int | None) -> tuple[int | None, int | None, list[str]]:
    """:func:`piece_length` for this codec: the default phrases fall back to free steps where it has no phrase ends."""
    asked = phrases is not None
    steps, phrases = piece_length(steps, phrases)
    if phrases is not None and not asked and not codec.phrases:
        return FREE_STEPS, None, [f"this run's model marks no phrase ends, so no cadence search: sampled "
                                  f"{FREE_STEPS} steps freely (--steps N asks for another length)"]
    return steps, phrases, []


def _steering(codec: ChoraleCodec, rules, mode: str | None, tonic: int | None, scale_penalty: float | None):
    """The sampler's processor: the part-writing ``rules`` and, with a key asked, its scale; None if neither."""
    key = (tonic % 12, mode) if tonic is not None and mode is not None else None
    if rules is None and key is None:
        return None
    from seqgen.generate.rules import steering

    return steering(codec, rules, key, scale_penalty)


def write_chorales(run: str | None, out: str, *, primer: str | None, primer_steps: int, steps: int | None, num: int,
                   sampling: SamplingConfig, bpm: float, instrument: int, fmt: str, plot: bool, force: bool,
                   data_dir: str | None = None, key: str | None = None, phrases: int | None = None,
                   rules=None) -> list[str]:
    """Everything ``seqgen generate chorale`` does; returns the lines to print.

    Options and output paths are all checked before any sampling, so bad input writes nothing.
    ``key`` (``"A minor"``) asks for its mode (models with mode tokens) and moves each piece into that
    key afterwards (and MusicXML carries its signature). ``steps`` samples that many steps freely, ``phrases``
    writes pieces of that many phrases, neither :data:`DEFAULT_PHRASES` phrases (:func:`piece_length`);
    ``rules`` (a :class:`generate.rules.RulesConfig`) are the part-writing rules applied while sampling.
    """
    from seqgen.data_prep.music_metrics import parse_key
    from seqgen.generate.midi_writer import check_bpm

    check_bpm(bpm)
    limits.check_tokens(max_steps(steps, phrases) * limits.CHORALE_VOICES, num)  # and both lengths refused
    if key is not None:
        parse_key(key)  # a bad key fails before the model loads
    paths = output_paths(out, num, fmt, plot, force)
    loaded = open_run(run, "chorale")
    primer_grid = None
    if primer is not None:
        source = loaded.info.source.get("source", "music21")  # primers by name come from the run's data
        primer_grid = resolve_primer(primer, loaded.codec.voices, source, data_dir)
    tonic, mode = parse_key(key) if key is not None else (None, None)
    grids, lines = generate_grids(loaded.model, loaded.codec, primer_grid, steps, num, sampling, primer_steps,
                                  mode=mode, phrases=phrases, rules=rules, tonic=tonic)
    for grid, (path, png) in zip(grids, paths):
        lines += write_piece(grid, path, png, fmt=fmt, bpm=bpm, instrument=instrument, force=force, key=key)
    return lines
