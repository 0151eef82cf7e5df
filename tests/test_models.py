"""The three families: the one-step contract, saving, configs, training."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from seqgen.data_prep.errors import SeqgenError
from seqgen.models.config import FAMILIES, RNNConfig, WaveNetConfig, config_from_dict, config_to_dict, make_config
from seqgen.models.registry import build_model
from seqgen.models.train import build_training_state

VOCAB, PERIOD = 23, 4
ALL = (*FAMILIES, "textbook")


def tiny(family, **overrides):
    preset = "textbook" if family == "textbook" else "tiny"
    return build_model(make_config(family, preset, VOCAB, PERIOD, **overrides))


def tokens(batch=3, length=37, seed=0):
    return np.random.default_rng(seed).integers(0, VOCAB, (batch, length)).astype(np.int32)


@pytest.mark.parametrize("family", ALL)
def test_step_by_step_equals_full_pass(family):
    """Every position's logits from the stateful step equal those of ``call`` over the whole sequence."""
    model = tiny(family)
    x = tokens()  # longer than the tiny WaveNet's receptive field, so the caches wrap around
    full = model(x).numpy()  # (batch, time, vocab)
    state = model.initial_state(3)
    stepped = []
    for t in range(x.shape[1]):
        logits, state = model.step(tf.constant(x[:, t]), state)
        stepped.append(logits.numpy())
    np.testing.assert_allclose(np.stack(stepped, axis=1), full, atol=1e-5)


def test_wavenet_receptive_field_and_causality():
    config = make_config("wavenet", "tiny", VOCAB, PERIOD)
    assert config.dilations == [1, 2, 4] and config.receptive_field == 8
    model = build_model(config)
    x = tokens(1, 20)
    y = x.copy()
    y[0, 10] = (y[0, 10] + 1) % VOCAB  # change one token: only positions >= 10 may change
    a, b = model(x).numpy(), model(y).numpy()
    np.testing.assert_allclose(a[0, :10], b[0, :10], atol=1e-6)
    assert not np.allclose(a[0, 10], b[0, 10])
    np.testing.assert_allclose(a[0, 18:], b[0, 18:], atol=1e-6)  # beyond the receptive field


@pytest.mark.parametrize("family", ALL)
def test_save_then_load_gives_identical_logits(family, tmp_path):
    model = tiny(family)
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.config == model.config
    np.testing.assert_array_equal(loaded(tokens()).numpy(), model(tokens()).numpy())


def test_rnn_layers_are_cudnn_eligible():
    model = build_model(make_config("lstm", "small", VOCAB, PERIOD))
    for rnn in model.rnns:
        assert rnn.activation.__name__ == "tanh" and rnn.recurrent_activation.__name__ == "sigmoid"
        assert rnn.recurrent_dropout == 0 and not rnn.unroll and rnn.use_bias
    gru = build_model(make_config("gru", "small", VOCAB, PERIOD))
    assert all(r.reset_after for r in gru.rnns)


@pytest.mark.parametrize("bad, message", [
    (dict(units=0), "RNNConfig.units must be an integer >= 1, got 0"),
    (dict(dropout=1.5), "RNNConfig.dropout must be in"),
    (dict(cell="rnn"), "RNNConfig.cell must be 'lstm' or 'gru', got 'rnn'"),
])
def test_config_validation_names_the_value(bad, message):
    with pytest.raises(SeqgenError, match=message):
        RNNConfig(**bad)
    with pytest.raises(SeqgenError, match="WaveNetConfig.kernel_size"):
        WaveNetConfig(kernel_size=0)


def test_presets_and_config_round_trip():
    with pytest.raises(SeqgenError, match="unknown preset 'huge' for gru"):
        make_config("gru", "huge", VOCAB)
    with pytest.raises(SeqgenError, match="unknown model family 'transformer'"):
        make_config("transformer", "tiny", VOCAB)
    config = make_config("wavenet", "small", VOCAB, PERIOD)
    assert config_from_dict(config_to_dict(config)) == config


@pytest.mark.parametrize("family", FAMILIES)
def test_loss_falls_on_a_learnable_sequence(family):
    keras.utils.set_random_seed(0)
    model = tiny(family)
    model.compile(keras.optimizers.Adam(0.02), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    seq = np.tile(np.arange(2, 10, dtype=np.int32), 9)[None].repeat(8, 0)  # a repeating pattern
    build_training_state(model, (seq[:, :-1], seq[:, 1:]))  # the step is traced once
    losses = [float(model.train_on_batch(seq[:, :-1], seq[:, 1:])) for _ in range(12)]  # 12 steps, no epochs
    assert losses[-1] < 0.6 * losses[0]
