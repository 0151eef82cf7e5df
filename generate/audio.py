"""MIDI -> WAV: FluidSynth with a General MIDI SoundFont when the system has both, else a built-in synthesiser.

FluidSynth is the ``fluidsynth`` program; the SoundFont is ``--soundfont`` or the first found at the
usual places of Debian/Ubuntu (``fluid-soundfont-gm``), Fedora and Homebrew. Nothing is ever
downloaded. The built-in synthesiser (numpy only) gives each voice its own timbre, a few harmonics
under an attack-decay-sustain-release envelope, and writes 16-bit mono PCM with the standard
library's ``wave`` module; the mix is scaled so its peak is at -2 dBFS.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.files import atomic_path, check_writable
from seqgen.data_prep.grid import Grid

SAMPLE_RATE = 44100  # Hz: CD rate, what players and editors expect (FluidSynth's own default too)
PEAK = 0.8  # the loudest sample, as a share of full scale (about -2 dBFS)
RELEASE_S, ATTACK_S, DECAY_S, SUSTAIN = 0.08, 0.01, 0.08, 0.7
MAX_SECONDS = 3600  # bounded memory: an hour of audio is about 300 MB of float64
# Harmonic amplitudes per voice (track order): bright top voice, rounder lower voices.
TIMBRES = ((1.0, 0.45, 0.25, 0.12, 0.06), (1.0, 0.3, 0.15, 0.05), (1.0, 0.35, 0.1, 0.08), (1.0, 0.6, 0.3, 0.2, 0.1))
SOUNDFONTS = (
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",  # Debian/Ubuntu: fluid-soundfont-gm
    "/usr/share/sounds/sf2/default-GM.sf2",
    "/usr/share/sounds/sf3/default-GM.sf3",
    "/usr/share/sounds/sf2/TimGM6mb.sf2",
    "/usr/share/soundfonts/FluidR3_GM.sf2",  # Fedora: fluid-soundfont-gm
    "/usr/share/soundfonts/default.sf2",
    "/opt/homebrew/share/soundfonts/default.sf2",  # macOS Homebrew (Apple silicon / Intel)
    "/usr/local/share/soundfonts/default.sf2",
    "~/Library/Audio/Sounds/Banks/FluidR3_GM.sf2",
)
SYNTHS = ("auto", "fluidsynth", "builtin")


def is_soundfont(path: Path) -> bool:
    """True when ``path`` starts as a SoundFont does: a RIFF chunk of form ``sfbk`` (SF2, and SF3 too)."""
    try:
        with open(path, "rb") as f:
            head = f.read(12)
    except OSError:
        return False
    return len(head) == 12 and head[:4] == b"RIFF" and head[8:12] == b"sfbk"


def find_soundfont(explicit: str | os.PathLike | None = None) -> Path | None:
    """``explicit`` if given (it must be a SoundFont), else the first SoundFont at the usual places, else None.

    Each candidate's header is read first, so a text file or a truncated download given as
    ``--soundfont`` is refused with one line instead of being reported as used.
    """
    if explicit is not None:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise SeqgenError(f"--soundfont {str(explicit)!r} is not a file; give a .sf2 General MIDI SoundFont")
        if not is_soundfont(path):
            raise SeqgenError(f"--soundfont {str(explicit)!r} is not a SoundFont (no RIFF 'sfbk' header); "
                              "give a .sf2 or .sf3 file such as FluidR3_GM.sf2, or use --synth builtin")
        return path
    return next((Path(p).expanduser() for p in SOUNDFONTS if is_soundfont(Path(p).expanduser())), None)


def _fluidsynth(midi: Path, wav: Path, soundfont: Path, sample_rate: int) -> None:
    command = [shutil.which("fluidsynth"), "-ni", "-g", "0.7", "-r", str(sample_rate), "-F", str(wav), str(soundfont), str(midi)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        raise SeqgenError(f"fluidsynth took over 10 minutes on {midi}; try --synth builtin") from None
    if done.returncode != 0 or not wav.exists() or wav.stat().st_size <= 44:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise SeqgenError(f"fluidsynth failed on {midi} ({last[0][:150]}); try --synth builtin")


def synthesize(notes, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """``notes`` (``midi_read.Note``: seconds, pitch, velocity, track) -> float mono samples in [-PEAK, PEAK]."""
    end = max((n.end for n in notes), default=0.0) + RELEASE_S
    if end > MAX_SECONDS:
        raise SeqgenError(f"the piece lasts {end:.0f} s; the built-in synthesiser renders at most {MAX_SECONDS} s")
    out = np.zeros(int(np.ceil(end * sample_rate)) + 1)
    for n in notes:
        start = int(round(n.start * sample_rate))
        held = max(n.end - n.start, 0.02)
        t = np.arange(int((held + RELEASE_S) * sample_rate)) / sample_rate  # (samples,) seconds from the onset
        freq = 440.0 * 2 ** ((n.pitch - 69) / 12)
        timbre = TIMBRES[n.track % len(TIMBRES)]
        tone = sum(a * np.sin(2 * np.pi * k * freq * t) for k, a in enumerate(timbre, 1) if k * freq < sample_rate / 2)
        chunk = tone * _envelope(t, held) * (n.velocity / 127)
        out[start: start + len(chunk)] += chunk[: len(out) - start]
    peak = np.abs(out).max() if out.size else 0.0
    return out * (PEAK / peak) if peak > 0 else out


def _envelope(t: np.ndarray, held: float) -> np.ndarray:
    """Attack to 1, decay towards SUSTAIN while held, then a linear release to 0 over RELEASE_S."""
    def shape(x):
        return np.where(x < ATTACK_S, x / ATTACK_S, SUSTAIN + (1 - SUSTAIN) * np.exp(-(x - ATTACK_S) / DECAY_S))

    release = np.clip(1 - (t - held) / RELEASE_S, 0, 1)
    return np.where(t < held, shape(t), shape(np.float64(held)) * release)


def write_wav(samples: np.ndarray, path: Path, sample_rate: int = SAMPLE_RATE) -> None:
    """Float samples in [-1, 1] -> 16-bit mono PCM WAV at ``path`` (atomically)."""
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    with atomic_path(path) as tmp:
        with wave.open(str(tmp), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(sample_rate)
            w.writeframes(pcm.tobytes())


def render_midi(midi: str | os.PathLike, out: str | os.PathLike, *, soundfont: str | None = None, synth: str = "auto",
                sample_rate: int = SAMPLE_RATE, force: bool = False) -> str:
    """Render a MIDI file to WAV; returns a line saying how (FluidSynth with which SoundFont, or built in)."""
    from seqgen.data_prep.midi_read import read_midi

    out = check_writable(out, force)
    if out.suffix.lower() != ".wav":
        raise SeqgenError(f"-o {str(out)!r} must end in .wav")
    if synth not in SYNTHS:
        raise SeqgenError(f"--synth must be one of {', '.join(SYNTHS)}, got {synth!r}")
    font = find_soundfont(soundfont) if synth != "builtin" else None
    program = shutil.which("fluidsynth") if synth != "builtin" else None
    if synth == "fluidsynth" and (program is None or font is None):
        missing = "the fluidsynth program" if program is None else "a General MIDI SoundFont (--soundfont PATH)"
        raise SeqgenError(f"--synth fluidsynth: {missing} not found; install it (see the README) or use --synth builtin")
    performance = read_midi(midi)  # also checks the file before anything is written
    if program and font:
        with atomic_path(out) as tmp:
            _fluidsynth(Path(midi), tmp, font, sample_rate)
        how = f"FluidSynth with {font}"
    else:
        write_wav(synthesize(performance.notes, sample_rate), out, sample_rate)
        how = "the built-in synthesiser" + ("" if synth == "builtin" else " (no fluidsynth and SoundFont found)")
    return f"wrote {out} ({performance.duration:.1f} s of music, {how})"


def render_grid(grid: Grid, out: str | os.PathLike, *, bpm: float = 80, instrument: int = 19,
                soundfont: str | None = None, synth: str = "auto", force: bool = False) -> str:
    """Write ``grid`` as WAV (through a temporary MIDI file); returns the line :func:`render_midi` gives."""
    import tempfile

    from seqgen.generate.midi_writer import grid_to_midi

    out = check_writable(out, force)
    with tempfile.TemporaryDirectory() as folder:
        midi = grid_to_midi(grid, Path(folder) / "piece.mid", bpm=bpm, instrument=instrument)
        return render_midi(midi, out, soundfont=soundfont, synth=synth, force=force)
