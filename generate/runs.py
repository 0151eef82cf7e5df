"""Opening a run for generation: the one set-up every generate command shares.

The task recorded in ``run.json`` is checked before any weights are read, so a text run given to
``generate chorale`` fails in milliseconds with one line, not after loading a model.
"""

from __future__ import annotations

import os
from pathlib import Path

from seqgen.data_prep.errors import SeqgenError

PRETRAINED = Path(__file__).parent / "pretrained"
SHIPPED = {"chorale": PRETRAINED / "chorale", "text": PRETRAINED / "shakespeare"}  # task -> shipped run
TRAIN_COMMAND = {"chorale": "seqgen train chorales", "text": "seqgen train text", "midi": "seqgen train midi",
                 "sketch": "seqgen train sketches"}


def open_run(run: str | os.PathLike | None, task: str):
    """The :class:`~seqgen.models.driver.LoadedRun` of ``run``; the shipped model of ``task`` when None."""
    from seqgen.models.driver import load_run, read_info

    if run is None:
        shipped = SHIPPED.get(task)
        if shipped is None:
            raise SeqgenError(f"no --run given: give a run directory of '{TRAIN_COMMAND[task]}'")
        if not (shipped / "run.json").is_file():
            raise SeqgenError(f"no --run given and the shipped {task} model is not installed ({shipped}); "
                              f"train one with '{TRAIN_COMMAND[task]}' and pass --run RUN_DIR")
        run = shipped
    read_info(run, task, f"; give a run of '{TRAIN_COMMAND[task]}'")  # the task first, before any weights
    return load_run(run, task)
