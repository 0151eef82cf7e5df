"""Format-aware stroke preparation: raw QuickDraw through Google's recipe, per-file detection, folders
with bad files, the TFRecord unit-box layout, and training-time augmentation."""

from __future__ import annotations

import json

import numpy as np
import pytest

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.sketch_augment import SketchAugment, augment_drawing
from seqgen.data_prep.sketch_formats import ReadStats, read_ndjson, write_npz
from seqgen.data_prep.sketch_pipeline import sketch_dataset
from seqgen.data_prep.sketch_sources import describe, load_sketches, read_file
from seqgen.data_prep.stroke_ops import StrokePrep, google_simplify, resample_polyline
from seqgen.data_prep.strokes import SketchSet, stroke3_to_lines

# A hand-made raw drawing in screen pixels: an L whose first arm wobbles by 1 px, and a dot.
# x spans 100..300 and y 200..280, so the uniform factor is 255 / 200 = 1.275: the wobble
# becomes 1.275 px (< RDP's 2.0, so it goes), the corner lands on (255, 0), the end on
# (255, 80 * 1.275 = 102), the dot (140, 240) on (51, 51), kept as two points like Google's.
RAW_L = [[100, 150, 200, 250, 300, 300], [200, 200, 201, 200, 200, 280], [0, 16, 32, 48, 64, 90]]
RAW_DOT = [[140, 140], [240, 240], [200, 216]]
EXPECTED = [np.array([[0, 0], [255, 0], [255, 102]]), np.array([[51, 51], [51, 51]])]


def raw_line(drawing, word="cat") -> str:
    return json.dumps({"word": word, "key_id": "1", "recognized": True, "drawing": drawing}) + "\n"


def test_google_recipe_on_a_hand_made_raw_drawing():
    lines = google_simplify([np.array(s[:2], float).T for s in (RAW_L, RAW_DOT)])
    assert len(lines) == 2
    for got, want in zip(lines, EXPECTED):
        np.testing.assert_array_equal(got, want)
    resampled = resample_polyline(np.array([[0.0, 0.0], [3.0, 4.0]]))  # length 5: 6 points 1 px apart
    assert len(resampled) == 6
    np.testing.assert_allclose(np.hypot(*np.diff(resampled, axis=0).T), 1.0)


def test_raw_ndjson_is_detected_converted_and_recorded(tmp_path):
    path = tmp_path / "cat.ndjson"
    path.write_text(raw_line([RAW_L, RAW_DOT]))
    stats = ReadStats()
    read = read_ndjson(path, stats=stats)
    assert stats.formats == {"ndjson raw (simplified here)": 1} and stats.converted == 1
    np.testing.assert_array_equal(read.strokes[0], [[0, 0, 0], [255, 0, 0], [0, 102, 1], [-204, -51, 0], [0, 0, 1]])
    kept = read_ndjson(path, raw="keep")  # the reader's points as they were (first point from the origin)
    np.testing.assert_array_equal(stroke3_to_lines(kept.strokes[0])[0], np.array(RAW_L[:2]).T)
    # Without times but off the 0..255 grid: still raw screen pixels.
    path.write_text(raw_line([RAW_L[:2], RAW_DOT[:2]]))
    assert read_ndjson(path).strokes[0].tolist() == read.strokes[0].tolist()
    # Simplified drawings (0..255, no times) are read as they are.
    path.write_text(raw_line([[[0, 10, 10], [0, 0, 20]]]))
    stats = ReadStats()
    np.testing.assert_array_equal(read_ndjson(path, stats=stats).strokes[0], [[0, 0, 0], [10, 0, 0], [0, 20, 1]])
    assert stats.formats == {"ndjson simplified": 1} and stats.converted == 0
    with pytest.raises(SeqgenError, match="raw must be one of"):
        read_ndjson(path, raw="sometimes")
    with pytest.raises(SeqgenError, match="raw must be one of"):
        StrokePrep(raw="sometimes")


def test_read_file_applies_the_same_preparation_to_raw_and_simplified(tmp_path):
    (tmp_path / "raw.ndjson").write_text(raw_line([RAW_L, RAW_DOT]))
    (tmp_path / "simplified.ndjson").write_text(raw_line([e.T.tolist() for e in EXPECTED]))
    raw, simplified = read_file(tmp_path / "raw.ndjson"), read_file(tmp_path / "simplified.ndjson")
    np.testing.assert_array_equal(raw.strokes[0], simplified.strokes[0])


def test_folder_skips_and_lists_empty_and_unreadable_files(tmp_path):
    simple = [[[0, 10, 10], [0, 0, 20]]]
    for word in ("cat", "dog", "owl"):
        (tmp_path / f"{word}.ndjson").write_text(raw_line(simple, word) * 10)
    (tmp_path / "empty.ndjson").write_text("")
    (tmp_path / "junk.ndjson").write_text("not json at all\n")
    (tmp_path / "zipped.ndjson").write_bytes(b"PK\x03\x04 a zip named like ndjson")
    stats = ReadStats()
    splits = load_sketches(tmp_path, stats=stats)
    assert splits["train"].class_names == ["cat", "dog", "owl"]
    skipped = dict(stats.skipped_files)
    assert sorted(skipped) == sorted(str(tmp_path / n) for n in ("empty.ndjson", "junk.ndjson", "zipped.ndjson"))
    assert "empty" in skipped[str(tmp_path / "empty.ndjson")]
    report = describe(splits, stats)
    assert "files skipped: 3" in report and "junk.ndjson: line 1" in report
    with pytest.raises(SeqgenError, match="empty"):  # a file named directly must read
        load_sketches(tmp_path / "empty.ndjson")


def test_npz_folder_with_a_damaged_file_reads_the_rest(tmp_path):
    drawing = np.array([[0, 0, 0], [3, 4, 1]], np.int16)
    for word in ("cat", "dog"):
        write_npz(tmp_path / f"{word}.npz", {"train": [drawing] * 4, "valid": [drawing], "test": [drawing]})
    (tmp_path / "owl.npz").write_bytes((tmp_path / "cat.npz").read_bytes()[:100])
    stats = ReadStats()
    splits = load_sketches(tmp_path, stats=stats)
    assert splits["train"].class_names == ["cat", "dog"] and len(stats.skipped_files) == 1
    assert stats.formats == {"npz stroke-3": 2}


def test_tfrecord_unit_box_inks_are_scaled_to_the_simplified_grid(tmp_path):
    from seqgen.data_prep.sketch_tfrecord import read_tfrecord, write_tfrecord

    unit = np.array([[0.0, 0.0, 0.0], [0.5, 0.0, 0.0], [0.0, 1.0, 1.0]], np.float32)
    write_tfrecord(tmp_path / "train.tfrecord", SketchSet([unit, unit * [0.5, 0.5, 1]], [0, 1], ["a", "b"]))
    stats = ReadStats()
    read = read_tfrecord(tmp_path / "train.tfrecord", stats=stats)
    np.testing.assert_allclose(read.strokes[0], unit * [255, 255, 1])
    assert stats.formats == {"tfrecord unit-box (scaled to 255 here)": 1}
    np.testing.assert_array_equal(read_tfrecord(tmp_path / "train.tfrecord", raw="keep").strokes[0], unit)


# ---------------------------------------------------------------- augmentation

def drawings() -> SketchSet:
    rng = np.random.default_rng(0)
    strokes = []
    for n in (5, 9, 12, 7, 20, 6, 15, 8):
        s = rng.normal(size=(n, 3)).astype(np.float32)
        s[:, 2] = (rng.random(n) < 0.3)
        s[0, :2], s[-1, 2] = 0.0, 1.0
        strokes.append(s)
    return SketchSet(strokes, np.arange(8) % 2, ["a", "b"])


def batches(dataset):
    return [(x.numpy(), y.numpy()) for x, y in dataset]


def test_augmentation_is_deterministic_with_a_seed_and_keeps_batches():
    sketches, on = drawings(), SketchAugment()
    first = batches(sketch_dataset(sketches, 3, shuffle=True, seed=5, augment=on))
    again = batches(sketch_dataset(sketches, 3, shuffle=True, seed=5, augment=on))
    other = batches(sketch_dataset(sketches, 3, shuffle=True, seed=6, augment=on))
    plain = batches(sketch_dataset(sketches, 3, shuffle=True, seed=5))
    assert len(first) == len(plain)  # same batches per epoch (buckets go by original length)
    assert all(np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]) for a, b in zip(first, again))
    assert not all(a[0].shape == b[0].shape and np.allclose(a[0], b[0]) for a, b in zip(first, other))
    assert sorted(np.concatenate([y for _, y in first]).tolist()) == sorted(sketches.labels.tolist())
    # Off: the pipeline yields the drawings untouched (what evaluation and validation use).
    off = batches(sketch_dataset(sketches, 8, bucket_boundaries=None, augment=SketchAugment.off()))
    np.testing.assert_array_equal(off[0][0][0, :5], sketches.strokes[0])


def test_augmentation_ops_each_do_what_they_say():
    import tensorflow as tf

    strokes = np.array([[0, 0, 0], [2, 0, 1], [1, 1, 0], [0, 2, 1], [3, 0, 0], [0, 1, 1]], np.float32)
    seed = tf.constant([1, 2], tf.int64)
    turned = augment_drawing(tf.constant(strokes), seed, SketchAugment(0, 90, 0, 0)).numpy()
    np.testing.assert_allclose(np.hypot(*turned[:, :2].T), np.hypot(*strokes[:, :2].T), atol=1e-5)  # lengths kept
    np.testing.assert_array_equal(turned[:, 2], strokes[:, 2])
    points = np.cumsum(strokes[:, :2], axis=0)  # (6, 2): three strokes of two points
    subsets = [[r for st in keep for r in (2 * st, 2 * st + 1)] for keep in
               ([0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2])]
    lengths = set()
    for k in range(20):  # dropping strokes: at least one left, and kept strokes stay where they were
        dropped = augment_drawing(tf.constant(strokes), tf.constant([k, 0], tf.int64),
                                  SketchAugment(0, 0, 0.6, 0)).numpy()
        drawn = np.cumsum(dropped[:, :2], axis=0)
        assert dropped[-1, 2] == 1 and dropped[0, :2].tolist() == [0, 0]
        assert any(len(rows) == len(drawn) and np.allclose(drawn - drawn[0], points[rows] - points[rows[0]])
                   for rows in subsets)
        lengths.add(len(dropped))
    assert len(lengths) > 1  # it does drop strokes, and not always the same number
    with pytest.raises(SeqgenError, match="augmentation scale must be between"):
        SketchAugment(scale=2.0)
    assert SketchAugment.from_dict(None) == SketchAugment.off() and not SketchAugment.off().enabled
