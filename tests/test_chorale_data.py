"""Chorale data: music21 build, cache, jsb CSV reader, codec, windows."""

import numpy as np
import pytest
import tensorflow as tf

from seqgen.data_prep import chorale_cache
from seqgen.data_prep.chorale_codec import ChoraleCodec
from seqgen.data_prep.chorales import assign_splits, build_from_music21, read_csv_folder
from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.grid import Grid
from seqgen.data_prep.pipeline import token_windows, windows_dataset, with_bos
from tests.chorale_factory import toy_grid, write_csv_chorales

FEW = ["bach/bwv269", "bach/bwv347", "bach/bwv153.1", "bach/bwv86.6"]


@pytest.fixture(scope="module")
def few_chorales():
    return build_from_music21(FEW, workers=1, progress=False)


def test_music21_build_gives_four_voice_grids_with_flags(few_chorales):
    grids = [g for gs in few_chorales.values() for g in gs]
    assert sorted(g.name for g in grids) == sorted(n.split("/")[1] for n in FEW)
    bwv269 = next(g for g in grids if g.name == "bwv269")
    assert bwv269.voices == 4 and bwv269.steps == 252
    # the soprano opens with a quarter G4 struck, then held for three 16ths
    assert bwv269.pitches[:4, 0].tolist() == [67] * 4
    assert bwv269.struck[:4, 0].tolist() == [True, False, False, False]
    assert bwv269.struck.sum() < (bwv269.pitches > 0).sum()


def test_splits_are_stable_and_about_80_10_10():
    names = [f"bwv{i}" for i in range(300)]
    splits = assign_splits(names)
    assert splits == assign_splits(list(names))
    assert 20 <= splits.count("test") <= 40 and 20 <= splits.count("valid") <= 40
    assert assign_splits(names[::-1]) == splits[::-1]  # depends on names, not order
    # a chorale's split does not depend on the others (a music21 version may hold or parse fewer)
    assert assign_splits(names[:100]) == splits[:100] and assign_splits(names[7:8]) == splits[7:8]


def test_cache_round_trip_and_damage_detected(tmp_path, few_chorales):
    path = tmp_path / "c.npz"
    chorale_cache.save_dataset(few_chorales, path)
    loaded = chorale_cache.load_dataset(path)
    for split, grids in few_chorales.items():
        assert [g.name for g in loaded[split]] == [g.name for g in grids]
        for a, b in zip(loaded[split], grids):
            np.testing.assert_array_equal(a.pitches, b.pitches)
            np.testing.assert_array_equal(a.struck, b.struck)
    path.write_bytes(path.read_bytes()[:-100])  # a partial write
    assert chorale_cache.load_dataset(path) is None
    path.with_suffix(".json").unlink()
    assert chorale_cache.load_dataset(path) is None


def test_csv_folder_and_archive(tmp_path):
    import tarfile

    root = write_csv_chorales(tmp_path / "jsb")
    data = read_csv_folder(root)
    assert [len(data[s]) for s in ("train", "valid", "test")] == [6, 2, 2]
    grid = data["train"][0]
    assert grid.voices == 4 and grid.steps == 48
    changed = np.vstack([[True] * 4, grid.pitches[1:] != grid.pitches[:-1]])
    np.testing.assert_array_equal(grid.struck, changed & (grid.pitches > 0))  # repeats read as held
    archive = tmp_path / "jsb.tgz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(root, arcname="jsb_chorales")
    from_archive = chorale_cache.load_chorales(str(archive))
    np.testing.assert_array_equal(from_archive["test"][1].pitches, data["test"][1].pitches)


@pytest.mark.parametrize("content, message", [
    ("a,b,c,d\n1,2,3,4\n", "header must be note0,note1,note2,note3"),
    ("note0,note1,note2,note3\n60,x,55,48\n", "line 2: notes must be integers"),
    ("note0,note1,note2,note3\n60,200,55,48\n", "line 2: need 4 MIDI pitches"),
    ("note0,note1,note2,note3\n", "no rows of notes"),
])
def test_bad_csv_names_file_and_line(tmp_path, content, message):
    root = write_csv_chorales(tmp_path / "jsb", counts=(1, 1, 1))
    bad = root / "train" / "chorale_000.csv"
    bad.write_text(content)
    with pytest.raises(SeqgenError, match=message) as err:
        read_csv_folder(root)
    assert "chorale_000.csv" in str(err.value)


def test_empty_split_and_missing_path(tmp_path):
    root = write_csv_chorales(tmp_path / "jsb", counts=(1, 1, 1))
    (root / "valid" / "chorale_001.csv").unlink()
    with pytest.raises(SeqgenError, match="split must not be empty"):
        read_csv_folder(root)
    with pytest.raises(SeqgenError, match="does not exist"):
        chorale_cache.load_chorales(str(tmp_path / "nope"))


def test_codec_round_trip_keeps_flags():
    grid = toy_grid(24)
    codec = ChoraleCodec.fit([grid])
    tokens = codec.encode(grid)
    assert tokens.shape == (24 * 4,) and tokens.dtype == np.int32
    assert codec.vocab_size == 2 + 2 * (codec.high - codec.low + 1)
    back = codec.decode(tokens)
    np.testing.assert_array_equal(back.pitches, grid.pitches)
    np.testing.assert_array_equal(back.struck, grid.struck)
    assert back.notes() == grid.notes()
    assert ChoraleCodec.from_config(codec.to_config()) == codec


def test_codec_rejects_out_of_range_and_repairs_decode():
    codec = ChoraleCodec(50, 70)
    with pytest.raises(SeqgenError, match="step 0, voice 0: pitch 72 is outside"):
        codec.encode(Grid.from_pitches(np.array([[72, 60, 55, 50]])))
    held_60, held_62 = 2 + 2 * 10, 2 + 2 * 12
    grid = codec.decode(np.array([0, held_60, 1, 1, held_62, held_60, 1, 1, 5]))  # BOS, a "held" first note, tail
    assert grid.steps == 2 and grid.pitches[0, 1] == 60
    assert grid.struck[0, 1] and grid.struck[1, 0]  # held without a note before counts as struck
    assert not grid.struck[1, 1]


def test_transposition_stays_in_vocabulary_and_matches_grid():
    grid = toy_grid(16)
    codec = ChoraleCodec(grid.pitches[grid.pitches > 0].min() - 2, grid.pitches.max() + 3)
    tokens = codec.encode(grid)[None]
    np.testing.assert_array_equal(codec.shift_ranges(tokens, 6), [[-2, 3]])
    moved = codec.transpose_tokens(tf.constant(tokens), 3).numpy()[0]
    np.testing.assert_array_equal(moved, codec.encode(grid.transposed(3)))


def test_fit_into_range_moves_by_octaves():
    codec = ChoraleCodec(48, 72)
    grid = Grid.from_pitches(np.array([[84, 60, 40, 0]]))
    fitted, moved = codec.fit_into_range(grid)
    assert fitted.pitches.tolist() == [[72, 60, 52, 0]] and moved == 2
    held = Grid.from_pitches(np.array([[84, 60, 52, 48]] * 4))  # one high note held for four 16ths
    assert codec.fit_into_range(held)[1] == 1  # notes are counted, not grid cells


def test_windows_are_aligned_and_shifted_by_one():
    seqs = [with_bos(np.arange(2, 42), 0), with_bos(np.arange(2, 10), 0)]  # 41 and 9 tokens
    windows = token_windows(seqs, window=16, stride=6, period=4)
    # Stride 6 rounds up to 8 (a multiple of the period): the first sequence (value i + 1 at index
    # i > 0) gives windows at 0, 8, 16 and the end-aligned 24; the second is shorter than a window.
    assert windows.shape == (4, 17)
    assert windows[:, 0].tolist() == [0, 9, 17, 25]  # starts 0, 8, 16, 24: multiples of the period
    assert windows[-1, -1] == 41  # the tail is kept
    ds = windows_dataset(windows, batch_size=2, shuffle=False)
    x, y = next(iter(ds))
    assert x.shape == (2, 16) and y.shape == (2, 16)
    np.testing.assert_array_equal(x.numpy()[:, 1:], y.numpy()[:, :-1])
    with pytest.raises(SeqgenError, match="longer than one training window"):
        token_windows(seqs, window=64, stride=4)


def test_atomic_writes_follow_the_umask_and_leave_nothing_on_failure(tmp_path):
    import os

    from seqgen.data_prep.files import atomic_path

    target = tmp_path / "out.txt"
    with atomic_path(target) as tmp:
        tmp.write_text("new")
    mask = os.umask(0)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("crash midway")
    assert target.read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["out.txt"]
