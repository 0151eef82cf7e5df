"""Part-writing rules, defined once for ``seqgen judge`` (numpy) and for sampling (TensorFlow).

Every rule is an elementwise function of MIDI pitches (0 = a silent voice) written with operators
only (``-``, ``%``, comparisons, ``&``, ``|``, ``abs``), so the same code runs on numpy arrays (the
judge, :func:`music_metrics.rule_counts`) and on tensors inside the compiled sampling loop
(:mod:`generate.rules`), broadcasting as the caller shapes the arguments.

A pair rule sees an upper voice ``u`` and a lower voice ``l`` moving from ``(u0, l0)`` to ``(u1, l1)``;
it counts only when all four pitches sound. Which pairs a rule applies to (adjacent voices, outer
voices, upper-voice spacing) is the caller's ``adjacent`` / ``outer`` / ``spaced`` flags.
"""

from __future__ import annotations

RANGES = ((60, 81), (53, 74), (48, 69), (40, 62))  # soprano, alto, tenor, bass MIDI ranges (a textbook's, widened a step)
PAIR_RULES = ("parallel_fifths", "parallel_octaves", "hidden_fifths", "hidden_octaves",
              "voice_crossing", "voice_overlap", "spacing")
VOICE_RULES = ("augmented_leaps", "out_of_range")  # one voice's melodic move / its note
FIFTH, OCTAVE = 7, 0  # interval classes (semitones mod 12)


def _sounding(u0, l0, u1, l1):
    return (u0 > 0) & (l0 > 0) & (u1 > 0) & (l1 > 0)


def parallel(cls: int, u0, l0, u1, l1):
    """Both voices move (similarly or contrarily) from one interval of class ``cls`` to another, uncrossed."""
    moving = (u1 != u0) & (l1 != l0)
    before, after = u0 - l0, u1 - l1
    return _sounding(u0, l0, u1, l1) & moving & (before >= 0) & (after >= 0) & (before % 12 == cls) & (after % 12 == cls)


def hidden(cls: int, u0, l0, u1, l1):
    """Similar motion into class ``cls`` from another class, the upper voice leaping (over 2 semitones)."""
    du, dl = u1 - u0, l1 - l0
    similar = ((du > 0) & (dl > 0)) | ((du < 0) & (dl < 0))
    before, after = u0 - l0, u1 - l1
    arrives = (after >= 0) & (after % 12 == cls)
    came_from_other = (before < 0) | (before % 12 != cls)
    return _sounding(u0, l0, u1, l1) & similar & arrives & came_from_other & (abs(du) > 2)


def crossing(u0, l0, u1, l1):
    """The upper voice below the lower one at the arrival."""
    return _sounding(u0, l0, u1, l1) & (u1 < l1)


def overlap(u0, l0, u1, l1):
    """A voice moves past where its neighbour just was."""
    return _sounding(u0, l0, u1, l1) & ((u1 < l0) | (l1 > u0))


def spacing(u0, l0, u1, l1):
    """More than an octave between the two voices at the arrival."""
    return _sounding(u0, l0, u1, l1) & (u1 - l1 > 12)


def pair_rules(u0, l0, u1, l1, adjacent, outer, spaced) -> dict:
    """Each of :data:`PAIR_RULES` -> bool array (broadcast of the arguments)."""
    return {
        "parallel_fifths": parallel(FIFTH, u0, l0, u1, l1),
        "parallel_octaves": parallel(OCTAVE, u0, l0, u1, l1),
        "hidden_fifths": hidden(FIFTH, u0, l0, u1, l1) & outer,
        "hidden_octaves": hidden(OCTAVE, u0, l0, u1, l1) & outer,
        "voice_crossing": crossing(u0, l0, u1, l1) & adjacent,
        "voice_overlap": overlap(u0, l0, u1, l1) & adjacent,
        "spacing": spacing(u0, l0, u1, l1) & spaced,
    }


def augmented_leap(p0, p1):
    """A melodic tritone (6 semitones): pitch numbers cannot tell an augmented fourth from a diminished
    fifth, and both are the leaps chorale style avoids."""
    return (p0 > 0) & (p1 > 0) & (abs(p1 - p0) == 6)


def out_of_range(p, low, high):
    """A sounding pitch outside ``low..high``."""
    return (p > 0) & ((p < low) | (p > high))


def pair_flags(u: int, low: int, voices: int) -> tuple[bool, bool, bool]:
    """``(adjacent, outer, spaced)`` for voices ``u`` above ``low`` of ``voices``: which pair rules apply."""
    adjacent = low == u + 1
    return adjacent, u == 0 and low == voices - 1 and voices > 2, adjacent and low <= 2
