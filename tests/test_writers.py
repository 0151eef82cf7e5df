"""MIDI, MusicXML and piano-roll writers: round trips, file contents, no silent overwrites."""

import mido
import numpy as np
import pytest
from music21 import converter

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.grid import Grid
from seqgen.generate.midi_writer import CHANNELS, grid_to_midi, midi_to_grid, voice_names
from seqgen.generate.score_writer import _voice_events, grid_to_musicxml, piano_roll_figure, piano_roll_png, pitch_name

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def grid() -> Grid:
    """Three voices, 40 steps: holds, struck repeats, silences, a note across a bar line, odd lengths."""
    pitches = np.zeros((40, 3), np.int16)
    struck = np.zeros((40, 3), bool)

    def put(v, pitch, start, length):
        pitches[start : start + length, v] = pitch
        struck[start, v] = True

    put(0, 67, 0, 6)  # dotted quarter, held
    put(0, 67, 6, 2)  # struck repeat of the same pitch
    put(0, 72, 12, 8)  # after a rest, across the bar line at step 16
    put(0, 71, 20, 5)  # five 16ths: not one notated value
    put(1, 60, 0, 4)
    put(1, 60, 4, 4)
    put(1, 60, 8, 4)  # three struck repeats in a row
    put(1, 62, 30, 6)  # silence before; trailing silence after
    put(2, 48, 0, 36)  # one long note over two bar lines
    return Grid(pitches, struck, name="toy")


def test_grid_notes_fixture_is_what_we_think(grid):
    assert len(grid.notes()) == 9


def test_midi_round_trip_keeps_notes_repeats_and_holds(grid, tmp_path):
    path = grid_to_midi(grid, tmp_path / "toy.mid")
    back = midi_to_grid(path, voices=3)
    assert back.steps == grid.steps and back.voices == grid.voices  # trailing silence kept too
    assert sorted(back.notes()) == sorted(grid.notes())
    np.testing.assert_array_equal(back.pitches, grid.pitches)
    np.testing.assert_array_equal(back.struck, grid.struck)
    assert back.meta["bpm"] == pytest.approx(100) and back.meta["programs"] == [0, 0, 0]


def test_midi_file_contents(grid, tmp_path):
    path = grid_to_midi(grid, tmp_path / "toy.mid", bpm=72, instrument=[19, 52, 0], velocity=90)
    midi = mido.MidiFile(path)
    assert midi.type == 1 and midi.ticks_per_beat == 480 and len(midi.tracks) == 4
    meta = [m for m in midi.tracks[0] if m.is_meta]
    assert any(m.type == "set_tempo" and m.tempo == mido.bpm2tempo(72) for m in meta)
    assert any(m.type == "time_signature" and (m.numerator, m.denominator) == (4, 4) for m in meta)
    names = [next(m.name for m in t if m.type == "track_name") for t in midi.tracks[1:]]
    assert names == ["soprano", "alto", "tenor"]
    programs = [[(m.channel, m.program) for m in t if m.type == "program_change"] for t in midi.tracks[1:]]
    assert programs == [[(0, 19)], [(1, 52)], [(2, 0)]]
    ons = [m for m in midi.tracks[2] if m.type == "note_on"]
    assert [m.note for m in ons] == [60, 60, 60, 62] and {m.velocity for m in ons} == {90}
    # The struck repeat: the first note ends exactly where the second starts (off before on).
    soprano = [(m.type, m.time) for m in midi.tracks[1] if m.type in ("note_on", "note_off")]
    assert soprano[:4] == [("note_on", 0), ("note_off", 720), ("note_on", 0), ("note_off", 240)]
    assert midi_to_grid(path).meta["programs"] == [19, 52, 0]


def test_midi_channels_skip_drums_and_many_voices_get_names(tmp_path):
    grid = Grid.from_pitches(np.tile(np.arange(60, 71, dtype=np.int16), (4, 1)))  # 11 voices
    midi = mido.MidiFile(grid_to_midi(grid, tmp_path / "many.mid"))
    channels = [next(m.channel for m in t if m.type == "note_on") for t in midi.tracks[1:]]
    assert 9 not in channels and channels == list(CHANNELS[:11])
    assert voice_names(11)[0] == "voice 1" and voice_names(2) == ["soprano", "alto"]
    assert midi_to_grid(tmp_path / "many.mid").notes() == grid.notes()


def test_midi_silent_voice_survives(tmp_path):
    pitches = np.zeros((8, 2), np.int16)
    pitches[2:5, 0] = 64
    grid = Grid.from_pitches(pitches)
    back = midi_to_grid(grid_to_midi(grid, tmp_path / "quiet.mid"), voices=2)
    np.testing.assert_array_equal(back.pitches, grid.pitches)


def test_midi_refuses_overwrite_unless_forced(grid, tmp_path):
    path = tmp_path / "toy.mid"
    path.write_bytes(b"keep me")
    with pytest.raises(SeqgenError, match="already exists"):
        grid_to_midi(grid, path)
    assert path.read_bytes() == b"keep me"
    grid_to_midi(grid, path, force=True)
    assert midi_to_grid(path).notes() == grid.notes()
    assert [p.name for p in tmp_path.iterdir()] == ["toy.mid"]  # no temp file left behind


@pytest.mark.parametrize(
    "kwargs, text",
    [
        ({"bpm": 0}, "bpm must be in (0, 1000], got 0"),
        ({"instrument": 128}, "got 128"),
        ({"instrument": [0, 1]}, "2 instruments for 3 voices"),
        ({"velocity": 0}, "velocity must be 1-127, got 0"),
    ],
)
def test_midi_bad_settings(grid, tmp_path, kwargs, text):
    with pytest.raises(SeqgenError) as err:
        grid_to_midi(grid, tmp_path / "bad.mid", **kwargs)
    assert text in str(err.value)
    assert not list(tmp_path.iterdir())


def test_midi_reader_errors(tmp_path, grid):
    with pytest.raises(SeqgenError, match="not found"):
        midi_to_grid(tmp_path / "missing.mid")
    (tmp_path / "junk.mid").write_bytes(b"not midi at all")
    with pytest.raises(SeqgenError, match="not a readable MIDI file"):
        midi_to_grid(tmp_path / "junk.mid")
    grid_to_midi(grid, tmp_path / "toy.mid")
    with pytest.raises(SeqgenError, match="3 voice tracks, expected 4"):
        midi_to_grid(tmp_path / "toy.mid", voices=4)


def test_voice_events_cover_every_step(grid):
    events = _voice_events(grid)
    assert [sum(n for _, n in voice) for voice in events] == [40, 40, 40]
    assert events[0][:4] == [(67, 6), (67, 2), (None, 4), (72, 8)]
    assert events[1][-2:] == [(62, 6), (None, 4)]


def onsets(part) -> list[tuple[float, int]]:
    """``(offset in quarters, midi pitch)`` of every note of a parsed part, tied notes merged."""
    return [(float(n.offset), n.pitch.midi) for n in part.stripTies().flatten().notes]


@pytest.mark.parametrize("suffix", [".musicxml", ".mxl"])
def test_musicxml_parses_back_with_same_pitches_and_onsets(grid, tmp_path, suffix):
    path = grid_to_musicxml(grid, tmp_path / f"toy{suffix}", bpm=90)
    parsed = converter.parse(path)
    assert [p.partName for p in parsed.parts] == ["soprano", "alto", "tenor"]
    for v, part in enumerate(parsed.parts):
        expected = [(start / 4, pitch) for voice, pitch, start, _ in grid.notes() if voice == v]
        assert onsets(part) == expected
        lengths = [float(n.quarterLength) for n in part.stripTies().flatten().notes]
        assert lengths == [length / 4 for voice, _, _, length in grid.notes() if voice == v]
    assert parsed.metronomeMarkBoundaries()[0][2].number == 90
    assert [p.name for p in tmp_path.iterdir()] == [f"toy{suffix}"]


def test_musicxml_refuses_overwrite_and_bad_suffix(grid, tmp_path):
    path = tmp_path / "toy.musicxml"
    path.write_text("keep me")
    with pytest.raises(SeqgenError, match="already exists"):
        grid_to_musicxml(grid, path)
    assert path.read_text() == "keep me"
    with pytest.raises(SeqgenError, match="must end in"):
        grid_to_musicxml(grid, tmp_path / "toy.mid")
    with pytest.raises(SeqgenError, match="bpm"):
        grid_to_musicxml(grid, tmp_path / "new.xml", bpm=-1)


def test_piano_roll_png(grid, tmp_path):
    path = piano_roll_png(grid, tmp_path / "roll.png", title="toy")
    data = path.read_bytes()
    assert len(data) > 1000 and data[:8] == PNG_SIGNATURE
    with pytest.raises(SeqgenError, match="already exists"):
        piano_roll_png(grid, path)
    empty = Grid(np.zeros((0, 4), np.int16), np.zeros((0, 4), bool))
    assert piano_roll_png(empty, tmp_path / "empty.png").read_bytes()[:8] == PNG_SIGNATURE


def test_piano_roll_draws_struck_repeats_apart(grid):
    ax = piano_roll_figure(grid).axes[0]
    bars = sorted((r.get_x(), r.get_width(), r.get_y() + r.get_height() / 2) for r in ax.patches)
    alto = [(x, w) for x, w, y in bars if y == 60]  # three struck quarter notes on C4
    assert [x for x, _ in alto] == [0, 4, 8]
    assert all(x + w < next_x for (x, w), (next_x, _) in zip(alto, alto[1:]))  # visible gaps
    assert len(bars) == len(grid.notes())


def test_pitch_names():
    assert [pitch_name(p) for p in (60, 61, 69, 21, 127)] == ["C4", "C#4", "A4", "A0", "G9"]
