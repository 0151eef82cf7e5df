"""Chorales of N phrases that end on cadences: a particle search, one phrase at a time.

For each phrase, ``particles`` continuations of the piece so far are sampled (one batch through the
ordinary sampler) for up to ``max_phrase_steps`` steps. Each is cut at its first phrase end (the
end of a run of fermata steps, which the phrase codec predicts; an inner phrase keeps the step after
it, so the next phrase never begins under that fermata), and kept only if it closes on a
cadence (:mod:`generate.cadence`): an inner phrase on a recognisable one (authentic, half, plagal,
deceptive, or V - I in a related key), the last phrase on a held root-position tonic reached from
the dominant, in the key the whole piece is heard in (the benchmark's test, so what the search ranks
is what is judged). Of the kept ones, one drawn at random continues (``pick="sample"``: a draw from
the model given the cadence); ``pick="likeliest"`` takes the highest mean log-probability per token of
the new phrase instead, which favours held chords (note-length distance to Bach 0.34-0.53 against
0.20-0.36, ``benchmarks/RESULTS.md``). So the final cadence is the model's own music, searched for, never a
chord pasted on. If no particle qualifies, a second round with another seed is tried; then a
particle that ends a phrase at all (by the same pick) is taken and the piece is reported as missing it
(twelve rounds for the last phrase; a piece still without its final cadence then goes back one phrase
and writes its last two again, once). A phrase end needs a fermata of ``hold`` to ``max_hold`` steps
and ``min_onsets`` new soprano notes before it, so a chord stuck under a fermata is no phrase.

Inner phrases search only their close (``tail``): the first round draws one particle that ends a phrase
in the key, cadence or not (the model's own phrase); if it closes on no cadence, the next rounds sample
again from ``tail`` steps before its fermata, keeping its first steps. Searching whole phrases for a
cadence, which the model closes only 29% of its phrases on, picked the phrases whose bass moves by root
leaps throughout (bass melodic distance to Bach 0.37-0.48 against 0.24-0.33; RESULTS.md).

The key: the asked mode (``--key``) sets the start token. With the asked tonic too (``tonic``), every
phrase is judged in that key and the piece must be heard in it; otherwise inner phrases are judged in
the best key of the mode for the first phrase (Krumhansl-Kessler), and the piece takes the key it is
heard in at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from seqgen.data_prep.chorale_codec import ChoraleCodec
from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.grid import Grid
from seqgen.data_prep.music_metrics import estimate_key, pitch_class_weights
from seqgen.generate.cadence import ends_on_cadence, key_in_mode, phrase_cadence
from seqgen.generate.sampler import sampler_for
from seqgen.generate.sampling import SamplingConfig

PICKS = ("sample", "likeliest")
ROUNDS = 4  # sampling rounds per inner phrase before giving up on its cadence
BACKTRACK_SEED = 7_919  # added to the seed when a piece writes its last two phrases again (_backtrack)
FINAL_ROUNDS = 12  # and for the last phrase, whose cadence is asked strictly


@dataclass(frozen=True)
class PhraseConfig:
    """How ``generate chorale --phrases`` searches."""

    phrases: int = 4  # phrases per piece; the last ends on the final cadence
    particles: int = 16  # continuations sampled per phrase and piece
    max_phrase_steps: int = 64  # a phrase not ended within this many 16th steps counts as failed
    hold: int = 4  # a phrase end's fermata, and so the final chord, lasts at least this many steps (a quarter)
    min_phrase_steps: int = 12  # Bach's shortest phrase: earlier fermatas do not end the phrase
    max_hold: int = 16  # a longer fermata is a stuck chord, not a phrase end (Bach's longest: 24, 95%: 12)
    min_onsets: int = 3  # soprano notes struck before the fermata: a phrase is new music, not a held chord
    max_still: int = 11  # steps in a row with no voice struck before the fermata: more is a stuck chord (a
    #   chord held past a dotted half mid-phrase, which the model's fermata slips make and Bach does not)
    inner_cadences: float = 1.0  # the share of inner phrases asked to close on a cadence; the others take any
    #   phrase end that stays in the key (Bach closes 76% of his inner phrases on one we recognise, RESULTS.md)
    tail: int = 8  # an inner phrase keeps the model's own particle that ends a phrase in the key and, when it
    #   closes on no cadence, samples again only its last ``tail`` steps before the fermata (0: the whole phrase,
    #   which picks phrases whose bass leaps: melodic distance 0.17-0.20 against 0.12-0.16, RESULTS.md)
    pick: str = "sample"  # of the particles that close the phrase best: "sample", one at random (a draw from
    #   the model given the cadence), or "likeliest" (highest mean log-probability: held chords win, RESULTS.md)

    def __post_init__(self) -> None:
        for name, low, high in (("phrases", 1, 32), ("particles", 1, 256), ("max_phrase_steps", 8, 256),
                                ("hold", 1, 32), ("min_phrase_steps", 1, 256),
                                ("max_hold", 1, 256), ("min_onsets", 0, 256), ("max_still", 1, 256),
                                ("tail", 0, 256)):
            value = getattr(self, name)
            if not low <= value <= high:
                raise SeqgenError(f"phrase search: {name} must be in {low}..{high}, got {value!r}")
        if not 0.0 <= self.inner_cadences <= 1.0:
            raise SeqgenError(f"phrase search: inner_cadences must be in 0..1, got {self.inner_cadences!r}")
        if self.pick not in PICKS:
            raise SeqgenError(f"phrase search: pick must be one of {', '.join(PICKS)}, got {self.pick!r}")


@dataclass
class _Piece:
    tokens: np.ndarray  # (1 + tokens,) start token first
    key: tuple[int, str] | None = None
    missed: int = 0  # phrases that ended without the cadence asked
    asked: tuple[int, str] | None = None  # the key asked (tonic and mode), when the tonic was given


def _phrase_end(fermata: np.ndarray, begin: int, config: "PhraseConfig") -> int | None:
    """The last step of the first phrase end after ``begin``: a run of ``config.hold`` to
    ``config.max_hold`` fermata steps (Bach's are a quarter or longer; shorter runs are slips), followed by a non-fermata
    step (so it surely ended), at least ``config.min_phrase_steps`` after ``begin``; or ``None``. Also ``None``
    when the phrase begins under the fermata the piece so far ends with: its first steps would lengthen that
    hold (decoded as one run), past ``max_hold``, into chords of 17-30 steps that no search step checked."""
    if 0 < begin < len(fermata) and fermata[begin - 1] and fermata[begin]:
        return None
    f = np.concatenate([[False], fermata[begin:], [False]]).astype(np.int8)
    starts, ends = np.flatnonzero(np.diff(f) == 1), np.flatnonzero(np.diff(f) == -1) - 1  # in fermata[begin:]
    for first, last in zip(starts, ends):
        if config.hold <= last - first + 1 <= config.max_hold and last + 1 >= config.min_phrase_steps \
                and begin + last + 1 < len(fermata):
            return begin + int(last)
    return None


def longest_still(struck: np.ndarray) -> int:
    """The most steps in a row of ``struck (steps, voices)`` on which no voice is struck (held or silent)."""
    still = np.concatenate([[0], (~struck.any(axis=1)).astype(np.int8), [0]])
    starts, ends = np.flatnonzero(np.diff(still) == 1), np.flatnonzero(np.diff(still) == -1)
    return int((ends - starts).max()) if starts.size else 0


def _judge(codec: ChoraleCodec, row: np.ndarray, begin: int, piece: _Piece, mode, final: bool, config,
           cadence: bool = True):
    """``(cut tokens, key, level)`` for one sampled row, or ``None`` if it ends no phrase; ``level`` 2: the
    cadence asked in the key asked (or heard), 1: the cadence in another key, 0: no cadence. An inner phrase
    asked for no ``cadence`` counts any phrase end as one."""
    grid = codec.decode(row[1:])
    end = _phrase_end(grid.meta["fermata"], begin, config)
    if end is None:
        return None
    before = np.flatnonzero(~grid.meta["fermata"][: end + 1])
    held = int(before[-1]) + 1 if before.size else 0  # first step of the fermata
    if grid.struck[begin:held, 0].sum() < config.min_onsets or longest_still(grid.struck[begin:held]) > config.max_still:
        return None
    cut = Grid(grid.pitches[: end + 1], grid.struck[: end + 1], meta={"fermata": grid.meta["fermata"][: end + 1]})
    if final:
        key, level = _final(cut, piece, mode, config.hold)
    else:
        key = piece.key or key_in_mode(cut, mode)
        cadence = not cadence or phrase_cadence(cut, end, *key) != "other"
        # Still heard in the key: the one asked, else (after the first phrase) the first phrase's, so the piece
        # does not drift where its final cadence cannot follow.
        stays = _heard_in(cut, piece.asked) if piece.asked else piece.key is None or estimate_key(cut) == piece.key
        level = cadence * (1 + stays)
    keep = end + 1 + (not final)  # an inner phrase keeps the step that ended its fermata: the next begins after it
    tokens = row[: 1 + keep * codec.voices].copy()
    inside = slice(1 + begin * codec.voices, 1 + held * codec.voices)  # the phrase before its fermata
    tokens[inside] = codec.without_phrase_ends(tokens[inside])  # runs that ended no phrase (too soon): no mark
    return tokens, key, level


# music21's default key profile (``analyze("key")``: Aarden-Essen, music21.analysis.discrete), which hears
# more pieces asked in D minor as F or Bb major than Krumhansl-Kessler does.
AARDEN_MAJOR = np.array([17.7661, 0.145624, 14.9265, 0.160186, 19.8049, 11.3587, 0.291248, 22.062, 0.145624,
                         8.15494, 0.232998, 4.95122])
AARDEN_MINOR = np.array([18.2648, 0.737619, 14.0499, 16.8599, 0.702494, 14.4362, 0.702494, 18.6161, 4.56621,
                         1.93186, 7.37619, 1.75623])


def aarden_key(grid: Grid) -> tuple[int, str]:
    """The key music21's default analysis finds: the best correlation of the duration-weighted pitch
    classes with the Aarden-Essen profiles."""
    weights = pitch_class_weights(grid)
    if not weights.any():
        return 0, "major"
    scores = [(float(np.corrcoef(weights, np.roll(profile, t))[0, 1]), t, mode)
              for mode, profile in (("major", AARDEN_MAJOR), ("minor", AARDEN_MINOR)) for t in range(12)]
    return max(scores)[1:]


def _heard_in(cut: Grid, key: tuple[int, str]) -> bool:
    """Whether both key profiles, Krumhansl-Kessler and music21's, hear ``cut`` in ``key``."""
    return estimate_key(cut) == key == aarden_key(cut)


def _final(cut: Grid, piece: _Piece, mode: str | None, hold: int) -> tuple[tuple[int, str], int]:
    """The whole piece's key and how it ends (the level of :func:`_judge`): 2 for a held V - I in the key
    heard in the whole piece (Krumhansl-Kessler, :func:`cadence.ends_on_tonic_after_dominant`, the
    benchmark's test) when that key is in the asked ``mode`` (and is the asked key, when given, for
    music21's profile too: :func:`aarden_key`). Judging
    the ending in the key fixed after the first phrase instead let 1 piece in 3 pass here and fail
    there (the music had modulated)."""
    heard = estimate_key(cut)
    wanted = (mode is None or heard[1] == mode) and (piece.asked is None or _heard_in(cut, piece.asked))
    if ends_on_cadence(cut, *heard, hold):
        return heard, 1 + wanted
    asked = piece.asked is not None and ends_on_cadence(cut, *piece.asked, hold)
    return (piece.asked, 1) if asked else (heard, 0)


def _seed(seed: int, begin: int, r: int) -> int:
    """The random seed of round ``r`` of the phrase that begins at step ``begin``."""
    return (seed * 1_000_003 + begin * 64 + r) & 0x7FFFFFFF


def _extend(codec, sampler, seed: int, pieces: list[_Piece], mode, final: bool, config: PhraseConfig) -> None:
    """Add one phrase to each of ``pieces`` (all of the same length: one batch of particles; a tail search's
    later rounds batch the pieces whose kept steps have the same length)."""
    begin = (len(pieces[0].tokens) - 1) // codec.voices  # first new step
    best: dict[int, tuple] = {}
    # Which inner phrases must close on a cadence: drawn once per phrase, not per round (a draw per particle
    # would let one lucky particle in 16 skip the cadence nearly always).
    asked = final | (np.random.default_rng(_seed(seed, begin, 63)).random(len(pieces)) < config.inner_cadences)
    primers = {i: p.tokens for i, p in enumerate(pieces)}
    tail = config.tail and not final and not sampler.greedy
    for r in range(1 if sampler.greedy else FINAL_ROUNDS if final else ROUNDS):  # greedy: every round the same
        # Each phrase and round draws its own random numbers (the loop's are fixed by seed and position).
        sampler.reseed(_seed(seed, begin, r))
        draw = np.random.default_rng(_seed(seed, begin, r))
        groups: dict[int, list[int]] = {}
        for i in primers:
            groups.setdefault(len(primers[i]), []).append(i)
        for todo in groups.values():
            cadence = asked[todo] & (not (tail and r == 0))  # a tail search's first round takes any phrase end
            _sample_round(codec, sampler, draw, begin, pieces, todo, primers, cadence, mode, final, config, best)
        if tail and r == 0:
            _tails(codec, begin, pieces, mode, config, asked, best, primers)
        primers = {i: t for i, t in primers.items() if not (i in best and best[i][0][0] == 2)}
        if not primers:
            break
    for i, piece in enumerate(pieces):
        if i not in best:  # no particle ended a phrase: keep the window as it is
            piece.missed += 1
            continue
        (level, _), piece.tokens, piece.key = best[i]
        piece.missed += level < 2


def _sample_round(codec, sampler, draw, begin: int, pieces, todo: list[int], primers: dict, cadence: np.ndarray,
                  mode, final: bool, config: PhraseConfig, best: dict) -> None:
    """``config.particles`` continuations of each of ``pieces[todo]`` (their ``primers``, of one length), each
    judged (``cadence[j]``: asked of ``todo[j]``); ``best`` keeps each piece's best ``((level, rank), tokens, key)``."""
    primer = np.repeat(np.stack([primers[i] for i in todo]), config.particles, axis=0)  # (n * P, L)
    done = (primer.shape[1] - 1) // codec.voices - begin  # steps of the phrase kept (a tail search's)
    new, logp = sampler.scored(primer, (config.max_phrase_steps - done) * codec.voices)  # logp: per new token
    ranks = draw.random(len(new))  # pick="sample"'s ranks
    for k, row in enumerate(np.concatenate([primer, new], axis=1)):
        i = todo[k // config.particles]
        judged = _judge(codec, row, begin, pieces[i], mode, final, config, bool(cadence[k // config.particles]))
        if judged is None:
            continue
        tokens, key, level = judged
        rank = float(logp[k, : len(tokens) - len(primer[0])].mean()) if config.pick == "likeliest" else ranks[k]
        if i not in best or (level, rank) > best[i][0]:
            best[i] = ((level, rank), tokens, key)


def _tails(codec, begin: int, pieces, mode, config: PhraseConfig, asked, best: dict, primers: dict) -> None:
    """After the first round of a ``config.tail`` search: each piece's pick (a phrase end in the key, cadence
    or not) is judged again with its cadence asked; one without sends the next rounds back to ``config.tail``
    steps before its fermata (its own first steps kept: the phrase is the model's, only the close searched)."""
    for i, (_, tokens, key) in list(best.items()):
        judged = _judge(codec, tokens, begin, pieces[i], mode, False, config, bool(asked[i]))
        if judged is not None and judged[2] == 2:
            best[i] = ((2, 1.0), tokens, judged[1])
            continue
        best[i] = ((0 if judged is None else judged[2], -1.0), tokens, key if judged is None else judged[1])
        fermata = codec.decode(tokens[1:]).meta["fermata"]
        before = np.flatnonzero(~fermata[: len(fermata) - 1])  # the last step kept is the one after the fermata
        held = int(before[-1]) + 1 if before.size else begin  # the fermata's first step
        primers[i] = tokens[: 1 + max(begin + 1, held - config.tail) * codec.voices]  # kept only if no tail closes


def _phrase(codec, sampler, seed: int, pieces: list[_Piece], mode, final: bool, config: PhraseConfig) -> None:
    """One more phrase for each of ``pieces``; pieces of equal length share one batch of particles."""
    groups: dict[int, list[_Piece]] = {}
    for piece in pieces:
        groups.setdefault(len(piece.tokens), []).append(piece)
    for group in groups.values():
        _extend(codec, sampler, seed, group, mode, final, config)


def _backtrack(codec, sampler, seed: int, pieces: list[_Piece], before: list[_Piece], missed: list[int], mode,
               config: PhraseConfig) -> None:
    """Pieces whose final cadence was not found (``missed`` counts before the last phrase) go back to
    ``before`` their next-to-last phrase and write the last two again with ``seed``; a retry that finds
    the final cadence replaces the piece. (The next-to-last phrase can leave the piece where no ending
    that the search tries closes it: measured, 3 of 20 pieces asked in D minor.)"""
    failed = [i for i, p in enumerate(pieces) if p.missed > missed[i]]
    if not failed:
        return
    retry = [replace(before[i]) for i in failed]
    _phrase(codec, sampler, seed, retry, mode, False, config)
    mid = [p.missed for p in retry]
    _phrase(codec, sampler, seed, retry, mode, True, config)
    for i, again, m in zip(failed, retry, mid):
        if again.missed == m:  # the final cadence found this time
            pieces[i] = again


def phrase_pieces(model, codec: ChoraleCodec, num: int, sampling: SamplingConfig, config: PhraseConfig,
                  mode: str | None = None, primer: np.ndarray | None = None,
                  rules=None, tonic: int | None = None) -> tuple[list[Grid], list[str]]:
    """``num`` pieces of ``config.phrases`` phrases each (after ``primer`` tokens); notes for the user.

    ``rules`` (a processor: the part-writing rules and the asked key's scale, :func:`generate.rules.steering`)
    applies while each phrase is sampled. ``tonic`` with ``mode``: the key asked, which every phrase's cadence
    is judged in and the whole piece must be heard in.
    """
    if not codec.phrases:
        raise SeqgenError("--phrases needs a model trained with phrase ends (the shipped chorale model, or "
                          "`seqgen train chorales --source music21`); this run's codec has none")
    start = np.array([codec.start_id(mode)], np.int32)
    primer = np.asarray([] if primer is None else primer, np.int32)
    asked = (tonic % 12, mode) if tonic is not None and mode is not None else None
    pieces = [_Piece(np.concatenate([start, primer]), key=asked, asked=asked) for _ in range(num)]
    sampler = sampler_for(model, sampling, codec.forbidden_ids, rules=rules, scores=True, progress=None)
    before = None  # the pieces before their next-to-last phrase, for a second try at the ending
    for phrase in range(config.phrases - 1):
        if phrase == config.phrases - 2:
            before = [replace(p) for p in pieces]
        _phrase(codec, sampler, sampling.seed, pieces, mode, False, config)
    missed = [p.missed for p in pieces]
    _phrase(codec, sampler, sampling.seed, pieces, mode, True, config)
    if before is not None and not sampling.greedy:  # a greedy retry would write the same again
        _backtrack(codec, sampler, sampling.seed + BACKTRACK_SEED, pieces, before, missed, mode, config)
    grids, notes = [], []
    tries = "one greedy try" if sampling.greedy else \
        f"{ROUNDS * config.particles}-{FINAL_ROUNDS * config.particles} tries"
    for i, piece in enumerate(pieces):
        if len(piece.tokens) == 1 + len(primer):
            raise _nothing_written(i + 1, tries, sampling.greedy)
        grid = codec.decode(piece.tokens[1:], name=f"seqgen-{i + 1}")
        grid.meta["key"] = piece.key or key_in_mode(grid, mode)
        grids.append(grid)
        if piece.missed:
            notes.append(f"piece {i + 1}: {piece.missed} of {config.phrases} phrases found no cadence in {tries}")
    return grids, notes


def _nothing_written(piece: int, tries: str, greedy: bool) -> SeqgenError:
    """The one line for a piece none of whose phrases ended (nothing to write: a 0-step file helps no one)."""
    what = ("--greedy holds the likeliest chord and never closes a phrase: sample without --greedy, or ask "
            "--steps N for N steps of greedy free sampling") if greedy else \
        "try another --seed, or ask --steps N for free sampling without phrases"
    return SeqgenError(f"generate chorale: piece {piece} ended no phrase in {tries}, so nothing was written; {what}")
