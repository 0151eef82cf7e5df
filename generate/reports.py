"""Evaluation as the user sees it: the task's scores of a run, and its figures drawn as PNGs.

Tasks compute (``seqgen.models``); drawing is generate's job, so the figures an evaluation returns
(a sketch run's confusion matrix) are written here.
"""

from __future__ import annotations

import os
from pathlib import Path

from seqgen.data_prep.files import check_writable


def evaluate_run(run: str | os.PathLike, split: str | None = None, data_dir: str | None = None, *,
                 expect: str | None = None, figure: str | os.PathLike | None = None, force: bool = False) -> list[str]:
    """The lines of ``seqgen evaluate RUN``. A confusion matrix goes to ``figure`` (an existing file
    needs ``force``) or replaces ``RUN_DIR/confusion_<split>.png``."""
    from seqgen.models.driver import evaluate

    if figure is not None:
        check_writable(Path(figure), force)  # refused before any work
    evaluation = evaluate(run, split, data_dir, expect)
    lines = list(evaluation.lines)
    if "confusion" in evaluation.figures:
        from seqgen.generate.sketch_render import confusion_png

        matrix, names, title = evaluation.figures["confusion"]
        split_name = split or "test"
        target = Path(figure) if figure is not None else Path(run) / f"confusion_{split_name}.png"
        written = confusion_png(matrix, names, target, title, force=force or figure is None)
        lines.append(f"confusion matrix: {written}")
    return lines
