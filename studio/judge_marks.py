"""The judge's table for the piece on screen, and where each broken rule happens.

:mod:`seqgen.generate.judge` pools counts over a piece and gives no positions, so each pair of
consecutive sonorities is judged on its own by the same function (``music_metrics.rule_counts`` on
a two-step grid): the marks use exactly the judge's definitions, and their counts add up to its table's.
"""

from __future__ import annotations

import math

import numpy as np

from seqgen.data_prep import music_metrics as mm
from seqgen.data_prep.grid import VOICE_NAMES, Grid


def rule_marks(grid: Grid) -> list[dict]:
    """``[{"step", "rule"}, ...]``: each broken rule at the step where the second sonority starts,
    and each out-of-range note at its start with its voice."""
    onsets = np.flatnonzero(grid.struck.any(axis=1))
    marks = []
    for before, now in zip(onsets[:-1], onsets[1:]):
        pair = Grid(grid.pitches[[before, now]], np.ones((2, grid.voices), bool))
        counts = mm.rule_counts(pair)
        marks += [{"step": int(now), "rule": rule, "count": counts[rule]} for rule in mm.RULES if counts[rule]]
    if grid.voices == len(mm.RANGES):
        for voice, pitch, start, _ in grid.notes():
            low, high = mm.RANGES[voice]
            if not low <= pitch <= high:
                marks.append({"step": start, "rule": "out_of_range", "count": 1, "voice": VOICE_NAMES[voice]})
    return marks


def judge_table(grid: Grid, reference: str, data_dir: str | None) -> dict:
    """``{"rows": [[measure, piece, reference]], "key", "marks", "note"}`` as ``seqgen judge`` would report."""
    from seqgen.generate.judge import Profile, load_reference

    ref = load_reference(reference, data_dir)
    mine = Profile().add(grid).measures(ref)
    theirs = ref.measures(None) if ref is not None else {}
    rows = [[name, _clean(mine[name]), _clean(theirs.get(name))] for name in mine if not name[-1].isdigit()]
    return {"rows": rows, "key": mm.key_name(*mm.estimate_key(grid)), "marks": rule_marks(grid),
            "reference": reference,
            "note": "rules: per 100 voice-pair transitions (out_of_range: per 100 notes); "
                    "distributions: Wasserstein distance to the reference"}


def _clean(value):
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else round(float(value), 4)
