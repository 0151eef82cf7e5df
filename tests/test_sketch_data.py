"""Sketch data layer: stroke-3 conversions, the three file layouts, preprocessing, tf.data, TFDS."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.sketch_formats import (ReadStats, read_ndjson, read_npz, write_ndjson, write_ndjson_folder,
                                      write_npz, write_npz_folder)
from seqgen.data_prep.sketch_pipeline import auto_bucket_boundaries, pad_strokes, padded_lengths, sketch_dataset
from seqgen.data_prep.sketch_sources import describe, detect_layout, file_layout, load_sketches
from seqgen.data_prep.sketch_tfrecord import classes_path, read_tfrecord, write_tfrecord, write_tfrecord_splits
from seqgen.data_prep.stroke_ops import (StrokePrep, limit_length, normalizing_scale, prepare_drawing, prepare_splits,
                                  rdp, rdp_mask, simplify_stroke3)
from seqgen.data_prep.strokes import SketchSet, canonical_stroke3, concat_sketch_sets, lines_to_stroke3, stroke3_to_lines
from seqgen.data_prep.synthetic_sketches import SHAPES, synthetic_drawing, synthetic_splits, write_synthetic

CLASSES = ["circle", "square", "star", "zigzag"]


@pytest.fixture(scope="module")
def splits():
    return synthetic_splits(10, classes=CLASSES, seed=3)


def by_class(sketches: SketchSet) -> dict[str, list[bytes]]:
    """Drawings grouped by class name, in order, as bytes (exact comparison)."""
    out: dict[str, list[bytes]] = {}
    for strokes, label in zip(sketches.strokes, sketches.labels):
        assert strokes.dtype == np.float32 and strokes.shape[1] == 3
        out.setdefault(sketches.class_names[label], []).append(strokes.tobytes())
    return out


def ndjson_line(drawing, word="cat", **extra) -> str:
    return json.dumps({"word": word, "recognized": True, "drawing": drawing, **extra}) + "\n"


# ---------------------------------------------------------------- stroke-3 basics

def test_lines_to_stroke3_known_values_and_inverse():
    lines = [np.array([[10, 20], [13, 24], [13, 30]]), np.array([[40, 40], [41, 40]])]
    expected = np.array([[10, 20, 0], [3, 4, 0], [0, 6, 1], [27, 10, 0], [1, 0, 1]], np.float32)
    strokes = lines_to_stroke3(lines)
    np.testing.assert_array_equal(strokes, expected)
    back = stroke3_to_lines(strokes)
    assert len(back) == 2
    for a, b in zip(back, lines):
        np.testing.assert_array_equal(a, b)


def test_canonical_form_lifts_last_pen_and_rejects_bad_arrays():
    out = canonical_stroke3(np.array([[1, 2, 0], [3, 4, 0]], np.int16), "x")
    assert out.dtype == np.float32 and out[-1, 2] == 1
    with pytest.raises(SeqgenError, match="x: a drawing must be"):
        canonical_stroke3(np.zeros((4, 5)), "x")
    with pytest.raises(SeqgenError, match="pen column"):
        canonical_stroke3(np.array([[1, 2, 3]]), "x")


def test_sketchset_split_cap_and_relabel(splits):
    whole = concat_sketch_sets(list(splits.values()))
    assert whole.class_names == sorted(CLASSES) and len(whole) == 40
    parts = whole.split((0.5, 0.3, 0.2), seed=1)
    assert [len(p) for p in parts] == [20, 12, 8]
    assert all((p.class_counts() == p.class_counts()[0]).all() for p in parts)  # stratified
    assert (whole.cap_per_class(3, seed=0).class_counts() == 3).all()
    only = whole.with_classes(["zigzag", "circle"])
    assert only.class_names == ["zigzag", "circle"] and list(only.class_counts()) == [10, 10]


# ---------------------------------------------------------------- the three layouts, round trips

def test_npz_round_trip_is_exact(tmp_path, splits):
    write_npz_folder(tmp_path, splits)
    loaded = load_sketches(tmp_path)
    for split in splits:
        assert by_class(loaded[split]) == by_class(splits[split])
    with np.load(tmp_path / "star.npz", allow_pickle=True, encoding="latin1") as data:
        assert data["train"][0].dtype == np.int16  # as the published files


@pytest.mark.parametrize("flavour", ["simplified", "raw"])
def test_ndjson_round_trip_is_exact(tmp_path, splits, flavour):
    whole = concat_sketch_sets(list(splits.values()))
    write_ndjson_folder(tmp_path, whole, flavour)
    first = json.loads((tmp_path / "circle.ndjson").read_text().splitlines()[0])
    assert len(first["drawing"][0]) == (3 if flavour == "raw" else 2)
    stats = ReadStats()
    read = concat_sketch_sets([read_ndjson(p, stats=stats, raw="keep") for p in sorted(tmp_path.glob("*.ndjson"))])
    assert by_class(read) == by_class(whole)
    assert stats.formats == {f"ndjson {flavour}": 4} and "skipped" not in stats.summary()


def test_tfrecord_round_trip_is_exact(tmp_path, splits):
    write_tfrecord_splits(tmp_path, splits)
    assert classes_path(tmp_path / "train.tfrecord").read_text().split() == CLASSES
    loaded = load_sketches(tmp_path)
    for split in splits:
        assert by_class(loaded[split]) == by_class(splits[split])


def test_all_layouts_give_identical_arrays(tmp_path):
    for layout in ("npz", "ndjson", "tfrecord"):
        write_synthetic(tmp_path / layout, layout, n_per_class=4, classes=["line", "cross"], seed=5)
    sets = {layout: concat_sketch_sets(list(load_sketches(tmp_path / layout).values()))
            for layout in ("npz", "ndjson", "tfrecord")}
    reference = {k: sorted(v) for k, v in by_class(sets["npz"]).items()}
    for layout in ("ndjson", "tfrecord"):
        assert {k: sorted(v) for k, v in by_class(sets[layout]).items()} == reference


def test_tfrecord_shards_share_a_sidecar_and_tutorial_split_names(tmp_path, splits):
    write_tfrecord(tmp_path / "training.tfrecord-00000-of-00002", splits["train"].subset(range(0, 16)))
    write_tfrecord(tmp_path / "training.tfrecord-00001-of-00002", splits["train"].subset(range(16, 32)))
    assert classes_path(tmp_path / "training.tfrecord-00001-of-00002").name == "training.tfrecord.classes"
    with pytest.raises(SeqgenError, match="already exists"):  # other classes: never overwritten silently
        write_tfrecord(tmp_path / "training.tfrecord-00002-of-00003", splits["train"].with_classes(["star"]))
    write_tfrecord(tmp_path / "eval.tfrecord", concat_sketch_sets([splits["valid"], splits["test"]]))
    loaded = load_sketches(tmp_path)  # no test file: eval is halved into valid and test
    assert [len(loaded[s]) for s in ("train", "valid", "test")] == [32, 4, 4]
    assert by_class(loaded["train"]) == by_class(splits["train"])


def test_tfrecord_without_sidecar_names_classes_by_index(tmp_path, splits):
    write_tfrecord(tmp_path / "x.tfrecord", splits["valid"])
    classes_path(tmp_path / "x.tfrecord").unlink()
    assert read_tfrecord(tmp_path / "x.tfrecord").class_names == ["class_0", "class_1", "class_2", "class_3"]


# ---------------------------------------------------------------- bad input

def test_ndjson_malformed_lines_are_counted(tmp_path):
    good = [[[0, 10, 20], [0, 5, 5]], [[30, 31], [30, 40]]]
    path = tmp_path / "The Eiffel Tower.ndjson"  # spaces in names, as published
    path.write_text(ndjson_line(good) + "not json\n" + json.dumps({"word": "cat"}) + "\n\n"
                    + ndjson_line(good, word="dog") + ndjson_line([[[1, 2], [3]]]))
    stats = ReadStats()
    read = read_ndjson(path, stats=stats)
    assert stats.malformed_lines == 3 and read.class_names == ["cat", "dog"] and len(read) == 2
    np.testing.assert_array_equal(read.strokes[0], [[0, 0, 0], [10, 5, 0], [10, 0, 1], [10, 25, 0], [1, 10, 1]])


def test_ndjson_with_nothing_usable_names_file_and_line(tmp_path):
    path = tmp_path / "bad.ndjson"
    path.write_text("\n{broken\n[1, 2]\n")
    with pytest.raises(SeqgenError, match=r"bad.ndjson: line 2: .*no line of the file is a usable"):
        read_ndjson(path)


def test_ndjson_short_strokes_and_recognized_filter(tmp_path):
    path = tmp_path / "cat.ndjson"
    path.write_text(ndjson_line([[[5], [5]], [[0, 4], [0, 3]]])  # one short stroke dropped
                    + ndjson_line([[[1], [1]]])  # nothing left: drawing dropped
                    + ndjson_line([[[0, 1], [0, 1]]], recognized=False))
    stats = ReadStats()
    read = read_ndjson(path, stats=stats)
    assert (stats.short_strokes, stats.empty_drawings, len(read)) == (2, 1, 2)
    np.testing.assert_array_equal(read.strokes[0], [[0, 0, 0], [4, 3, 1]])
    assert stats.summary() == "formats: ndjson simplified (1 file)\nskipped: 2 short strokes, 1 empty drawings"
    filtered = ReadStats()
    assert len(read_ndjson(path, recognized_only=True, stats=filtered)) == 1 and filtered.unrecognized == 1


def test_empty_category_and_not_sketch_rnn_npz(tmp_path):
    write_npz(tmp_path / "empty.npz", {})
    with pytest.raises(SeqgenError, match="'empty' has no usable drawings"):
        read_npz(tmp_path / "empty.npz")
    np.savez(tmp_path / "other.npz", x=np.zeros(3))
    with pytest.raises(SeqgenError, match="not a sketch-rnn category file"):
        read_npz(tmp_path / "other.npz")


def test_layout_detection_and_wrong_layouts(tmp_path, splits):
    write_npz_folder(tmp_path / "a", splits)
    assert detect_layout(tmp_path / "a")[0] == "npz" and len(detect_layout(tmp_path / "a")[1]) == 4
    (tmp_path / "a" / "README.txt").write_text("ignored")
    assert len(detect_layout(tmp_path / "a")[1]) == 4
    fake = tmp_path / "b" / "cat.ndjson"
    fake.parent.mkdir()
    fake.write_bytes((tmp_path / "a" / "star.npz").read_bytes())
    with pytest.raises(SeqgenError, match="named like a .ndjson file but its content looks like npz"):
        detect_layout(fake.parent)
    renamed = tmp_path / "cat.txt"
    renamed.write_text(ndjson_line([[[0, 1], [0, 1]]]))
    with pytest.raises(SeqgenError, match="looks like ndjson; rename it to end in .ndjson"):
        file_layout(renamed)
    (tmp_path / "a" / "dog.ndjson").write_text(ndjson_line([[[0, 1], [0, 1]]]))
    with pytest.raises(SeqgenError, match="mixes layouts"):
        detect_layout(tmp_path / "a")
    (tmp_path / "c").mkdir()
    with pytest.raises(SeqgenError, match="no readable .npz, .ndjson or .tfrecord"):
        detect_layout(tmp_path / "c")
    assert zipfile.is_zipfile(tmp_path / "a" / "star.npz")


def test_load_sketches_selection_caps_and_describe(tmp_path):
    write_synthetic(tmp_path, "ndjson", n_per_class=20, classes=CLASSES, seed=1)
    loaded = load_sketches(tmp_path, categories=["star", "circle"], per_class=8, seed=2)
    assert loaded["train"].class_names == ["circle", "star"]
    assert list(loaded["train"].class_counts()) == [8, 8]
    assert list(loaded["valid"].class_counts()) == [1, 1]  # ceil(8 * 0.1 / 0.8)
    assert load_sketches(tmp_path, max_categories=3)["train"].class_names == ["circle", "square", "star"]
    with pytest.raises(SeqgenError, match="'heart' is not in the data"):
        load_sketches(tmp_path, categories=["heart"])
    text = describe(loaded, ReadStats(malformed_lines=2))
    assert "2 categories: circle, star" in text and "train         16" in text
    assert "2 malformed lines" in text


# ---------------------------------------------------------------- preprocessing

def test_rdp_on_known_points():
    points = np.array([[0, 0], [1, 0.1], [2, -0.1], [3, 5], [4, 6], [5, 7], [6, 8.1], [7, 9], [8, 9], [9, 9]])
    np.testing.assert_array_equal(rdp(points, 1.0), [[0, 0], [2, -0.1], [3, 5], [7, 9], [9, 9]])
    assert rdp_mask(points, 100.0).tolist() == [True] + [False] * 8 + [True]
    # epsilon 0 keeps every point off its chord: only (4, 6) and (8, 9) lie exactly on one
    assert np.flatnonzero(~rdp_mask(points, 0.0)).tolist() == [4, 8]
    loop = np.array([[0, 0], [5, 1], [0, 0]])  # zero-length chord: distance to the start
    assert rdp_mask(loop, 2.0).tolist() == [True, True, True]


def test_simplify_keeps_strokes_and_end_points():
    lines = [np.array([[0, 0], [1, 0.01], [2, 0], [3, 0]]), np.array([[5, 5], [6, 6]])]
    simplified = simplify_stroke3(lines_to_stroke3(lines), 0.5)
    np.testing.assert_array_equal(simplified, [[0, 0, 0], [3, 0, 1], [2, 5, 0], [1, 1, 1]])


def test_normalisation_length_limit_and_prep(splits):
    scale = normalizing_scale(splits["train"])
    offsets = np.concatenate([s[:, :2] for s in splits["train"].strokes])
    assert scale == pytest.approx(float(np.std(offsets)))
    prep = StrokePrep(max_length=12, start_at_origin=False)
    prepared, got = prepare_splits(splits, prep)
    assert got == pytest.approx(normalizing_scale(limit_length(splits["train"], 12)[0]))
    first = prepared["train"].strokes[0]
    assert len(first) <= 12 and first[-1, 2] == 1
    expected = splits["train"].strokes[0][:12, :2] / np.float32(got)
    np.testing.assert_allclose(first[:, :2], expected, rtol=1e-6)
    assert prepare_drawing(splits["train"].strokes[0], prep, got).tobytes() == first.tobytes()
    dropped, n_long = limit_length(splits["train"], 12, "drop")
    assert len(dropped) == len(splits["train"]) - n_long and dropped.lengths().max() <= 12
    again, same_scale = prepare_splits(splits, StrokePrep(), scale=2.0)
    assert same_scale == 2.0 and (again["valid"].strokes[0][0, :2] == 0).all()  # starts at origin


# ---------------------------------------------------------------- tf.data pipeline

def test_pad_and_lengths_keep_inner_zero_rows():
    a = np.array([[1, 1, 0], [0, 0, 0], [2, 0, 1]], np.float32)  # a repeated point inside
    b = np.array([[0, 0, 1]], np.float32)
    batch = pad_strokes([a, b])
    assert batch.shape == (2, 3, 3) and (batch[1, 1:] == 0).all()
    assert padded_lengths(batch).tolist() == [3, 1]
    assert padded_lengths(pad_strokes([a, b], 7)).tolist() == [3, 1]


def test_sketch_dataset_shapes_padding_and_seeded_shuffle(splits):
    train = splits["train"]
    dataset = sketch_dataset(train, batch_size=8, shuffle=True, seed=4)
    batches = list(dataset.as_numpy_iterator())
    assert len(batches) == dataset.cardinality().numpy()
    seen = 0
    for strokes, labels in batches:
        assert strokes.dtype == np.float32 and strokes.ndim == 3 and strokes.shape[2] == 3
        assert labels.dtype == np.int32 and len(labels) == len(strokes) <= 8
        lengths = padded_lengths(strokes)
        assert lengths.max() == strokes.shape[1]  # padded only to the longest of the batch
        for row, n in zip(strokes, lengths):
            assert (row[n:] == 0).all()
        seen += len(labels)
    assert seen == len(train)
    again = [labels for _, labels in sketch_dataset(train, 8, shuffle=True, seed=4).as_numpy_iterator()]
    assert all((x == y).all() for x, y in zip(again, (labels for _, labels in batches)))
    shuffled = np.concatenate([labels for _, labels in batches])
    assert sorted(shuffled) == sorted(train.labels) and (shuffled != train.labels).any()
    plain = list(sketch_dataset(train, 8, bucket_boundaries=None).as_numpy_iterator())
    np.testing.assert_array_equal(np.concatenate([y for _, y in plain]), train.labels)


def test_auto_bucket_boundaries():
    assert auto_bucket_boundaries(np.arange(1, 101), buckets=4) == [26, 51, 76]
    assert auto_bucket_boundaries(np.array([5, 5, 5]), buckets=4) == [6]


# ---------------------------------------------------------------- synthetic generator

def test_synthetic_generator_is_seeded_and_whole_pixels():
    assert len(SHAPES) >= 8
    a = synthetic_drawing("spiral", np.random.default_rng(7))
    b = synthetic_drawing("spiral", np.random.default_rng(7))
    assert a.tobytes() == b.tobytes() and (np.round(a) == a).all() and a[-1, 2] == 1
    points = np.concatenate(stroke3_to_lines(synthetic_drawing("cross", np.random.default_rng(1))))
    assert points.min() >= 0 and points.max() <= 255
    with pytest.raises(SeqgenError, match="unknown synthetic shape"):
        synthetic_drawing("heart", np.random.default_rng(0))


# ---------------------------------------------------------------- TFDS builder

def test_tfds_builder_from_local_files(tmp_path, splits):
    import tensorflow_datasets as tfds

    from seqgen.data_prep.sketch_tfds import QuickdrawSketchRnn, load_tfds_sketches, sketch_tfds_config

    write_npz_folder(tmp_path / "src", splits)
    builder = QuickdrawSketchRnn(data_dir=tmp_path / "tfds", source_dir=tmp_path / "src")
    builder.download_and_prepare()
    assert builder.info.splits["train"].num_examples == len(splits["train"])
    loaded = tfds.load("quickdraw_sketch_rnn", split="validation", data_dir=tmp_path / "tfds")
    got = {(int(e["label"]), e["strokes"].tobytes()) for e in tfds.as_numpy(loaded)}
    want = {(int(l), s.tobytes()) for s, l in zip(splits["valid"].strokes, splits["valid"].labels)}
    assert got == want
    config = sketch_tfds_config(categories=["star", "zigzag"], source_dir=str(tmp_path / "src"))
    subset = load_tfds_sketches(tmp_path / "tfds", config=config)
    assert subset["train"].class_names == ["star", "zigzag"] and list(subset["train"].class_counts()) == [8, 8]
