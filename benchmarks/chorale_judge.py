"""A listening benchmark without listeners: the ``seqgen judge`` measures side by side for

* Bach's own test chorales (music21 split; the reference pools the train and validation chorales),
* a chorale model's free samples (the shipped one by default, ``--run``), ``--steps`` long, at two
  temperatures, with each ``--rules`` setting when the sampler has part-writing rules,
* pieces of ``--phrases`` phrases through the cadence search (:mod:`generate.phrase_search`), free
  and asked in ``--key`` (default D minor): the share music21's key analysis finds in that key,
* its harmonisations of the test chorales' sopranos (``--harmonize``, 0 to skip).

Besides the rule rates and distribution distances: the share of pieces ending on a root-position
tonic reached from the dominant (:func:`generate.cadence.ends_on_tonic_after_dominant`, key estimated
from the whole piece), the share of steps where all four voices are silent, and seconds per piece.

Goals (issue 18): >= 90% of pieces end V - I on a root-position tonic; >= 90% in the asked key.

    python benchmarks/chorale_judge.py --samples 50 --phrases 4 --phrase-samples 50 --harmonize 20
    python benchmarks/chorale_judge.py --samples 0 --harmonize 20 --harmonize-both   # harmonisations only
"""

from __future__ import annotations

import argparse
import math

import numpy as np
from common import Timer

RULES = ("parallel_fifths", "parallel_octaves", "hidden_fifths", "hidden_octaves", "voice_crossing",
         "voice_overlap", "spacing", "out_of_range")
DISTANCES = ("pitch_class", "melodic_intervals", "note_lengths", "harmonic_intervals")
GENERAL = ("polyphony", "pitch_class_entropy", "scale_consistency", "empty_beat_rate", "groove_consistency")
OURS = ("ends V-I", "all silent", "key = asked", "mode = asked", "K-K key = asked")


def samples(loaded, n: int, steps: int, sampling, phrases: int | None, key: str | None, rules: str = "strict",
            search=None):
    """``n`` free pieces with part-writing ``rules``, moved into ``key`` when given (as ``generate chorale
    --key`` does); ``search``: the phrase search's :class:`PhraseConfig`."""
    from seqgen.data_prep.music_metrics import parse_key
    from seqgen.generate.chorale_gen import generate_grids
    from seqgen.generate.chorale_io import apply_key
    from seqgen.generate.rules import RulesConfig

    tonic, mode = parse_key(key) if key else (None, None)
    steps = None if phrases else steps  # one length: free steps or phrases (generate_grids refuses both)
    grids, _ = generate_grids(loaded.model, loaded.codec, None, steps, n, sampling, mode=mode, phrases=phrases,
                              rules=RulesConfig(rules), tonic=tonic, search=search)
    return [apply_key(g, key)[0] for g in grids] if key else grids


def music21_key(grid) -> str:
    """music21's key analysis of ``grid``, e.g. ``"D minor"``."""
    from seqgen.generate.score_writer import grid_to_score

    found = grid_to_score(grid).analyze("key")
    return f"{found.tonic.name.replace('-', 'b')} {found.mode}"


def our_measures(grids, key: str | None) -> dict:
    from seqgen.data_prep.music_metrics import estimate_key, parse_key
    from seqgen.generate.cadence import ends_on_tonic_after_dominant

    out = {"ends V-I": float(np.mean([ends_on_tonic_after_dominant(g) for g in grids])),
           "all silent": float(np.mean([(g.pitches == 0).all(axis=1).mean() for g in grids]))}
    if key:
        out["key = asked"] = float(np.mean([parse_key(music21_key(g)) == parse_key(key) for g in grids]))
        out["mode = asked"] = float(np.mean([parse_key(music21_key(g))[1] == parse_key(key)[1] for g in grids]))
        out["K-K key = asked"] = float(np.mean([estimate_key(g) == parse_key(key) for g in grids]))
    return out


def harmonizations(tests, particles: int, seed: int, penalty: float = 3.0, cadences: bool = True):
    """Each test chorale's soprano harmonised by the shipped model (``harmonize``'s defaults: strict rules,
    parallel penalty 3, the cadence search at the fermatas and the last note unless ``cadences`` is off);
    also the share of A/T/B cells equal to Bach's, the share of phrase ends closed on the cadence asked,
    and seconds per piece (the first one includes tracing the loop the others reuse)."""
    from seqgen.generate.runs import open_run
    from seqgen.generate.harmonize import HarmonizeConfig, fill_given

    loaded = open_run(None, "chorale")
    model, codec = loaded.model, loaded.codec
    grids, same, nats, seconds, closed = [], [], [], [], []
    for i, bach in enumerate(tests):
        bach, _ = codec.fit_into_range(bach)
        given = codec.encode(bach)
        mask = np.arange(len(given)) % 4 == 0
        config = HarmonizeConfig(particles=particles, seed=seed + i, parallel_penalty=penalty, cadences=cadences)
        with Timer() as timer:
            result = fill_given(model, codec, given, mask, config)
        seconds.append(timer.seconds)
        grid = codec.decode(result.tokens, name=f"{bach.name}-h{particles}")
        grids.append(grid)
        same.append(float((grid.pitches[:, 1:] == bach.pitches[:, 1:]).mean()))
        nats.append(-result.log_likelihood / len(given))
        closed.append(result.cadences / result.phrases if cadences else math.nan)
    return grids, {"A/T/B = Bach's": float(np.mean(same)), "nats/note": float(np.mean(nats)),
                   "phrase ends closed": float(np.mean(closed)),
                   "s first piece": seconds[0], "s/piece": float(np.mean(seconds))}


def column(grids, reference) -> dict:
    from seqgen.generate.judge import profile_of

    return profile_of(grids).measures(reference)


def markdown(columns: dict[str, dict]) -> str:
    names = list(columns)
    lines = ["| measure | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    keys = RULES + OURS + DISTANCES + GENERAL + ("A/T/B = Bach's", "nats/note", "phrase ends closed", "s first piece",
                                                  "s/piece")
    for key in keys:
        cells = [columns[n].get(key) for n in names]
        if all(c is None for c in cells):
            continue
        text = ["-" if c is None or (isinstance(c, float) and math.isnan(c)) else f"{c:.3f}" for c in cells]
        lines.append(f"| {key} | " + " | ".join(text) + " |")
    return "\n".join(lines)


def settings(args) -> list[tuple[str, object, str, str | None, int | None, int]]:
    """``(label, SamplingConfig, rules, key, phrases, pieces)`` per free-sample column: two temperatures x
    ``--rules``, ``--steps`` long (none with ``--samples 0``); then the phrase search at T=1 with the
    default strict rules, free and in ``--key``."""
    from seqgen.generate.sampling import SamplingConfig

    out = []
    for rules in args.rules.split(",") if args.samples else ():
        for t in (1.0, 0.8):
            label = f"T={t:g}, rules {rules}, {args.steps} steps"
            out.append((label, SamplingConfig(temperature=t, seed=args.seed), rules, None, None, args.samples))
    for key in (None, args.key) if args.phrases else ():
        label = f"T=1, {args.phrases} phrases" + (f", {key}" if key else "")
        out.append((label, SamplingConfig(seed=args.seed + 1), "strict", key, args.phrases, args.phrase_samples))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", default=None, help="chorale run directory (default: the shipped model)")
    parser.add_argument("--samples", type=int, default=50, help="free samples per setting (0: none)")
    parser.add_argument("--rules", default="off,soft,strict", help="part-writing rules of the free-sample columns")
    parser.add_argument("--steps", type=int, default=192, help="length of each free sample without --phrases")
    parser.add_argument("--phrases", type=int, default=None, help="also pieces of this many phrases (the cadence search)")
    parser.add_argument("--phrase-samples", type=int, default=50, help="pieces per phrase-search column")
    parser.add_argument("--key", default="D minor", help="the key asked of the last column")
    parser.add_argument("--phrase-pick", default="sample", choices=("sample", "likeliest"),
                        help="the phrase search's pick among the particles that close a phrase (PhraseConfig.pick)")
    parser.add_argument("--inner-cadences", type=float, default=None,
                        help="the share of inner phrases asked to close on a cadence (PhraseConfig.inner_cadences)")
    parser.add_argument("--tail", type=int, default=None,
                        help="steps before a phrase's fermata that the search samples again (PhraseConfig.tail)")
    parser.add_argument("--harmonize", type=int, default=0, help="test sopranos to harmonise (0: skip)")
    parser.add_argument("--harmonize-both", action="store_true",
                        help="also harmonise without the cadence search (harmonize --no-cadences)")
    parser.add_argument("--particles", type=int, default=32)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    from seqgen.generate.phrase_search import PhraseConfig

    asked = {"inner_cadences": args.inner_cadences, "tail": args.tail}
    search = PhraseConfig(pick=args.phrase_pick, **{k: v for k, v in asked.items() if v is not None})

    from seqgen.data_prep.chorale_cache import load_chorales
    from seqgen.generate.judge import bach_reference
    from seqgen.generate.runs import open_run

    reference = bach_reference()
    tests = load_chorales("music21", None, progress=False)["test"]
    columns = {"Bach test": {**column(tests, reference), **our_measures(tests, None)}}
    loaded = open_run(args.run, "chorale")
    for label, sampling, rules, key, phrases, n in settings(args):
        with Timer() as timer:
            grids = samples(loaded, n, args.steps, sampling, phrases, key, rules, search)
        columns[label] = {**column(grids, reference), **our_measures(grids, key), "s/piece": timer.seconds / n}
        print(f"{label}: done\n{markdown(columns)}", flush=True)  # a table so far, in case of a stop
    for cadences in (True, False) if args.harmonize_both else (True,):
        if not args.harmonize:
            break
        grids, extra = harmonizations(tests[: args.harmonize], args.particles, args.seed, cadences=cadences)
        label = f"harmonised {args.particles}p" + ("" if cadences else ", no cadence search")
        columns[label] = {**column(grids, reference), **our_measures(grids, None), **extra}
    print(markdown(columns))


if __name__ == "__main__":
    main()
