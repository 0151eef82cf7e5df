"""The ``durations`` encoding: notes carry their length, so a decoded note can never hang."""

from __future__ import annotations

import mido
import numpy as np
import pytest

from seqgen.data_prep.codec_base import codec_from_config
from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.midi_durations import FIRST_SHIFT, DurationCodec, DurationConfig, duration_bins
from seqgen.data_prep.midi_events import NOTE_ON
from seqgen.data_prep.midi_read import Note, read_midi
from seqgen.generate.midi_gen import trim_to_steps
from tests.cli_helpers import run
from tests.shared_runs import shared

CODEC = DurationCodec()


def note(start, end, pitch, velocity=80):
    return Note(start, end, start, end, pitch, velocity, 0, 0, 0)


def length_token(codec, steps):
    return codec.duration_token(steps)


def told_lengths(codec, tokens):
    """``{(onset step, pitch): steps its duration token says}``, read from the tokens independently of
    the decoder: a pitch token directly followed by a duration token."""
    told, now = {}, 0
    for t, after in zip(tokens[:-1].tolist(), tokens[1:].tolist()):
        if FIRST_SHIFT <= t < codec.first_velocity:
            now += t - FIRST_SHIFT + 1
        elif NOTE_ON <= t < FIRST_SHIFT and after >= codec.first_duration:
            told[(now, t - NOTE_ON)] = int(codec.bins[after - codec.first_duration])
    return told


def test_bins_are_fine_for_short_notes_and_end_at_the_longest():
    bins = duration_bins(800)
    assert list(bins[:3]) == [1, 2, 3] and bins[-1] == 800 and np.all(np.diff(bins) > 0)
    assert duration_bins(7)[-1] == 7
    assert CODEC.vocab_size == FIRST_SHIFT + 100 + 32 + len(CODEC.bins)


def test_round_trip_keeps_onsets_pitches_velocities_and_lengths():
    notes = [note(0.0, 0.25, 60, 100), note(0.0, 1.5, 64, 100), note(0.5, 0.6, 67, 40), note(3.2, 3.9, 72, 40)]
    decoded = CODEC.decode(CODEC.encode(notes))
    assert [(n.pitch, n.start) for n in decoded] == [(60, 0.0), (64, 0.0), (67, 0.5), (72, 3.2)]
    assert [round(n.end - n.start, 3) for n in decoded] == [0.25, 1.5, 0.1, 0.7]  # all on the bins
    assert [CODEC.velocity_bin(n.velocity) for n in decoded] == [CODEC.velocity_bin(v) for v in (100, 100, 40, 40)]


def test_a_long_note_is_shortened_to_the_longest_bin():
    codec = DurationCodec(DurationConfig(max_duration_ms=2000))
    (decoded,) = codec.decode(codec.encode([note(0.0, 30.0, 60)]))
    assert decoded.end - decoded.start == pytest.approx(2.0)


@pytest.mark.parametrize("seed", range(5))
def test_no_decoded_note_is_longer_than_its_duration_token_says(seed):
    tokens = np.random.default_rng(seed).integers(0, CODEC.vocab_size, 3000)  # any ids at all
    notes, counts = CODEC.decode_counted(tokens)
    told = told_lengths(CODEC, tokens)
    assert notes and counts["no_duration"] > 0  # random ids leave pitches without a length
    for n in notes:
        steps = round(n.end / 0.01) - round(n.start / 0.01)
        assert 1 <= steps <= told[(round(n.start / 0.01), n.pitch)]
    assert len(notes) <= len(told)


def test_a_restrike_ends_the_sounding_note():
    tokens = np.array([NOTE_ON + 60, length_token(CODEC, 100), CODEC.shift_token(30),
                       NOTE_ON + 60, length_token(CODEC, 10)])
    assert [(n.start, round(n.end, 2)) for n in CODEC.decode(tokens)] == [(0.0, 0.3), (0.3, 0.4)]


def test_same_step_restrike_replaces_and_orphans_are_counted():
    tokens = np.array([NOTE_ON + 60, length_token(CODEC, 100), NOTE_ON + 60, length_token(CODEC, 5),
                       NOTE_ON + 62, CODEC.shift_token(3), NOTE_ON + 64])
    notes, counts = CODEC.decode_counted(tokens)
    assert [(n.pitch, round(n.end, 2)) for n in notes] == [(60, 0.05)]
    assert counts == {"no_duration": 2}


def test_out_of_vocabulary_is_refused_and_config_round_trips():
    with pytest.raises(SeqgenError, match="outside the midi_durations vocabulary"):
        CODEC.decode(np.array([CODEC.vocab_size]))
    codec = codec_from_config(DurationCodec(DurationConfig(max_duration_ms=3000)).to_config())
    assert isinstance(codec, DurationCodec) and codec.config.max_duration_ms == 3000
    with pytest.raises(SeqgenError, match="max_duration_ms must be"):
        DurationConfig(max_duration_ms=0)


def test_transposition_moves_pitch_tokens_only():
    tokens = CODEC.encode([note(0.0, 0.5, 60), note(0.5, 1.0, 62)])
    moved = CODEC.transpose_tokens(tokens.reshape(1, -1), 2).numpy()[0]
    assert [n.pitch for n in CODEC.decode(moved)] == [62, 64]
    assert CODEC.shift_ranges(tokens.reshape(1, -1), 5).tolist() == [[-5, 5]]


def test_trim_to_steps_uses_the_codecs_shift_tokens():
    tokens = np.array([NOTE_ON + 60, length_token(CODEC, 10), CODEC.shift_token(50)], np.int32)
    assert trim_to_steps(tokens, CODEC, 20).tolist() == [NOTE_ON + 60, length_token(CODEC, 10), CODEC.shift_token(20)]


def test_train_and_generate_durations_from_the_cli(tmp_path_factory, tmp_path):
    folder = shared(tmp_path_factory, "durations")  # train midi --encoding durations (--controls), 1 epoch
    out = folder / "run"
    assert "durations:" in (folder / "output.txt").read_text()
    result = run("generate", "midi", "--run", out, "--seconds", "2", "-o", tmp_path / "g.mid")
    assert result.exit_code == 0, result.output
    assert mido.MidiFile(tmp_path / "g.mid").length <= 2.0 + 1e-6
    assert read_midi(folder / "corpus" / "p0.mid").notes  # the corpus is untouched
    result = run("evaluate", out)
    assert result.exit_code == 0 and "nats per second of music" in result.output, result.output


def test_train_midi_defaults_to_durations_in_the_cli_and_the_config():
    from seqgen.generate.cli import main
    from seqgen.models.midi_task import MidiDataConfig

    option = next(p for p in main.commands["train"].commands["midi"].params if p.name == "encoding")
    assert option.default == MidiDataConfig().encoding == "durations"
