"""Untrusted sketch files: no code runs from an .npz, bad numbers are dropped and counted, damaged
or hostile inputs end in one SeqgenError (never another exception)."""

from __future__ import annotations

import json
import pickle
import zipfile

import numpy as np
import pytest

from seqgen.data_prep import sketch_formats
from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.safe_npz import NumpyOnlyUnpickler, load_npz
from seqgen.data_prep.sketch_formats import ReadStats, read_ndjson, read_npz, write_npz
from seqgen.data_prep.sketch_pipeline import sketch_dataset
from seqgen.data_prep.sketch_sources import load_sketches
from seqgen.data_prep.stroke_ops import normalizing_scale
from seqgen.data_prep.strokes import SketchSet

GOOD = np.array([[0, 0, 0], [5, 3, 0], [2, -4, 1]], np.int16)


class _CreatesFile:
    """Unpickling this calls ``open(path, "w")``: it creates a file (the attack of issue 10)."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return open, (self.path, "w")


def crafted_npz(path, marker):
    column = np.empty(2, dtype=object)
    column[0], column[1] = GOOD, _CreatesFile(marker)
    np.savez(path, train=column, valid=column, test=column)
    return path


def test_crafted_npz_runs_nothing_and_says_so_in_one_line(tmp_path):
    proof = tmp_path / "proof.txt"  # the crafted file is a real threat: numpy's own loader runs it
    with np.load(crafted_npz(tmp_path / "proof.npz", proof), allow_pickle=True) as data:
        data["train"]
    assert proof.exists()
    marker = tmp_path / "pwned.txt"
    path = crafted_npz(tmp_path / "sheep.npz", marker)
    for read in (read_npz, load_npz, lambda p: load_sketches(p)):
        with pytest.raises(SeqgenError) as error:
            read(path)
        assert not marker.exists()
        assert str(path) in str(error.value) and "\n" not in str(error.value)
        assert "builtins.open" in str(error.value) or "io.open" in str(error.value)


def test_real_array_pickles_still_read(tmp_path):
    splits = {"train": [GOOD, GOOD[:2]], "valid": [GOOD], "test": []}
    read = read_npz(write_npz(tmp_path / "sheep.npz", splits))
    assert [len(read[k]) for k in ("train", "valid", "test")] == [2, 1, 0]
    np.testing.assert_array_equal(read["train"].strokes[0], GOOD.astype(np.float32))
    # A pickle naming anything beyond numpy's rebuilders is refused, even a harmless one.
    with pytest.raises(pickle.UnpicklingError, match="collections.OrderedDict"):
        import io
        NumpyOnlyUnpickler(io.BytesIO(pickle.dumps(__import__("collections").OrderedDict()))).load()


def test_damaged_npz_is_one_seqgen_error(tmp_path):
    good = write_npz(tmp_path / "cat.npz", {"train": [GOOD] * 20, "valid": [GOOD], "test": [GOOD]}).read_bytes()
    rng = np.random.default_rng(0)
    cases = [good[:len(good) // 2], good[:40], b"PK\x03\x04" + b"\x00" * 60]
    for _ in range(40):  # byte flips anywhere, including inside the pickle
        flipped = bytearray(good)
        for at in rng.integers(0, len(good), size=3):
            flipped[at] ^= int(rng.integers(1, 256))
        cases.append(bytes(flipped))
    for i, data in enumerate(cases):
        path = tmp_path / f"case{i}.npz"
        path.write_bytes(data)
        try:
            read_npz(path)
        except SeqgenError as exc:
            assert "\n" not in str(exc)


def test_npz_drawings_with_bad_numbers_are_dropped_and_counted(tmp_path):
    bad = GOOD.astype(np.float32)
    bad[1, 0] = np.nan
    huge = GOOD.astype(np.float32) * 1e7
    stats = ReadStats()
    read = read_npz(write_npz(tmp_path / "cat.npz", {"train": [GOOD, bad, huge], "valid": [GOOD]}), stats=stats)
    assert len(read["train"]) == 1 and stats.bad_numbers == 2
    assert "2 drawings with NaN, infinite, null or absurd" in stats.summary()


def test_ndjson_bad_numbers_wrong_types_and_nesting(tmp_path, monkeypatch):
    def line(xs, ys):
        return '{"word": "cat", "drawing": [[%s, %s]]}\n' % (xs, ys)

    path = tmp_path / "cat.ndjson"
    path.write_text(line("[0, 10]", "[0, 10]")
                    + line("[0, NaN]", "[0, 1]") + line("[0, Infinity]", "[0, 1]") + line("[0, -Infinity]", "[0, 1]")
                    + line("[0, null]", "[0, 1]") + line("[0, 1e40]", "[0, 1]") + line("[0, 2000000]", "[0, 1]")
                    + line('[0, "5"]', "[0, 1]") + line("[0, true]", "[0, 1]")
                    + line("[0, 1%s]" % ("0" * 5000), "[0, 1]")
                    + '{"word": "cat", "drawing": ' + "[" * 100_000 + "]" * 100_000 + "}\n"
                    + '{"word": ["cat"], "drawing": []}\n' + '{"word": "cat", "drawing": {"x": 1}}\n'
                    + "x" * 300 + "\n")
    monkeypatch.setattr(sketch_formats, "MAX_LINE_CHARS", 200)  # the last line is too long to read
    stats = ReadStats()
    read = read_ndjson(path, stats=stats)
    assert len(read) == 1
    assert stats.bad_numbers == 6 and stats.malformed_lines == 7
    assert "6 drawings with NaN" in stats.summary() and "7 malformed lines" in stats.summary()


def test_ndjson_of_only_bad_lines_is_one_seqgen_error(tmp_path):
    path = tmp_path / "cat.ndjson"
    path.write_text('{"word": "cat", "drawing": [[[0, NaN], [0, 1]]]}\n' + "[" * 50_000 + "\n")
    with pytest.raises(SeqgenError, match="line 2") as error:
        read_ndjson(path)
    assert "\n" not in str(error.value)


def test_training_refuses_non_finite_values():
    sketches = SketchSet([GOOD.astype(np.float32), np.array([[0, 0, 0], [np.inf, 1, 1]], np.float32)], [0, 1],
                         ["a", "b"])
    with pytest.raises(SeqgenError, match="training refused"):
        normalizing_scale(sketches)
    with pytest.raises(SeqgenError, match="NaN or infinite"):
        sketch_dataset(sketches, 2)


def test_npz_that_is_not_a_zip_or_lacks_splits(tmp_path):
    path = tmp_path / "cat.npz"
    path.write_bytes(b"\x93NUMPY not a zip")
    with pytest.raises(SeqgenError, match="not a .npz archive"):
        read_npz(path)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("train.npy", b"\x93NUMPY\x03\x00")  # an unknown format version
        archive.writestr("valid.npy", b"")
        archive.writestr("test.npy", json.dumps([1]).encode())
    with pytest.raises(SeqgenError, match="damaged"):
        read_npz(path)
