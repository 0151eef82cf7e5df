"""Series data: CSV reading, the time axis, gaps and fills, the split and the normaliser."""

import numpy as np
import pytest

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.series import read_series_csv, split_points
from seqgen.data_prep.series_codec import SeriesCodec
from seqgen.data_prep.series_synthetic import generate_time_series, synthetic_table, write_synthetic_csv


def write(tmp_path, text, name="s.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_monthly_gap_and_missing_values_are_reported_and_filled(tmp_path):
    path = write(tmp_path, "month,y,x\n2020-01,1,5\n2020-02,,6\n2020-04,4,7\n2020-05,5,\n")
    table = read_series_csv(path, time="month", target="y", features=["x"], fill="interpolate")
    assert table.axis.describe() == "monthly"
    np.testing.assert_allclose(table.values, [[1, 5], [2, 6], [3, 6.5], [4, 7], [5, 7]])
    assert any("1 missing step" in n for n in table.notes) and any("y 2, x 2" in n for n in table.notes)
    assert table.axis.format(2) == "2020-03"
    ffill = read_series_csv(path, time="month", target="y", features=["x"], fill="ffill")
    np.testing.assert_allclose(ffill.values[:, 0], [1, 1, 1, 4, 5])
    dropped = read_series_csv(path, time="month", target="y", features=["x"], fill="drop")
    np.testing.assert_allclose(dropped.values, [[1, 5], [4, 7]])


@pytest.mark.parametrize("text, step", [
    ("t,y\n2020-01-01T00:00,1\n2020-01-01T01:00,2\n2020-01-01T03:00,3\n", "hourly"),
    ("t,y\n2020-01-01,1\n2020-01-02,2\n2020-01-03,3\n", "daily"),
    ("t,y\n1990,1\n1991,2\n1992,3\n", "1 in the time column's units"),
    ("t,y\n2019-01-01,1\n2020-01-01,2\n2021-01-01,3\n", "yearly"),
])
def test_step_is_inferred(tmp_path, text, step):
    assert read_series_csv(write(tmp_path, text), time="t", target="y").axis.describe() == step


@pytest.mark.parametrize("text, args, fragments", [
    ("a,b\n1,2\n", dict(time="a", target="y"), ["no column 'y'", "columns are: a, b"]),
    ("t,y\n1,2\n2,abc\n", dict(time="t", target="y"), ["line 3", "column 'y'", "'abc' is not a number"]),
    ("t,y\n1,2\n2,\n", dict(time="t", target="y", fill="error"), ["missing values", "--fill"]),
    ("t,y\n2020-01-02,2\n2020-01-01,3\n", dict(time="t", target="y"), ["earlier than", "sort the file"]),
    ("t,y\n2020-01-01,2\nsoon,3\n", dict(time="t", target="y"), ["'soon' is not an ISO date"]),
])
def test_bad_csv_is_one_clear_line(tmp_path, text, args, fragments):
    with pytest.raises(SeqgenError) as error:
        read_series_csv(write(tmp_path, text), **args)
    message = str(error.value)
    assert "\n" not in message and all(f in message for f in fragments), message


def test_split_is_chronological_and_statistics_ignore_the_future():
    values = np.arange(100, dtype=float)[:, None]
    train_end, valid_end = split_points(100, 0.15, 0.15)
    assert (train_end, valid_end) == (70, 85)
    codec = SeriesCodec.fit(values[:train_end], ["y"])
    assert codec.mean == (34.5,)  # the mean of 0..69 only
    future = values.copy()
    future[train_end:] = 1e6  # changing the future changes nothing learnt from the past
    assert SeriesCodec.fit(future[:train_end], ["y"]) == codec
    np.testing.assert_allclose(codec.decode_target(codec.encode(values)[:, 0]), values[:, 0], atol=1e-4)
    assert SeriesCodec.from_config(codec.to_config()) == codec


def test_constant_series_is_refused():
    with pytest.raises(SeqgenError, match="column 'y' is constant"):
        SeriesCodec.fit(np.ones((10, 1)), ["y"])


def test_synthetic_series(tmp_path):
    batch = generate_time_series(4, 50, seed=1)
    assert batch.shape == (4, 50, 1) and batch.dtype == np.float32 and np.abs(batch).max() < 0.75
    np.testing.assert_array_equal(batch, generate_time_series(4, 50, seed=1))
    write_synthetic_csv(tmp_path / "syn.csv", 120)
    table = read_series_csv(tmp_path / "syn.csv", time="date", target="value")
    np.testing.assert_allclose(table.target, synthetic_table(120).target, atol=1e-6)
    assert table.axis.describe() == "daily"


def test_basic_iso_dates_and_weekly_step(tmp_path):
    path = write(tmp_path, "date,co2\n19580329,316.1\n19580405,317.3\n19580412,\n19580419,317.5\n")
    table = read_series_csv(path, time="date", target="co2")
    assert table.axis.describe() == "weekly" and table.axis.format(3) == "1958-04-19"
    np.testing.assert_allclose(table.target, [316.1, 317.3, 317.4, 317.5])
