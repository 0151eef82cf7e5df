"""The baselines every forecaster must beat, on windows ``(n, window, features)`` (target = feature 0).

* naive: the last value, for every step ahead;
* seasonal naive: the value one season before each target step (``season`` given or detected
  from the training part, :mod:`data_prep.series_season`), from the window or the whole history;
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


def seasonal_naive_at(values: np.ndarray, origins: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """``(n, horizon)``: the seasonal naive forecast from each origin, read from the whole history
    ``values (steps, features)`` (so a season may exceed the window); the target one season (or
    whole seasons) before each step ahead."""
    h = np.arange(1, horizon + 1)
    index = np.asarray(origins, np.int64)[:, None] + h - season * np.ceil(h / season).astype(np.int64)
    if len(index) and index.min() < 0:
        raise SeqgenError(f"season {season}: the first forecast origin has only {int(np.min(origins)) + 1} steps "
                          "of history, less than one season; lower --season")
    return np.asarray(values, np.float32)[index, 0]


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
