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


def read_wav(path, channels=1):
    """Samples (mono: stereo files are averaged) and the rate of a 16-bit WAV of ``channels`` channels."""
    with wave.open(str(path)) as w:
        assert (w.getnchannels(), w.getsampwidth()) == (channels, 2)
        rate = w.getframerate()
        samples = np.frombuffer(w.readframes(w.getnframes()), "<i2").reshape(-1, channels) / 32767
    return samples.mean(axis=1), rate


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
    fluid = "FluidSynth" in result.output  # FluidSynth writes stereo and lets the organ ring on
    samples, rate = read_wav(tmp_path / "c.wav", channels=2 if fluid else 1)
    assert rate == audio.SAMPLE_RATE
    tail = 4.0 if fluid else audio.RELEASE_S + 1 / rate  # FluidSynth renders until every voice has died away
    assert len(samples) / rate <= 2 + tail  # 16 steps at 120 bpm, silence trimmed
    assert rms(samples) > 0.01


def test_soundfont_is_checked_before_use(tmp_path, piece):
    midi = grid_to_midi(piece, tmp_path / "p.mid")
    notes = tmp_path / "notes.txt"
    notes.write_text("not a soundfont\n")
    result = run("render", midi, "-o", tmp_path / "s.wav", "--soundfont", notes)
    assert_one_line_error(result, "notes.txt", "not a SoundFont", "--synth builtin")
    assert not (tmp_path / "s.wav").exists()
    riff_but_wave = tmp_path / "fake.sf2"
    riff_but_wave.write_bytes(b"RIFF\x04\x00\x00\x00WAVE")  # a RIFF file of another form
    assert not audio.is_soundfont(riff_but_wave)
    riff_but_wave.write_bytes(b"RIFF\x04\x00\x00\x00sfbk")
    assert audio.is_soundfont(riff_but_wave)


def test_defaults_are_cd_rate():
    from seqgen.generate.cli import main

    render = main.commands["render"]
    assert audio.SAMPLE_RATE == 44100
    assert next(p for p in render.params if p.name == "sample_rate").default == audio.SAMPLE_RATE


def _fluidsynth_or_skip():
    """FluidSynth and a SoundFont, installed by .ci/run: in CI their absence fails the test, elsewhere skips it."""
    import os
    import shutil

    font = audio.find_soundfont()
    if shutil.which("fluidsynth") and font:
        return font
    message = "fluidsynth and fluid-soundfont-gm are not installed (apt-get install fluidsynth fluid-soundfont-gm)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def test_render_through_fluidsynth(tmp_path, piece):
    font = _fluidsynth_or_skip()
    midi = grid_to_midi(piece, tmp_path / "p.mid", bpm=120)
    result = run("render", midi, "-o", tmp_path / "f.wav", "--synth", "fluidsynth")
    assert result.exit_code == 0, result.output
    assert f"FluidSynth with {font}" in result.output
    mono, rate = read_wav(tmp_path / "f.wav", channels=2)
    assert rate == audio.SAMPLE_RATE
    assert len(mono) / rate >= 3.0  # three seconds of music at 120 bpm, plus FluidSynth's release tail
    assert rms(mono[int(0.1 * rate): int(0.9 * rate)]) > 10 * rms(mono[int(1.4 * rate): int(1.9 * rate)])  # chord, then silence
