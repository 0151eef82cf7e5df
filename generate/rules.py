"""Part-writing rules as logits processors for the chorale grid (tokens S, A, T, B per 16th-note step).

The rule for voice ``v`` at step ``t`` sees voices ``< v`` of step ``t`` and all voices of step ``t - 1``
(the last ``2 * voices`` tokens, :class:`processors.Context`), and scores every candidate token at
once: ``(batch, vocab)`` violations of :mod:`data_prep.part_writing` (the very functions ``seqgen
judge`` counts with), looked up in tables built from those functions (:mod:`generate.rule_tables`;
:func:`violations` computes them directly, the tables' reference). ``strict`` masks a candidate that
breaks more rules than the best candidate left (so when every candidate breaks one, the least bad
stay) and, with ``keep_rhythm``, gives holding a note and striking one each the probability the mask
took from it: a masked pitch no longer turns into a held note (the default pieces' note-length distance
to Bach 0.194 -> 0.110 on 180 pieces, RESULTS.md); ``soft`` takes ``penalty`` nats off a candidate's
logit per violation; ``off`` leaves the logits alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from seqgen.data_prep import part_writing as pw
from seqgen.data_prep.errors import SeqgenError
from seqgen.generate import rule_tables
from seqgen.generate.phrase_marks import bach_rhythm
from seqgen.generate.sampling import compose

MODES = ("strict", "soft", "off")
REST_STEPS = 8  # all voices silent up to this many steps (a breath after a fermata) still show the chord before
ALL_RULES = pw.PAIR_RULES + pw.VOICE_RULES


@dataclass(frozen=True)
class RulesConfig:
    """Part-writing rules while sampling; validated in ``__post_init__``."""

    mode: str = "strict"  # strict: mask rule-breaking notes unless all break one; soft: penalise; off
    penalty: float = 3.0  # nats off a note's logit per violation, with soft
    rules: tuple = ALL_RULES  # which of part_writing's rules apply
    keep_rhythm: bool = True  # strict: a mask moves no probability between holding a note and striking one
    fermata_on_beats: bool = True  # any mode: phrase ends start and end on beats (generate.phrase_marks)
    offbeat_sixteenths: bool = True  # any mode: a note struck on an off-beat 16th lasts a 16th, as in Bach

    def __post_init__(self):
        if self.mode not in MODES:
            raise SeqgenError(f"--rules must be one of {', '.join(MODES)}, got {self.mode!r}")
        if not (isinstance(self.penalty, (int, float)) and math.isfinite(self.penalty) and self.penalty >= 0):
            raise SeqgenError(f"--rule-penalty must be a finite number >= 0 (nats), got {self.penalty!r}")
        for name in ("keep_rhythm", "fermata_on_beats", "offbeat_sixteenths"):
            if not isinstance(getattr(self, name), bool):
                raise SeqgenError(f"{name} must be true or false, got {getattr(self, name)!r}")
        unknown = [r for r in self.rules if r not in ALL_RULES]
        if unknown or not self.rules:
            raise SeqgenError(f"rules must be some of {', '.join(ALL_RULES)}, got {self.rules!r}")


def pitch_table(codec) -> np.ndarray:
    """``(vocab,)`` MIDI pitch of each token (0: not a note), read through the codec's own decoder."""
    steps = np.repeat(np.arange(codec.vocab_size), codec.voices)  # each token as one whole step
    return codec.decode(steps).pitches[:, 0].astype(np.int32)


def violations(context, table: tf.Tensor, voices: int, rules: tuple, ranges: tf.Tensor,
               tokens: tf.Tensor | None = None) -> tf.Tensor:
    """``(batch, vocab)`` float32: rules each candidate token breaks, at ``context``'s position; with
    ``tokens (batch,)``, ``(batch, 1)``: the rules those tokens broke (the particle filter's penalty)."""
    v = context.voice(voices)
    pitches = tf.gather(table, context.recent[:, -2 * voices:])  # (batch, 2 * voices): a longer history's end
    u = tf.range(voices)
    prev = tf.gather(pitches, voices - v + u, axis=1)  # (batch, voices): step t - 1
    cur = tf.gather(pitches, tf.minimum(2 * voices - v + u, 2 * voices - 1), axis=1)  # voices < v of step t
    upper = (u < v)[None, :, None]  # (1, voices, 1): the pairs (u above v) decided now
    flags = tf.gather(_flag_table(voices), v)  # (voices, 3): part_writing's own pair_flags for (u, v)
    flags = tuple(flags[None, :, i, None] for i in range(3))  # each (1, voices, 1)
    cand = table[None, None, :] if tokens is None else tf.gather(table, tokens)[:, None, None]  # (1 or batch, 1, K)
    l0 = tf.gather(prev, v, axis=1)[:, None, None]  # (batch, 1, 1)
    broken = pw.pair_rules(prev[:, :, None], l0, cur[:, :, None], cand, *flags)  # each (batch, voices, vocab)
    total = tf.zeros_like(tf.cast(broken["spacing"][:, 0], tf.float32))  # (batch, vocab)
    for name in rules:
        if name in broken:
            total += tf.reduce_sum(tf.cast(tf.logical_and(broken[name], upper), tf.float32), axis=1)
    if "augmented_leaps" in rules:
        total += tf.cast(pw.augmented_leap(l0[:, 0], cand[:, 0]), tf.float32)
    if "out_of_range" in rules:
        low, high = ranges[v, 0], ranges[v, 1]
        total += tf.cast(pw.out_of_range(cand[:, 0], low, high), tf.float32)
    return total


def _flag_table(voices: int) -> tf.Tensor:
    """``(voices, voices, 3)`` bool: ``pw.pair_flags(u, low, voices)`` at ``[low, u]``, so the formula and
    the tables (which call pair_flags too) cannot disagree on which pair rules apply."""
    return tf.constant([[pw.pair_flags(u, low, voices) for u in range(voices)] for low in range(voices)])


class Formula:
    """:func:`violations` (after :func:`across_rests`) behind :class:`rule_tables.RuleTables`' interface: the
    reference the tables are tested against, and the scorer for pitch sets too wide for tables."""

    def __init__(self, table: np.ndarray, voices: int, rules: tuple, ranges, look_back: int = 1):
        self.table, self.voices, self.rules, self.look_back = tf.constant(table), voices, rules, int(look_back)
        self.ranges = tf.constant(ranges, tf.int32)
        self.history = (self.look_back + 1) * voices  # recent tokens read

    def _context(self, context):
        return across_rests(context, self.table, self.voices, self.look_back)

    def counts(self, context) -> tf.Tensor:
        return violations(self._context(context), self.table, self.voices, self.rules, self.ranges)

    def broken(self, context, tokens: tf.Tensor) -> tf.Tensor:
        return violations(self._context(context), self.table, self.voices, self.rules, self.ranges, tokens=tokens)


def scorer(table: np.ndarray, voices: int, rules: tuple, ranges, look_back: int = REST_STEPS):
    """The rules' counts for pitch ``table (vocab,)``, step ``t - 1`` the last chord sounding within
    ``look_back`` steps: looked up in tables where they fit (a few ops a token instead of 100-240), else
    computed by :func:`violations`; both give the same numbers."""
    if rule_tables.fits(table, voices):
        return rule_tables.RuleTables(table, voices, tuple(rules), ranges, look_back)
    return Formula(table, voices, tuple(rules), ranges, look_back)


def part_writing(codec, config: RulesConfig = RulesConfig()):
    """The processor for ``config`` on ``codec``'s grid (four voices), or None when ``config.mode`` is off."""
    if config.mode == "off":
        return None
    if codec.voices != len(pw.RANGES):
        raise SeqgenError(f"part-writing rules need {len(pw.RANGES)} voices, the model writes {codec.voices}; "
                          "use --rules off")
    rules = scorer(pitch_table(codec), codec.voices, config.rules, pw.RANGES)
    penalty = float(config.penalty)
    held = codec.held_ids()
    classes = tf.constant(np.stack([held, ~held], axis=1).astype(np.float32)) if config.keep_rhythm else None

    def apply(logits: tf.Tensor, context) -> tf.Tensor:
        counts = rules.counts(context)  # (batch, vocab)
        if config.mode == "soft":
            return logits - tf.cast(penalty * counts, logits.dtype)
        counts = tf.where(logits > tf.constant(-math.inf, logits.dtype), counts, math.inf)  # masked before: never best
        keep = counts <= tf.reduce_min(counts, axis=-1, keepdims=True)  # (batch, vocab); all masked before: all stay -inf
        if classes is not None:
            logits += _class_shift(logits, keep, classes)
        return tf.where(keep, logits, tf.constant(-math.inf, logits.dtype))

    apply.history = rules.history
    return apply


def across_rests(context, pitches: tf.Tensor, voices: int, steps: int = REST_STEPS):
    """``context`` as the rules read it (the last ``2 * voices`` tokens), its step ``t - 1`` replaced by
    the nearest of the ``steps`` steps before ``t`` in which a voice sounds: ``seqgen judge`` compares
    the chords struck, so a parallel octave across the breath after a fermata counts there, and so here.
    ``pitches (vocab,)``: each token's pitch (0: none); ``context.recent`` holds ``(steps + 1) * voices`` tokens.
    The formula's way; :class:`rule_tables.RuleTables` does the same inside its own gathers."""
    from seqgen.generate.processors import Context

    v, width, u = context.voice(voices), context.recent.shape[1], tf.range(voices)
    k = tf.range(1, steps + 1)[:, None]  # (steps, 1): how many steps back
    back = tf.gather(context.recent, width - v - k * voices + u[None, :], axis=1)  # (batch, steps, voices): t - 1, ...
    sounding = tf.reduce_any(tf.gather(pitches, back) > 0, axis=-1)  # (batch, steps)
    nearest = tf.argmax(tf.cast(sounding, tf.int32), axis=1, output_type=tf.int32)  # 0 (t - 1) when none sounds
    before = tf.gather(back, nearest, axis=1, batch_dims=1)  # (batch, voices)
    slot = tf.range(2 * voices) - (voices - v)  # where step t - 1's voices sit in the last 2 * voices tokens
    inside = tf.logical_and(slot >= 0, slot < voices)
    moved = tf.gather(before, tf.clip_by_value(slot, 0, voices - 1), axis=1)  # (batch, 2 * voices)
    return Context(context.position, tf.where(inside[None, :], moved, context.recent[:, width - 2 * voices:]))


def _class_shift(logits: tf.Tensor, keep: tf.Tensor, classes: tf.Tensor) -> tf.Tensor:
    """``(batch, vocab)``: what to add to the ``keep`` tokens' logits so each class (``classes (vocab, 2)``: held
    notes; everything else) gets back the probability the mask took from it, while any of the class is left:
    the rules choose pitches, the model keeps its rhythm. Small matmuls, not log-sum-exps: the loop pays per op
    on a CPU. A class the mask took whole stays masked; one that had no probability shifts by 0."""
    p = tf.nn.softmax(tf.cast(logits, tf.float32))  # (batch, vocab); masked-before tokens are 0
    before = tf.linalg.matmul(p, classes)  # (batch, 2)
    after = tf.linalg.matmul(tf.where(keep, p, 0.0), classes)
    shift = tf.math.log(tf.maximum(before, 1e-30)) - tf.math.log(tf.maximum(after, 1e-30))  # (batch, 2)
    return tf.cast(tf.linalg.matmul(shift, classes, transpose_b=True), logits.dtype)


# Pitch classes (above the tonic) of each mode's scale: minor with both sixths and sevenths (natural,
# harmonic and melodic minor), as Bach's minor chorales use them.
SCALES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 9, 10, 11)}
SCALE_PENALTY = 2.0  # nats off each pitch outside the asked key's scale (generate chorale --key)
PROFILE_WEIGHT = 2.0  # and this times log(profile top / the pitch class weight): 1.0 gave 15 of 20 pieces in D minor, 2.0 19


def scale_steer(codec, tonic: int, mode: str, penalty: float = SCALE_PENALTY, profile: float = PROFILE_WEIGHT):
    """A processor steering notes into the key ``(tonic, mode)`` (rests, phrase and other tokens untouched):
    ``penalty`` nats off each note outside its scale, and ``profile`` times how much less its pitch class
    weighs than the tonic in the key's Krumhansl-Kessler profile (log ratio); None when both are 0.

    The scale alone cannot tell D minor from F major (the same notes but C#): the mode token did not
    make the shipped model write minor (its start token moves a chorale's likelihood by under 0.4 nats)
    and its pieces asked in D minor were heard in F major; the profile weighs D, F and A over C and Bb."""
    from seqgen.data_prep.music_metrics import MAJOR_PROFILE, MINOR_PROFILE

    if mode not in SCALES:
        raise SeqgenError(f"mode must be one of {', '.join(SCALES)}, got {mode!r}")
    for name, value in (("scale penalty", penalty), ("profile weight", profile)):
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
            raise SeqgenError(f"{name} must be a finite number >= 0 (nats), got {value!r}")
    if penalty == 0 and profile == 0:
        return None
    pitches = pitch_table(codec)
    degree = (pitches - tonic) % 12  # (vocab,) scale degree in semitones
    weights = np.log((MAJOR_PROFILE if mode == "major" else MINOR_PROFILE))
    cost = penalty * ~np.isin(degree, SCALES[mode]) + profile * (weights.max() - weights[degree])
    cost = tf.constant(np.where(pitches > 0, cost, 0.0).astype(np.float32))  # (vocab,)

    def apply(logits: tf.Tensor, context=None) -> tf.Tensor:
        return logits - tf.cast(cost, logits.dtype)

    return apply


def steering(codec, rules: RulesConfig | None = None, key: tuple[int, str] | None = None,
             scale_penalty: float | None = None, profile: float | None = None):
    """One processor of Bach's rhythm (:func:`generate.phrase_marks.bach_rhythm`, with ``rules`` given: their
    ``fermata_on_beats``, for a codec that marks phrase ends, and ``offbeat_sixteenths``), the part-writing
    ``rules`` and, with an asked ``key``, its scale (:func:`scale_steer`, the module's defaults for a None
    ``scale_penalty`` / ``profile``); None if none."""
    scale_penalty = SCALE_PENALTY if scale_penalty is None else scale_penalty
    profile = PROFILE_WEIGHT if profile is None else profile
    parts = [bach_rhythm(codec, rules.fermata_on_beats, rules.offbeat_sixteenths) if rules is not None else None,
             part_writing(codec, rules) if rules is not None else None,
             scale_steer(codec, *key, scale_penalty, profile) if key is not None else None]
    parts = [p for p in parts if p is not None]
    return compose(*parts) if len(parts) > 1 else (parts[0] if parts else None)
