"""Classify a user's drawings with a trained sketch run (the model prepares nothing itself: the run's
codec prepares each drawing exactly as the training drawings were)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np

from seqgen.data_prep.sketch_sources import read_file
from seqgen.generate.sketch_render import check_indices


def classify_file(run: str | Path, path: str | os.PathLike, top: int = 3,
                  indices: Sequence[int] | None = None) -> list[str]:
    """One line per drawing of ``path``: its index, the file's label, the ``top`` classes with probabilities."""
    from seqgen.models.sketch_task import load_sketch_run, predict_probabilities  # TensorFlow: only to classify

    loaded = load_sketch_run(run)
    sketches = read_file(path, raw=loaded.codec.prep.raw)  # raw drawings brought to the form the run trained on
    chosen = check_indices(indices, len(sketches), str(path)) if indices else list(range(len(sketches)))
    prepared = loaded.codec.prepare(sketches.subset(chosen))
    probs = predict_probabilities(loaded.model, prepared)
    names, agree, known = loaded.codec.classes, 0, 0
    lines = []
    for index, label, row in zip(chosen, prepared.labels, probs):
        best = np.argsort(-row, kind="stable")[:top]
        given = sketches.class_names[label]
        known += given in names
        agree += given == names[best[0]]
        guesses = "  ".join(f"{names[c]} {row[c]:.3f}" for c in best)
        lines.append(f"#{index} ({given}): {guesses}")
    if known:
        lines.append(f"top-1 matches the file's label for {agree} of {known} drawings labelled with a known class")
    return lines
