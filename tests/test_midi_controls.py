"""Key and density control tokens: taken from the windows' own notes, asked for at generation."""

from __future__ import annotations

import numpy as np
import pytest

from seqgen.data_prep import midi_controls as mc
from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.midi_durations import DurationCodec, DurationConfig
from seqgen.data_prep.midi_events import EventCodec, EventConfig
from seqgen.data_prep.midi_read import Note
from seqgen.data_prep.pipeline import token_windows
from tests.cli_helpers import assert_one_line_error, run
from tests.shared_runs import E_MINOR, shared

CODECS = [DurationCodec(DurationConfig(controls=1)), EventCodec(EventConfig(controls=1))]


def e_minor_notes(per_second: float, seconds: float = 8.0) -> list[Note]:
    """Melody notes of E minor, ``per_second`` onsets a second, the tonic held longest."""
    notes, step = [], 1 / per_second
    for i in range(int(seconds * per_second)):
        pitch = E_MINOR[i % len(E_MINOR)]
        length = step * (0.9 if pitch in (64, 71) else 0.4)
        notes.append(Note(i * step, i * step + length, 0, 0, pitch, 80, 0, 0, 0))
    return notes


@pytest.mark.parametrize("codec", CODECS, ids=lambda c: c.type_name)
def test_window_controls_are_the_windows_key_and_density(codec):
    tokens = codec.encode(e_minor_notes(6.0))
    windows = mc.window_controls(codec, token_windows([tokens], 100, 50))  # about 3 bars of the tune each
    keys = windows[:, 0] - codec.first_control
    densities = windows[:, 1] - codec.first_control - mc.KEYS
    assert {mc.key_text(k) for k in keys} == {"E minor"}
    assert set(densities.tolist()) <= {mc.density_bin(5.5), mc.density_bin(6.0), mc.density_bin(6.5)}
    np.testing.assert_array_equal(windows[:, 2:], token_windows([tokens], 100, 50)[:, 2:])  # the rest kept


@pytest.mark.parametrize("codec", CODECS, ids=lambda c: c.type_name)
def test_asked_controls_round_trip_and_play_nothing(codec):
    tokens, line = mc.asked_controls(codec, "E minor", 6.0, {})
    assert mc.key_text(tokens[0] - codec.first_control) == "E minor"
    assert mc.density_bin(6.0) == tokens[1] - codec.first_control - mc.KEYS
    assert line == "controls: E minor, 6-7 notes per second"
    body = codec.encode(e_minor_notes(2.0, 2.0))
    assert codec.decode(np.concatenate([tokens, body])) == codec.decode(body)
    assert codec.vocab_size == codec.first_control + mc.COUNT


def test_defaults_fill_what_is_not_asked_and_plain_runs_refuse():
    codec = CODECS[0]
    tokens, _ = mc.asked_controls(codec, None, None, {"key": 13, "density": 3})
    assert tokens.tolist() == [codec.first_control + 13, codec.first_control + mc.KEYS + 3]
    with pytest.raises(SeqgenError, match="trained without controls"):
        mc.asked_controls(DurationCodec(), "E minor", None, {})
    with pytest.raises(SeqgenError, match="is not a key"):
        mc.asked_controls(codec, "H major", None, {})


def test_transposition_moves_the_key_token_with_the_notes():
    codec = CODECS[0]
    tokens = mc.window_controls(codec, token_windows([codec.encode(e_minor_notes(4.0))], 30, 30))
    keys = tokens[:, 0] - codec.first_control  # (windows,) key indices, mode in the tens
    for shift in (3, -5):  # -5 wraps past C
        moved = codec.transpose_tokens(tokens, shift).numpy()
        np.testing.assert_array_equal(moved[:, 0] - codec.first_control, (keys + shift) % 12 + keys // 12 * 12)
        np.testing.assert_array_equal(moved[:, 1], tokens[:, 1])  # density stays
        again = mc.window_controls(codec, moved)  # the moved notes have the moved key
        np.testing.assert_array_equal(again[:, 0], moved[:, 0])


def test_train_with_controls_and_ask_from_the_cli(tmp_path_factory, tmp_path):
    folder = shared(tmp_path_factory, "durations")
    out = folder / "run"  # train midi --encoding durations --controls
    result = run("generate", "midi", "--run", out, "--key", "E minor", "--density", "6", "--bpm", "90",
                 "--steps", "40", "-o", tmp_path / "g.mid")
    assert result.exit_code == 0, result.output
    assert "controls: E minor, 6-7 notes per second" in result.output and (tmp_path / "g.mid").exists()
    result = run("generate", "midi", "--run", out, "--key", "X minor", "-o", tmp_path / "h.mid")
    assert_one_line_error(result, "is not a key")
    assert not (tmp_path / "h.mid").exists()
    result = run("train", "midi", "--corpus", folder / "corpus", "--encoding", "grid", "--controls",
                 "--out", tmp_path / "r2")
    assert_one_line_error(result, "controls need a token-stream encoding")
