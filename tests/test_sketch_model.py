"""Sketch classifier: presets, exact masking, save/load, mixed precision, and learning shapes."""

from __future__ import annotations


import keras
import numpy as np
import pytest

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.sketch_pipeline import pad_strokes, sketch_dataset
from seqgen.data_prep.stroke_ops import StrokePrep, prepare_splits
from seqgen.data_prep.synthetic_sketches import synthetic_splits
from seqgen.models.sketch_classifier import (PRESETS, SketchClassifierConfig, build_sketch_classifier,
                                      sketch_classifier_config)
from seqgen.models.sketch_layers import MaskedConv1D, StrokeLengths
from seqgen.models.train import build_training_state


def small(preset: str, **overrides) -> SketchClassifierConfig:
    """A preset's structure (strides, padding, cells, pooling) with few units, to keep tests fast."""
    config = PRESETS[preset]
    return sketch_classifier_config(preset, conv_filters=(8,) * len(config.conv_filters),
                                    rnn_units=(8,) * len(config.rnn_units), **overrides)


def random_drawings(lengths, seed=0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    drawings = []
    for n in lengths:
        strokes = np.column_stack([rng.normal(size=(n, 2)), rng.random(n) < 0.2]).astype(np.float32)
        strokes[-1, 2] = 1.0
        drawings.append(strokes)
    return drawings


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_padding_never_changes_logits(preset):
    keras.utils.set_random_seed(1)
    model = build_sketch_classifier(small(preset), num_classes=5)
    # Short drawings: eager recurrent layers run a Python step per point. Lengths odd and even, so
    # the strided convolutions round both ways (textbook: 13 -> 7 -> 4 -> 2).
    drawings = random_drawings([1, 4, 7, 13])
    drawings[2][4] = 0.0  # a repeated point inside a drawing stays a real step
    tight = model(pad_strokes(drawings), training=False).numpy()
    assert tight.shape == (4, 5) and tight.dtype == np.float32
    loose = model(pad_strokes(drawings, 22), training=False).numpy()
    alone = np.concatenate([model(pad_strokes([d], 17), training=False).numpy() for d in drawings])
    np.testing.assert_allclose(loose, tight, atol=1e-5)
    np.testing.assert_allclose(alone, tight, atol=1e-5)
    # ... while changing a real step does change them (the test can fail)
    drawings[3][-2, 0] += 5.0
    assert np.abs(model(pad_strokes(drawings), training=False).numpy()[3] - tight[3]).max() > 1e-4


def test_strided_convolution_lengths_and_zeroed_padding():
    x = pad_strokes(random_drawings([1, 5, 8]), 9)
    lengths = StrokeLengths()(x)
    assert lengths.numpy().tolist() == [1, 5, 8]
    y, out = MaskedConv1D(4, 5, strides=2, padding="same")([x, lengths], training=False)
    assert tuple(y.shape) == (3, 5, 4) and out.numpy().tolist() == [1, 3, 4]
    assert (y.numpy()[0, 1:] == 0).all() and (y.numpy()[1, 3:] == 0).all()


def test_batch_norm_statistics_ignore_padding():
    keras.utils.set_random_seed(2)
    model = build_sketch_classifier(small("default", dropout=0.0), num_classes=3)
    drawings = random_drawings([5, 10, 13], seed=3)
    tight = model(pad_strokes(drawings), training=True).numpy()  # batch statistics in use
    loose = model(pad_strokes(drawings, 30), training=True).numpy()
    np.testing.assert_allclose(loose, tight, atol=1e-4)


@pytest.mark.parametrize("preset", ["default", "textbook"])
def test_saved_model_reloads_to_identical_logits(tmp_path, preset):
    keras.utils.set_random_seed(3)
    model = build_sketch_classifier(small(preset), num_classes=4)
    batch = pad_strokes(random_drawings([7, 18, 3]))
    before = model(batch, training=False).numpy()  # eager: tracing predict twice costs more than it runs
    model.save(tmp_path / "sketch.keras")
    reloaded = keras.models.load_model(tmp_path / "sketch.keras")
    np.testing.assert_array_equal(reloaded(batch, training=False).numpy(), before)
    assert [w.shape for w in reloaded.weights] == [w.shape for w in model.weights]


def test_mixed_precision_gives_float32_logits():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = build_sketch_classifier(sketch_classifier_config("tiny"), num_classes=3)
        logits = model(pad_strokes(random_drawings([4, 9])), training=False)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert keras.backend.standardize_dtype(logits.dtype) == "float32" and np.isfinite(logits.numpy()).all()


def test_textbook_preset_is_the_books_architecture():
    config = PRESETS["textbook"]
    convs = (config.conv_filters, config.conv_kernels, config.conv_strides)
    assert convs == ((32, 64, 128), (5, 5, 3), (2, 2, 2)) and config.conv_padding == "valid"
    rnns = (config.rnn_cell, config.rnn_units, config.bidirectional, config.pooling)
    assert rnns == ("lstm", (128, 128), False, "last")
    model = build_sketch_classifier(config, num_classes=7)
    assert model.output_shape == (None, 7)


def test_config_validation_and_round_trip():
    config = sketch_classifier_config("default", rnn_cell="gru", dense_units=32)
    assert SketchClassifierConfig.from_dict(config.to_dict()) == config
    assert SketchClassifierConfig.from_dict({**config.to_dict(), "rnn_units": [8, 8]}).rnn_units == (8, 8)
    bad = [dict(conv_filters=(8, 8)), dict(rnn_cell="rnn"), dict(pooling="sum"), dict(dropout=1.0),
           dict(rnn_units=(), pooling="last"), dict(conv_padding="causal"), dict(conv_filters=(0, 8, 8))]
    for kwargs in bad:
        with pytest.raises(SeqgenError):
            sketch_classifier_config("default", **kwargs)
    with pytest.raises(SeqgenError, match="unknown sketch classifier preset"):
        sketch_classifier_config("huge")
    with pytest.raises(SeqgenError, match="unknown sketch classifier setting 'units'"):
        SketchClassifierConfig.from_dict({"units": 3})


def test_tiny_model_separates_synthetic_shapes():
    keras.utils.set_random_seed(0)
    classes = ["circle", "square", "triangle", "star", "spiral", "zigzag"]
    splits, _ = prepare_splits(synthetic_splits(40, classes=classes, seed=0), StrokePrep())
    model = build_sketch_classifier(sketch_classifier_config("tiny"), num_classes=len(classes))
    model.compile(keras.optimizers.Adam(1e-2, clipnorm=1.0),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    train = sketch_dataset(splits["train"], 32, shuffle=True, seed=0)
    build_training_state(model, train.element_spec)  # the step is traced once
    model.fit(train, epochs=12, verbose=0)
    held_out = np.concatenate([splits["valid"].labels, splits["test"].labels])
    logits = model.predict(pad_strokes(splits["valid"].strokes + splits["test"].strokes), verbose=0)
    accuracy = float((logits.argmax(axis=1) == held_out).mean())
    assert accuracy > 0.8, accuracy  # speed is benchmarks/' business, never a timed test
