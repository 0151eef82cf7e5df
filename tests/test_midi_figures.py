"""The report's per-file figures beside the notes cache: a warm report reads them and says the same,
planted figures are read (so they are used), and damaged ones are computed again."""

from __future__ import annotations

import numpy as np
import pytest

import midi_factory as mf
from seqgen.data_prep.midi_figures import FIGURES_VERSION, FiguresCache
from seqgen.data_prep.midi_report import describe_corpus


@pytest.fixture(scope="module")
def chords(tmp_path_factory):
    """Pieces of chords of 1-6 notes (the grid's voices drop some), one with a duplicate note."""
    root = tmp_path_factory.mktemp("chords")
    rng = np.random.default_rng(7)
    for i in range(4):
        notes = [(int(p), b, 1.0, 80) for b in range(6) for p in rng.choice(np.arange(45, 85), 1 + (i + b) % 6, False)]
        tracks = [mf.note_track(notes), mf.note_track([(50, 0, 1), (50, 0, 2)], channel=1)]
        mf.write_midi(root / f"c{i}.mid", tracks)
    return root


@pytest.mark.parametrize("voices", [None, 3])
def test_a_warm_report_reads_the_figures_and_says_the_same(chords, tmp_path, voices):
    plain = describe_corpus([chords], voices=voices)
    cache = tmp_path / "cache"
    cold = describe_corpus([chords], voices=voices, cache=cache)
    assert (cache / f"report-figures-v{FIGURES_VERSION}.npz").is_file()
    warm = describe_corpus([chords], voices=voices, cache=cache)
    two = describe_corpus([chords], voices=voices, cache=cache, workers=2)
    assert plain == cold == warm == two
    if voices == 3:  # the figures are not all zero
        assert "voices" in plain.split("left out with --encoding grid")[1]


def test_stored_figures_are_what_the_report_prints_when_they_fit_the_file(chords, tmp_path):
    cache = tmp_path / "cache"
    good = describe_corpus([chords], voices=3, cache=cache)
    assert "c0.mid: duplicates 1, voices 6" in good
    figures = FiguresCache(cache)
    assert len(figures._rows) == 4 and all(v == 3 for _, v in figures._rows)
    for planted, expected in (((0, 0, 0), "c0.mid: duplicates 1\n"), ((1000, 0, 0), "c0.mid: duplicates 1, voices 6")):
        for key, voices in list(figures._rows):
            figures.put(key.decode(), voices, planted)
        figures.flush()
        report = describe_corpus([chords], voices=3, cache=cache)
        assert expected in report  # zeros are read as stored; more drops than notes are counted again
    assert report == good


@pytest.mark.parametrize("damage", ["garbage", "truncated", "negative", "wrong dtype"])
def test_damaged_figures_are_computed_again(chords, tmp_path, damage):
    cache = tmp_path / "cache"
    good = describe_corpus([chords], cache=cache)
    path = cache / f"report-figures-v{FIGURES_VERSION}.npz"
    if damage == "garbage":
        path.write_bytes(b"not a zip at all")
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:100])
    else:
        with np.load(path, allow_pickle=False) as archive:
            arrays = dict(archive)
        arrays["figures"] = -arrays["figures"] - 1 if damage == "negative" else arrays["figures"].astype(np.float64)
        with open(path, "wb") as fh:
            np.savez(fh, **arrays)
    assert FiguresCache(cache)._rows == {}
    assert describe_corpus([chords], cache=cache) == good
    assert len(FiguresCache(cache)._rows) == 4  # written again, whole


def test_a_files_needed_voices_and_polyphony_are_read_from_the_figures(chords, tmp_path):
    cache = tmp_path / "cache"
    good = describe_corpus([chords], cache=cache)  # the voice count chosen from each file's needed voices
    figures = FiguresCache(cache)
    assert len(figures._files) == 4 and {f[0] for f in figures._files.values()} == {6}
    for planted, expected in (((2, 2, 1.0, 2.0), "grid: 2 voices"), ((500, 2, 1.0, 2.0), "grid: 6 voices")):
        for key in list(figures._files):
            figures.put_file(key.decode(), planted)
        figures._rows.clear()
        figures.flush()
        report = describe_corpus([chords], cache=cache)
        assert expected in report  # a plausible figure is used as stored; more voices than notes counted again
    assert report == good
    assert "polyphony: max 6, mean 3.67" in good


def test_note_stats_without_onsets_leave_the_other_figures_alone(chords):
    from seqgen.data_prep.midi_folder import read_corpus
    from seqgen.data_prep.midi_stats import NoteStats

    every, fewer = NoteStats(), NoteStats(onsets=False)
    for p in read_corpus([chords]).performances:
        every.add(p), fewer.add(p)
    a, b = every.result(), fewer.result()
    assert a["polyphony_p99"] == 6 and np.isnan(b["polyphony_p99"])
    assert {k: v for k, v in a.items() if k != "polyphony_p99"} == {k: v for k, v in b.items() if k != "polyphony_p99"}


def test_a_warm_report_reads_the_folder_once(chords, tmp_path, monkeypatch):
    from seqgen.data_prep import midi_report

    passes = []
    real = midi_report.iter_corpus
    monkeypatch.setattr(midi_report, "iter_corpus", lambda *a, **k: passes.append(1) or real(*a, **k))
    cache = tmp_path / "cache"
    cold = describe_corpus([chords], voices=3, cache=cache)
    assert len(passes) == 2  # the voice count is known only after the first pass
    assert describe_corpus([chords], voices=3, cache=cache) == cold and len(passes) == 3  # the drops were known
    assert describe_corpus([chords], voices=4, cache=cache) != cold and len(passes) == 5  # not at 4 voices
