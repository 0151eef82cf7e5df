"""A listening benchmark without listeners: the ``seqgen judge`` measures side by side for

* Bach's own test chorales (music21 split; the reference pools the train and validation chorales),
* the shipped model's free samples at a few temperature / top-p settings,
* its harmonisations of the test chorales' sopranos with the particle filter, and with plain
  forced decoding (one particle), each also scored by how many alto/tenor/bass notes equal Bach's,
* optionally a textbook model's samples (``--textbook RUN_DIR``, e.g. one trained by
  ``benchmarks/chorale_quality.py``).

Goals (issue 12): samples within 1.5x of Bach's violation rates and nearer to Bach on every
distribution than the textbook model's; harmonisations nearer to Bach's own than forced decoding.

    python benchmarks/chorale_judge.py --chorales 20 --particles 32 --textbook runs/textbook
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


def samples(run, n: int, steps: int, temperature: float, top_p: float | None, seed: int):
    from seqgen.generate.chorale_gen import generate_grids
    from seqgen.generate.sampling import SamplingConfig
    from seqgen.generate.runs import open_run

    loaded = open_run(run, "chorale")
    model, codec = loaded.model, loaded.codec
    grids, _ = generate_grids(model, codec, None, steps, n, SamplingConfig(temperature, None, top_p, seed))
    return grids


def harmonizations(tests, particles: int, seed: int, penalty: float = 0.0):
    """Each test chorale's soprano harmonised by the shipped model; also the share of A/T/B cells equal to Bach's."""
    from seqgen.generate.runs import open_run
    from seqgen.generate.harmonize import HarmonizeConfig, fill_given

    loaded = open_run(None, "chorale")
    model, codec = loaded.model, loaded.codec
    grids, same, nats = [], [], []
    for i, bach in enumerate(tests):
        bach, _ = codec.fit_into_range(bach)
        given = codec.encode(bach)
        mask = np.arange(len(given)) % 4 == 0
        result = fill_given(model, codec, given, mask, HarmonizeConfig(particles=particles, seed=seed + i, parallel_penalty=penalty))
        grid = codec.decode(result.tokens, name=f"{bach.name}-h{particles}")
        grids.append(grid)
        same.append(float((grid.pitches[:, 1:] == bach.pitches[:, 1:]).mean()))
        nats.append(-result.log_likelihood / len(given))
    return grids, {"A/T/B = Bach's": float(np.mean(same)), "nats/note": float(np.mean(nats))}


def column(grids, reference) -> dict:
    from seqgen.generate.judge import profile_of

    return profile_of(grids).measures(reference)


def markdown(columns: dict[str, dict]) -> str:
    names = list(columns)
    lines = ["| measure | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    keys = RULES + DISTANCES + GENERAL + ("A/T/B = Bach's", "nats/note", "seconds")
    for key in keys:
        cells = [columns[n].get(key) for n in names]
        if all(c is None for c in cells):
            continue
        text = ["-" if c is None or (isinstance(c, float) and math.isnan(c)) else f"{c:.3f}" for c in cells]
        lines.append(f"| {key} | " + " | ".join(text) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chorales", type=int, default=20, help="test chorales (and samples per setting)")
    parser.add_argument("--steps", type=int, default=192, help="length of each free sample in 16th-note steps")
    parser.add_argument("--particles", type=int, default=32)
    parser.add_argument("--penalty", type=float, default=3.0, help="also harmonise with this --parallel-penalty (0: skip)")
    parser.add_argument("--skip-samples", action="store_true", help="only the harmonisations (and Bach)")
    parser.add_argument("--textbook", default=None, help="run directory of a textbook chorale model")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    from seqgen.data_prep.chorale_cache import load_chorales
    from seqgen.generate.judge import bach_reference

    reference = bach_reference()
    tests = load_chorales("music21", None, progress=False)["test"][: args.chorales]
    columns = {"Bach test": column(tests, reference)}
    settings = [("T=1.0", 1.0, None), ("T=0.8", 0.8, None), ("top-p 0.9", 1.0, 0.9)]
    for label, t, p in settings if not args.skip_samples else []:
        with Timer() as timer:
            grids = samples(None, args.chorales, args.steps, t, p, args.seed)
        columns[f"shipped {label}"] = {**column(grids, reference), "seconds": timer.seconds}
    if args.textbook and not args.skip_samples:
        with Timer() as timer:
            grids = samples(args.textbook, args.chorales, args.steps, 1.0, None, args.seed)
        columns["textbook T=1.0"] = {**column(grids, reference), "seconds": timer.seconds}
    runs = [(f"harmonised {args.particles}p", args.particles, 0.0), ("forced decoding", 1, 0.0)]
    if args.penalty:
        runs.insert(1, (f"{args.particles}p, penalty {args.penalty:g}", args.particles, args.penalty))
    for label, particles, penalty in runs:
        with Timer() as timer:
            grids, extra = harmonizations(tests, particles, args.seed, penalty)
        columns[label] = {**column(grids, reference), **extra, "seconds": timer.seconds}
    print(markdown(columns))


if __name__ == "__main__":
    main()
