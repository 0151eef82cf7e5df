"""The baselines every forecaster must beat, on windows ``(n, window, features)`` (target = feature 0).

* naive: the last value, for every step ahead;
* seasonal naive: the value one season before each target step (``season`` given or detected
  from the training part's autocorrelation);
* linear: least squares from the whole window (every feature) to all ``horizon`` steps at once.

All are exact numpy computations (no training randomness), so their figures are reproducible.
"""

from __future__ import annotations

import numpy as np

from seqgen.data_prep.errors import SeqgenError


def naive_forecast(windows: np.ndarray, horizon: int) -> np.ndarray:
    """``(n, horizon)``: each window's last target value repeated."""
    return np.repeat(windows[:, -1:, 0], horizon, axis=1)


def seasonal_naive_forecast(windows: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """``(n, horizon)``: step ``h`` (1-based) gets the value ``season * ceil(h / season)`` steps before it."""
    width = windows.shape[1]
    if not 1 <= season <= width:
        raise SeqgenError(f"season {season} must be between 1 and the window ({width} steps); "
                          "lower --season or raise --window")
    h = np.arange(1, horizon + 1)
    index = width - 1 + h - season * np.ceil(h / season).astype(int)  # position in the window
    return windows[:, index, 0]


def detect_season(series: np.ndarray, max_lag: int, min_correlation: float = 0.3) -> int:
    """The lag (2..max_lag) of the highest autocorrelation peak of ``series`` with its linear trend
    removed (a trend would pull the peak towards shorter lags), or 1 when there is none."""
    series = np.asarray(series, np.float64)
    steps = np.arange(len(series))
    x = series - np.polyval(np.polyfit(steps, series, 1), steps) if len(series) > 1 else series * 0  # detrended
    max_lag = min(max_lag, len(x) // 2)
    if max_lag < 3 or not x.any():
        return 1
    acf = np.array([np.dot(x[:-k], x[k:]) for k in range(1, max_lag + 1)]) / np.dot(x, x)  # acf[k-1] at lag k
    peaks = [k for k in range(2, max_lag)
             if acf[k - 1] > acf[k - 2] and acf[k - 1] >= acf[k] and acf[k - 1] >= min_correlation]  # local maxima
    return max(peaks, key=lambda k: acf[k - 1]) if peaks else 1


class LinearBaseline:
    """A linear model on the window, fitted in closed form (ridge ``l2`` keeps it well-posed)."""

    def __init__(self, weights: np.ndarray | None = None):
        self.weights = weights  # (window * features + 1, horizon)

    def fit(self, windows: np.ndarray, targets: np.ndarray, l2: float = 1e-6) -> "LinearBaseline":
        """``windows (n, window, features)``, ``targets (n, horizon)``."""
        x = self._design(windows)
        gram = x.T @ x + l2 * len(x) * np.eye(x.shape[1])
        self.weights = np.linalg.solve(gram, x.T @ np.asarray(targets, np.float64))
        return self

    def predict(self, windows: np.ndarray) -> np.ndarray:
        return (self._design(windows) @ self.weights).astype(np.float32)

    @staticmethod
    def _design(windows: np.ndarray) -> np.ndarray:
        flat = np.asarray(windows, np.float64).reshape(len(windows), -1)
        return np.hstack([flat, np.ones((len(flat), 1))])


def window_arrays(values: np.ndarray, origins: np.ndarray, window: int, horizon: int):
    """Inputs ``(n, window, features)`` ending at each origin and the target's next ``horizon`` values
    ``(n, horizon)`` (NaN past the end of ``values``)."""
    values = np.asarray(values, np.float32)
    origins = np.asarray(origins, np.int64)
    inputs = values[origins[:, None] + np.arange(1 - window, 1)]
    future = origins[:, None] + np.arange(1, horizon + 1)
    target = np.where(future < len(values), values[np.minimum(future, len(values) - 1), 0], np.nan)
    return inputs, target.astype(np.float32)
