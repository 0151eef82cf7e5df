"""``seqgen harmonize``: keep a given line (soprano or bass) and fill the other voices with a chorale model.

Tokens are interleaved S, A, T, B per 16th-note step, so the given voice's token is forced at its
place in every step and the other three are sampled. Plain forced decoding would plan blind: the
model cannot see the melody's future. So a particle filter (sequential Monte Carlo) carries
``particles`` hypotheses as one batch through the model's one-step contract; every time a given
note comes, each hypothesis is weighted by the model's probability of that note after what it
wrote, and when the weights grow uneven (effective sample size below half) the hypotheses are
resampled (systematic resampling), so those that make the melody unlikely die out. The result is the
surviving hypothesis with the highest log-likelihood. ``particles=1`` is plain forced decoding.
All of it runs in the one compiled sampling loop: the given voice is a forced-token processor, the
part-writing rules (``rules``) shape the proposal, and the weighing and resampling are the loop's
``weigh`` (:mod:`generate.particles`).

``parallel_penalty`` also takes that many nats off a hypothesis's weight for every parallel fifth
or octave it writes (the rule the shipped model breaks most, ``benchmarks/RESULTS.md``), so such
hypotheses die out too; the final pick is the highest log-likelihood less the penalty.

By default (``cadences``) the filter runs one phrase at a time and keeps, at each phrase end, a
particle that closes it on a cadence (:mod:`generate.harmonize_phrases`); ``--no-cadences`` runs it
over the whole melody at once, as described above.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

from seqgen.data_prep import music_metrics as mm
from seqgen.data_prep.chorale_codec import ChoraleCodec
from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.grid import Grid
from seqgen.generate.chorale_io import OutputConfig, apply_key, load_piece, write_grid
from seqgen.generate.harmonize_phrases import (FillResult, fermata_ends, given_phrase_ends, mark_phrase_ends,
                                               parse_bar_list)
from seqgen.generate.outputs import music_paths
from seqgen.generate.rules import RulesConfig

GIVEN_VOICES = {"soprano": 0, "bass": 3}


@dataclass(frozen=True)
class HarmonizeConfig:
    """How the free voices are drawn; validated in ``__post_init__``."""

    particles: int = 32  # hypotheses carried as one batch; 1 = plain forced decoding
    temperature: float = 1.0  # of the proposal for the free voices
    top_p: float | None = None  # nucleus of the proposal
    seed: int = 0  # same seed, same harmonisation
    greedy: bool = False  # the most likely free notes (deterministic)
    given: str = "soprano"  # the voice kept: "soprano" or "bass"
    resample_below: float = 0.5  # resample when the effective sample size falls below this share
    parallel_penalty: float = 3.0  # nats off a hypothesis's weight per parallel fifth or octave it writes
    rules: RulesConfig = RulesConfig()  # part-writing rules on the proposal of the free voices
    cadences: bool = True  # search phrase by phrase for a cadence at every phrase end (harmonize_phrases)

    def __post_init__(self):
        if self.particles < 1:
            raise SeqgenError(f"--particles must be >= 1, got {self.particles}")
        if self.given not in GIVEN_VOICES:
            raise SeqgenError(f"--given must be one of {', '.join(GIVEN_VOICES)}, got {self.given!r}")
        if not 0 <= self.parallel_penalty < float("inf"):  # nan fails both comparisons
            raise SeqgenError(f"--parallel-penalty must be a finite number >= 0, got {self.parallel_penalty}")
        if not 0 < self.resample_below <= 1:
            raise SeqgenError(f"resample_below must be in (0, 1], got {self.resample_below}")


def fill_given(model, codec: ChoraleCodec, given: np.ndarray, mask: np.ndarray, config: HarmonizeConfig,
               ends: list[int] | None = None) -> FillResult:
    """Tokens ``(length,)`` where ``mask`` is True are kept from ``given``; the rest are drawn (see module doc).
    With ``config.cadences``, phrase by phrase, each closed on a cadence where the particles allow
    (:mod:`generate.harmonize_phrases`): at the steps ``ends``, by default the given tokens' fermatas
    and the last step."""
    from seqgen.generate.particles import trace_back

    sampler, forced = _loop_for(model, codec, len(given), config)
    mask = np.asarray(mask, bool)
    if config.cadences:
        from seqgen.generate.harmonize_phrases import fill_phrases

        return fill_phrases(sampler, forced, codec, given, mask, config,
                            given_phrase_ends(codec, given) if ends is None else ends)
    forced.assign(given, mask)
    sampler.reseed(config.seed)
    n = config.particles
    tokens, parents, (log_w, log_lik, penalty, evidence, resamples) = sampler.weighed(
        np.full((n, 1), codec.bos_id, np.int32), len(given))  # tokens (particles, length), parents (length, particles)
    score = (log_lik - penalty).numpy()
    best = int(np.argmax(score))
    final = float(evidence.numpy()) + _log_mean_exp(log_w.numpy().astype(np.float64))
    return FillResult(trace_back(tokens, parents, best), float(log_lik.numpy()[best]), final, int(resamples.numpy()))


_LOOPS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # model -> {what shapes the loop: (sampler, forced)}
MIN_CAPACITY = 2048  # forced-token positions of the smallest loop (most chorales fit: one trace); longer take the next power of two
KEPT_LOOPS = 8  # compiled loops kept per model (each holds a traced graph)


def _loop_for(model, codec: ChoraleCodec, length: int, config: HarmonizeConfig):
    """``(sampler, forced)``: the compiled particle loop for ``config`` (its seed aside) and melodies of up
    to a power-of-two capacity, built once per model. Tracing it costs more than harmonising a chorale
    (bwv269 with 32 particles: about 9 s of which 4 s sampling), so every piece after the first reuses it:
    the melody goes into the forced tokens' variables and the seed into the sampler's."""
    from dataclasses import replace

    from seqgen.generate.particles import ParticleFilter
    from seqgen.generate.processors import Forced
    from seqgen.generate.rules import part_writing
    from seqgen.generate.sampler import sampler_for
    from seqgen.generate.sampling import SamplingConfig

    capacity = max(MIN_CAPACITY, 1 << max(length - 1, 0).bit_length())
    key = (repr(codec.to_config()), replace(config, seed=0), capacity)
    loops = _LOOPS.setdefault(model, {})
    if key not in loops:
        forced = Forced(np.zeros(1, np.int32), np.zeros(1, bool), capacity)
        weigh = ParticleFilter(codec, forced, config.particles, config.resample_below, config.parallel_penalty)
        sampling = SamplingConfig(config.temperature, top_p=config.top_p, seed=config.seed, greedy=config.greedy)
        sampler = sampler_for(model, sampling, codec.forbidden_ids, rules=part_writing(codec, config.rules),
                              forced=forced, weigh=weigh, progress=None)
        while len(loops) >= KEPT_LOOPS:
            loops.pop(next(iter(loops)))
        loops[key] = sampler, forced
    return loops[key]


def _log_softmax(x: np.ndarray) -> np.ndarray:
    x = x - x.max(axis=-1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=-1, keepdims=True))


_STEPS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def compiled_step(model):
    """``model.step`` as a ``tf.function``, one per model (tracing it again for every piece is slow)."""
    import tensorflow as tf

    if model not in _STEPS:
        _STEPS[model] = tf.function(model.step, reduce_retracing=True)
    return _STEPS[model]


def _log_mean_exp(x: np.ndarray) -> float:
    return float(np.log(np.mean(np.exp(x - x.max()))) + x.max())


# -- input, keys and output --------------------------------------------------------------------------

def given_column(piece: Grid, given: str) -> int:
    """Column of the given voice: the top voice for the soprano, the lowest voice with notes for the bass."""
    if given == "soprano":
        column = 0
    else:
        column = max(v for v in range(piece.voices) if (piece.pitches[:, v] > 0).any())
    return column


def given_grid(codec: ChoraleCodec, piece: Grid, column: int, voice: int) -> tuple[Grid, int, list[int]]:
    """``(grid, notes moved by octaves, phrase ends)``: the grid the filter fills, where only ``voice``
    sounds (``piece``'s ``column``, moved into the model's range), and the steps its phrases end at."""
    pitches = np.zeros((piece.steps, codec.voices), np.int16)  # (steps, voices): only the given voice sounds
    struck = np.zeros((piece.steps, codec.voices), bool)
    pitches[:, voice], struck[:, voice] = piece.pitches[:, column], piece.struck[:, column]
    # Fermatas ride on the soprano's tokens (the codec's phrase ends), so the model hears them when it is given.
    phrases = {"fermata": piece.meta["fermata"]} if "fermata" in piece.meta and voice == 0 else {}
    grid, moved = codec.fit_into_range(Grid(pitches, struck, piece.name, meta=phrases))
    return grid, moved, fermata_ends(piece.meta.get("fermata"), grid.steps)


def harmonize(run: str | None, melody: str, out: str, config: HarmonizeConfig, num: int = 1, key: str | None = None,
              output: OutputConfig = OutputConfig(), data_dir: str | None = None,
              phrase_ends: str | None = None) -> list[str]:
    """Everything ``seqgen harmonize`` does; returns the lines to print. ``phrase_ends`` (``"2,4,6"``, bars)
    marks where the melody's phrases end, in place of its own fermatas."""
    from seqgen.generate.runs import open_run

    paths = music_paths(out, num, output.force)
    if key is not None:
        mm.parse_key(key)  # a bad key fails before the model loads
    bars = None if phrase_ends is None else parse_bar_list(phrase_ends)  # so does a bad bar list
    loaded = open_run(run, "chorale")
    model, codec, info = loaded.model, loaded.codec, loaded.info
    piece = load_piece(melody, info.source.get("source", "music21"), data_dir)
    piece, key_name, lines = apply_key(piece, key, GIVEN_VOICES[config.given])
    voice, column = GIVEN_VOICES[config.given], given_column(piece, config.given)
    if phrase_ends is not None:
        piece = mark_phrase_ends(piece, phrase_ends, column)
    grid, moved, ends = given_grid(codec, piece, column, voice)
    if moved:
        lines.append(f"{moved} notes of the {config.given} outside the model's range {codec.low}-{codec.high} moved by octaves")
    given = codec.encode(grid)
    mask = np.arange(len(given)) % codec.voices == voice
    for i, path in enumerate(paths):
        result = fill_given(model, codec, given, mask, _with_seed(config, config.seed + i), ends)
        harmony = codec.decode(result.tokens, name=f"{piece.name}-harmonized")
        lines.append(write_grid(harmony, path, bpm=output.bpm, instrument=output.instrument, force=output.force,
                                key=key_name, soundfont=output.soundfont))
        lines.append(f"  log-likelihood {result.log_likelihood:.1f} nats ({result.log_likelihood / len(given):.3f} per note); "
                     f"log p({config.given}){' less penalties' if config.parallel_penalty else ''} {result.log_evidence:.1f} nats; "
                     f"{config.particles} particles, "
                     f"{result.resamples} resamplings")
        if config.cadences:
            where = "the melody's fermatas and its last note" if len(ends) > 1 else "the melody's last note"
            if bars is not None:
                where = f"bars {', '.join(map(str, bars))} and the melody's last note"
            lines.append(f"  cadences at {result.cadences} of {result.phrases} phrase ends ({where})")
    return lines


def _with_seed(config: HarmonizeConfig, seed: int) -> HarmonizeConfig:
    from dataclasses import replace

    return replace(config, seed=seed)
