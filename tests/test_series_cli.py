"""``seqgen data/train series``, ``seqgen evaluate`` and ``seqgen forecast`` end to end, and bad input."""

import csv
import json

import numpy as np
import pytest

from seqgen.data_prep.series_synthetic import write_synthetic_csv
from tests.cli_helpers import assert_one_line_error, run
from tests.shared_runs import shared


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """``m.csv`` (monthly) and ``run/``: a GRU trained 1 epoch on it, horizon 4, default window (shared by the
    session: tests/shared_runs.py)."""
    return shared(tmp_path_factory, "series")


def test_data_series_reports_step_split_and_season(tmp_path):
    write_synthetic_csv(tmp_path / "syn.csv", 200)
    result = run("data", "series", tmp_path / "syn.csv", "--time", "date", "--target", "value", "--window", "32")
    assert result.exit_code == 0, result.output
    assert "step: daily" in result.output and "train 140, valid 30, test 30 steps" in result.output
    assert "season" in result.output


def test_train_evaluate_forecast(trained, tmp_path):
    info = json.loads((trained / "run" / "run.json").read_text())
    assert info["task"] == "series" and info["model"]["anchored"] is False and info["codec"]["columns"] == ["y"] and "interval" in info["record"]
    result = run("evaluate", trained / "run")
    assert result.exit_code == 0, result.output
    for name in ("model (direct)", "model (autoregressive)", "naive", "linear", "MASE"):
        assert name in result.output
    out = tmp_path / "forecast.csv"
    result = run("forecast", trained / "run", "--csv", trained / "m.csv", "--horizon", "6", "-o", out, "--plot")
    assert result.exit_code == 0, result.output
    assert "autoregressive" in result.output and (tmp_path / "forecast.png").stat().st_size > 1000
    rows = list(csv.reader(out.open()))
    assert rows[0] == ["time", "y_forecast", "low_80", "high_80"] and len(rows) == 7
    assert rows[1][0] == "2015-01"  # the month after the last of 300 monthly steps from 1990-01
    low, mid, high = (np.array([float(r[i]) for r in rows[1:]]) for i in (2, 1, 3))
    assert (low <= mid).all() and (mid <= high).all()
    again = run("forecast", trained / "run", "--horizon", "6", "-o", out)
    assert_one_line_error(again, "already exists", "--force")
    resumed = run("train", "series", "--model", "gru", "--resume", "--out", trained / "run")
    assert_one_line_error(resumed, "finished training after", "--epochs")
    direct = run("forecast", trained / "run", "--horizon", "6", "--method", "direct", "-o", tmp_path / "d.csv")
    assert_one_line_error(direct, "--horizon 6 is beyond the 4 steps")


def _bad(tmp_path, text):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    return path


@pytest.mark.parametrize("text, options, fragments", [
    ("t,y\n1,2\n", ["--target", "value"], ["no column 'value'", "columns are: t, y"]),
    ("t,value\n1,2\n2,x\n", ["--target", "value"], ["line 3, column 'value'", "'x' is not a number"]),
    ("t,value\n" + "".join(f"{i},3\n" for i in range(100)), ["--target", "value"], ["constant"]),
    ("t,value\n" + "".join(f"{i},{i % 7}\n" for i in range(30)), ["--target", "value"], ["too short", "--window"]),
    ("t,value\n" + "".join(f"{i},{i % 7}\n" for i in range(200)),
     ["--target", "value", "--horizon", "30", "--valid-fraction", "0.3", "--test-fraction", "0.1"],
     ["--horizon 30 is longer than the test part (20 steps)", "--test-fraction"]),
], ids=["missing-column", "not-a-number", "constant", "too-short", "horizon-beyond-test"])
def test_bad_input_is_one_clear_line(tmp_path, text, options, fragments):
    result = run("train", "series", "--csv", _bad(tmp_path, text), "--time", "t", *options, "--window", "32",
                 "--model", "gru", "--preset", "tiny", "--out", tmp_path / "run")
    assert_one_line_error(result, *fragments)
    assert not (tmp_path / "run").exists()  # nothing written for bad input


def test_root_help_mentions_numeric_series():
    result = run("--help")
    words = " ".join(result.output.split())  # click wraps the description
    assert result.exit_code == 0 and "numeric series" in words and "forecast" in words


def test_default_window_follows_the_season_and_is_recorded(trained, tmp_path):
    info = json.loads((trained / "run" / "run.json").read_text())
    assert info["data"]["window"] is None and info["record"]["window"] == 24 and info["record"]["season"] == 12
    result = run("evaluate", trained / "run")
    assert result.exit_code == 0, result.output
    assert "window 24" in result.output and "season: 12 steps: the yearly cycle of a monthly step" in result.output
    assert "seasonal naive (12)" in result.output
    out = tmp_path / "f.csv"
    assert run("forecast", trained / "run", "-o", out).exit_code == 0 and len(out.read_text().splitlines()) == 5
