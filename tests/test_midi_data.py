"""The MIDI-corpus data layer: reading real-world files, the grid and events encodings."""

from __future__ import annotations

import mido
import numpy as np
import pytest

import midi_factory as mf
from seqgen.data_prep.codec_base import Codec, codec_from_config
from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.midi_events import (
    EventCodec,
    EventConfig,
    note_shifts,
    notes_to_midi,
    random_transpose_notes,
    transpose_notes,
)
from seqgen.data_prep.midi_grid import (
    grid_shifts,
    grid_to_notes,
    grid_voices,
    performance_to_grid,
    performances_to_grids,
    random_transpose_grid,
)
from seqgen.data_prep.midi_read import Note, describe_corpus, find_midi_files, read_corpus, read_midi
from seqgen.data_prep.midi_stats import polyphony

MELODY = [(60, 0, 1), (62, 2, 1), (64, 3, 1)]


def _spans(performance, unit="beats"):
    """``(pitch, start, end)`` per note, in beats or seconds."""
    if unit == "beats":
        return [(n.pitch, n.start_beat, n.end_beat) for n in performance.notes]
    return [(n.pitch, n.start, n.end) for n in performance.notes]


# ----------------------------------------------------------------------------------------- reading


def test_format1_tracks_channels_programs_velocities(tmp_path):
    path = mf.write_notes(tmp_path / "a.mid", [(72, 0, 1), (74, 1, 1)], [(48, 0, 2, 100)], program=5)
    perf = read_midi(path)
    assert perf.notes == (
        Note(0.0, 1.0, 0.0, 2.0, 48, 100, 1, 1, 5),  # track: the part's index (the conductor has no notes)
        Note(0.0, 0.5, 0.0, 1.0, 72, 80, 0, 0, 5),
        Note(0.5, 1.0, 1.0, 2.0, 74, 80, 0, 0, 5),
    )
    assert (perf.midi_format, perf.ticks_per_beat, perf.duration, perf.duration_beats) == (1, mf.TPB, 1.0, 2.0)


def test_tempo_change_moves_seconds_not_beats(tmp_path):
    steady = read_midi(mf.write_midi(tmp_path / "s.mid", [mf.conductor_track(), mf.note_track(MELODY)]))
    conductor = mf.conductor_track(((0, 120), (2, 60)), ((0, 4, 4), (3, 3, 4)))
    slowed = read_midi(mf.write_midi(tmp_path / "t.mid", [conductor, mf.note_track(MELODY)]))
    assert _spans(steady) == _spans(slowed) == [(60, 0, 1), (62, 2, 3), (64, 3, 4)]
    assert _spans(steady, "s") == [(60, 0.0, 0.5), (62, 1.0, 1.5), (64, 1.5, 2.0)]
    assert _spans(slowed, "s") == [(60, 0.0, 0.5), (62, 1.0, 2.0), (64, 2.0, 3.0)]
    assert slowed.tempos == ((0.0, 120.0), (2.0, 60.0))
    assert slowed.time_signatures == ((0.0, 4, 4), (3.0, 3, 4))


def test_format0_reads_like_format1(tmp_path):
    tracks = [mf.conductor_track(((0, 90),)), mf.note_track(MELODY), mf.note_track([(40, 0, 4)], channel=1, program=33)]
    one = read_midi(mf.write_midi(tmp_path / "f1.mid", tracks))
    zero = read_midi(mf.merge_to_format0(tmp_path / "f0.mid", tracks))
    assert zero.midi_format == 0 and {(n.track, n.channel) for n in zero.notes} == {(0, 0), (1, 1)}
    assert one.notes == zero.notes  # parts are (track, channel, program): the same in both formats
    assert [n.program for n in zero.notes if n.channel == 1] == [33]


def test_format2_tracks_play_one_after_another(tmp_path):
    tracks = [mf.note_track([(60, 0, 1)]), mf.note_track([(62, 0, 2)])]
    perf = read_midi(mf.write_midi(tmp_path / "f2.mid", tracks, midi_format=2))
    assert _spans(perf) == [(60, 0, 1), (62, 1, 3)]
    assert [n.track for n in perf.notes] == [0, 1]


def test_velocity0_note_offs_in_running_status(tmp_path):
    path = mf.write_midi(tmp_path / "rs.mid", [mf.note_track(MELODY, velocity0_offs=True)], midi_format=0)
    assert path.read_bytes().count(0x90) == 1  # one status byte for all six messages: running status
    assert _spans(read_midi(path)) == [(60, 0, 1), (62, 2, 3), (64, 3, 4)]


def test_same_pitch_overlap_closes_the_earlier_note(tmp_path):
    # on 0, on 1, off 2, off 3: the second note-on ends the first note; offs pair first-on first-off
    perf = read_midi(mf.write_midi(tmp_path / "o.mid", [mf.note_track([(60, 0, 2), (60, 1, 2)])]))
    assert _spans(perf) == [(60, 0, 1), (60, 1, 3)]


def test_note_off_in_the_tick_of_a_retrigger_belongs_to_the_closed_note(tmp_path):
    on = lambda p: mido.Message("note_on", note=p, velocity=90)  # noqa: E731
    off = lambda p: mido.Message("note_off", note=p)  # noqa: E731
    events = [(0, on(60)), (480, on(60)), (480, off(60)), (960, off(60)), (0, on(64)), (0, off(64))]
    perf = read_midi(mf.write_midi(tmp_path / "r.mid", [mf.track_from_events(events)]))
    assert _spans(perf) == [(60, 0, 1), (64, 0, 0), (60, 1, 2)]  # a zero-length note stays a note


def test_unreleased_notes_are_left_out(tmp_path):
    # symusic drops a note-on that is never released (mido's reader ended it with its track)
    events = [(0, mido.Message("note_on", note=60, velocity=90)), (0, mido.Message("note_on", note=64, velocity=90)),
              (480, mido.Message("note_off", note=64)), (1920, mido.MetaMessage("text", text="end"))]
    perf = read_midi(mf.write_midi(tmp_path / "u.mid", [mf.track_from_events(events)]))
    assert _spans(perf) == [(64, 0, 1)]


def test_drums_left_out_unless_asked(tmp_path):
    tracks = [mf.note_track(MELODY), mf.note_track([(36, 0, 0.5), (38, 1, 0.5)], channel=9)]
    path = mf.write_midi(tmp_path / "d.mid", tracks)
    assert [n.pitch for n in read_midi(path).notes] == [60, 62, 64]
    assert sorted(n.pitch for n in read_midi(path, include_drums=True).notes) == [36, 38, 60, 62, 64]
    drums = mf.write_midi(tmp_path / "drums.mid", tracks[1:])
    with pytest.raises(SeqgenError, match="only drum notes"):
        read_midi(drums)
    assert len(read_midi(drums, include_drums=True).notes) == 2


def _messy_folder(root):
    mf.write_notes(root / "good.mid", MELODY)
    (root / "sub").mkdir()
    mf.write_notes(root / "sub" / "Good2.MIDI", [(70, 0, 1)])
    mf.write_bytes(root / "notmidi.mid", b"this is a text file, not MIDI\n")
    mf.write_bytes(root / "empty.mid", b"")
    mf.write_truncated(root / "truncated.mid")
    mf.write_bad_status(root / "badstatus.mid")
    mf.write_midi(root / "drums.mid", [mf.note_track([(36, 0, 1)], channel=9)])
    mf.write_midi(root / "nonotes.mid", [mf.conductor_track(), mido.MidiTrack()])
    mf.write_bytes(root / "readme.txt", b"not a MIDI suffix: never read")


def test_folder_with_broken_files_reads_the_good_ones(tmp_path):
    _messy_folder(tmp_path)
    corpus = read_corpus([tmp_path])
    assert sorted(p.name.rsplit("/", 1)[-1] for p in corpus.performances) == ["Good2.MIDI", "good.mid"]
    reasons = {path.rsplit("/", 1)[-1]: reason for path, reason in corpus.skipped}
    assert sorted(reasons) == ["badstatus.mid", "drums.mid", "empty.mid", "nonotes.mid", "notmidi.mid", "truncated.mid"]
    assert "not a readable MIDI file" in reasons["notmidi.mid"] and "MThd" in reasons["notmidi.mid"]
    assert reasons["empty.mid"] == "empty file (0 bytes)"
    assert reasons["truncated.mid"].startswith("truncated")
    assert "running status" in reasons["badstatus.mid"]
    assert reasons["drums.mid"].startswith("only drum notes")
    assert reasons["nonotes.mid"] == "no notes"


def test_corpus_errors_are_one_line(tmp_path):
    mf.write_bytes(tmp_path / "a.mid", b"nope")
    mf.write_bytes(tmp_path / "b.midi", b"")
    for paths, expected in [
        ([tmp_path], "none of the 2 MIDI files"),
        ([tmp_path / "missing"], "does not exist"),
        ([tmp_path / "a.mid", tmp_path / "b.midi"], "none of the 2 MIDI files"),
        ([str(tmp_path / "*.kar")], "matches no file"),
    ]:
        with pytest.raises(SeqgenError, match=expected) as info:
            read_corpus(paths)
        assert "\n" not in str(info.value)
    with pytest.raises(SeqgenError, match="not found"):
        read_midi(tmp_path / "missing.mid")
    (tmp_path / "none").mkdir()
    with pytest.raises(SeqgenError, match="no MIDI file"):
        read_corpus(tmp_path / "none")


def test_find_files_by_glob_and_folder_once_each(tmp_path):
    _messy_folder(tmp_path)
    by_glob = find_midi_files([str(tmp_path / "*.mid"), tmp_path / "good.mid"])
    assert [p.name for p in by_glob] == sorted(p.name for p in tmp_path.glob("*.mid"))
    assert len(find_midi_files([tmp_path, tmp_path / "sub"])) == 8


def test_polyphony_counts_overlaps_not_touching_notes():
    notes = [Note(a, b, 0, 0, 60, 80, 0, 0, 0) for a, b in [(0, 1), (0.5, 1.5), (1.5, 2.5), (3, 4)]]
    assert polyphony(notes) == (2, 3.5, 4.0)


def test_describe_corpus(tmp_path):
    mf.write_notes(tmp_path / "a.mid", [(72, 0, 1), (74, 1, 1)], [(48, 0, 2), (52, 0, 2), (55, 0, 2)])
    mf.write_bytes(tmp_path / "bad.mid", b"xx")
    text = describe_corpus([tmp_path]).splitlines()
    assert text == [
        "files read: 1",
        "files skipped: 1",
        f"  {tmp_path / 'bad.mid'}: truncated MIDI data (the file ends inside a chunk)",
        "notes: 5",
        "duration: 1.0 s (2.0 beats)",
        "pitch range: 48-74",
        "polyphony: max 4, mean 4.00",
    ]


# -------------------------------------------------------------------------------------------- grid


def test_monophonic_tracks_become_voices_ordered_top_down(tmp_path):
    bass, soprano = [(48, 0, 2), (50, 2, 2)], [(72, 0, 1), (72, 1, 1), (74, 2, 2)]
    perf = read_midi(mf.write_notes(tmp_path / "duet.mid", bass, soprano))
    assert grid_voices([perf], voices=4) == 2 and grid_voices([perf], voices=1) == 1
    (grid,) = performances_to_grids([perf])
    np.testing.assert_array_equal(grid.pitches[:, 0], [72] * 8 + [74] * 8)
    np.testing.assert_array_equal(grid.pitches[:, 1], [48] * 8 + [50] * 8)
    np.testing.assert_array_equal(np.flatnonzero(grid.struck[:, 0]), [0, 4, 8])  # repeated 72 stays two notes
    np.testing.assert_array_equal(np.flatnonzero(grid.struck[:, 1]), [0, 8])
    assert (grid.name, grid.meta["dropped_notes"]) == ("duet", 0)


def test_chords_split_from_the_top_and_capped(tmp_path):
    chords = [(60, 0, 1), (64, 0, 1), (67, 0, 1), (62, 1, 1), (65, 1, 1)]
    perf = read_midi(mf.write_notes(tmp_path / "c.mid", chords))
    grid = performance_to_grid(perf, voices=3)
    np.testing.assert_array_equal(grid.pitches, [[67, 64, 60]] * 4 + [[65, 62, 0]] * 4)
    capped = performance_to_grid(perf, voices=2)
    np.testing.assert_array_equal(capped.pitches, [[67, 64]] * 4 + [[65, 62]] * 4)
    assert capped.meta["dropped_notes"] == 1
    padded = performance_to_grid(perf, voices=4)
    assert padded.voices == 4 and not padded.pitches[:, 3].any()


def test_extra_lines_fill_free_voices(tmp_path):
    perf = read_midi(mf.write_notes(tmp_path / "call.mid", [(72, 0, 1)], [(60, 1, 1)]))
    grid = performance_to_grid(perf, voices=1)
    np.testing.assert_array_equal(grid.pitches[:, 0], [72] * 4 + [60] * 4)
    assert grid.meta["dropped_notes"] == 0


def test_grid_keeps_pickup_phase_and_ignores_tempo(tmp_path):
    notes = [(67, 3.5, 0.5), (72, 4, 1)]
    perf = read_midi(mf.write_notes(tmp_path / "p.mid", notes))
    grid = performance_to_grid(perf, voices=1)
    np.testing.assert_array_equal(grid.pitches[:, 0], [0, 0, 67, 67, 72, 72, 72, 72])
    assert grid.meta["offset_beats"] == 3.0
    slowed = mf.write_midi(tmp_path / "s.mid", [mf.conductor_track(((0, 120), (1, 45))), mf.note_track(notes)])
    other = performance_to_grid(read_midi(slowed), voices=1)
    np.testing.assert_array_equal(other.pitches, grid.pitches)
    np.testing.assert_array_equal(other.struck, grid.struck)


def _matched(before, after):
    """Notes of two note lists paired by (pitch, onset order); same count required."""
    key = lambda n: (n.pitch, n.start)  # noqa: E731
    assert len(before) == len(after)
    return list(zip(sorted(before, key=key), sorted(after, key=key)))


def test_grid_round_trip_through_files_keeps_notes_within_a_step(tmp_path):
    upper = [(72, 0.05, 0.9), (74, 1.1, 0.4), (74, 1.52, 1.0), (76, 2.9, 1.1)]
    lower = [(48, 0, 2.03), (43, 1.97, 2.0)]
    perf = read_midi(mf.write_notes(tmp_path / "in.mid", upper, lower, bpm=100))
    grid = performance_to_grid(perf, voices=2)
    out = read_midi(notes_to_midi(grid_to_notes(grid, bpm=100), tmp_path / "out.mid", bpm=100))
    for a, b in _matched(perf.notes, out.notes):
        assert a.pitch == b.pitch
        assert abs(a.start_beat - b.start_beat) <= 0.25 and abs(a.end_beat - b.end_beat) <= 0.25


def test_grid_transposition_stays_in_range(tmp_path):
    perf = read_midi(mf.write_notes(tmp_path / "t.mid", [(60, 0, 1), (72, 1, 1)]))
    grid = performance_to_grid(perf, voices=1)
    assert grid_shifts(grid, lo=55, hi=75, max_shift=6) == [-5, -4, -3, -2, -1, 0, 1, 2, 3]
    moved = random_transpose_grid(grid, np.random.default_rng(3), lo=55, hi=75, max_shift=6)
    shift = int(moved.pitches[0, 0]) - 60
    assert -5 <= shift <= 3
    np.testing.assert_array_equal(moved.pitches, np.where(grid.pitches > 0, grid.pitches + shift, 0))
    with pytest.raises(SeqgenError, match="no shift"):
        random_transpose_grid(grid, np.random.default_rng(0), lo=62, hi=70, max_shift=2)


# ------------------------------------------------------------------------------------------ events


def _note(pitch, start, end, velocity=80, channel=0):
    return Note(start, end, start * 2, end * 2, pitch, velocity, channel, 0, 0)


def test_event_vocabulary_and_config_round_trip():
    codec = EventCodec()
    assert isinstance(codec, Codec)
    assert (codec.vocab_size, codec.bos_id, codec.period, codec.forbidden_ids) == (389, 0, 1, (0,))
    again = codec_from_config(codec.to_config())
    assert isinstance(again, EventCodec) and again.config == codec.config
    small = EventCodec(EventConfig(time_step_ms=20, max_shift_ms=500, velocity_bins=8))
    assert small.vocab_size == 1 + 256 + 25 + 8
    assert EventCodec.from_config(small.to_config()).config == small.config


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"time_step_ms": 0}, "time_step_ms must be 1-1000, got 0"),
        ({"max_shift_ms": 15}, r"max_shift_ms \(15\)"),
        ({"velocity_bins": 0}, "velocity_bins must be 1-128, got 0"),
        ({"time_step_ms": 1.5}, "must be an integer, got 1.5"),
    ],
)
def test_event_config_validation(kwargs, message):
    with pytest.raises(SeqgenError, match=message):
        EventConfig(**kwargs)


def test_encode_exact_tokens_and_decode():
    codec = EventCodec()
    notes = [_note(60, 0.0, 0.5, 80), _note(62, 0.5, 2.0, 100), _note(60, 0.5, 0.52, 100)]
    shift = lambda steps: 257 + steps - 1  # noqa: E731
    expected = [357 + 20, 1 + 60, shift(50), 129 + 60, 357 + 25, 1 + 60, 1 + 62, shift(2), 129 + 60]
    expected += [shift(100), shift(48), 129 + 62]
    tokens = codec.encode(notes)
    assert tokens.dtype == np.int32 and tokens.tolist() == expected
    decoded = [(n.pitch, round(n.start, 6), round(n.end, 6), n.velocity) for n in codec.decode(tokens)]
    assert decoded == [(60, 0.0, 0.5, 82), (60, 0.5, 0.52, 102), (62, 0.5, 2.0, 102)]


def test_encode_same_pitch_overlap_restrikes():
    codec = EventCodec()
    notes = codec.decode(codec.encode([_note(60, 0.0, 1.0), _note(60, 0.5, 1.5), _note(60, 0.5, 0.7)]))
    assert [(round(n.start, 6), round(n.end, 6)) for n in notes] == [(0.0, 0.5), (0.5, 1.5)]


def test_decode_tolerates_what_a_model_may_sample():
    codec = EventCodec()
    on, off, shift = (lambda p: 1 + p), (lambda p: 129 + p), (lambda s: 257 + s - 1)
    tokens = [off(60), shift(10), on(62), 0, on(62), shift(5), on(64)]
    notes = [(n.pitch, round(n.start, 6), round(n.end, 6)) for n in codec.decode(tokens)]
    assert notes == [(62, 0.1, 0.15), (64, 0.15, 0.16)]
    rng = np.random.default_rng(0)
    for _ in range(20):
        for n in codec.decode(rng.integers(0, codec.vocab_size, size=300)):
            assert 0 <= n.pitch <= 127 and 1 <= n.velocity <= 127 and n.end > n.start >= 0
    with pytest.raises(SeqgenError, match="outside the midi_events vocabulary"):
        codec.decode([1, codec.vocab_size])


def test_events_round_trip_through_files_within_one_step(tmp_path):
    upper = [(72, 0.013, 0.9, 90), (74, 1.1, 0.4, 33), (74, 1.52, 1.0, 127), (76, 2.9, 4.1, 64)]
    lower = [(48, 0, 2.03, 50), (43, 1.97, 2.0, 100)]
    tracks = [mf.conductor_track(((0, 97), (2, 71))), mf.note_track(upper), mf.note_track(lower, channel=1)]
    perf = read_midi(mf.write_midi(tmp_path / "in.mid", tracks))
    codec = EventCodec()
    out = read_midi(notes_to_midi(codec.decode(codec.encode(perf)), tmp_path / "out.mid"))
    tick = 0.5 / mf.TPB  # writing at 120 bpm: one tick is about 1 ms
    for a, b in _matched(perf.notes, out.notes):
        assert a.pitch == b.pitch and abs(a.velocity - b.velocity) <= 4
        assert abs(a.start - b.start) <= 0.010 + tick and abs(a.end - b.end) <= 0.010 + tick


def test_notes_to_midi_never_overwrites_silently(tmp_path):
    target = mf.write_bytes(tmp_path / "x.mid", b"keep me")
    notes = [_note(60, 0, 1)]
    with pytest.raises(SeqgenError, match="already exists"):
        notes_to_midi(notes, target)
    assert target.read_bytes() == b"keep me"
    notes_to_midi(notes, target, force=True)
    assert _spans(read_midi(target), "s") == [(60, 0.0, 1.0)]
    assert [p.name for p in tmp_path.iterdir()] == ["x.mid"]  # no temporary file left


def test_note_transposition_skips_drums():
    notes = [_note(60, 0, 1), _note(72, 1, 2), _note(36, 0, 1, channel=9)]
    assert note_shifts(notes, lo=55, hi=75, max_shift=6) == [-5, -4, -3, -2, -1, 0, 1, 2, 3]
    assert [n.pitch for n in transpose_notes(notes, 2)] == [62, 74, 36]
    moved = random_transpose_notes(notes, np.random.default_rng(1), lo=55, hi=75, max_shift=6)
    shift = moved[0].pitch - 60
    assert -5 <= shift <= 3 and [n.pitch for n in moved] == [60 + shift, 72 + shift, 36]
