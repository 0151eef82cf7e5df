"""Reading folders: the content-hash cache and worker processes give the same corpus as a plain read."""

from __future__ import annotations

import numpy as np
import pytest

import midi_factory as mf
from seqgen.data_prep import midi_folder
from seqgen.data_prep.midi_cache import CACHE_VERSION, cache_dir, entry_key, load_entry
from seqgen.data_prep.midi_folder import find_midi_files, iter_corpus, read_corpus
from seqgen.data_prep.midi_read import read_midi
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


def test_a_cached_second_read_returns_the_same_notes(folder, tmp_path, monkeypatch):
    plain = read_corpus([folder])
    first = read_corpus([folder], cache=tmp_path)
    entries = sorted(tmp_path.rglob("*.npz"))
    assert len(entries) == 6  # five performances and the broken file's reason
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
    assert load_entry(tmp_path, key) is None  # other settings: a miss


def test_a_damaged_entry_is_a_miss_and_is_rewritten(folder, tmp_path):
    read_midi(folder / "p1.mid", cache=tmp_path)
    (entry,) = tmp_path.rglob("*.npz")
    entry.write_bytes(b"not an npz")
    assert tuple(read_midi(folder / "p1.mid", cache=tmp_path).notes) == tuple(read_midi(folder / "p1.mid").notes)
    assert entry.read_bytes()[:2] == b"PK"  # rewritten as a zip (npz)


def test_two_workers_give_the_same_corpus_as_one(folder, tmp_path, monkeypatch):
    monkeypatch.setattr(midi_folder, "CHUNK", 2)  # several tasks per worker, results still in order
    same(read_corpus([folder], workers=1), read_corpus([folder], workers=2))
    files = find_midi_files([folder])
    assert [f for f, _ in iter_corpus(files, workers=2, cache=tmp_path)] == files


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
    assert len(list((tmp_path / "midi_notes").rglob("*.npz"))) == 6
