"""Tiny trained runs made once per test session and shared by every module and pytest-xdist worker.

A training costs seconds of tracing even for a tiny model, and the per-task modules and the driver
test each need a trained run of every task. Each run here is trained by the first test that asks for
it; a file lock in the session's temporary folder (shared by the xdist workers) makes the others wait
for it and reuse it. Tests treat a shared run as read-only and copy it before changing it.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from pathlib import Path

import numpy as np

import midi_factory as mf
from tests.chorale_factory import write_csv_chorales
from tests.cli_helpers import run as cli

SKETCH_CLASSES = ["circle", "cross", "line", "square"]  # sorted, as every loader returns them
E_MINOR = [64, 67, 71, 64, 66, 67, 69, 71, 72, 71, 67, 64]  # E G B, E F# G A B C B G E: a tune in E minor
TEXT_LINES = ["to be or not to be", "that is the question", "whether tis nobler in the mind", "to suffer the slings"]


def shared(tmp_path_factory, name: str) -> Path:
    """The folder of shared run ``name`` (see MAKERS), trained on first use in this session."""
    base = tmp_path_factory.getbasetemp()
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "shared-runs"
    root.mkdir(exist_ok=True)
    folder = root / name
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also if making fails
        if not (folder / ".done").exists():
            shutil.rmtree(folder, ignore_errors=True)  # a maker that failed part-way
            folder.mkdir()
            MAKERS[name](folder)
            (folder / ".done").touch()
    return folder


def write_report(folder: Path, lines: list[str]) -> None:
    (folder / "report.json").write_text(json.dumps(lines))


def read_report(folder: Path) -> list[str]:
    """The lines ``driver.train`` reported for the shared run in ``folder``."""
    return json.loads((folder / "report.json").read_text())


def write_text_corpus(path: Path, lines: int = 240, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    path.write_text("\n".join(TEXT_LINES[i] for i in rng.integers(len(TEXT_LINES), size=lines)) + "\n")
    return path


def write_midi_corpus(folder: Path) -> Path:
    """Four two-part pieces (64 steps each) and three unusable files."""
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(4):
        melody = [(int(rng.choice([60, 62, 64, 65, 67])), b / 2, 0.5) for b in range(32)]
        bass = [(int(rng.choice([48, 53, 55])), 2 * b, 2) for b in range(8)]
        mf.write_notes(folder / f"piece{i}.mid", melody, bass)
    mf.write_truncated(folder / "truncated.mid")
    mf.write_bytes(folder / "empty.mid", b"")
    mf.write_bytes(folder / "readme.mid", b"this is not MIDI")
    return folder


def _chorale(folder: Path) -> None:
    """``jsb/``: CSV chorales; ``run/``: ``train chorales`` for 3 epochs, GRU (window 8, batch 8)."""
    result = cli("train", "chorales", "--model", "gru", "--preset", "tiny", "--epochs", "3", "--window", "8",
                 "--batch-size", "8", "--transpose", "2", "--learning-rate", "0.01",
                 "--source", write_csv_chorales(folder / "jsb"), "--out", folder / "run")
    assert result.exit_code == 0, result.output
    (folder / "output.txt").write_text(result.output)


def _text(folder: Path) -> None:
    """``play.txt``: a corpus of four lines; ``run/``: a 3-epoch GRU with samples after each epoch."""
    from seqgen.generate import text_gen
    from seqgen.models import driver
    from seqgen.models.text_task import TextDataConfig
    from seqgen.models.train import TrainConfig

    corpus = str(write_text_corpus(folder / "play.txt"))
    request = driver.TrainRequest("gru", "tiny", {"corpus": [corpus]}, TextDataConfig(window=16, batch_size=8),
                                  TrainConfig(epochs=3, learning_rate=0.01))
    trained = driver.train("text", folder / "run", request, callbacks=text_gen.epoch_samples(20, verbose=False),
                           verbose=0)
    write_report(folder, trained.report)


def _midi(folder: Path) -> None:
    """``corpus/`` (see write_midi_corpus); ``run/``: a 3-epoch GRU on the events encoding (window 32)."""
    from seqgen.models import driver
    from seqgen.models.midi_task import MidiDataConfig
    from seqgen.models.train import TrainConfig

    corpus = write_midi_corpus(folder / "corpus")
    request = driver.TrainRequest("gru", "tiny", {"corpus": [str(corpus)]},
                                  MidiDataConfig(encoding="events", window=32, batch_size=8),
                                  TrainConfig(epochs=3, learning_rate=0.01))
    write_report(folder, driver.train("midi", folder / "run", request, verbose=0).report)


def _sketch(folder: Path) -> None:
    """``nd/``: QuickDraw-style ndjson, 20 drawings per class; ``run/``: ``train sketches`` for 3 epochs."""
    from seqgen.data_prep.synthetic_sketches import write_synthetic

    write_synthetic(folder / "nd", "ndjson", n_per_class=20, classes=SKETCH_CLASSES, seed=4)
    result = cli("train", "sketches", "--data", folder / "nd", "--model", "tiny", "--batch-size", "16",
                 "--learning-rate", "0.01", "--epochs", "3", "--out", folder / "run")
    assert result.exit_code == 0, result.output
    (folder / "output.txt").write_text(result.output)


def _series(folder: Path) -> None:
    """``m.csv``: 300 months of a yearly sine with noise; ``run/``: ``train series``, GRU, 1 epoch, horizon 4,
    the window left to follow the season (24 months)."""
    t = np.arange(300)
    values = np.sin(2 * np.pi * t / 12) + 0.1 * np.random.default_rng(0).normal(size=300)
    (folder / "m.csv").write_text("month,y\n" + "".join(
        f"{1990 + i // 12}-{i % 12 + 1:02d},{v:.4f}\n" for i, v in enumerate(values)))
    result = cli("train", "series", "--csv", folder / "m.csv", "--time", "month", "--target", "y", "--model", "gru",
                 "--preset", "tiny", "--epochs", "1", "--horizon", "4", "--no-anchor", "--out", folder / "run")
    assert result.exit_code == 0, result.output
    (folder / "output.txt").write_text(result.output)


def _durations(folder: Path) -> None:
    """``corpus/``: three E-minor tunes of 16th notes; ``run/``: ``train midi --encoding durations --controls``,
    1 epoch (the durations and the controls modules both read it: one training for both)."""
    rng = np.random.default_rng(1)
    (folder / "corpus").mkdir()
    for i in range(3):
        mf.write_notes(folder / "corpus" / f"p{i}.mid", [(int(rng.choice(E_MINOR)), b / 4, 0.25) for b in range(48)])
    result = cli("train", "midi", "--corpus", folder / "corpus", "--encoding", "durations", "--controls", "--model",
                 "gru", "--preset", "tiny", "--epochs", "1", "--window", "16", "--batch-size", "8",
                 "--out", folder / "run")
    assert result.exit_code == 0, result.output
    (folder / "output.txt").write_text(result.output)


MAKERS = {"chorale": _chorale, "text": _text, "midi": _midi, "sketch": _sketch, "series": _series,
          "durations": _durations}
