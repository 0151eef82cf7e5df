"""Key and density steering of MIDI sampling, on made-up logits (no model, no training)."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from seqgen.data_prep import midi_controls as mc
from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.midi_durations import DurationCodec, DurationConfig
from seqgen.data_prep.midi_events import NOTE_ON, EventCodec, EventConfig
from seqgen.generate import midi_steering as ms
from seqgen.generate.midi_gen import start_tokens
from seqgen.generate.processors import Context

DUR = DurationCodec(DurationConfig(controls=1))
EVENTS = EventCodec(EventConfig(controls=1))
E_MINOR = {4, 6, 7, 9, 11, 0, 2, 3}  # natural minor plus the leading tone D#


def _context(codec, recent: list[int]) -> Context:
    return Context(tf.constant(len(recent)), tf.constant([recent], tf.int32))


@pytest.mark.parametrize("codec", [DUR, EVENTS], ids=lambda c: c.type_name)
def test_key_steer_lowers_out_of_scale_note_ons_only(codec):
    logits = tf.zeros([1, codec.vocab_size])
    out = ms.key_steer(codec, 4, "minor", strength=3.0)(logits, None).numpy()[0]
    moved = out[NOTE_ON:NOTE_ON + 128] - out[NOTE_ON + 64]  # against the tonic E
    assert np.mean(np.exp(out[NOTE_ON:NOTE_ON + 12])) == pytest.approx(1, rel=1e-5)  # notes keep their mass
    for pitch in range(128):
        if pitch % 12 not in E_MINOR:
            assert moved[pitch] == pytest.approx(-3.0), pitch
        else:
            assert -3.0 < moved[pitch] <= 0, pitch
    assert moved[64] == 0 and moved[64] > moved[71] > moved[69]  # tonic E, then the fifth B, above A
    assert not out[NOTE_ON + 128:].any()  # shifts, velocities, note-offs, durations, controls untouched
    probs = tf.nn.softmax(out[NOTE_ON:NOTE_ON + 128]).numpy()
    # E minor and G major share their scale; the profile tells them apart at the tonics
    assert ms.pitch_bias(4, "minor", 3.0)[64] > ms.pitch_bias(7, "major", 3.0)[64]
    assert ms.pitch_bias(4, "minor", 3.0)[67] < ms.pitch_bias(7, "major", 3.0)[67]
    assert probs[[p for p in range(128) if p % 12 in E_MINOR]].sum() > 0.9


@pytest.mark.parametrize("codec", [DUR, EVENTS], ids=lambda c: c.type_name)
def test_density_steer_pushes_towards_the_asked_density(codec):
    steer = ms.density_steer(codec, 6.0, gain=4.0, history=16)
    assert steer.history == 16
    shift = codec.shift_token(10)  # 0.1 s
    note = NOTE_ON + 60

    def played(pitch):  # a note as the codec writes it: durations notes count at their duration token
        return [pitch, codec.first_duration] if codec is DUR else [pitch]

    busy = sum((played(note + i) for i in range(7)), [])
    busy = [codec.first_velocity] * (15 - len(busy)) + busy + [shift]  # 7 notes in 0.1 s
    quiet = [shift] * 15 + [codec.shift_token(100)]  # 2.5 s without a note
    logits = tf.zeros([1, codec.vocab_size])
    too_busy = steer(logits, _context(codec, busy)).numpy()[0]
    too_quiet = steer(logits, _context(codec, quiet)).numpy()[0]
    running = (7 + 6.0) / (0.1 + ms.PRIOR_SECONDS)  # onsets, with one second of the asked density
    assert too_busy[shift] == pytest.approx(4.0 * np.log(running / 6.0), rel=1e-5)
    assert too_busy[shift] > 0
    assert too_busy[note] == pytest.approx(-too_busy[shift])
    assert too_quiet[note] > 0 > too_quiet[shift]
    assert too_busy[codec.first_velocity] == too_quiet[codec.first_velocity] == 0  # neither a note nor time
    at_rate = [codec.first_velocity] * 14 + [shift] * 2  # no note in 0.2 s: (0 + 6) / 1.2 = 5/s, too quiet
    assert steer(logits, _context(codec, at_rate)).numpy()[0][shift] < 0
    at_rate = sum((played(note + i) for i in range(6)), []) + [shift] * 2  # with the prior: 12 / 1.2 = 10/s
    assert steer(logits, _context(codec, at_rate)).numpy()[0][shift] > 0


def test_density_steer_waits_for_a_pending_duration_and_clips():
    steer = ms.density_steer(DUR, 1.0, gain=50.0, history=4)
    logits = tf.zeros([1, DUR.vocab_size])
    after_pitch = steer(logits, _context(DUR, [NOTE_ON + 60] * 4)).numpy()[0]
    assert not after_pitch.any()  # the duration token must come next: nothing moves
    duration = DUR.first_duration
    busy = steer(logits, _context(DUR, [NOTE_ON + 60, duration] * 2)).numpy()[0]
    assert busy[DUR.shift_token(5)] == pytest.approx(ms.MAX_SHIFT)


@pytest.mark.parametrize("call, match", [
    (lambda: ms.key_steer(DUR, 4, "minor", strength=-1), "key strength must be a number in \\[0, 50\\], got -1"),
    (lambda: ms.key_steer(DUR, 4, "dorian"), "got 4 'dorian'"),
    (lambda: ms.density_steer(DUR, 0.0), "density must be a number in \\[0.01, 100\\], got 0.0"),
    (lambda: ms.density_steer(DUR, 6.0, gain=float("nan")), "density gain must be"),
    (lambda: ms.density_steer(DUR, 6.0, history=2), "history must be an integer in \\[4, 4096\\] tokens, got 2"),
    (lambda: ms.steering(DUR, "E minor", None, key_strength=True), "--key-strength must be"),
])
def test_steering_refuses_bad_arguments_in_one_line(call, match):
    with pytest.raises(SeqgenError, match=match) as info:
        call()
    assert "\n" not in str(info.value)


def test_steering_composes_what_is_asked_and_controls_replace_bos():
    assert ms.steering(DUR, None, None) is None
    assert ms.steering(DUR, "E minor", 6.0, key_strength=0, density_gain=0) is None
    both = ms.steering(DUR, "E minor", 6.0)
    assert both.history == ms.DENSITY_HISTORY
    tokens, _ = mc.asked_controls(DUR, "E minor", 6.0, {})
    assert start_tokens(DUR, tokens).tolist() == tokens.tolist()  # as training windows start: no BOS
    assert start_tokens(DUR, np.array([5, 6])).tolist() == [DUR.bos_id, 5, 6]


def test_cli_defaults_are_the_processors_and_bad_strengths_are_refused(tmp_path):
    from seqgen.generate import cli_midi
    from tests.cli_helpers import run

    assert (cli_midi.KEY_STRENGTH, cli_midi.DENSITY_GAIN) == (ms.KEY_STRENGTH, ms.DENSITY_GAIN)
    result = run("generate", "midi", "--run", tmp_path, "--key", "E minor", "--key-strength", "-1", "-o",
                 tmp_path / "g.mid")
    assert result.exit_code == 2 and "--key-strength" in result.output and "-1" in result.output
    assert not (tmp_path / "g.mid").exists()


def test_duration_grammar_gives_every_pitch_its_duration():
    assert ms.duration_grammar(EVENTS) is None  # events notes end with note-offs: nothing to pair
    grammar = ms.duration_grammar(DUR)
    logits = tf.zeros([2, DUR.vocab_size])
    out = grammar(logits, _context(DUR, [0])._replace(recent=tf.constant([[NOTE_ON + 60], [DUR.shift_token(3)]])))
    allowed = np.isfinite(out.numpy())
    durations = np.zeros(DUR.vocab_size, bool)
    durations[DUR.first_duration:DUR.first_control] = True
    np.testing.assert_array_equal(allowed[0], durations)  # after a pitch: only a duration
    np.testing.assert_array_equal(allowed[1], ~durations)  # elsewhere: anything but a duration
