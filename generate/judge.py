"""``seqgen judge``: objective measures of four-part pieces against a reference (Bach by default).

For each file, and for all files pooled: part-writing rule rates, distances of four distributions
to the reference's, and general measures (see :mod:`seqgen.data_prep.music_metrics`). The Bach
reference pools the train and validation chorales of the music21 dataset (the test chorales stay
unseen, so judging them measures how far one held-out Bach chorale lies from Bach) and is cached
as JSON beside the dataset.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Iterable

import numpy as np

from seqgen.data_prep import music_metrics as mm
from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.files import atomic_path
from seqgen.data_prep.grid import Grid

REFERENCE_VERSION = 3  # bump when a measure or the chorale split changes
SCORE_SUFFIXES = (".xml", ".musicxml", ".mxl")
MIDI_SUFFIXES = (".mid", ".midi")
MAX_COLUMNS = 6  # files shown as table columns; --json has all
MAX_NAME = 18  # characters of a file name in a column heading


def read_piece(path: str | os.PathLike, voices: int = 4) -> Grid:
    """A MIDI file (voices from tracks or channels, top-down) or a MusicXML file (one part per voice) -> Grid."""
    path = Path(path)
    if not path.is_file():
        raise SeqgenError(f"{str(path)!r} is not a file; give MIDI (.mid) or MusicXML (.musicxml, .xml, .mxl) files")
    suffix = path.suffix.lower()
    if suffix in MIDI_SUFFIXES:
        from seqgen.data_prep.midi_grid import performance_to_grid
        from seqgen.data_prep.midi_read import read_midi

        grid = performance_to_grid(read_midi(path), voices=voices)
    elif suffix in SCORE_SUFFIXES:
        grid = _read_score(path)
    else:
        raise SeqgenError(f"{str(path)!r}: unknown suffix {suffix!r}; give .mid, .midi, .musicxml, .xml or .mxl")
    if not (grid.pitches > 0).any():
        raise SeqgenError(f"{str(path)!r} has no notes")
    return grid


def _read_score(path: Path) -> Grid:
    from music21 import converter

    from seqgen.data_prep.chorales import score_to_grid

    try:
        score = converter.parse(str(path))
    except Exception as e:  # music21 raises many types for files it cannot read
        raise SeqgenError(f"{path} is not a readable MusicXML file ({type(e).__name__}); check the file") from None
    grid = score_to_grid(score, path.stem, voices=None, any_names=True)
    if grid is None:
        raise SeqgenError(f"{path} has no parts with notes; give a score with one part per voice")
    return grid


class Profile:
    """Pooled measures of a set of pieces: rule counts, histograms, per-piece general measures."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.hists: dict[str, np.ndarray] = {}
        self.general: list[dict[str, float]] = []

    def add(self, grid: Grid) -> "Profile":
        for k, v in mm.rule_counts(grid).items():
            self.counts[k] = self.counts.get(k, 0) + v
        for k, v in mm.histograms(grid).items():
            self.hists[k] = self.hists.get(k, 0) + v
        self.general.append(mm.general_measures(grid))
        return self

    def measures(self, reference: "Profile | None") -> dict[str, float]:
        """Flat ``{measure: value}``: rule rates, distances to ``reference`` (if any), general means."""
        out = mm.rates(self.counts)
        if reference is not None:
            out.update(mm.distances(self.hists, reference.hists))
        for name in self.general[0] if self.general else ():
            values = [g[name] for g in self.general if not math.isnan(g[name])]
            out[name] = float(np.mean(values)) if values else float("nan")
        return out

    def to_json(self) -> dict:
        return {"counts": self.counts, "hists": {k: v.tolist() for k, v in self.hists.items()}, "general": self.general}

    @classmethod
    def from_json(cls, data: dict) -> "Profile":
        profile = cls()
        profile.counts = {k: int(v) for k, v in data["counts"].items()}
        profile.hists = {k: np.asarray(v, float) for k, v in data["hists"].items()}
        profile.general = [dict(g) for g in data["general"]]
        return profile


def profile_of(grids: Iterable[Grid]) -> Profile:
    profile = Profile()
    for grid in grids:
        profile.add(grid)
    return profile


def bach_reference(data_dir: str | os.PathLike | None = None) -> Profile:
    """The pooled profile of the Bach train + validation chorales, cached as JSON in the data dir."""
    from seqgen.data_prep.chorale_cache import data_dir as resolve_dir
    from seqgen.data_prep.chorale_cache import load_chorales

    path = resolve_dir(data_dir) / f"judge-reference-bach-v{REFERENCE_VERSION}.json"
    try:
        return Profile.from_json(json.loads(path.read_text()))
    except (OSError, ValueError, KeyError, TypeError):
        pass  # missing or damaged: rebuild
    dataset = load_chorales("music21", data_dir, progress=False)
    profile = profile_of(dataset["train"] + dataset["valid"])
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(profile.to_json()))
    return profile


def folder_reference(folder: str | os.PathLike) -> Profile:
    """The pooled profile of every MIDI/MusicXML file under ``folder`` (recursive)."""
    folder = Path(folder)
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in MIDI_SUFFIXES + SCORE_SUFFIXES)
    if not files:
        raise SeqgenError(f"--reference {str(folder)!r} holds no .mid/.musicxml files; give 'bach' or a folder of pieces")
    return profile_of(read_piece(p) for p in files)


def load_reference(spec: str | None, data_dir: str | os.PathLike | None = None) -> Profile | None:
    """``"bach"`` -> the Bach chorales; a folder -> its pieces; ``"none"``/None -> no reference."""
    if spec is None or spec == "none":
        return None
    if spec == "bach":
        return bach_reference(data_dir)
    if not Path(spec).is_dir():
        raise SeqgenError(f"--reference {spec!r} is neither 'bach', 'none' nor a folder")
    return folder_reference(spec)


def judge(paths: list[str], reference: str | None = "bach", data_dir: str | None = None) -> dict:
    """``{"files": {path: measures}, "all": pooled measures, "reference": its own measures, "key": ...}``."""
    if not paths:
        raise SeqgenError("give at least one MIDI or MusicXML file to judge")
    grids = {str(p): read_piece(p) for p in paths}
    ref = load_reference(reference, data_dir)
    report = {"files": {}, "keys": {}}
    for name, grid in grids.items():
        report["files"][name] = Profile().add(grid).measures(ref)
        report["keys"][name] = mm.key_name(*mm.estimate_key(grid))
    report["all"] = profile_of(grids.values()).measures(ref)
    if ref is not None:
        report["reference"] = {k: v for k, v in ref.measures(None).items()}
    return report


def format_report(report: dict) -> str:
    """The report as a text table: measures down, pooled/reference/files across."""
    files = list(report["files"])
    columns = [("all files", report["all"])]
    if "reference" in report:
        columns.append(("reference", report["reference"]))
    columns += [(Path(f).name, report["files"][f]) for f in files[:MAX_COLUMNS]]
    names = [k for k in report["all"] if not k[-1].isdigit()]
    width = min(max(10, *(len(c[0]) for c in columns)), MAX_NAME)
    lines = ["measure".ljust(22) + "".join(_short(c[0], width).rjust(width + 2) for c in columns)]
    for name in names:
        cells = "".join(_cell(c[1].get(name)).rjust(width + 2) for c in columns)
        lines.append(f"{name:22}{cells}")
    lines.append("rules: per 100 voice-pair transitions (out_of_range: per 100 notes); distributions: Wasserstein distance to the reference")
    if len(files) > MAX_COLUMNS:
        lines.append(f"({len(files) - MAX_COLUMNS} more files in --json)")
    return "\n".join(lines)


def _short(name: str, width: int) -> str:
    """``name`` cut to ``width`` characters, keeping its end (where file names differ)."""
    return name if len(name) <= width else "~" + name[len(name) - width + 1:]


def _cell(value) -> str:
    if value is None:
        return "-"
    return "nan" if math.isnan(value) else f"{value:.3f}"


def to_json(report: dict) -> str:
    """JSON text; NaN becomes null."""
    def clean(x):
        if isinstance(x, dict):
            return {k: clean(v) for k, v in x.items()}
        if isinstance(x, float) and math.isnan(x):
            return None
        return x

    return json.dumps(clean(report), indent=1)
