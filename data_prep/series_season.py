"""Season detection from the whole training part, and the window default that follows it.

Two sources of candidates: the time axis' calendar (a daily step suggests 7 and 365 steps, weekly
52, monthly 12, hourly 24 and 168, ...) and the autocorrelation of the training part with its
linear trend removed, over lags up to a third of its length (computed with an FFT, so long hourly
series cost n log n, not n squared). A lag counts as a season only where the autocorrelation has a
local peak that is high (``MIN_CORRELATION``) and stands out from the dip before it
(``MIN_PROMINENCE``): a persistent series (today much like yesterday) correlates highly at every
short lag, with no dip, and that is not a season. Of the peaks, the highest wins; a calendar season
or a shorter lag (the multiples of a season peak too) wins when it is nearly as high (``NEAR``), so a
sunspot-like cycle of ~132 months is found where no calendar season exists, and a daily series'
yearly peak comes out as 365 steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqgen.data_prep.series_time import DAY, TimeAxis

MIN_CORRELATION = 0.3  # autocorrelation a season's peak must reach
MIN_PROMINENCE = 0.3  # how far the peak must rise above the lowest autocorrelation before it
NEAR = 0.9  # a calendar season or a shorter lag wins when its peak is at least this share of the best
LAG_FRACTION = 3  # lags up to len(training part) // LAG_FRACTION (a season seen at least three times)
DEFAULT_WINDOW = 64  # --window without a season
MIN_SEASON_WINDOW = 24  # the least default window with a season (two seasons of 12 months)
MAX_DEFAULT_WINDOW = 512  # the most the default window grows to cover seasons (daily data: 365 and 147 days)
_CALENDAR_SECONDS = ((DAY, "daily cycle"), (7 * DAY, "weekly cycle"), (365.25 * DAY, "yearly cycle"))


@dataclass(frozen=True)
class Season:
    """A detected (or given) season and why: ``steps`` 1 means none."""

    steps: int
    why: str


def calendar_candidates(axis: TimeAxis | None) -> dict[int, str]:
    """Seasons the time axis' step suggests: ``{steps: "yearly cycle", ...}``."""
    if axis is None or axis.kind in ("index", "number"):
        return {}
    if axis.kind == "month":
        months = 12 / axis.step
        return {int(months): "yearly cycle"} if months >= 2 and months == int(months) else {}
    out = {}
    for seconds, name in _CALENDAR_SECONDS:
        steps = seconds / axis.step
        if steps >= 2 and abs(steps - round(steps)) <= 0.01 * steps:
            out[int(round(steps))] = name
    return out


def autocorrelation(series: np.ndarray, max_lag: int) -> np.ndarray:
    """``acf (max_lag + 1,)`` of ``series`` with its linear trend removed; ``acf[0] = 1``."""
    x = np.asarray(series, np.float64)
    steps = np.arange(len(x))
    x = x - np.polyval(np.polyfit(steps, x, 1), steps)  # a trend would pull every lag up
    size = 1 << int(np.ceil(np.log2(2 * len(x))))  # zero padding: no wrap-around
    spectrum = np.fft.rfft(x, size)
    acf = np.fft.irfft(spectrum * np.conj(spectrum), size)[: max_lag + 1]
    return acf / acf[0] if acf[0] > 0 else np.zeros(max_lag + 1)


def _peaks(acf: np.ndarray) -> list[int]:
    """Lags of local maxima that are high and rise well above the dip before them."""
    dip = np.minimum.accumulate(acf)  # lowest autocorrelation at or before each lag
    lags = np.arange(2, len(acf) - 1)
    peak = (acf[lags] > acf[lags - 1]) & (acf[lags] >= acf[lags + 1])
    good = peak & (acf[lags] >= MIN_CORRELATION) & (acf[lags] - dip[lags] >= MIN_PROMINENCE)
    return [int(k) for k in lags[good]]


def _calendar_peak(acf: np.ndarray, peaks: list[int], steps: int) -> int | None:
    """The peak within 1% (at least one step) of a calendar season, if any."""
    near = [k for k in peaks if abs(k - steps) <= max(1, steps // 100)]
    return max(near, key=lambda k: acf[k]) if near else None


def detect_season(series: np.ndarray, axis: TimeAxis | None = None) -> Season:
    """The season of a training part (see the module docstring), with the reason in words."""
    n = len(series)
    max_lag = n // LAG_FRACTION
    if max_lag < 4 or not np.ptp(np.asarray(series, np.float64)) > 0:
        return Season(1, f"none: the training part ({n} steps) is too short or flat to show one")
    acf = autocorrelation(series, max_lag)
    peaks = _peaks(acf)
    scope = f"autocorrelation of the detrended training part, lags 2 to {max_lag}"
    calendar = {steps: name for steps, name in calendar_candidates(axis).items() if steps <= max_lag}
    if not peaks:
        hint = f" (calendar {', '.join(map(str, calendar))} not supported)" if calendar else ""
        return Season(1, f"none: no peak of {MIN_CORRELATION} or more in the {scope}{hint}")
    best = max(acf[k] for k in peaks)
    for steps, name in sorted(calendar.items(), key=lambda item: -acf[item[0]]):
        lag = _calendar_peak(acf, peaks, steps)
        if lag is not None and acf[lag] >= NEAR * best:
            return Season(steps, f"{steps} steps: the {name} of a {axis.describe()} step, "
                                 f"autocorrelation {acf[lag]:.2f} at lag {lag} ({scope})")
    lag = min(k for k in peaks if acf[k] >= NEAR * best)
    return Season(lag, f"{lag} steps: the autocorrelation peak {acf[lag]:.2f} at lag {lag} ({scope}"
                       + (f"; calendar {', '.join(map(str, calendar))}: no peak as high)" if calendar else ")"))


def default_window(season: int, train_steps: int, horizon: int) -> int:
    """--window when not given: ``DEFAULT_WINDOW`` without a season; with one, two seasons (the last
    season and the one before it to compare with; at least ``MIN_SEASON_WINDOW``), at most
    ``MAX_DEFAULT_WINDOW``; never more than half of what the training part leaves after the horizon."""
    wanted = max(2 * season, MIN_SEASON_WINDOW) if season > 1 else DEFAULT_WINDOW
    return max(1, min(wanted, MAX_DEFAULT_WINDOW, (train_steps - horizon) // 2))
