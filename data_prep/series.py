"""Numeric series from CSV: reading, a regular time axis, gaps and missing values, the split.

A CSV is read row by row with the stdlib ``csv`` module, keeping only the named columns as float
arrays (memory grows with the rows of those columns, never with the rest of the file). The time
column holds ISO dates/times (``2020-01-31``, ``2020-01-31T14:00``, ``2020-01``) or numbers; without
one, rows are the steps. The step is inferred (hourly, daily, monthly...) and every row is placed on
that grid: missing steps become missing values, and missing values are reported, then filled or
refused (``--fill``), never silently.

The split is chronological (train, then valid, then test); the normaliser's statistics come from
the training part only (:mod:`data_prep.series_codec`).
"""

from __future__ import annotations

import array
import csv
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.series_limits import MAX_ROWS, MIN_STEPS
from seqgen.data_prep.series_time import TimeAxis, infer_axis, parse_time

FILLS = ("interpolate", "ffill", "drop", "error")
_BASIC_DATE = re.compile(r"^(1[5-9]|2[01])\d\d(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$")  # YYYYMMDD
MISSING = {"", "na", "nan", "n/a", "null", "none", "-", "?"}  # lower-cased cells read as missing values


@dataclass
class SeriesTable:
    """Columns of one series on a regular time axis: ``values (n, columns)``, target first."""

    columns: list[str]  # target, then features
    values: np.ndarray  # (n, len(columns)) float64, NaN where missing
    axis: TimeAxis  # position -> time
    positions: np.ndarray  # (n,) int64 steps since the first row
    source: str = "?"
    notes: list[str] = field(default_factory=list)  # what was found and done, for the user

    def __len__(self) -> int:
        return len(self.values)

    @property
    def target(self) -> np.ndarray:
        return self.values[:, 0]


def _number(cell: str, where: str) -> float:
    if cell.strip().lower() in MISSING:
        return math.nan
    try:
        value = float(cell)
    except ValueError:
        raise SeqgenError(f"{where}: {cell.strip()[:40]!r} is not a number; "
                          "fix the cell or leave it empty (missing)") from None
    return value if math.isfinite(value) else math.nan


def _header(reader, path: Path, wanted: Sequence[str]) -> list[int]:
    try:
        header = next(reader)
    except StopIteration:
        raise SeqgenError(f"{path} is empty; give a CSV with a header row naming its columns") from None
    header = [h.strip() for h in header]
    missing = [w for w in wanted if w not in header]
    if missing:
        shown = ", ".join(header[:20]) + (" ..." if len(header) > 20 else "")
        raise SeqgenError(f"{path} has no column {missing[0]!r}; its columns are: {shown} "
                          "(check --time/--target/--features)")
    return [header.index(w) for w in wanted]


def read_csv_columns(path: str | Path, time: str | None, columns: Sequence[str]) -> tuple[list, list[array.array]]:
    """``(times, [values per column])`` of a CSV: raw time cells (or None) and floats (NaN = missing)."""
    path = Path(path)
    if not path.is_file():
        raise SeqgenError(f"no such file: {str(path)!r}; give the path of a CSV file")
    wanted = ([time] if time else []) + list(columns)
    times, values = [], [array.array("d") for _ in columns]
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            index = _header(reader, path, wanted)
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue  # blank line
                if len(values[0]) >= MAX_ROWS:
                    raise SeqgenError(f"{path} has more than {MAX_ROWS:,} rows, the most a series may have; "
                                      "resample it to a coarser step or cut it")
                if len(row) <= max(index):
                    raise SeqgenError(f"{path} line {reader.line_num}: {len(row)} cells, fewer than the header names")
                if time:
                    times.append(row[index[0]].strip())
                for out, i, name in zip(values, index[len(index) - len(columns):], columns):
                    out.append(_number(row[i], f"{path} line {reader.line_num}, column {name!r}"))
    except UnicodeDecodeError as e:
        raise SeqgenError(f"{path} is not UTF-8 text (byte {e.start}); save it as UTF-8 CSV") from None
    except csv.Error as e:
        raise SeqgenError(f"{path}: malformed CSV ({e}); check the quoting") from None
    return (times if time else None), values


def read_series_csv(path: str | Path, *, time: str | None, target: str, features: Sequence[str] = (),
                    fill: str = "interpolate") -> SeriesTable:
    """Read, place on a regular time axis, report and fill: the table the models train on."""
    if fill not in FILLS:
        raise SeqgenError(f"unknown --fill {fill!r}; choose one of {', '.join(FILLS)}")
    columns = [target, *[f for f in features if f != target]]
    if len(set(columns)) != len(columns):
        raise SeqgenError(f"--features names a column twice: {', '.join(features)}")
    raw_times, values = read_csv_columns(path, time, columns)
    if not values[0]:
        raise SeqgenError(f"{path} has a header but no rows; give a CSV with data")
    matrix = np.stack([np.frombuffer(v, np.float64) for v in values], axis=1)  # (rows, columns)
    if raw_times is None:
        times = np.arange(len(matrix), dtype=np.float64)
        axis, positions = TimeAxis("index", 1.0, 0.0), np.arange(len(matrix))
    else:
        times, kind = _parse_times(raw_times, path, time)
        axis, positions = infer_axis(times, kind, f"{path} column {time!r}")
    table = place_on_grid(columns, matrix, axis, positions, str(path))
    return fill_missing(table, fill)


def _parse_times(cells: list[str], path, column: str) -> tuple[np.ndarray, str]:
    """Seconds since the epoch (dates) or plain numbers, and which; the first cell decides
    (eight digits that read as a date, 19580329, are an ISO basic date, not a number)."""
    kind = "number" if _is_number(cells[0]) and not _BASIC_DATE.match(cells[0].strip()) else "date"
    out = np.empty(len(cells), np.float64)
    for i, cell in enumerate(cells):
        value = parse_time(cell, kind)
        if value is None:
            what = "a number" if kind == "number" else "an ISO date/time (2020-01-31, 2020-01-31T14:00, 2020-01)"
            raise SeqgenError(f"{path} data row {i + 1}, column {column!r}: {cell[:40]!r} is not {what} like the first row")
        out[i] = value
    return out, kind


def _is_number(cell: str) -> bool:
    try:
        return math.isfinite(float(cell))
    except ValueError:
        return False


def place_on_grid(columns, matrix: np.ndarray, axis: TimeAxis, positions: np.ndarray, source: str) -> SeriesTable:
    """Rows at their step positions; missing steps become NaN rows (reported)."""
    span = int(positions[-1]) + 1
    if span > 10 * len(positions) + 10:
        raise SeqgenError(f"{source}: the rows cover {span} {axis.name} steps but there are only {len(positions)} rows; "
                          "the time column is too irregular for one step")
    if span > MAX_ROWS:
        raise SeqgenError(f"{source}: the rows cover {span:,} {axis.name} steps, more than the {MAX_ROWS:,} a series may "
                          "have; resample it to a coarser step or cut it")
    grid = np.full((span, matrix.shape[1]), np.nan)
    grid[positions] = matrix
    notes = [f"{len(positions)} rows, step: {axis.describe()}"]
    gaps = span - len(positions)
    if gaps:
        first = int(np.flatnonzero(np.diff(positions) > 1)[0])
        notes.append(f"{gaps} missing step(s) in the time axis (first after {axis.format(positions[first])})")
    return SeriesTable(list(columns), grid, axis, np.arange(span), source, notes)


def fill_missing(table: SeriesTable, fill: str) -> SeriesTable:
    """Report missing values per column and handle them as ``fill`` says."""
    missing = np.isnan(table.values)
    if not missing.any():
        return table
    counts = ", ".join(f"{name} {int(n)}" for name, n in zip(table.columns, missing.sum(0)) if n)
    first = int(np.flatnonzero(missing.any(1))[0])
    where = f"first at {table.axis.format(table.positions[first])}"
    if fill == "error":
        raise SeqgenError(f"{table.source}: missing values ({counts}; {where}); choose --fill interpolate, ffill or drop")
    if missing.all(0).any():
        name = table.columns[int(np.flatnonzero(missing.all(0))[0])]
        raise SeqgenError(f"{table.source}: column {name!r} has no values at all; name another column")
    if fill == "drop":
        keep = ~missing.any(1)
        table.values, table.positions = table.values[keep], table.positions[keep]
        table.notes.append(f"missing values ({counts}; {where}): {int((~keep).sum())} step(s) dropped, "
                           "so those steps are skipped over")
        return table
    table.values = np.stack([_fill_column(c, fill) for c in table.values.T], axis=1)
    how = "linear interpolation" if fill == "interpolate" else "carrying the last value forward"
    table.notes.append(f"missing values ({counts}; {where}): filled by {how}")
    return table


def _fill_column(column: np.ndarray, fill: str) -> np.ndarray:
    known = np.flatnonzero(~np.isnan(column))
    if fill == "interpolate":
        return np.interp(np.arange(len(column)), known, column[known])  # ends take the nearest value
    index = np.maximum.accumulate(np.where(np.isnan(column), 0, np.arange(len(column))))
    index[: known[0]] = known[0]  # before the first value: the first value
    return column[index]


def split_points(n: int, valid_fraction: float = 0.15, test_fraction: float = 0.15,
                 source: str = "the series") -> tuple[int, int]:
    """``(train_end, valid_end)``: steps ``[0, train_end)`` train, then valid, then test (chronological)."""
    if not (0 < valid_fraction < 1 and 0 < test_fraction < 1 and valid_fraction + test_fraction < 1):  # nan fails too
        raise SeqgenError(f"--valid-fraction and --test-fraction must be in (0, 1) and sum below 1, "
                          f"got {valid_fraction}, {test_fraction}")
    if n < MIN_STEPS:
        raise SeqgenError(f"{source} has {n} step(s); at least {MIN_STEPS} are needed for its train, validation "
                          "and test parts; give a longer CSV")
    valid_end = n - max(1, int(round(n * test_fraction)))
    train_end = valid_end - max(1, int(round(n * valid_fraction)))
    return train_end, valid_end


def table_from_array(values: np.ndarray, columns: Sequence[str], axis: TimeAxis | None = None,
                     source: str = "array") -> SeriesTable:
    """A table from values already on a regular grid (synthetic data, tests)."""
    values = np.asarray(values, np.float64).reshape(len(values), -1)
    axis = axis or TimeAxis("index", 1.0, 0.0)
    return SeriesTable(list(columns), values, axis, np.arange(len(values)), source,
                       [f"{len(values)} rows, step: {axis.describe()}"])


def describe_table(table: SeriesTable, valid_fraction: float = 0.15, test_fraction: float = 0.15) -> str:
    """What ``seqgen data series`` prints."""
    train_end, valid_end = split_points(len(table), valid_fraction, test_fraction, table.source)
    t = table.target
    lines = [f"{table.source}: target {table.columns[0]!r}"
             + (f", features {', '.join(table.columns[1:])}" if len(table.columns) > 1 else ""), *table.notes,
             f"from {table.axis.format(table.positions[0])} to {table.axis.format(table.positions[-1])}",
             f"split (chronological): train {train_end}, valid {valid_end - train_end}, test {len(table) - valid_end} steps",
             f"target: min {t.min():.6g}, max {t.max():.6g}, mean {t.mean():.6g}, std {t.std():.6g}"]
    return "\n".join(lines)


__all__ = ["SeriesTable", "FILLS", "read_series_csv", "read_csv_columns", "place_on_grid", "fill_missing",
           "split_points", "table_from_array", "describe_table"]
