"""Season detection over the whole training part (not just --window lags) and the window that follows it."""

import numpy as np
import pytest

from seqgen.data_prep.series import table_from_array
from seqgen.data_prep.series_config import SeriesDataConfig, prepare
from seqgen.data_prep.series_season import calendar_candidates, default_window, detect_season
from seqgen.data_prep.series_time import DAY, TimeAxis
from tests.cli_helpers import run

DAILY, MONTHLY = TimeAxis("date", DAY, 0.0), TimeAxis("month", 1.0, 0.0)


def daily_temperatures(years=8, seed=0):
    """Like Melbourne's daily minima: a yearly cycle under persistent day-to-day weather (AR(1))."""
    rng, n = np.random.default_rng(seed), int(365.25 * years)
    weather = np.zeros(n)
    for t in range(1, n):
        weather[t] = 0.7 * weather[t - 1] + rng.normal(0, 2.5)
    return 11 + 4 * np.cos(2 * np.pi * np.arange(n) / 365.25) + weather


def cycle(period=132.0, n=3000, seed=0):
    """Like monthly sunspots: an 11-year cycle that is no calendar season, plus noise."""
    t = np.arange(n)
    return 80 * (1 + np.sin(2 * np.pi * t / period)) + np.random.default_rng(seed).normal(0, 15, n)


@pytest.mark.parametrize("axis, expected", [
    (DAILY, {7: "weekly cycle", 365: "yearly cycle"}),
    (TimeAxis("date", 7 * DAY, 0.0), {52: "yearly cycle"}),
    (TimeAxis("date", 3600.0, 0.0), {24: "daily cycle", 168: "weekly cycle", 8766: "yearly cycle"}),
    (MONTHLY, {12: "yearly cycle"}),
    (TimeAxis("month", 3.0, 0.0), {4: "yearly cycle"}),
    (TimeAxis("number", 1.0, 0.0), {}),
])
def test_calendar_candidates_follow_the_step(axis, expected):
    assert calendar_candidates(axis) == expected


def test_daily_series_gets_its_yearly_season_whatever_the_window():
    series = daily_temperatures()
    season = detect_season(series[:2045], DAILY)  # the training part of 8 years
    assert season.steps == 365 and "yearly cycle" in season.why and "daily" in season.why
    table = table_from_array(series[:, None], ["t"], DAILY)
    assert prepare(table, SeriesDataConfig(window=16, horizon=5)).season == 365  # --window 16 changes nothing


def test_a_cycle_that_is_no_calendar_season_is_found_on_monthly_data():
    season = detect_season(cycle()[:2100], MONTHLY)
    assert abs(season.steps - 132) <= 3 and "autocorrelation peak" in season.why


@pytest.mark.parametrize("series", [np.random.default_rng(1).normal(size=1000),
                                    np.cumsum(np.random.default_rng(2).normal(size=1000))],
                         ids=["white-noise", "random-walk"])
def test_no_season_in_noise_or_a_persistent_walk(series):
    season = detect_season(series, DAILY)
    assert season.steps == 1 and season.why.startswith("none")


def test_window_default_covers_a_season_and_an_explicit_window_wins():
    assert default_window(1, 1000, 10) == 64 and default_window(12, 1000, 10) == 24
    assert default_window(52, 1600, 13) == 104 and default_window(365, 2045, 10) == 512
    assert default_window(365, 500, 10) == 245  # half of what the training part leaves
    table = table_from_array(daily_temperatures()[:, None], ["t"], DAILY)
    assert prepare(table, SeriesDataConfig(horizon=5)).window == 512
    assert prepare(table, SeriesDataConfig(window=30, horizon=5)).window == 30
    recorded = prepare(table, SeriesDataConfig(horizon=5), record={"season": 7, "window": 40})
    assert (recorded.season, recorded.window) == (7, 40)  # a trained run's own season and window


def test_data_series_says_what_was_detected_and_why(tmp_path):
    series = daily_temperatures(6)
    days = np.datetime64("2000-01-01") + np.arange(len(series))
    (tmp_path / "temp.csv").write_text("date,temp\n" + "".join(f"{d},{v:.2f}\n" for d, v in zip(days, series)))
    result = run("data", "series", tmp_path / "temp.csv", "--time", "date", "--target", "temp")
    assert result.exit_code == 0, result.output
    assert "season: 365 steps: the yearly cycle of a daily step" in result.output
    assert "window: 512 steps (default" in result.output
    given = run("data", "series", tmp_path / "temp.csv", "--time", "date", "--target", "temp", "--window", "20")
    assert "season: 365 steps" in given.output and "window: 20 steps (given by --window)" in given.output


def test_seasonal_naive_uses_a_season_longer_than_the_window():
    from seqgen.data_prep.series_config import origins
    from seqgen.models.series_eval import baseline_forecasts

    table = table_from_array(daily_temperatures()[:, None], ["t"], DAILY)
    prep = prepare(table, SeriesDataConfig(window=16, horizon=3))
    starts = origins(prep, "test", 16, 3)
    inputs = prep.values[starts[:, None] + np.arange(-15, 1)]  # (origins, 16, 1)
    forecasts = baseline_forecasts(prep, starts, inputs, 3)
    np.testing.assert_array_equal(forecasts["seasonal naive (365)"][:, 0], prep.values[starts + 1 - 365, 0])
