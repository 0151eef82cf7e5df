"""The chorale cache: build once with all cores, then load in well under a second.

The cache is one ``.npz`` (all grids concatenated, with lengths, names and splits) and a manifest
written after it with the npz's SHA-256. A load checks the manifest and the hash, so a partial or
damaged cache is detected and rebuilt, never silently used.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from seqgen.data_prep.chorales import SPLITS, Dataset, build_from_music21, read_chorale_path
from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.files import atomic_path
from seqgen.data_prep.grid import Grid

CACHE_VERSION = 3  # bump when the grid format or the split rule changes (3: fermatas and modes)
ENV_DATA_DIR = "SEQGEN_DATA_DIR"


def data_dir(override: str | os.PathLike | None = None) -> Path:
    """Where built datasets live: ``override``, else ``$SEQGEN_DATA_DIR``, else the user cache dir."""
    if override is None:
        override = os.environ.get(ENV_DATA_DIR)
    if override is None:
        import platformdirs

        override = platformdirs.user_cache_dir("seqgen")
    path = Path(override)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save_dataset(dataset: Dataset, path: Path) -> None:
    """Write ``dataset`` to ``path`` (.npz) and its manifest, each atomically, manifest last."""
    grids = [(split, g) for split in SPLITS for g in dataset.get(split, [])]
    with atomic_path(path) as tmp:
        np.savez_compressed(
            tmp,
            pitches=np.concatenate([g.pitches for _, g in grids]),
            struck=np.concatenate([g.struck for _, g in grids]),
            lengths=np.array([g.steps for _, g in grids], np.int64),
            names=np.array([g.name for _, g in grids]),
            splits=np.array([s for s, _ in grids]),
            fermata=np.concatenate([g.meta.get("fermata", np.zeros(g.steps, bool)) for _, g in grids]),
            modes=np.array([g.meta.get("mode", "") for _, g in grids]),
        )
    manifest = {"version": CACHE_VERSION, "sha256": _sha256(path),
                "counts": {s: len(dataset.get(s, [])) for s in SPLITS}}
    with atomic_path(_manifest(path)) as tmp:
        tmp.write_text(json.dumps(manifest, indent=1))


def _manifest(path: Path) -> Path:
    return path.with_suffix(".json")


def load_dataset(path: Path) -> Dataset | None:
    """The cached dataset at ``path``, or ``None`` if it is missing, partial, damaged or outdated."""
    try:
        manifest = json.loads(_manifest(path).read_text())
        if manifest.get("version") != CACHE_VERSION or manifest.get("sha256") != _sha256(path):
            return None
        with np.load(path) as data:
            arrays = {k: data[k] for k in ("pitches", "struck", "lengths", "names", "splits", "fermata", "modes")}
    except (OSError, ValueError, KeyError, json.JSONDecodeError):
        return None
    dataset: Dataset = {s: [] for s in SPLITS}
    bounds = np.concatenate([[0], np.cumsum(arrays["lengths"])])
    for i, (name, split, mode) in enumerate(zip(arrays["names"], arrays["splits"], arrays["modes"])):
        rows = slice(bounds[i], bounds[i + 1])
        meta = {"source": "music21", "fermata": arrays["fermata"][rows], "mode": str(mode)}
        dataset[str(split)].append(Grid(arrays["pitches"][rows], arrays["struck"][rows], name=str(name), meta=meta))
    return dataset


def load_chorales(source: str = "music21", data_dir_override: str | os.PathLike | None = None,
                  progress: bool = True) -> Dataset:
    """The chorale dataset from ``source``: ``"music21"`` (built once, then cached) or a path.

    A path may be a jsb_chorales folder (``train/``, ``valid/``, ``test/`` of ``chorale_*.csv``)
    or a ``.tgz``/``.tar.gz`` archive holding one.
    """
    if source != "music21":
        return read_chorale_path(Path(source))
    path = data_dir(data_dir_override) / f"chorales-music21-v{CACHE_VERSION}.npz"
    dataset = load_dataset(path)
    if dataset is None:
        dataset = build_from_music21(progress=progress)
        if not any(dataset.values()):
            raise SeqgenError("music21's corpus gave no four-voice chorales; reinstall music21 (pip install -U music21)")
        save_dataset(dataset, path)
    return dataset
