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
    fit_bounds,
    notes_to_midi,
)
from seqgen.data_prep.midi_grid import (
    bound_holds,
    choose_voices,
    grid_to_notes,
    grid_voices,
    performance_to_grid,
    performances_to_grids,
)
from seqgen.data_prep.midi_folder import find_midi_files, read_corpus
from seqgen.data_prep.midi_read import Note, ReadLimits, read_midi
from seqgen.data_prep.midi_report import describe_corpus
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
    # on 0, on 1, off 2, off 3: symusic pairs them (0, 2), (1, 3); the overlap sends the file to mido,
    # where the second note-on ends the first note and the last note-off finds nothing
    perf = read_midi(mf.write_midi(tmp_path / "o.mid", [mf.note_track([(60, 0, 2), (60, 1, 2)])]))
    assert _spans(perf) == [(60, 0, 1), (60, 1, 2)]


def test_a_restruck_key_loses_no_note(tmp_path):
    # on 0, on 1, off 2 (one note-off for two note-ons): symusic alone drops a note here
    on, off = mido.Message("note_on", note=60, velocity=90), mido.Message("note_off", note=60)
    events = [(0, on), (480, on), (960, off), (960, on.copy(note=64)), (1440, off.copy(note=64)),
              (1440, on), (1920, on), (2400, off)]
    perf = read_midi(mf.write_midi(tmp_path / "r.mid", [mf.track_from_events(events)]))
    assert _spans(perf) == [(60, 0, 1), (60, 1, 2), (64, 2, 3), (60, 3, 4), (60, 4, 5)]


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
        f"  {tmp_path / 'bad.mid'}: not a readable MIDI file (no MThd header; it starts with b'xx')",
        "notes: 5",
        "duration: 1.0 s (2.0 beats)",
        "pitch range: 48-74",
        "polyphony: max 4, mean 4.00",
        "note length: median 1.00 s, 99th percentile 1.00 s, longest 1.00 s",
        "grid: 4 voices (99th percentile of the 1 files' polyphony on the grid: 4, at most 8; --voices sets it), "
        "4 tokens per 16th note",
        "left out with --encoding grid: 0 notes (0.00%)",
        "left out with --encoding events: 0 notes (0.00%)",
    ]


def _hostile(path):
    """37 bytes: one note held 2^28 - 1 ticks (78 hours at 120 bpm)."""
    on, off = mido.Message("note_on", note=60, velocity=90), mido.Message("note_off", note=60)
    return mf.write_midi(path, [mf.track_from_events([(0, on), (2**28 - 1, off)])], midi_format=0)


def test_hostile_long_note_is_skipped_before_anything_grows(tmp_path):
    import resource

    hostile = _hostile(tmp_path / "held.mid")
    assert hostile.stat().st_size == 37
    mf.write_notes(tmp_path / "ok.mid", MELODY)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    corpus = read_corpus([tmp_path])
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000  # < 50 MB more at peak
    assert len(corpus.performances) == 1
    ((path, reason),) = corpus.skipped
    assert path.endswith("held.mid") and reason.startswith("a note (pitch 60 at 0.0 s) lasts 279620 s, over the 600 s")
    with pytest.raises(SeqgenError, match="over the 600 s limit"):
        read_midi(hostile)
    report = describe_corpus([tmp_path])
    assert "duration: 2.0 s" in report and "279620 s" in report  # the duration is the good file's


def test_read_limits_per_file(tmp_path):
    path = mf.write_notes(tmp_path / "long.mid", [(60, 0, 8), (62, 600, 1)])  # 4 s note, ends at 300.5 s
    assert read_midi(path, limits=ReadLimits(max_note_seconds=5)).notes[0].end == 4.0
    for limits, message in [(ReadLimits(max_note_seconds=3), "over the 3 s limit for one note"),
                            (ReadLimits(max_seconds=300), "lasts 300 s, over the 300 s limit for one piece"),
                            (ReadLimits(max_beats=600), "lasts 601 quarter notes, over the limit of 600"),
                            (ReadLimits(max_file_bytes=10), "over the 0 MB limit")]:
        with pytest.raises(SeqgenError, match=message):
            read_midi(path, limits=limits)
    with pytest.raises(SeqgenError, match="max_beats must be a positive number"):
        ReadLimits(max_beats=0)


def test_grid_beyond_its_limit_is_refused(tmp_path, monkeypatch):
    import seqgen.data_prep.midi_grid as mg

    perf = read_midi(mf.write_notes(tmp_path / "g.mid", [(60, 0, 4), (62, 4, 4)]))
    monkeypatch.setattr(mg, "MAX_GRID_STEPS", 31)
    with pytest.raises(SeqgenError, match=r"grid of 32 steps, over the limit of 31 \(midi_grid.MAX_GRID_STEPS\)"):
        performance_to_grid(perf, voices=1)


def test_notes_left_out_are_counted_per_reason(tmp_path):
    chord = [(60, 0, 1), (64, 0, 1), (67, 0, 1), (72, 0, 1)]  # with 55 and the other 60: 6 notes, 5 voices
    twice = [(55, 0, 2), (55, 0, 1), (0, 1, 1)]  # a same-pitch duplicate in the part, and a pitch-0 note
    drums = [(36, 0, 1), (38, 1, 1)]
    tracks = [mf.conductor_track(), mf.note_track(chord), mf.note_track(twice, channel=1),
              mf.note_track(drums, channel=9), mf.note_track([(60, 0, 1)], channel=2)]  # 60 again, other part
    perf = read_midi(mf.write_midi(tmp_path / "d.mid", tracks))
    assert dict(perf.dropped) == {"drums": 2, "duplicates": 1}
    assert len(perf.notes) == 7
    grid = performance_to_grid(perf, voices=5)
    assert grid.meta["dropped"] == {"voices": 1, "pitch": 1} and grid.meta["dropped_notes"] == 2
    assert EventCodec().encode_counted(perf)[1] == 1  # the two 60s of different parts are one in events
    report = describe_corpus([tmp_path], voices=5).splitlines()
    assert "left out with --encoding grid: 5 notes (50.00%): drums 2, duplicates 1, voices 1, pitch 1" in report
    assert "left out with --encoding events: 4 notes (40.00%): drums 2, duplicates 2" in report
    assert report[-1] == f"  {tmp_path / 'd.mid'}: drums 2, duplicates 1, voices 1, pitch 1, events duplicates 1"
    assert "grid: 5 voices (set by --voices), 5 tokens per 16th note" in report


def test_voice_count_follows_the_corpus(tmp_path):
    perfs = [read_midi(mf.write_notes(tmp_path / f"{i}.mid", [(60 + k, 0, 1) for k in range(n)]))
             for i, n in enumerate([5] * 99 + [12])]
    choice = choose_voices(perfs)
    assert (choice.voices, choice.automatic, round(choice.percentile, 2)) == (5, True, 5.07)  # one 12-note file: not 12
    assert choose_voices(perfs, 3).voices == 3 and choose_voices(perfs[:1], 9).voices == 5
    assert choose_voices(perfs[-1:]).voices == 8  # MAX_AUTO_VOICES
    with pytest.raises(SeqgenError, match="voices must be 1-15"):
        choose_voices(perfs, 16)


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


def test_decode_bounds_are_counted_exactly():
    codec = EventCodec(EventConfig(max_note_ms=100, max_polyphony=2))  # 10 steps, 2 notes
    on, off, shift = (lambda p: 1 + p), (lambda p: 129 + p), (lambda s: 257 + s - 1)
    tokens = [on(60), shift(5), on(64), on(67), shift(5), off(64), on(70), shift(30), on(72), off(72)]
    notes, bounded = codec.decode_counted(tokens)
    assert bounded == {"long": 2, "polyphony": 1}
    spans = sorted((n.pitch, round(n.start / 0.01), round(n.end / 0.01)) for n in notes)
    # 60 released when 67 makes a third note; 67 and 70 released after 10 steps; 72 ends where it started
    assert spans == [(60, 0, 5), (64, 5, 10), (67, 5, 15), (70, 10, 20), (72, 40, 41)]
    assert codec.decode(tokens) == notes
    unbounded, none = EventCodec().decode_counted(tokens)
    assert none == {"long": 0, "polyphony": 0} and max(n.end - n.start for n in unbounded) > 0.3


def test_fit_bounds_records_the_corpus_in_the_config(tmp_path):
    perf = read_midi(mf.write_notes(tmp_path / "f.mid", [(60, 0, 1), (64, 0, 1), (67, 1, 3)]))  # 0.5 s, 1.5 s
    config = fit_bounds([perf], percentile=100)
    assert (config.max_note_ms, config.max_polyphony) == (1500, 2)
    again = codec_from_config(EventCodec(config).to_config())
    assert again.config == config
    with pytest.raises(SeqgenError, match="max_polyphony must be 0"):
        EventConfig(max_polyphony=-1)


def test_frozen_grid_notes_are_cut():
    from seqgen.data_prep.grid import Grid

    pitches = np.array([[72, 60]] * 10 + [[74, 60]] * 2)
    grid, cut = bound_holds(Grid.from_pitches(pitches), 4)
    assert cut == 2
    np.testing.assert_array_equal(grid.pitches[:, 0], [72] * 4 + [0] * 6 + [74] * 2)
    np.testing.assert_array_equal(grid.pitches[:, 1], [60] * 4 + [0] * 8)
    assert bound_holds(grid, 4)[1] == 0


def _mido_notes(path):
    """Reference: ``(start_tick, end_tick, pitch, velocity)`` of a well-formed file, paired with mido."""
    out = []
    for track in mido.MidiFile(path).tracks:
        now, sounding = 0, {}
        for m in track:
            now += m.time
            if m.type == "note_on" and m.velocity > 0:
                sounding[(m.channel, m.note)] = (now, m.velocity)
            elif m.type in ("note_on", "note_off") and (m.channel, m.note) in sounding:
                start, velocity = sounding.pop((m.channel, m.note))
                out.append((start, now, m.note, velocity))
    return sorted(out)


def test_symusic_reader_gives_the_notes_mido_gives(tmp_path):
    upper, lower = [(72, 0.25, 0.9, 90), (74, 1.1, 0.4, 33), (76, 2.9, 4.1, 64)], [(48, 0, 2.03, 50), (43, 2, 2)]
    conductor = mf.conductor_track(((0, 97), (2, 71)), ((0, 3, 4),))
    tracks = [conductor, mf.note_track(upper, program=40), mf.note_track(lower, channel=1, velocity0_offs=True)]
    for path in [mf.write_midi(tmp_path / "f1.mid", tracks), mf.merge_to_format0(tmp_path / "f0.mid", tracks),
                 mf.write_notes(tmp_path / "n.mid", MELODY, [(60, 0, 4), (64, 0, 4)], bpm=133)]:
        perf = read_midi(path)
        mine = sorted((round(n.start_beat * mf.TPB), round(n.end_beat * mf.TPB), n.pitch, n.velocity) for n in perf.notes)
        assert mine == _mido_notes(path)
    (last,) = [n for n in read_midi(tmp_path / "f1.mid").notes if n.pitch == 76]
    beat_97, beat_71 = mido.bpm2tempo(97) / 1e6, mido.bpm2tempo(71) / 1e6  # seconds per beat, as stored
    assert last.start == pytest.approx(2 * beat_97 + 0.9 * beat_71, abs=1e-12)
    assert last.end == pytest.approx(2 * beat_97 + 5.0 * beat_71, abs=1e-12)


def test_data_midi_cli_reports_skips_and_drops(tmp_path):
    from click.testing import CliRunner

    from seqgen.generate.cli import main

    _hostile(tmp_path / "held.mid")
    mf.write_notes(tmp_path / "duet.mid", [(72, 0, 1), (74, 1, 1)], [(48, 0, 2)])
    result = CliRunner().invoke(main, ["data", "midi", str(tmp_path), "--voices", "1"])
    assert result.exit_code == 0, result.output
    assert f"  {tmp_path / 'held.mid'}: a note (pitch 60 at 0.0 s) lasts 279620 s" in result.output
    assert "grid: 1 voices (set by --voices)" in result.output
    assert "left out with --encoding grid: 1 notes (33.33%): voices 1" in result.output
    assert f"  {tmp_path / 'duet.mid'}: voices 1" in result.output


def test_training_report_counts_what_the_codec_leaves_out(tmp_path):
    from seqgen.data_prep.chorale_codec import ChoraleCodec
    from seqgen.data_prep.midi_report import drop_lines

    path = mf.write_notes(tmp_path / "c.mid", [(60, 0, 1), (64, 0, 1), (67, 0, 1)], [(60, 0, 1)])
    perf = read_midi(path)
    grid = ChoraleCodec.fit([performance_to_grid(perf, 2)], voices=2)
    assert drop_lines([perf], grid) == ["notes left out: 2 notes (50.00%): voices 2", f"  {path}: voices 2"]
    assert drop_lines([perf], EventCodec()) == ["notes left out: 1 notes (25.00%): duplicates 1", f"  {path}: duplicates 1"]


def test_repairing_scan_reads_running_status_meta_and_sysex(tmp_path):
    # a re-struck key sends the file to the byte scan; running status, sysex and meta must not derail it
    notes = [(60, 0, 2), (60, 1, 2), (64, 3, 1, 70)]
    track = mf.note_track(notes, program=12, name="lead", velocity0_offs=True)
    track.insert(2, mido.Message("sysex", data=[1, 2, 3]))
    track.insert(3, mido.MetaMessage("text", text="x" * 200))  # a meta longer than 127 bytes: 2-byte length
    perf = read_midi(mf.write_midi(tmp_path / "s.mid", [mf.conductor_track(), track]))
    assert _spans(perf) == [(60, 0, 1), (60, 1, 2), (64, 3, 4)]
    assert [(n.program, n.velocity) for n in perf.notes] == [(12, 80), (12, 80), (12, 70)]


def test_repairing_scan_skips_controllers_and_follows_program_changes(tmp_path):
    # controllers, pitch bend and aftertouch carry 1-2 data bytes the scan must step over; a program
    # change mid-part starts a new part for the notes after it
    track = mf.note_track([(60, 0, 2), (60, 1, 2), (62, 4, 1)], program=5)
    track.insert(2, mido.Message("control_change", control=64, value=127))
    track.insert(3, mido.Message("pitchwheel", pitch=-300))
    track.insert(4, mido.Message("aftertouch", value=9))
    change = next(i for i, m in enumerate(track) if m.type == "note_on" and m.note == 62)
    track.insert(change, mido.Message("program_change", program=33))
    perf = read_midi(mf.write_midi(tmp_path / "c.mid", [mf.conductor_track(), track]))
    assert _spans(perf) == [(60, 0, 1), (60, 1, 2), (62, 4, 5)]
    assert [(n.program, n.track) for n in perf.notes] == [(5, 0), (5, 0), (33, 1)]


def test_note_table_builds_rows_from_its_columns(tmp_path):
    from seqgen.data_prep.midi_notes import NoteTable, columns_of

    perf = read_midi(mf.write_notes(tmp_path / "t.mid", [(72, 0, 1), (74, 1, 0.5)], [(48, 0, 2)]))
    assert isinstance(perf.notes, NoteTable) and len(perf.notes) == 3
    rows = tuple(perf.notes)
    assert [n.pitch for n in rows] == [48, 72, 74] and perf.notes[-1] is rows[-1]
    assert perf.notes == rows and perf.duration_beats == 2.0
    cols = columns_of(perf.notes)
    assert cols["pitch"].tolist() == [48, 72, 74] and not cols["pitch"].flags.writeable
    assert {k: v.tolist() for k, v in columns_of(rows).items()} == {k: v.tolist() for k, v in cols.items()}


def test_a_short_file_is_truncated_only_if_it_starts_as_midi(tmp_path):
    from seqgen.data_prep.midi_folder import read_corpus

    for name, data in (("text.mid", b"hi"), ("cut.mid", b"MTh"), ("cut2.mid", b"MThd\x00\x00")):
        mf.write_bytes(tmp_path / name, data)
    mf.write_notes(tmp_path / "good.mid", [(72, 0, 1)])  # one usable file, so the folder is read
    skipped = dict(read_corpus([tmp_path]).skipped)
    assert skipped[str(tmp_path / "text.mid")].startswith("not a readable MIDI file")
    assert skipped[str(tmp_path / "cut.mid")].startswith("truncated MIDI data")
    assert skipped[str(tmp_path / "cut2.mid")].startswith("truncated MIDI data")
