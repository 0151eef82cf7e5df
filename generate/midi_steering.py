"""Steering MIDI token streams at sampling time: the asked key and note density held for the whole piece.

A run trained with ``--controls`` starts each piece with a key and a density token, but a small
model follows them loosely (RESULTS.md, "MIDI controls"). These processors hold the asked values
inside the compiled sampling loop (:mod:`generate.processors`' contract: ``(logits, context)``,
``history`` recent tokens), for the ``events`` and ``durations`` codecs, whose note-on ids are
``NOTE_ON + pitch`` and whose time shifts move the clock by :meth:`token_steps`.

* :func:`key_steer`: note-on pitches outside the asked key's scale (harmonic and natural minor for
  minor keys, :data:`music_metrics.SCALES`) lose ``strength`` nats, and those inside lean by the
  key's Krumhansl-Kessler profile (tonic 0, weaker degrees down to ``-strength``). The scale alone
  cannot tell E minor from G major (the same notes): measured on a tiny piano model, a scale mask
  with the tonic and fifth raised gave 75% of pieces in the asked key (minor keys drifting to the
  parallel major when they were raised more), the profile 92% (RESULTS.md, "MIDI controls").
* :func:`density_steer`: the running notes per second of the last ``history`` tokens (onsets over
  the seconds their time shifts span, with one second of the asked density as a prior, so the
  start is neither empty nor infinite) against the asked density: note-on logits move by
  ``-gain * log(running / asked)`` and time-shift logits by the opposite, clipped to ``max_shift``
  nats. Right after a durations pitch token (its duration must follow) nothing moves.
* :func:`duration_grammar`: a durations pitch token always gets its duration token (on for every
  durations run, asked or not).
"""

from __future__ import annotations

import math
from numbers import Real

import numpy as np
import tensorflow as tf

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.midi_events import NOTE_ON
from seqgen.data_prep.music_metrics import MAJOR_PROFILE, MINOR_PROFILE, SCALES

KEY_STRENGTH = 4.0  # nats off out-of-scale note-ons: a 55x lower odds, still possible (chromatic passing notes)
DENSITY_GAIN = 6.0  # nats per unit of log(running / asked): 25% too busy moves 1.3 nats
DENSITY_HISTORY = 96  # recent tokens the running density is taken over: about 2-5 s of piano
PRIOR_SECONDS = 1.0  # the running density starts at the asked one, weighed as this many seconds
MAX_SHIFT = 6.0  # nats: the density processor never moves a logit further


def _check(value, name: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value) or not low <= value <= high:
        raise SeqgenError(f"{name} must be a number in [{low:g}, {high:g}], got {value!r}")
    return float(value)


def pitch_bias(tonic: int, mode: str, strength: float) -> np.ndarray:
    """``(128,)`` nats added to the note-on logit of each MIDI pitch for the key ``tonic`` ``mode``:
    ``-strength`` outside the scale; inside it the key's Krumhansl-Kessler profile, scaled from 0 at
    the tonic to ``-strength`` at the profile's lowest weight; all moved so the mean odds stay 1."""
    if mode not in SCALES or isinstance(tonic, bool) or not isinstance(tonic, (int, np.integer)):
        raise SeqgenError(f"key must be a tonic 0-11 and 'major' or 'minor', got {tonic!r} {mode!r}")
    scale = np.roll(SCALES[mode], tonic % 12)  # (12,) bool, pitch class in the key
    profile = np.roll(MAJOR_PROFILE if mode == "major" else MINOR_PROFILE, tonic % 12)  # (12,)
    lean = strength * (profile - profile.max()) / (profile.max() - profile.min())  # 0 .. -strength
    by_class = np.where(scale, lean, -strength)
    # Moved so the pitch classes keep their total mass (log-mean-exp 0): the key moves mass between
    # pitches, not from notes to time shifts, which would thin the piece under --density (measured).
    by_class -= np.log(np.mean(np.exp(by_class)))
    return by_class[np.arange(128) % 12]


def key_steer(codec, tonic: int, mode: str, strength: float = KEY_STRENGTH):
    """Processor: note-on logits of ``codec`` biased towards the key (see the module doc)."""
    strength = _check(strength, "key strength", 0, 50)
    bias = np.zeros(codec.vocab_size, np.float32)
    bias[NOTE_ON:NOTE_ON + 128] = pitch_bias(tonic, mode, strength)
    bias_t = tf.constant(bias)

    def apply(logits: tf.Tensor, context=None) -> tf.Tensor:
        return logits + tf.cast(bias_t, logits.dtype)[None, :]

    return apply


def _is_durations(codec) -> bool:
    return hasattr(codec, "first_duration")


def _token_tables(codec) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(note_on, onset, seconds, duration)``, each ``(vocab,)`` float: what each token id is or adds.
    A durations note counts at its duration token: a pitch without one decodes to nothing."""
    ids = np.arange(codec.vocab_size)
    note_on = ((ids >= NOTE_ON) & (ids < NOTE_ON + 128)).astype(np.float32)
    seconds = codec.token_steps(ids).astype(np.float32) * codec.config.time_step_ms / 1000
    duration = np.zeros_like(note_on)
    if _is_durations(codec):
        duration[codec.first_duration:codec.first_control] = 1
    return note_on, duration if _is_durations(codec) else note_on, seconds, duration


def duration_grammar(codec):
    """Processor for the durations codec: a pitch token is followed by a duration token, and a
    duration token only follows a pitch (decoding skips the rest: a tiny model after 3 epochs left
    55-66 of ~100 pitch tokens in 15 s without a duration). None for other codecs."""
    if not _is_durations(codec):
        return None
    note_on, _, _, duration = (tf.constant(t) for t in _token_tables(codec))

    def apply(logits: tf.Tensor, context) -> tf.Tensor:
        pending = tf.gather(note_on, context.recent[:, -1])[:, None] > 0.5  # (batch, 1)
        allowed = tf.where(pending, duration[None, :] > 0.5, duration[None, :] < 0.5)  # (batch, vocab)
        return tf.where(allowed, logits, tf.constant(-math.inf, logits.dtype))

    apply.history = 1
    return apply


def density_steer(codec, per_second: float, gain: float = DENSITY_GAIN, history: int = DENSITY_HISTORY):
    """Processor: note-on against time-shift logits moved by how far the running density is from
    ``per_second`` (see the module doc); reads ``history`` recent tokens."""
    per_second = _check(per_second, "density", 0.01, 100)
    gain = _check(gain, "density gain", 0, 50)
    if isinstance(history, bool) or not isinstance(history, (int, np.integer)) or not 4 <= history <= 4096:
        raise SeqgenError(f"density history must be an integer in [4, 4096] tokens, got {history!r}")
    note_on, onset, seconds, _ = (tf.constant(t) for t in _token_tables(codec))
    needs_duration = note_on if _is_durations(codec) else tf.zeros_like(note_on)
    is_shift = tf.cast(seconds > 0, tf.float32)  # (vocab,)

    def apply(logits: tf.Tensor, context) -> tf.Tensor:
        recent = context.recent  # (batch, history)
        notes = tf.reduce_sum(tf.gather(onset, recent), axis=1)  # (batch,)
        spent = tf.reduce_sum(tf.gather(seconds, recent), axis=1)
        running = (notes + per_second * PRIOR_SECONDS) / (spent + PRIOR_SECONDS)
        push = tf.clip_by_value(gain * tf.math.log(running / per_second), -MAX_SHIFT, MAX_SHIFT)  # (batch,)
        push *= 1 - tf.gather(needs_duration, recent[:, -1])  # a durations pitch waits for its duration
        move = push[:, None] * (is_shift - note_on)[None, :]  # (batch, vocab): + on shifts, - on note-ons
        return logits + tf.cast(move, logits.dtype)

    apply.history = int(history)
    return apply


def steering(codec, key: str | None, density: float | None, key_strength: float = KEY_STRENGTH,
             density_gain: float = DENSITY_GAIN):
    """The processors for what was asked (None when nothing is, or both strengths are 0)."""
    from seqgen.data_prep.music_metrics import parse_key
    from seqgen.generate.sampling import compose

    steps = []
    if key is not None and _check(key_strength, "--key-strength", 0, 50) > 0:
        steps.append(key_steer(codec, *parse_key(key), strength=key_strength))
    if density is not None and _check(density_gain, "--density-gain", 0, 50) > 0:
        steps.append(density_steer(codec, density, gain=density_gain))
    return compose(*steps) if steps else None
