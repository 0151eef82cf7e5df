"""Note lengths and phrase ends of the default chorales (4 phrases, strict rules, the cadence search),
pooled over several seeds, with the rhythm-keeping mask, the fermatas on beats and the off-beat 16ths
(generate.phrase_marks) switched on one after another.

One seed's note-length distance to Bach moves by 0.05 (60 pieces), so the figures pool ``--seeds``.
Beside the distances: the mean note length (16ths), the share of eighth notes, the share of fermata
runs that last a whole number of beats, and the fermata runs per piece (Bach: 100%; 6.2 per chorale).

    python benchmarks/chorale_rhythm.py --pieces 60 --seeds 31,32,33
"""

from __future__ import annotations

import argparse

import numpy as np
from common import Timer, table

VARIANTS = {  # label -> RulesConfig fields
    "before (renormalised mask, fermatas anywhere)": dict(keep_rhythm=False, fermata_on_beats=False,
                                                          offbeat_sixteenths=False),
    "rhythm kept": dict(keep_rhythm=True, fermata_on_beats=False, offbeat_sixteenths=False),
    "rhythm kept, fermatas on beats": dict(keep_rhythm=True, fermata_on_beats=True, offbeat_sixteenths=False),
    "and off-beat 16ths last a 16th (default)": dict(keep_rhythm=True, fermata_on_beats=True, offbeat_sixteenths=True),
}


def pieces(loaded, fields: dict, seed: int, n: int, phrases: int):
    from seqgen.generate.chorale_gen import generate_grids
    from seqgen.generate.rules import RulesConfig
    from seqgen.generate.sampling import SamplingConfig

    grids, _ = generate_grids(loaded.model, loaded.codec, None, None, n, SamplingConfig(seed=seed),
                              phrases=phrases, rules=RulesConfig("strict", **fields))
    return grids


def fermata_runs(grids) -> tuple[float, float]:
    """(share of fermata runs lasting whole beats, runs per piece)."""
    lengths = []
    for g in grids:
        marks = np.concatenate([[0], np.asarray(g.meta["fermata"], np.int8), [0]])
        lengths += list(np.flatnonzero(np.diff(marks) == -1) - np.flatnonzero(np.diff(marks) == 1))
    lengths = np.array(lengths)
    return float((lengths % 4 == 0).mean()) if lengths.size else float("nan"), len(lengths) / len(grids)


def held_from_offbeats(grids) -> float:
    """Share of notes struck on a beat's 2nd or 4th 16th and lasting longer (Bach's training chorales: 0)."""
    notes = [(start, length) for g in grids for _, _, start, length in g.notes()]
    return float(np.mean([start % 2 == 1 and length > 1 for start, length in notes])) if notes else float("nan")


def row(label: str, grids, reference, seconds: float) -> dict:
    from seqgen.generate.judge import profile_of

    measures = profile_of(grids).measures(reference)
    lengths = np.array([n[3] for g in grids for n in g.notes()])
    whole, runs = fermata_runs(grids)
    return {"setting": label, "pieces": len(grids), "note_lengths": measures["note_lengths"],
            "melodic": measures["melodic_intervals"], "harmonic": measures["harmonic_intervals"],
            "pitch_class": measures["pitch_class"], "mean length": float(lengths.mean()),
            "eighths": float((lengths == 2).mean()), "dotted 8ths": float((lengths == 3).mean()),
            "held from an off-beat": held_from_offbeats(grids), "fermatas on beats": whole, "fermatas/piece": runs,
            "parallels": measures["parallel_fifths"] + measures["parallel_octaves"], "s/piece": seconds / len(grids)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pieces", type=int, default=60, help="pieces per seed and setting")
    parser.add_argument("--seeds", default="31,32,33")
    parser.add_argument("--phrases", type=int, default=4)
    args = parser.parse_args()
    from seqgen.data_prep.chorale_cache import load_chorales
    from seqgen.generate.judge import bach_reference
    from seqgen.generate.runs import open_run

    loaded, reference = open_run(None, "chorale"), bach_reference()
    bach = load_chorales("music21", None, progress=False)
    rows = [row("Bach's test chorales", bach["test"], reference, 0.0)]
    for label, fields in VARIANTS.items():
        grids = []
        with Timer() as timer:
            for seed in (int(s) for s in args.seeds.split(",")):
                grids += pieces(loaded, fields, seed, args.pieces, args.phrases)
        rows.append(row(label, grids, reference, timer.seconds))
        print(f"{label}: done", flush=True)
    print(table(rows))


if __name__ == "__main__":
    main()
