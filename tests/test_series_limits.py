"""Series bad input: absurd numbers refused before any work with the limit named, nan/inf refused,
too-short series refused, and ``seqgen data series`` runs without TensorFlow."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import seqgen
from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.series_config import SeriesDataConfig
from seqgen.data_prep.series_synthetic import write_synthetic_csv
from tests.cli_helpers import assert_one_line_error, run


@pytest.fixture
def syn(tmp_path):
    write_synthetic_csv(tmp_path / "syn.csv", 200)
    return ["data", "series", tmp_path / "syn.csv", "--time", "date", "--target", "value"]


def test_forecast_horizon_is_bounded_before_the_run_loads(tmp_path):
    result = run("forecast", tmp_path, "--horizon", "1000000000", "-o", tmp_path / "f.csv")
    assert_one_line_error(result, "--horizon", "1<=x<=10000")
    from seqgen.models.series_eval import forecast_series

    with pytest.raises(SeqgenError, match="from 1 to 10000, got 1000000000; choose --horizon"):
        forecast_series(tmp_path / "no-such-run", horizon=10**9)  # refused before the run is read
    assert not (tmp_path / "f.csv").exists()


@pytest.mark.parametrize("options, fragments", [
    (["--window", "100000"], ["--window", "1<=x<=10000"]),
    (["--window", "5000"], ["too short", "--window 5000"]),
    (["--horizon", "5000"], ["--horizon", "1<=x<=1000"]),
    (["--season", "1000000"], ["--season", "1<=x<=100000"]),
    (["--season", "500"], ["--season 500 is not shorter than the training part (140 steps)"]),
    (["--valid-fraction", "nan"], ["--valid-fraction", "not a finite number"]),
    (["--test-fraction", "inf"], ["--test-fraction"]),
    (["--valid-fraction", "0.6", "--test-fraction", "0.5"], ["sum below 1"]),
], ids=["window-limit", "window-too-long", "horizon-limit", "season-limit", "season-too-long", "nan", "inf", "sum"])
def test_data_series_refuses_absurd_numbers(syn, options, fragments):
    assert_one_line_error(run(*syn, *options), *fragments)


@pytest.mark.parametrize("text, fragments", [
    ("t,y\n1,2\n", ["has 1 step(s); at least 10 are needed"]),
    ("t,y\n" + "".join(f"{i},{i % 3}\n" for i in range(9)) + "inf,4\n", ["'inf' is not a number like the first row"]),
], ids=["one-row", "inf-time"])
def test_data_series_refuses_bad_files(tmp_path, text, fragments):
    (tmp_path / "s.csv").write_text(text)
    assert_one_line_error(run("data", "series", tmp_path / "s.csv", "--time", "t", "--target", "y"), *fragments)


@pytest.mark.parametrize("values, fragment", [
    (dict(window=10**6), "SeriesDataConfig.window must be an integer from 1 to 10000, got 1000000; choose --window"),
    (dict(horizon=0), "SeriesDataConfig.horizon must be an integer from 1 to 1000"),
    (dict(valid_fraction=float("nan")), "SeriesDataConfig.valid_fraction must be a number strictly between 0 and 1"),
    (dict(batch_size=True), "SeriesDataConfig.batch_size must be an integer"),
])
def test_data_config_names_the_bad_value_and_its_limit(values, fragment):
    with pytest.raises(SeqgenError, match=fragment.replace("(", r"\(")):
        SeriesDataConfig(**values)


def test_data_series_never_imports_tensorflow(tmp_path):
    code = ("import sys\nfrom seqgen.generate.cli import main\n"
            "main(['data', 'series', '--synthetic'], standalone_mode=False)\n"
            "print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    env = {"PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3", "HOME": str(tmp_path),
           "PYTHONPATH": str(Path(seqgen.__file__).resolve().parents[1])}
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                            env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "season:" in result.stdout and result.stdout.split()[-2:] == ["False", "False"]
