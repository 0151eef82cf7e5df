"""The time axis of a series: parsing time cells, inferring the step, position <-> time.

Dates become seconds since the epoch (UTC; times without a zone are read as UTC). A step of about
a month, a quarter or a year is a calendar step (counted in months, so February is one step like
July); anything else is a fixed number of seconds (daily, hourly, every 10 minutes) or of the time
column's units when it holds numbers.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from datetime import datetime, timezone

import numpy as np

from seqgen.data_prep.errors import SeqgenError

DAY = 86400.0
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_CALENDAR = ((27, 32, 1), (88, 93, 3), (180, 186, 6), (360, 370, 12))  # median step in days -> months
_FIXED_NAMES = {60.0: "minutely", 3600.0: "hourly", DAY: "daily", 7 * DAY: "weekly"}
_MONTH_NAMES = {1: "monthly", 3: "quarterly", 6: "half-yearly", 12: "yearly"}


def parse_time(cell: str, kind: str) -> float | None:
    """A number (``kind="number"``) or seconds since the epoch (``"date"``); None if it does not parse."""
    cell = cell.strip()
    if kind == "number":
        try:
            value = float(cell)
        except ValueError:
            return None
        return value if math.isfinite(value) else None  # inf and nan are no time
    match = _YEAR_MONTH.match(cell)
    try:
        moment = datetime(int(match[1]), int(match[2]), 1) if match else datetime.fromisoformat(cell.replace("/", "-"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(float(seconds), timezone.utc)


def _month_count(seconds: float) -> int:
    moment = _utc(seconds)
    return moment.year * 12 + moment.month - 1


@dataclass(frozen=True)
class TimeAxis:
    """``kind``: "index" (rows), "number", "date" (fixed seconds) or "month" (calendar months)."""

    kind: str
    step: float  # seconds (date), months (month), units (number), 1 (index)
    origin: float  # time of position 0: seconds since the epoch for date and month kinds

    def time_of(self, position: float) -> float:
        """Seconds since the epoch (date, month kinds) or a number, at ``position``."""
        if self.kind != "month":
            return self.origin + position * self.step
        start = _utc(self.origin)
        months = start.year * 12 + start.month - 1 + int(position) * int(self.step)
        return start.replace(year=months // 12, month=months % 12 + 1, day=min(start.day, 28)).timestamp()

    def format(self, position: float) -> str:
        """The time at ``position`` as the CSV would write it."""
        value = self.time_of(position)
        if self.kind in ("index", "number"):
            return f"{value:g}" if self.kind == "number" else str(int(value))
        moment = _utc(value)
        if self.kind == "month":
            return moment.strftime("%Y-%m" if moment.day == 1 else "%Y-%m-%d")
        if self.step % DAY == 0 and self.origin % DAY == 0:
            return moment.strftime("%Y-%m-%d")
        return moment.strftime("%Y-%m-%dT%H:%M" if moment.second == 0 else "%Y-%m-%dT%H:%M:%S")

    @property
    def name(self) -> str:
        return {"index": "row", "number": "time-unit"}.get(self.kind, self.describe())

    def describe(self) -> str:
        if self.kind == "index":
            return "one row (no time column)"
        if self.kind == "number":
            return f"{self.step:g} in the time column's units"
        if self.kind == "month":
            return _MONTH_NAMES.get(int(self.step), f"every {int(self.step)} months")
        if self.step in _FIXED_NAMES:
            return _FIXED_NAMES[self.step]
        if self.step % 60 == 0:
            return f"every {self.step / 60:g} minutes"
        return f"every {self.step:g} s"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "TimeAxis":
        return cls(values["kind"], float(values["step"]), float(values["origin"]))


def _check_order(times: np.ndarray, where: str) -> None:
    diffs = np.diff(times)
    bad = np.flatnonzero(diffs <= 0)
    if len(bad):
        i = int(bad[0]) + 1
        what = "repeats the time of" if diffs[bad[0]] == 0 else "is earlier than"
        raise SeqgenError(f"{where}: data row {i + 1} {what} row {i}; sort the file by time and remove duplicates")


def infer_axis(times: np.ndarray, kind: str, where: str) -> tuple[TimeAxis, np.ndarray]:
    """The regular axis the ``times`` lie on and each row's position on it (int64, from 0)."""
    if len(times) < 2:
        axis = TimeAxis(kind, DAY if kind == "date" else 1.0, float(times[0]))
        return axis, np.zeros(1, np.int64)
    _check_order(times, where)
    step = _usual_step(np.diff(times))
    if kind == "date":
        for low, high, months in _CALENDAR:
            if low * DAY <= step <= high * DAY:
                counts = np.array([_month_count(t) for t in times]) - _month_count(times[0])
                return TimeAxis("month", months, float(times[0])), _positions(counts / months, where)
    axis = TimeAxis(kind, step, float(times[0]))
    return axis, _positions((times - times[0]) / step, where)


def _usual_step(diffs: np.ndarray) -> float:
    """The most common step (gaps are multiples of it, so neither the median nor the mean would do)."""
    scale = float(diffs.min())
    values, counts = np.unique(np.round(diffs / scale * 1000), return_counts=True)
    return float(values[np.argmax(counts)] / 1000 * scale)  # argmax: the smallest of equally common steps


def _positions(raw: np.ndarray, where: str) -> np.ndarray:
    positions = np.round(raw).astype(np.int64)
    off = np.flatnonzero(np.abs(raw - positions) > 0.05)
    if len(off):
        raise SeqgenError(f"{where}: data row {int(off[0]) + 1} is off the regular step the other rows follow; "
                          "resample the file to one step")
    repeated = np.flatnonzero(np.diff(positions) == 0)
    if len(repeated):
        raise SeqgenError(f"{where}: data rows {int(repeated[0]) + 1} and {int(repeated[0]) + 2} fall on one step; "
                          "resample the file to one step")
    return positions
