"""seqgen render: WAV duration and loudness from the built-in synthesiser, and clear errors."""

import wave

import numpy as np
import pytest

from seqgen.data_prep.grid import Grid
from seqgen.generate import audio
from seqgen.generate.audio import render_grid
from seqgen.generate.midi_writer import grid_to_midi
from tests.cli_helpers import assert_one_line_error, run
from tests.test_harmonize import model, run_dir  # noqa: F401 - fixtures: a tiny untrained chorale run


def read_wav(path):
    with wave.open(str(path)) as w:
        assert (w.getnchannels(), w.getsampwidth()) == (1, 2)
        rate = w.getframerate()
        samples = np.frombuffer(w.readframes(w.getnframes()), "<i2") / 32767
    return samples, rate


def rms(x):
    return float(np.sqrt(np.mean(x ** 2)))


@pytest.fixture
def piece():
    """A C major chord for 1 s, 1 s of silence, a G major chord for 1 s (at 120 bpm, 8 steps a second)."""
    chord = np.array([[72, 67, 64, 48]] * 8 + [[0, 0, 0, 0]] * 8 + [[71, 67, 62, 55]] * 8, np.int16)
    return Grid.from_pitches(chord, name="three")


def test_render_duration_and_loudness(tmp_path, piece):
    midi = grid_to_midi(piece, tmp_path / "p.mid", bpm=120)
    result = run("render", midi, "-o", tmp_path / "p.wav", "--synth", "builtin", "--sample-rate", "8000")
    assert result.exit_code == 0, result.output
    assert "built-in synthesiser" in result.output
    samples, rate = read_wav(tmp_path / "p.wav")
    assert rate == 8000
    assert len(samples) / rate == pytest.approx(3 + audio.RELEASE_S, abs=2 / rate)
    assert np.abs(samples).max() == pytest.approx(audio.PEAK, abs=1e-3)  # normalised peak
    sounding, silent = samples[int(0.1 * rate): int(0.9 * rate)], samples[int(1.2 * rate): int(1.9 * rate)]
    assert 0.1 < rms(sounding) < audio.PEAK and rms(silent) == 0.0
    assert rms(samples[int(2.1 * rate): int(2.9 * rate)]) > 0.1
    assert_one_line_error(run("render", midi, "-o", tmp_path / "p.wav"), "already exists")


def test_render_grid_and_missing_fluidsynth(tmp_path, piece, monkeypatch):
    line = render_grid(piece, tmp_path / "g.wav", bpm=240, synth="builtin")
    assert "1.5 s of music" in line  # 24 steps at 240 bpm
    monkeypatch.setattr(audio.shutil, "which", lambda name: None)
    midi = grid_to_midi(piece, tmp_path / "p.mid")
    assert_one_line_error(run("render", midi, "-o", tmp_path / "f.wav", "--synth", "fluidsynth"), "--synth builtin")
    auto = run("render", midi, "-o", tmp_path / "a.wav")
    assert auto.exit_code == 0 and "no fluidsynth" in auto.output


def test_generate_chorale_format_wav(tmp_path, run_dir):
    result = run("generate", "chorale", "--run", run_dir, "--steps", "16", "--bpm", "120", "--format", "wav",
                 "-o", tmp_path / "c")
    assert result.exit_code == 0, result.output
    samples, rate = read_wav(tmp_path / "c.wav")
    assert len(samples) / rate <= 2 + audio.RELEASE_S + 1 / rate  # 16 steps at 120 bpm, silence trimmed
    assert rms(samples) > 0.01
