"""Harmonize phrase by phrase, so that every phrase of the melody closes on a cadence.

The melody's phrase ends are its fermatas (MusicXML and the dataset's chorales mark them; on a MIDI
melody ``harmonize --phrase-ends`` marks them) and its last note. The particle filter
(:mod:`generate.particles`) runs up to the first phrase end; each surviving particle's harmony is
judged there (:mod:`generate.cadence`, the definitions the phrase search and the benchmark use): an
inner phrase must close on a recognisable cadence (authentic, half, plagal, deceptive, or V - I in a
related key) in the melody's key, the last on a root-position tonic reached from the dominant in the
key the whole harmonisation is heard in. Of the particles that close so, one is drawn by the particle
weights and the next phrase's particles all continue it (taking the likeliest at every phrase end
instead favoured held chords, ``benchmarks/RESULTS.md``); if none closes, the phrase is sampled
again with another seed (``ROUNDS``, ``FINAL_ROUNDS``), then one of all the particles is drawn the
same way and the phrase counted as missed. So the cadence is the model's own harmony, searched for,
not a chord pasted on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqgen.data_prep.chorale_codec import ChoraleCodec
from seqgen.data_prep.chorales import phrase_ends
from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.grid import Grid
from seqgen.data_prep.music_metrics import estimate_key
from seqgen.generate.cadence import ends_on_cadence, phrase_cadence

ROUNDS = 2  # particle runs per inner phrase before its likeliest ending is kept without a cadence
FINAL_ROUNDS = 4  # and for the last phrase, whose cadence matters most
STEPS_PER_BAR = 16  # --phrase-ends counts bars of 16 16th-note steps (4/4), as infill's --bars does


@dataclass
class FillResult:
    """What harmonize's filter returns, phrase by phrase or over the whole melody at once."""

    tokens: np.ndarray  # (length,) the chosen hypothesis, no BOS
    log_likelihood: float  # log p(all its tokens) under the model, nats
    log_evidence: float  # particle estimate of log p(given tokens), nats (less the parallel penalty, if any);
    #   phrase by phrase: the phrases' estimates of log p(given | the phrases chosen before), summed
    resamples: int  # how often the particles were resampled (in the runs kept)
    phrases: int = 1  # phrase ends searched for a cadence (cadences on), the last note included
    cadences: int = 0  # of them, closed on the cadence asked


def given_phrase_ends(codec: ChoraleCodec, given: np.ndarray) -> list[int]:
    """The steps where phrases end: the last step of each fermata run in the given tokens, and the last step."""
    grid = codec.decode(given)
    return fermata_ends(grid.meta.get("fermata"), grid.steps)


def fermata_ends(fermata: np.ndarray | None, steps: int) -> list[int]:
    """The phrase ends of ``fermata (steps,)`` flags (:func:`data_prep.chorales.phrase_ends`; None: no
    fermatas) before the last step, and the last step."""
    if steps < 1:
        raise SeqgenError("harmonize: the melody has no complete step")
    inner = [] if fermata is None else phrase_ends(np.asarray(fermata, bool)[:steps])
    return [int(t) for t in inner if t < steps - 1] + [steps - 1]


def mark_phrase_ends(melody: Grid, spec: str, column: int = 0) -> Grid:
    """``melody`` with a fermata on the last note struck in each bar of ``spec`` (``"2,4,6"``, 1-based bars
    of 16 steps), held to that note's end: a user's phrase ends on a melody that has none."""
    bars = parse_bar_list(spec)
    count = -(-melody.steps // STEPS_PER_BAR)
    fermata = np.zeros(melody.steps, bool)
    for bar in bars:
        if bar > count:
            raise SeqgenError(f"--phrase-ends {_shown(spec)}: the melody has bars 1-{count} (16th-note steps, 4/4)")
        struck = np.flatnonzero(melody.struck[(bar - 1) * STEPS_PER_BAR: bar * STEPS_PER_BAR, column])
        if not struck.size:
            raise SeqgenError(f"--phrase-ends {_shown(spec)}: no melody note begins in bar {bar}; mark bars with notes")
        start = (bar - 1) * STEPS_PER_BAR + int(struck[-1])
        end = start + 1
        while end < melody.steps and melody.pitches[end, column] and not melody.struck[end, column]:
            end += 1
        fermata[start:end] = True
    meta = {**melody.meta, "fermata": fermata}
    return Grid(melody.pitches, melody.struck, melody.name, meta=meta)


def parse_bar_list(spec: str) -> list[int]:
    """``"2,4,6"`` -> ``[2, 4, 6]``; one line naming ``--phrase-ends`` for anything else."""
    parts = [p.strip() for p in spec.split(",")]
    if not parts or not all(p.isdigit() and int(p) >= 1 for p in parts) or len(parts) > 10_000:
        raise SeqgenError(f"--phrase-ends {_shown(spec)}: write bar numbers (1-based, 4/4), e.g. 2,4,6,8")
    return sorted({int(p) for p in parts})


def _shown(spec: str) -> str:
    """``spec`` quoted for a one-line message, cut after 40 characters."""
    return repr(spec if len(spec) <= 40 else spec[:40] + "...")


def fill_phrases(sampler, forced, codec: ChoraleCodec, given: np.ndarray, mask: np.ndarray, config,
                 ends: list[int]) -> FillResult:
    """The harmonisation of ``given`` (forced where ``mask``), searched phrase by phrase (module doc);
    ``sampler`` and ``forced`` are harmonize's compiled particle loop."""
    voice = int(np.flatnonzero(mask[: codec.voices])[0])
    melody = codec.decode(given)
    home = estimate_key(Grid(melody.pitches[:, [voice]], melody.struck[:, [voice]]))  # inner cadences: the melody's key
    prefix = np.array([codec.bos_id], np.int32)
    lik = evidence = 0.0
    resamples = cadences = 0
    for k, end in enumerate(ends):
        final = k == len(ends) - 1
        stop = (end + 1) * codec.voices
        forced.assign(given[:stop], mask[:stop])  # positions past the phrase are free and unweighed
        best = None
        for r in range(1 if config.greedy else FINAL_ROUNDS if final else ROUNDS):  # greedy: every round the same
            seed = (config.seed * 1_000_003 + k * 16 + r) & 0x7FFFFFFF
            sampler.reseed(seed)
            run = _run(sampler, codec, prefix, stop, config.particles, end, home, final, seed)
            best = run if best is None or run[0][0] > best[0][0] else best  # a later round only for a cadence
            if best[0][0]:
                break
        (level, _), row, run_lik, run_evidence, run_resamples = best
        prefix = np.concatenate([prefix, row])
        lik, evidence, resamples, cadences = lik + run_lik, evidence + run_evidence, resamples + run_resamples, cadences + level
    forced.assign(given, mask)
    return FillResult(prefix[1:], lik, evidence, resamples, len(ends), cadences)


def _run(sampler, codec, prefix, stop, particles, end, home, final, seed):
    """One particle run from ``prefix`` to token ``stop``: ``((cadence, weight), new tokens, log-likelihood,
    evidence, resamples)`` of the particle it keeps: one of those that close the phrase (all, if none does),
    drawn by the particle weights (seeded by ``seed``)."""
    tokens, parents, (log_w, log_lik, penalty, ev, res) = sampler.weighed(
        np.repeat(prefix[None], particles, axis=0), stop - len(prefix) + 1)  # (particles, new), (new, particles)
    from seqgen.generate.particles import trace_all

    rows = trace_all(tokens, parents)  # (particles, new)
    judged: dict[bytes, int] = {}  # resampled particles repeat: judge each distinct row once
    for row in rows:
        if row.tobytes() not in judged:
            judged[row.tobytes()] = closes(codec.decode(np.concatenate([prefix[1:], row])), end, home, final)
    level = np.array([judged[row.tobytes()] for row in rows])  # (particles,)
    w = log_w.numpy().astype(np.float64)
    pool = np.flatnonzero(level == level.max())
    chances = np.exp(w[pool] - w[pool].max())
    b = int(np.random.default_rng(seed).choice(pool, p=chances / chances.sum()))
    evidence = float(ev.numpy()) + float(np.log(np.mean(np.exp(w - w.max()))) + w.max())
    return (int(level[b]), float(w[b])), rows[b], float(log_lik.numpy()[b]), evidence, int(res.numpy())


def closes(grid: Grid, end: int, home: tuple[int, str], final: bool) -> int:
    """1 if ``grid``'s phrase ending at step ``end`` closes as asked (module doc), else 0."""
    cut = Grid(grid.pitches[: end + 1], grid.struck[: end + 1])
    if final:
        return int(ends_on_cadence(cut, *estimate_key(cut), hold=1))
    return int(phrase_cadence(cut, end, *home) != "other")
