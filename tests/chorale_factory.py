"""Small chorale data the tests write themselves (the jsb_chorales CSV layout)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from seqgen.data_prep.grid import Grid


def toy_pitches(steps: int, seed: int) -> np.ndarray:
    """A plausible four-voice texture: chords of S/A/T/B held for 2-4 steps, in the chorale range."""
    rng = np.random.default_rng(seed)
    rows, t = [], 0
    while t < steps:
        root = int(rng.integers(48, 55))
        chord = [root + 19, root + 12 + int(rng.integers(0, 5)), root + 7, root - 5]
        for _ in range(int(rng.integers(2, 5))):
            rows.append(chord)
            t += 1
    return np.array(rows[:steps], np.int16)


def write_csv_chorales(root: Path, counts=(6, 2, 2), steps: int = 48) -> Path:
    """A jsb_chorales folder: ``train/``, ``valid/``, ``test/`` of ``chorale_NNN.csv``."""
    index = 0
    for split, count in zip(("train", "valid", "test"), counts):
        (root / split).mkdir(parents=True, exist_ok=True)
        for _ in range(count):
            rows = toy_pitches(steps, seed=index)
            lines = ["note0,note1,note2,note3"] + [",".join(str(v) for v in row) for row in rows]
            (root / split / f"chorale_{index:03d}.csv").write_text("\n".join(lines) + "\n")
            index += 1
    return root


def toy_grid(steps: int = 16, seed: int = 0) -> Grid:
    """A grid with holds, struck repeats and a rest."""
    pitches = toy_pitches(steps, seed)
    struck = np.zeros_like(pitches, bool)
    struck[::2] = True
    pitches[5, 1] = 0  # a rest in the alto
    return Grid(pitches, struck, name=f"toy{seed}")


def save_chorale_run(model, codec, out: Path) -> Path:
    """A run folder ``out`` holding ``model`` and ``codec`` as `seqgen train chorales` writes them, untrained."""
    from seqgen.models.config import config_to_dict
    from seqgen.models.run_dir import save_model
    from seqgen.models.run_info import RunInfo, write_info

    out.mkdir(parents=True)
    save_model(model, out / "model.keras")
    write_info(out, RunInfo(task="chorale", model=config_to_dict(model.config), source={"source": "music21"}, data={},
                            train={}, preset="tiny", codec=codec.to_config()))
    return out
