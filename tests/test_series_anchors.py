"""The benchmark's statistical anchors forecast from every origin with the training fit's parameters
exactly as statsmodels' own dynamic prediction does (skipped without the bench extra)."""

import warnings

import numpy as np
import pytest

statsmodels = pytest.importorskip("statsmodels")

from benchmarks.series_quality import ets_paths, fourier, state_space_paths  # noqa: E402


def seasonal_series(n=240, season=12, seed=0):
    rng = np.random.default_rng(seed)
    return 10 + 0.02 * np.arange(n) + np.sin(2 * np.pi * np.arange(n) / season) + rng.normal(0, 0.2, n)


def test_sarimax_paths_equal_dynamic_prediction():
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    y, exog = seasonal_series(), fourier(240, 12, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = SARIMAX(y[:160], exog=exog[:160], order=(1, 1, 1), trend="c")
        res = model.filter(model.start_params).apply(y, exog=exog)  # any parameters do: no fit, fast
    starts = np.array([170, 200, 230])
    paths = state_space_paths(res, starts, 6)
    for row, origin in zip(paths, starts):
        expected = res.get_prediction(start=origin + 1, end=origin + 6, dynamic=True).predicted_mean
        np.testing.assert_allclose(row, expected, atol=1e-8)


@pytest.mark.parametrize("init", ["heuristic", "estimated"])
def test_ets_paths_equal_the_training_fit_forecast(init):
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    y = seasonal_series()
    spec = dict(error="add", trend="add", damped_trend=True, seasonal="add", seasonal_periods=12,
                initialization_method=init)
    fit = ETSModel(y[:160], **spec).fit(disp=False)
    states = np.asarray(ETSModel(y, **spec).smooth(fit.params).states)  # the whole series, the fit's parameters
    phi = fit.params[list(fit.param_names).index("damping_trend")]
    paths = ets_paths(states, phi, 12, np.array([159]), 15)
    np.testing.assert_allclose(paths[0], np.asarray(fit.forecast(15)), atol=1e-8)
