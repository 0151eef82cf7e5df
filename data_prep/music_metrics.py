"""Model-free measures of four-part music on a :class:`Grid`: part-writing rules, distributions, general measures.

**Part writing.** The piece is read as a chain of sonorities: one at every step where some voice
strikes a note. A *voice-pair transition* is two successive sonorities in which both voices of a
pair (u above l) sound; six pairs in four voices. On each transition, with ``i = p_u - p_l``:

* parallel fifths / octaves: ``i % 12`` is 7 (fifth) or 0 (octave or unison, ``i >= 0``) at both
  sonorities and both voices move (in the same direction or contrarily);
* hidden fifths / octaves: outer voices only, similar motion into a fifth / octave from another
  interval class, the upper voice leaping (more than 2 semitones);
* voice crossing: adjacent voices, the upper one below the lower one at the arrival sonority;
* voice overlap: adjacent voices, one moving past where its neighbour just was;
* spacing: soprano-alto or alto-tenor more than an octave apart at the arrival sonority;
* augmented leaps: a voice moving by a tritone (counted per voice, over the same transitions).

The definitions live in :mod:`part_writing`, shared with the sampler's rule processors.

Each rate is per 100 voice-pair transitions (all six pairs). Notes outside each voice's range
(soprano C4-A5, alto F3-D5, tenor C3-A4, bass E2-D4: a textbook's ranges widened by a step) are
per 100 notes.

**Distributions** (histograms, compared with :func:`wasserstein`): the pitch-class histogram after
moving the estimated key's tonic to 0 (Krumhansl-Kessler key profiles), melodic intervals per voice
(-12..12 semitones, larger leaps clipped), note lengths (1..32 steps) and harmonic intervals (interval
class 0..11 of every voice pair at every sonority).

**General measures** (as Dong et al. 2018 and Wu & Yang 2020 define them): polyphony (mean number
of pitches sounding on non-silent steps), pitch-class entropy (bits, duration weighted), scale
consistency (largest share of notes inside one major scale), empty-beat rate (beats with no sound)
and groove consistency (1 minus the mean Hamming distance of consecutive bars' onset patterns).
"""

from __future__ import annotations

import numpy as np

from seqgen.data_prep import part_writing as pw
from seqgen.data_prep.grid import Grid

RANGES = pw.RANGES  # soprano, alto, tenor, bass MIDI ranges
RULES = pw.PAIR_RULES + ("augmented_leaps",)  # each per 100 voice-pair transitions
MAX_INTERVAL, MAX_LENGTH = 12, 32
# Krumhansl-Kessler probe-tone profiles, tonic first.
MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
MAJOR_SCALE = np.array([1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1], bool)
KEY_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


def sonorities(grid: Grid) -> np.ndarray:
    """``(n, voices)`` pitches at every step where some voice strikes a note (0 = silent voice)."""
    onsets = grid.struck.any(axis=1)
    return grid.pitches[onsets].astype(np.int32)


def rule_counts(grid: Grid) -> dict[str, int]:
    """Counts of each rule in :data:`RULES`, ``transitions`` (voice-pair transitions) and ``notes``/``out_of_range``.

    The rules are :mod:`part_writing`'s, the ones the sampler applies.
    """
    chords = sonorities(grid)
    prev, now = chords[:-1], chords[1:]  # (transitions, voices) each
    counts = dict.fromkeys(RULES, 0)
    counts["transitions"] = 0
    voices = grid.voices
    for u in range(voices):
        for low in range(u + 1, voices):
            args = (prev[:, u], prev[:, low], now[:, u], now[:, low])
            counts["transitions"] += int(pw._sounding(*args).sum())
            for name, broken in pw.pair_rules(*args, *pw.pair_flags(u, low, voices)).items():
                counts[name] += int(broken.sum())
        counts["augmented_leaps"] += int(pw.augmented_leap(prev[:, u], now[:, u]).sum())
    notes = grid.notes()
    counts["notes"] = len(notes)
    counts["out_of_range"] = sum(1 for v, p, _, _ in notes if v < len(RANGES) and voices == 4
                                 and pw.out_of_range(p, *RANGES[v]))
    return counts


def parallel_moves(prev: np.ndarray, now: np.ndarray) -> np.ndarray:
    """``(batch,)`` parallel fifths and octaves from sonorities ``prev`` to ``now`` (each ``(batch, voices)``),
    as :func:`rule_counts` defines them; silent voices (0) take no part."""
    prev, now = prev.astype(np.int32), now.astype(np.int32)
    count = np.zeros(len(now), np.int32)
    for u in range(now.shape[1]):
        for low in range(u + 1, now.shape[1]):
            args = (prev[:, u], prev[:, low], now[:, u], now[:, low])
            count += pw.parallel(pw.FIFTH, *args) | pw.parallel(pw.OCTAVE, *args)
    return count


def rates(counts: dict[str, int]) -> dict[str, float]:
    """Rule counts -> per 100 voice-pair transitions (range: per 100 notes); NaN when nothing to count."""
    t, n = counts["transitions"], counts["notes"]
    out = {name: 100.0 * counts[name] / t if t else float("nan") for name in RULES}
    out["out_of_range"] = 100.0 * counts["out_of_range"] / n if n else float("nan")
    return out


# -- keys and distributions ----------------------------------------------------------------------

def pitch_class_weights(grid: Grid) -> np.ndarray:
    """``(12,)`` steps sounded per pitch class (duration weighted)."""
    sounding = grid.pitches[grid.pitches > 0].astype(np.int64)
    return np.bincount(sounding % 12, minlength=12).astype(np.float64)


def estimate_key(grid: Grid) -> tuple[int, str]:
    """``(tonic pitch class, "major" | "minor")`` by correlation with the Krumhansl-Kessler profiles."""
    return key_of_weights(pitch_class_weights(grid))


def key_of_weights(weights: np.ndarray) -> tuple[int, str]:
    """The key whose Krumhansl-Kessler profile correlates best with ``(12,)`` pitch-class weights."""
    if not weights.any():
        return 0, "major"
    best = (-2.0, 0, "major")
    for mode, profile in (("major", MAJOR_PROFILE), ("minor", MINOR_PROFILE)):
        for tonic in range(12):
            r = float(np.corrcoef(weights, np.roll(profile, tonic))[0, 1])
            if r > best[0]:
                best = (r, tonic, mode)
    return best[1], best[2]


# (12,) pitch classes of a key, tonic 0: the major scale; natural minor (the major scale from its 6th)
# plus its leading tone (harmonic minor's raised 7th, which Bach and folk tunes use as often as the flat one).
SCALES = {"major": MAJOR_SCALE, "minor": np.roll(MAJOR_SCALE, 3) | (np.arange(12) == 11)}


def share_in_key(pitches: np.ndarray, durations: np.ndarray) -> tuple[float, tuple[int, str]]:
    """``(share of notes whose pitch class is in the key, key)`` for one piece's ``(notes,)`` pitches and
    durations; the key is estimated from the duration-weighted pitch classes (:func:`key_of_weights`)."""
    classes = np.asarray(pitches, np.int64) % 12
    if not classes.size:
        return 0.0, (0, "major")
    tonic, mode = key_of_weights(np.bincount(classes, weights=np.asarray(durations, np.float64), minlength=12))
    inside = SCALES[mode][(classes - tonic) % 12]  # (notes,) bool
    return float(inside.mean()), (tonic, mode)


def key_name(tonic: int, mode: str) -> str:
    return f"{KEY_NAMES[tonic % 12]} {mode}"


def histograms(grid: Grid) -> dict[str, np.ndarray]:
    """Raw counts: ``pitch_class`` (12, tonic first), ``interval_<voice>`` (25: -12..12), ``length`` (32), ``harmonic`` (12)."""
    tonic, _ = estimate_key(grid)
    out = {"pitch_class": np.roll(pitch_class_weights(grid), -tonic)}
    notes = grid.notes()
    for v in range(grid.voices):
        line = [p for voice, p, _, _ in notes if voice == v]  # notes of one voice in time order (rests skipped)
        steps = np.clip(np.diff(np.array(line, np.int64)), -MAX_INTERVAL, MAX_INTERVAL) if len(line) > 1 else []
        out[f"interval_{v}"] = np.bincount(np.asarray(steps, np.int64) + MAX_INTERVAL, minlength=2 * MAX_INTERVAL + 1).astype(float)
    lengths = np.clip([n[3] for n in notes], 1, MAX_LENGTH) if notes else np.array([], np.int64)
    out["length"] = np.bincount(np.asarray(lengths, np.int64) - 1, minlength=MAX_LENGTH).astype(float)
    chords = sonorities(grid)
    classes = [int(c[u] - c[low]) % 12 for c in chords for u in range(grid.voices)
               for low in range(u + 1, grid.voices) if c[u] > 0 and c[low] > 0]
    out["harmonic"] = np.bincount(np.array(classes, np.int64), minlength=12).astype(float)
    return out


def wasserstein(a: np.ndarray, b: np.ndarray, circular: bool = False) -> float:
    """Earth mover's distance between two histograms on unit-spaced bins (normalised first).

    ``circular`` treats the bins as a circle (pitch classes): the distance is then
    ``sum |F - G - median(F - G)|`` over the cumulative sums, the exact circular W1.
    NaN when either histogram is empty.
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.sum() <= 0 or b.sum() <= 0:
        return float("nan")
    diff = np.cumsum(a / a.sum()) - np.cumsum(b / b.sum())
    if circular:
        return float(np.abs(diff - np.median(diff)).sum())
    return float(np.abs(diff[:-1]).sum())


def distances(hists: dict[str, np.ndarray], reference: dict[str, np.ndarray]) -> dict[str, float]:
    """Wasserstein distance of each histogram to the reference; ``melodic_intervals`` is the mean over voices."""
    out = {"pitch_class": wasserstein(hists["pitch_class"], reference["pitch_class"], circular=True)}
    per_voice = [wasserstein(hists[k], reference[k]) for k in hists if k.startswith("interval_") and k in reference]
    for i, d in enumerate(per_voice):
        out[f"melodic_intervals_{i}"] = d
    out["melodic_intervals"] = float(np.nanmean(per_voice)) if per_voice and not np.isnan(per_voice).all() else float("nan")
    out["note_lengths"] = wasserstein(hists["length"], reference["length"])
    out["harmonic_intervals"] = wasserstein(hists["harmonic"], reference["harmonic"])
    return out


# -- general measures ------------------------------------------------------------------------------

def general_measures(grid: Grid) -> dict[str, float]:
    """Polyphony, pitch-class entropy, scale consistency, empty-beat rate, groove consistency."""
    sounding = grid.pitches > 0
    busy = sounding.any(axis=1)
    polyphony = float(np.mean([len(set(row[row > 0].tolist())) for row in grid.pitches[busy]])) if busy.any() else 0.0
    weights = pitch_class_weights(grid)
    probs = weights[weights > 0] / weights.sum() if weights.any() else np.array([1.0])
    entropy = float(-(probs * np.log2(probs)).sum())
    classes = np.array([p % 12 for _, p, _, _ in grid.notes()], np.int64)
    scale = max(float(np.roll(MAJOR_SCALE, k)[classes].mean()) for k in range(12)) if classes.size else float("nan")
    beat = grid.steps_per_quarter
    beats = busy[: len(busy) // beat * beat].reshape(-1, beat)
    empty = float(1 - beats.any(axis=1).mean()) if beats.size else float("nan")
    bar = 4 * beat
    onsets = grid.struck.any(axis=1)
    bars = onsets[: len(onsets) // bar * bar].reshape(-1, bar)
    groove = float(1 - np.mean(np.abs(np.diff(bars.astype(int), axis=0)).sum(axis=1) / bar)) if len(bars) > 1 else float("nan")
    return {"polyphony": polyphony, "pitch_class_entropy": entropy, "scale_consistency": scale,
            "empty_beat_rate": empty, "groove_consistency": groove}


# -- keys by name ----------------------------------------------------------------------------------

_LETTERS = {"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11}


def parse_key(text: str) -> tuple[int, str]:
    """``"A minor"``, ``"Eb major"``, ``"f# minor"``, ``"Bb"`` (major) -> ``(tonic pitch class, mode)``."""
    from seqgen.data_prep.errors import SeqgenError

    words = text.strip().lower().replace("-", " ").split()
    mode = words[1] if len(words) == 2 else "major"
    name = words[0] if words else ""
    if len(words) not in (1, 2) or mode not in ("major", "minor") or not name or name[0] not in _LETTERS \
            or any(c not in "#b" for c in name[1:]):
        raise SeqgenError(f"--key {text!r} is not a key; write e.g. \"A minor\", \"Eb major\" or \"F# minor\"")
    tonic = _LETTERS[name[0]] + name[1:].count("#") - name[1:].count("b")
    return tonic % 12, mode


def shift_to_key(source: tuple[int, str], target: tuple[int, str]) -> tuple[int, tuple[int, str]]:
    """Semitones (-6..5) moving key ``source`` to ``target``, and the key reached.

    Transposing cannot change a mode: a major piece asked into a minor key goes to that key's
    relative major (same key signature), and a minor piece asked into a major key to its relative minor.
    """
    tonic, mode = target
    if source[1] != mode:
        tonic, mode = ((tonic + 3) % 12, "major") if mode == "minor" else ((tonic - 3) % 12, "minor")
    shift = (tonic - source[0]) % 12
    return (shift - 12 if shift > 5 else shift), (tonic, mode)
