"""The run directory: everything ``generate`` and ``evaluate`` need, and nothing read from elsewhere.

::

    RUN_DIR/
      run.json        family, preset, model config, codec (with its vocabulary), data source, training args
      model.keras     the trained model (best weights by validation loss), written atomically
      best.keras      the best checkpoint so far, replaced atomically during training
      log.csv         one row per epoch
      tensorboard/    TensorBoard logs
      backup/         BackupAndRestore state while training; gone once training ends
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import keras

from seqgen.data_prep.codec_base import Codec, codec_from_config
from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.files import atomic_path

RUN_FILE, MODEL_FILE, BEST_FILE = "run.json", "model.keras", "best.keras"
LOG_FILE, TENSORBOARD_DIR, BACKUP_DIR = "log.csv", "tensorboard", "backup"
_RUN_ENTRIES = (RUN_FILE, MODEL_FILE, BEST_FILE, LOG_FILE, TENSORBOARD_DIR, BACKUP_DIR, "samples.txt")


def prepare_run_dir(path: str | Path, *, resume: bool = False, force: bool = False) -> Path:
    """Make ``path`` ready for training without losing anything that was not asked to go.

    A new or empty folder is used as is. An existing run needs ``resume`` (carry on) or ``force``
    (its run files are deleted; other files in the folder are left alone). Any other non-empty
    folder is refused.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise SeqgenError(f"run directory {str(path)!r} is a file; give a folder path")
    entries = list(path.iterdir()) if path.is_dir() else []
    is_run = (path / RUN_FILE).exists()
    if resume:
        if not is_run:
            raise SeqgenError(f"nothing to resume in {str(path)!r}: it holds no {RUN_FILE}; drop --resume")
        if not (path / BACKUP_DIR).exists() and (path / MODEL_FILE).exists():
            raise SeqgenError(f"the run in {str(path)!r} finished training; nothing to resume (--force starts over)")
        return path
    if entries and not force:
        what = "a seqgen run" if is_run else "files that are not a seqgen run"
        raise SeqgenError(f"{str(path)!r} already holds {what}; pass --resume or --force, or choose a new folder")
    if force and entries and not is_run:
        raise SeqgenError(f"{str(path)!r} holds files that are not a seqgen run; --force only replaces runs")
    for name in _RUN_ENTRIES:
        target = path / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_run_info(path: Path, info: dict) -> None:
    """Write ``run.json`` atomically (config, codec, data source, training arguments)."""
    with atomic_path(path / RUN_FILE) as tmp:
        tmp.write_text(json.dumps(info, indent=2, sort_keys=True))


def read_run_info(path: str | Path) -> dict:
    """``run.json`` of a run, or a clear error when ``path`` is not a run."""
    path = Path(path)
    try:
        return json.loads((path / RUN_FILE).read_text())
    except FileNotFoundError:
        raise SeqgenError(f"{str(path)!r} is not a seqgen run (no {RUN_FILE}); give a folder written by 'seqgen train'") from None
    except (OSError, json.JSONDecodeError) as e:
        raise SeqgenError(f"{path / RUN_FILE} is unreadable ({e}); the run is damaged, train it again") from None


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
        raise SeqgenError(f"{str(path)!r} has no trained model yet ({MODEL_FILE}); train or resume it first")
    try:
        return keras.models.load_model(model_path, compile=False)
    except Exception as e:  # a damaged file: say which, do not dump Keras internals
        raise SeqgenError(f"cannot load {model_path}: {type(e).__name__}: {str(e).splitlines()[0][:200]}") from None


def load_run(path: str | Path, *, best: bool = False) -> tuple[keras.Model, Codec, dict]:
    """The model, token codec and ``run.json`` of an autoregressive run."""
    info = read_run_info(path)
    if "codec" not in info:
        raise SeqgenError(f"{path} is a {info.get('task')!r} run without a token codec; it cannot generate")
    return load_model_file(path, best=best), codec_from_config(info["codec"]), info
