"""Forecasters and baselines: the step contract, autoregressive feeding, exact baseline values."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from seqgen.data_prep.errors import SeqgenError
from seqgen.models.forecast import (FORECAST_FAMILIES, autoregressive_forecast, build_forecaster, direct_forecast,
                                    forecast_config)
from seqgen.data_prep.series_season import detect_season
from seqgen.models.forecast_baselines import (LinearBaseline, naive_forecast, seasonal_naive_at,
                                              seasonal_naive_forecast, window_arrays)


def history(batch=2, length=9, features=1, seed=0):
    return np.random.default_rng(seed).normal(size=(batch, length, features)).astype(np.float32)


@pytest.mark.parametrize("family", FORECAST_FAMILIES)
def test_step_by_step_equals_full_sequence_and_survives_saving(family, tmp_path):
    model = build_forecaster(forecast_config(family, "tiny", 2, 3))
    x = history(features=2)  # longer than the tiny WaveNet's receptive field (4)
    full = model(x).numpy()  # (batch, time, horizon)
    state, stepped = model.initial_state(2), []
    for t in range(x.shape[1]):
        out, state = model.step(tf.constant(x[:, t]), state)
        stepped.append(out.numpy())
    np.testing.assert_allclose(np.stack(stepped, 1), full, atol=1e-5)
    np.testing.assert_allclose(direct_forecast(model, x), full[:, -1], atol=1e-6)
    model.save(tmp_path / "m.keras")
    np.testing.assert_array_equal(keras.models.load_model(tmp_path / "m.keras")(x).numpy(), full)


def test_autoregressive_forecast_is_the_model_fed_its_own_predictions():
    model = build_forecaster(forecast_config("gru", "tiny", 1, 2))
    x = history()
    predictions = autoregressive_forecast(model, x, 4)  # (batch, 4)
    np.testing.assert_allclose(predictions[:, 0], direct_forecast(model, x)[:, 0], atol=1e-5)  # step 1 agrees
    extended = x
    for k in range(4):  # each value is the one-step forecast of the history plus the values before it
        np.testing.assert_allclose(model(extended).numpy()[:, -1, 0], predictions[:, k], atol=1e-5)
        extended = np.concatenate([extended, predictions[:, k, None, None]], axis=1)


def test_autoregressive_needs_a_univariate_model():
    with pytest.raises(SeqgenError, match="autoregressive forecasting needs a model of the target alone"):
        autoregressive_forecast(build_forecaster(forecast_config("gru", "tiny", 2, 1)), history(features=2), 3)


def test_baselines_exact_values_on_a_hand_made_series():
    series = np.array([1, 5, 2, 6, 3, 7, 4, 8], np.float32)[:, None]  # season 2, rising by 1
    inputs, target = window_arrays(series, np.array([5]), 4, 3)  # history 2,6,3,7; next 4,8 then past the end
    np.testing.assert_array_equal(inputs[0, :, 0], [2, 6, 3, 7])
    np.testing.assert_array_equal(target[0, :2], [4, 8])
    assert np.isnan(target[0, 2])  # past the end of the series
    np.testing.assert_array_equal(naive_forecast(inputs, 3), [[7, 7, 7]])
    np.testing.assert_array_equal(seasonal_naive_forecast(inputs, 3, 2), [[3, 7, 3]])
    np.testing.assert_array_equal(seasonal_naive_forecast(inputs, 3, 3), [[6, 3, 7]])
    with pytest.raises(SeqgenError, match="season 5 must be between 1 and the window"):
        seasonal_naive_forecast(inputs, 3, 5)
    # from the whole history, a season longer than the window: origin 5 (value 7), season 5
    np.testing.assert_array_equal(seasonal_naive_at(series, np.array([5, 6]), 3, 5), [[5, 2, 6], [2, 6, 3]])
    with pytest.raises(SeqgenError, match="less than one season"):
        seasonal_naive_at(series, np.array([2]), 3, 5)


def test_linear_baseline_recovers_a_linear_rule_and_season_is_detected():
    t = np.arange(200)
    series = np.sin(2 * np.pi * t / 12)[:, None]  # a sine obeys x[t+1] = 2cos(w) x[t] - x[t-1] exactly
    inputs, target = window_arrays(series, np.arange(3, 190), 4, 2)
    linear = LinearBaseline().fit(inputs, target, l2=0.0)
    np.testing.assert_allclose(linear.predict(inputs), target, atol=1e-4)
    assert detect_season(series[:, 0]).steps == 12
    assert detect_season(np.random.default_rng(0).normal(size=300)).steps == 1


def test_forecasts_follow_the_level_of_the_series():
    """Anchored and relative: adding a constant to the target history adds it to every forecast."""
    model = build_forecaster(forecast_config("gru", "tiny", 2, 3))
    x = history(features=2)
    shifted = x.copy()
    shifted[..., 0] += 5.0
    np.testing.assert_allclose(model(shifted).numpy(), model(x).numpy() + 5.0, atol=1e-4)
