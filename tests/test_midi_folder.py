"""Reading folders: the content-hash cache and worker processes give the same corpus as a plain read."""

from __future__ import annotations

import numpy as np
import pytest

import midi_factory as mf
from seqgen.data_prep import midi_folder
from seqgen.data_prep import midi_cache, midi_stats
from seqgen.data_prep.midi_cache import CACHE_VERSION, NotesCache, cache_dir, entry_key
from seqgen.data_prep.midi_folder import find_midi_files, iter_corpus, read_corpus
from seqgen.data_prep.midi_read import read_midi
from seqgen.data_prep.midi_report import describe_corpus
from seqgen.generate import cli_midi
from tests.cli_helpers import run


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """Five pieces (tempo change, two parts, drums) and one broken file."""
    root = tmp_path_factory.mktemp("folder")
    rng = np.random.default_rng(3)
    for i in range(5):
        melody = [(int(rng.integers(55, 80)), b / 2, 0.5, int(rng.integers(30, 120))) for b in range(20)]
        mf.write_notes(root / f"p{i}.mid", melody, [(40 + i, 0, 4), (40 + i, 4, 4)], bpm=90 + 10 * i)
    mf.write_truncated(root / "broken.mid")
    return root


def same(a, b):
    assert [p.name for p in a.performances] == [p.name for p in b.performances]
    for x, y in zip(a.performances, b.performances):
        assert tuple(x.notes) == tuple(y.notes)
        assert (x.tempos, x.time_signatures, x.dropped, x.ticks_per_beat, x.midi_format) == \
               (y.tempos, y.time_signatures, y.dropped, y.ticks_per_beat, y.midi_format)
    assert a.skipped == b.skipped


def shards(folder):
    return sorted(folder.rglob("shard-*.npz"))


def entries(folder) -> int:
    return sum(len(np.load(p, allow_pickle=False)["keys"]) for p in shards(folder))


def test_a_cached_second_read_returns_the_same_notes(folder, tmp_path, monkeypatch):
    plain = read_corpus([folder])
    first = read_corpus([folder], cache=tmp_path)
    assert len(shards(tmp_path)) == 1 and entries(tmp_path) == 6  # five performances and the broken file's reason
    parsed = []
    monkeypatch.setattr("seqgen.data_prep.midi_read._parse_performance", lambda *a: parsed.append(a))
    second = read_corpus([folder], cache=tmp_path)  # no parsing at all
    assert parsed == []
    same(plain, first)
    same(plain, second)
    assert second.skipped[0][1].startswith("truncated MIDI data")


def test_the_key_is_the_content_a_copy_hits_an_edit_misses(folder, tmp_path):
    read_midi(folder / "p0.mid", cache=tmp_path)
    copy = tmp_path / "copy.mid"
    copy.write_bytes((folder / "p0.mid").read_bytes())
    assert read_midi(copy, cache=tmp_path).name == str(copy)  # the entry serves another path
    key = entry_key(copy.read_bytes(), "drums=False x")
    assert key != entry_key(copy.read_bytes() + b"\0", "drums=False x")
    assert key != entry_key(copy.read_bytes(), "drums=True x")
    assert NotesCache(tmp_path).get(key) is None  # other settings: a miss


@pytest.mark.parametrize("damage", ["garbage", "truncated", "flipped rows", "index out of range"])
def test_a_damaged_shard_is_ignored_and_rebuilt(folder, tmp_path, damage):
    plain = read_corpus([folder])
    read_corpus([folder], cache=tmp_path)
    (shard,) = shards(tmp_path)
    data = bytearray(shard.read_bytes())
    if damage == "garbage":
        data = b"not an npz"
    elif damage == "truncated":
        data = data[: len(data) // 2]
    elif damage == "flipped rows":  # the zip's CRC of the rows member catches it
        at = data.index(b"rows.npy")
        data[at + 500] ^= 0xFF
    else:  # a well-formed shard whose index points past its rows
        with np.load(shard, allow_pickle=False) as archive:
            members = {name: archive[name] for name in archive.files}
        members["counts"] = members["counts"] + 10**6
        np.savez(shard, **members)
        data = shard.read_bytes()
    shard.write_bytes(bytes(data))
    same(plain, read_corpus([folder], cache=tmp_path))  # never a crash, the same notes
    assert not shard.exists() and entries(tmp_path) == 6  # dropped, and the entries written anew
    same(plain, read_corpus([folder], cache=tmp_path))


def test_shards_are_bounded(folder, tmp_path, monkeypatch):
    monkeypatch.setattr(midi_cache, "SHARD_ENTRIES", 4)
    read_corpus([folder], cache=tmp_path)
    assert [len(np.load(p)["keys"]) for p in shards(tmp_path)] in ([4, 2], [2, 4])
    parsed = []
    monkeypatch.setattr("seqgen.data_prep.midi_read._parse_performance", lambda *a: parsed.append(a))
    assert len(read_corpus([folder], cache=tmp_path).performances) == 5 and parsed == []


def test_two_workers_give_the_same_corpus_as_one(folder, tmp_path, monkeypatch):
    monkeypatch.setattr(midi_folder, "CHUNK", 2)  # several tasks per worker, results still in order
    same(read_corpus([folder], workers=1), read_corpus([folder], workers=2))
    files = find_midi_files([folder])
    assert [f for f, _ in iter_corpus(files, workers=2, cache=tmp_path)] == files
    assert entries(tmp_path) == 6  # the workers' entries, written by this process
    warm = read_corpus([folder], workers=2, cache=tmp_path)  # hits looked up here, none sent to a worker
    same(read_corpus([folder], workers=1), warm)


def test_default_workers_stay_one_for_a_small_folder(folder, monkeypatch):
    monkeypatch.setattr(midi_folder, "ProcessPoolExecutor", None)  # would fail if a pool were started
    assert len(read_corpus([folder]).performances) == 5


def test_cache_dir_follows_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("SEQGEN_DATA_DIR", str(tmp_path))
    assert cache_dir() == tmp_path / "midi_notes" / f"v{CACHE_VERSION}"
    assert cache_dir(tmp_path / "x") == tmp_path / "x" / "midi_notes" / f"v{CACHE_VERSION}"
    assert cli_midi.MAX_WORKERS == midi_folder.MAX_WORKERS


def test_data_midi_with_workers_and_the_cache(folder, tmp_path):
    args = ("data", "midi", str(folder), "--data-dir", str(tmp_path))
    first = run(*args, "--workers", "2")
    second = run(*args)
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert first.output == second.output and "files read: 5" in first.output
    assert entries(tmp_path / "midi_notes") == 6


def _whole_corpus_report(corpus, voices):
    """The report as it was computed before streaming: over every performance at once."""
    from collections import Counter

    from seqgen.data_prep.midi_events import EventCodec
    from seqgen.data_prep.midi_grid import choose_voices, performance_to_grid
    from seqgen.data_prep.midi_report import _counts

    perfs = corpus.performances
    pitches = np.concatenate([p.notes.columns["pitch"] for p in perfs])
    lengths = np.concatenate([p.notes.columns["end"] - p.notes.columns["start"] for p in perfs])
    poly = [midi_stats.polyphony(p.notes) for p in perfs]
    choice = choose_voices(perfs, voices)
    per_file, grid_total, events_total = {}, Counter(), Counter()
    for p in perfs:
        read = Counter(dict(p.dropped))
        grid = Counter(performance_to_grid(p, choice.voices).meta["dropped"])
        events = Counter({"duplicates": EventCodec().encode_counted(p)[1]})
        grid_total.update(read + grid)
        events_total.update(read + events)
        row = +(read + grid + Counter({"events duplicates": events["duplicates"]}))
        if row:
            per_file[p.name] = row
    seen = len(pitches) + sum(n for p in perfs for _, n in p.dropped)
    how = (f"99th percentile of the {len(perfs)} files' polyphony on the grid: {choice.percentile:.3g}, at most 8; "
           "--voices sets it" if choice.automatic else "set by --voices")
    return [f"files read: {len(perfs)}", f"files skipped: {len(corpus.skipped)}",
            *(f"  {path}: {reason}" for path, reason in corpus.skipped),
            f"notes: {len(pitches)}",
            f"duration: {sum(p.duration for p in perfs):.1f} s ({sum(p.duration_beats for p in perfs):.1f} beats)",
            f"pitch range: {pitches.min()}-{pitches.max()}",
            f"polyphony: max {max(s[0] for s in poly)}, mean {sum(s[2] for s in poly) / sum(s[1] for s in poly):.2f}",
            f"note length: median {np.percentile(lengths, 50):.2f} s, "
            f"99th percentile {np.percentile(lengths, 99):.2f} s, "
            f"longest {lengths.max():.2f} s",
            f"grid: {choice.voices} voices ({how}), {choice.voices} tokens per 16th note",
            f"left out with --encoding grid: {_counts(grid_total, seen)}",
            f"left out with --encoding events: {_counts(events_total, seen)}",
            *([f"notes left out per file ({len(per_file)} files):"] if per_file else []),
            *(f"  {name}: " + ", ".join(f"{r} {n}" for r, n in row.items()) for name, row in per_file.items())]


@pytest.fixture(scope="module")
def varied(tmp_path_factory):
    """Chords needing 1-7 voices, drums, duplicates, a pitch-0 note, tempo changes, a broken file."""
    root = tmp_path_factory.mktemp("varied")
    rng = np.random.default_rng(5)
    for i in range(9):
        chords = [(int(p), b, float(rng.choice([0.5, 1, 1.5])), int(rng.integers(20, 127)))
                  for b in range(8) for p in rng.choice(np.arange(40, 90), size=1 + (i + b) % 7, replace=False)]
        extra = [(36, 0, 1), (36, 0, 2), (0, 3, 1)]  # a duplicate and a pitch-0 note
        tracks = [mf.conductor_track(((0, 80 + 7 * i), (4, 140))), mf.note_track(chords),
                  mf.note_track(extra, channel=1), mf.note_track([(38, b, 0.25) for b in range(4)], channel=9)]
        mf.write_midi(root / f"v{i}.mid", tracks)
    mf.write_truncated(root / "broken.mid")
    return root


@pytest.mark.parametrize("voices", [None, 2, 5])
def test_the_streamed_report_equals_the_whole_corpus_one(varied, voices):
    report = describe_corpus([varied], voices=voices)
    assert report.splitlines() == _whole_corpus_report(read_corpus([varied]), voices)
    assert "voices" in report.split("left out with --encoding grid")[1]  # the folder does lose notes to voices


def test_streamed_percentiles_are_numpy_s():
    rng = np.random.default_rng(0)
    for data in (rng.random(501) * 3, rng.integers(0, 9, 300).astype(float), np.array([0.125, 0.375])):
        counts = midi_stats.ValueCounts()
        for part in np.array_split(data, 4):
            counts.add(part)
        assert [counts.percentile(q) for q in (0, 50, 99, 99.9, 100)] == \
               [float(np.percentile(data, q)) for q in (0, 50, 99, 99.9, 100)]


def test_value_counts_stay_bounded(monkeypatch):
    monkeypatch.setattr(midi_stats.ValueCounts, "BUFFER", 256)
    monkeypatch.setattr(midi_stats.ValueCounts, "MAX_DISTINCT", 64)
    data = np.random.default_rng(1).random(20_000) + 1.0
    counts = midi_stats.ValueCounts()
    for part in np.array_split(data, 100):
        counts.add(part)
    assert len(counts.values) <= 64 and counts.bits_cleared > 0 and counts.counts.sum() == 20_000
    assert abs(counts.percentile(50) - np.percentile(data, 50)) <= 2.0 ** (counts.bits_cleared - 52)  # coarser, close
