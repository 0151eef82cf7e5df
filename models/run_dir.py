"""The run directory: everything ``generate`` and ``evaluate`` need, and nothing read from elsewhere.

::

    RUN_DIR/
      run.json        family, preset, model config, codec (with its vocabulary), data source, training args
      model.keras     the trained model (best weights by validation loss), written atomically
      best.keras      the best checkpoint so far, replaced atomically during training
      log.csv         one row per epoch
      tensorboard/    TensorBoard logs
      state.json      where training stands: epochs done, best score (see models.resume)
      backup/         weights and optimizer state of the last epoch while training; gone once training ends
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import keras

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.files import atomic_path
from seqgen.models.task import TASKS

RUN_FILE, MODEL_FILE, BEST_FILE = "run.json", "model.keras", "best.keras"
LOG_FILE, TENSORBOARD_DIR, BACKUP_DIR, STATE_FILE = "log.csv", "tensorboard", "backup", "state.json"
SAMPLES_FILE = "samples.txt"
# Every file a run writes: --force removes these, by name, and nothing else.
RUN_FILES = (RUN_FILE, MODEL_FILE, BEST_FILE, LOG_FILE, STATE_FILE, SAMPLES_FILE)
RUN_FOLDERS = (TENSORBOARD_DIR, BACKUP_DIR)
# What a run writes inside its folders (subfolder -> file names): the backup's weights and their
# atomic temporaries (models.resume), TensorBoard's event files (keras.callbacks.TensorBoard).
_EVENTS = re.compile(r"events\.out\.tfevents\..+")
RUN_FOLDER_FILES = {
    BACKUP_DIR: {"": re.compile(r"epoch-\d+\.weights\.h5|\.epoch-\d+\.weights\..+\.tmp\.weights\.h5")},
    TENSORBOARD_DIR: {"": _EVENTS, "train": _EVENTS, "validation": _EVENTS},
}


def prepare_run_dir(path: str | Path, *, resume: bool = False, force: bool = False) -> Path:
    """Make ``path`` ready for training without losing anything that was not asked to go.

    A new or empty folder is used as is. An existing run (a ``run.json`` of ours) needs ``resume``
    (carry on; a finished run continues when asked for more epochs) or ``force`` (the files a run
    writes are deleted; anything else in the folder is left alone). Any other non-empty folder is
    refused, with or without ``force``.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise SeqgenError(f"run directory {str(path)!r} is a file; give a folder path")
    entries = list(path.iterdir()) if path.is_dir() else []
    is_run = is_run_dir(path)
    if resume:
        if not is_run:
            raise SeqgenError(f"nothing to resume in {str(path)!r}: it holds no seqgen {RUN_FILE}; drop --resume")
        return path
    if entries and not force:
        if is_run:
            raise SeqgenError(f"{str(path)!r} already holds a seqgen run; pass --resume or --force, or choose a new folder")
        raise SeqgenError(f"{str(path)!r} holds files that are not a seqgen run; choose a new or empty folder")
    if force and entries and not is_run:
        raise SeqgenError(f"{str(path)!r} holds files that are not a seqgen run; --force only replaces runs")
    _remove_run_files(path)
    path.mkdir(parents=True, exist_ok=True)
    return path


def is_run_dir(path: Path) -> bool:
    """Whether ``path`` holds a ``run.json`` written by seqgen (not just any file of that name)."""
    try:
        info = json.loads((path / RUN_FILE).read_text())
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(info, dict) and info.get("task") in TASKS  # a run.json naming another task is not ours


def _remove_run_files(path: Path) -> None:
    if not path.is_dir():
        return
    for name in RUN_FOLDERS:
        if (path / name).is_dir() and not (path / name).is_symlink():
            _remove_folder_files(path / name, RUN_FOLDER_FILES[name])
    stems = {Path(name).stem for name in RUN_FILES}
    for entry in path.iterdir():
        parts = entry.name.split(".")
        temporary = len(parts) >= 4 and parts[0] == "" and parts[1] in stems and ".tmp" in entry.name
        if (entry.name in RUN_FILES or temporary) and (entry.is_file() or entry.is_symlink()):
            entry.unlink()


def _remove_folder_files(folder: Path, patterns: dict[str, re.Pattern]) -> None:
    """Delete the files a run wrote in ``folder`` (by name), then the folders left empty; a user's
    own file there, and so its folder, stays."""
    for sub in sorted(patterns, key=len, reverse=True):  # subfolders first, then the folder itself
        place = folder / sub if sub else folder
        if not place.is_dir() or place.is_symlink():
            continue
        for entry in place.iterdir():
            if patterns[sub].fullmatch(entry.name) and (entry.is_file() or entry.is_symlink()):
                entry.unlink()
        if not any(place.iterdir()):
            place.rmdir()


def save_model(model: keras.Model, path: Path) -> None:
    """Save a model as ``.keras`` atomically (a crash never leaves a half-written file)."""
    with atomic_path(path) as tmp:
        model.save(tmp)


def load_model_file(path: str | Path, *, best: bool = False) -> keras.Model:
    """The trained model of a run, whatever its task (``best``: the latest best checkpoint).

    When training stopped before writing ``model.keras``, the best checkpoint stands in for it.
    """
    import seqgen.models.rnn  # noqa: F401 - registers the classes Keras needs to deserialise
    import seqgen.models.sketch_layers  # noqa: F401
    import seqgen.models.textbook  # noqa: F401
    import seqgen.models.wavenet  # noqa: F401

    path = Path(path)
    model_path = path / (BEST_FILE if best else MODEL_FILE)
    if not model_path.exists() and not best and (path / BEST_FILE).exists():
        model_path = path / BEST_FILE
    if not model_path.exists():
        raise SeqgenError(f"{str(path)!r} has no trained model yet ({model_path.name}); train or resume it first")
    if not zipfile.is_zipfile(model_path):
        raise SeqgenError(f"{model_path} is damaged (not a complete .keras archive); train the run again or resume it")
    try:
        # safe_mode: a .keras file may not run code (no lambda layers deserialised from it).
        return keras.models.load_model(model_path, compile=False, safe_mode=True)
    except Exception as e:  # a damaged file: say which, do not dump Keras internals
        first = str(e).splitlines()[0][:200] if str(e) else ""
        raise SeqgenError(f"{model_path} is damaged and cannot be loaded ({type(e).__name__}: {first}); "
                          "train the run again or resume it") from None
