"""Cadences on a four-voice grid: what chord a phrase ends on, and whether a piece ends as Bach's do.

Pitch classes are read relative to a key's tonic (0 = tonic, 7 = dominant, 11 = leading tone). A
phrase end is the last step of a run of fermata steps (:func:`data_prep.chorales.phrase_ends`).

* **final cadence** (:func:`ends_on_cadence`): the last chord has all four voices sounding, the
  tonic in the bass, only tonic-triad pitch classes with the root and the third present (major
  third in major; minor or major, the Picardy third, in minor), is held at least ``hold`` steps,
  and the bass note before it is the dominant with the leading tone sounding over it (V or V7 - I).
* **cadence kinds** at any phrase end (:func:`cadence_kind`; :func:`phrase_cadence` also takes
  V - I in the key of the phrase's last chord): ``authentic`` (V - I as above,
  except the hold), ``half`` (ends on a root-position V), ``plagal`` (IV - I), ``deceptive``
  (V - vi) or ``other``.

The same definitions serve the phrase search (:mod:`generate.phrase_search`) and the benchmark.
"""

from __future__ import annotations

import numpy as np

from seqgen.data_prep import music_metrics as mm
from seqgen.data_prep.grid import Grid

CADENCES = ("authentic", "half", "plagal", "deceptive", "other")
TONIC_THIRDS = {"major": (4,), "minor": (3, 4)}  # the Picardy third is allowed in minor


def key_in_mode(grid: Grid, mode: str | None) -> tuple[int, str]:
    """The best-fitting key (Krumhansl-Kessler) of ``grid``, among keys of ``mode`` when given."""
    weights = mm.pitch_class_weights(grid)
    if mode is None or not weights.any():
        return mm.key_of_weights(weights) if mode is None else (0, mode)
    profile = mm.MAJOR_PROFILE if mode == "major" else mm.MINOR_PROFILE
    scores = [float(np.corrcoef(weights, np.roll(profile, t))[0, 1]) for t in range(12)]
    return int(np.nanargmax(scores)), mode


def _last_chord(grid: Grid, end: int) -> tuple[int, np.ndarray]:
    """``(first step, pitches (voices,))`` of the chord sounding unchanged up to step ``end``."""
    chord = grid.pitches[end]
    start = end
    while start > 0 and (grid.pitches[start - 1] == chord).all() and not grid.struck[start].any():
        start -= 1
    return start, chord


def _previous_bass(grid: Grid, end: int) -> tuple[int, set[int]]:
    """The bass pitch before the bass note sounding at ``end`` (re-strikes of that pitch count as one),
    and every pitch class sounding over it; ``(-1, set())`` if there is none."""
    final = grid.pitches[end, -1]
    t = end
    while t > 0 and grid.pitches[t - 1, -1] == final:
        t -= 1
    if t == 0 or grid.pitches[t - 1, -1] == 0:
        return -1, set()
    bass, start = grid.pitches[t - 1, -1], t - 1
    while start > 0 and grid.pitches[start - 1, -1] == bass and not grid.struck[start, -1]:
        start -= 1
    over = grid.pitches[start:t]
    return int(bass), {int(p) % 12 for p in over[over > 0]}


def _relative(pitches, tonic: int) -> set[int]:
    return {(int(p) - tonic) % 12 for p in pitches if p > 0}


def _triad(chord: np.ndarray, tonic: int, root: int, thirds: tuple[int, ...]) -> bool:
    """Root-position triad on degree ``root`` (semitones above the tonic), all voices sounding."""
    if (chord <= 0).any() or (int(chord[-1]) - tonic - root) % 12:
        return False
    rel = {(p - root) % 12 for p in _relative(chord, tonic)}
    return 0 in rel and any(t in rel for t in thirds) and rel <= {0, 7, *thirds}


def cadence_kind(grid: Grid, end: int, tonic: int, mode: str) -> str:
    """How the phrase ending at step ``end`` closes, in the key ``(tonic, mode)``: one of ``CADENCES``."""
    _, chord = _last_chord(grid, end)
    bass, over = _previous_bass(grid, end)
    before = (bass - tonic) % 12 if bass > 0 else -1
    over = {(p - tonic) % 12 for p in over}
    if _triad(chord, tonic, 0, TONIC_THIRDS[mode]):
        if before == 7 and 11 in over:
            return "authentic"
        if before == 5:
            return "plagal"
    if _triad(chord, tonic, 7, (4,)):
        return "half"
    submediant = 9 if mode == "major" else 8
    if _triad(chord, tonic, submediant, (3, 4)) and before == 7:
        return "deceptive"
    return "other"


def phrase_cadence(grid: Grid, end: int, tonic: int, mode: str) -> str:
    """:func:`cadence_kind` in the home key, else ``"authentic"`` when the phrase closes V - I in the
    key of its own last chord (a cadence in a related key, as most of Bach's inner phrases do)."""
    kind = cadence_kind(grid, end, tonic, mode)
    chord = grid.pitches[end]
    if kind != "other" or (chord <= 0).any():
        return kind
    local = int(chord[-1]) % 12
    third = "minor" if 3 in _relative(chord, local) else "major"
    return "authentic" if cadence_kind(grid, end, local, third) == "authentic" else "other"


def ends_on_cadence(grid: Grid, tonic: int, mode: str, hold: int = 4) -> bool:
    """Whether ``grid``'s last chord is a held root-position tonic reached from the dominant (see above)."""
    if grid.steps == 0:
        return False
    start, _ = _last_chord(grid, grid.steps - 1)
    return grid.steps - start >= hold and cadence_kind(grid, grid.steps - 1, tonic, mode) == "authentic"


def ends_on_tonic_after_dominant(grid: Grid, hold: int = 1) -> bool:
    """The benchmark's test, in the key estimated from the whole piece (the same for Bach and samples)."""
    tonic, mode = mm.estimate_key(grid)
    return ends_on_cadence(grid, tonic, mode, hold)
