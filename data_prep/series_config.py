"""What a series run reads and how it is cut: the source, the data settings, the split, the season
and the window (no TensorFlow here: ``seqgen data series`` and the baselines need none).

:func:`prepare` splits chronologically, checks every part is long enough, fits the normaliser on
the training part, detects the season on the whole training part (:mod:`data_prep.series_season`)
and resolves the window: ``--window`` when given, otherwise one that covers a season.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.series import SeriesTable, describe_table, read_series_csv, split_points
from seqgen.data_prep.series_codec import SeriesCodec
from seqgen.data_prep.series_limits import MAX_HORIZON, MAX_SEASON, MAX_WINDOW, check_fraction, check_int
from seqgen.data_prep.series_season import Season, default_window, detect_season
from seqgen.data_prep.series_synthetic import synthetic_table


@dataclass(frozen=True)
class SeriesSource:
    """Where a series comes from: a CSV and its columns, or the built-in synthetic series."""

    csv: str | None = None  # path of the CSV file
    time: str | None = None  # time column (ISO dates or numbers); None: rows are the steps
    target: str | None = None  # the column to forecast
    features: tuple = ()  # other input columns
    fill: str = "interpolate"  # missing values: interpolate, ffill, drop, error
    synthetic: bool = False  # the built-in noisy two-sine series instead of a CSV
    synthetic_steps: int = 2000  # its length

    def __post_init__(self) -> None:
        object.__setattr__(self, "features", tuple(self.features))
        if self.synthetic == bool(self.csv):
            raise SeqgenError("give a CSV file (FILE.csv, or --csv FILE for train) or --synthetic, one of the two")
        if self.csv and not self.target:
            raise SeqgenError("name the column to forecast with --target COLUMN")

    def load(self, csv: str | None = None) -> SeriesTable:
        """The table, from ``csv`` when given (same columns) instead of the source's own file."""
        if self.synthetic and csv is None:
            return synthetic_table(self.synthetic_steps)
        target = self.target or "value"
        time = self.time if (self.csv or self.time) else "date"  # the synthetic CSV layout
        return read_series_csv(csv or self.csv, time=time, target=target, features=self.features, fill=self.fill)

    def to_dict(self) -> dict:
        values = asdict(self)
        values["csv"] = str(Path(self.csv).resolve()) if self.csv else None  # absolute: evaluate from anywhere
        values["features"] = list(self.features)
        return values


@dataclass(frozen=True)
class SeriesDataConfig:
    """How a series becomes training windows and which part is held out."""

    window: int | None = None  # steps of history per input; None: follows the season (default_window)
    horizon: int = 10  # steps forecast at once
    batch_size: int = 32  # windows per batch
    stride: int = 1  # steps between training window starts
    valid_fraction: float = 0.15  # the part after training, for early stopping and intervals
    test_fraction: float = 0.15  # the last part, for evaluation only
    season: int | None = None  # seasonal-naive season in steps; None: detected from the training part

    def __post_init__(self) -> None:
        limits = {"window": (MAX_WINDOW, "--window"), "horizon": (MAX_HORIZON, "--horizon"),
                  "batch_size": (1 << 20, "--batch-size"), "stride": (MAX_WINDOW, "stride"),
                  "season": (MAX_SEASON, "--season")}
        for name, (high, option) in limits.items():
            value = getattr(self, name)
            if value is not None or name not in ("window", "season"):
                check_int(f"SeriesDataConfig.{name}", value, 1, high, option)
        check_fraction("SeriesDataConfig.valid_fraction", self.valid_fraction, "--valid-fraction")
        check_fraction("SeriesDataConfig.test_fraction", self.test_fraction, "--test-fraction")
        split_points(100, self.valid_fraction, self.test_fraction)  # validates their sum


@dataclass
class SeriesData:
    """A table ready for a model: standardised values, where each part ends, the season and window."""

    table: SeriesTable
    codec: SeriesCodec
    values: np.ndarray  # (n, features) float32, standardised with training statistics
    train_end: int
    valid_end: int
    season: int = 1
    window: int = 64  # the resolved --window
    why: str = "given by --season"  # how the season was found
    notes: list[str] = field(default_factory=list)


def choose_season(table: SeriesTable, train_end: int, season: int | None) -> Season:
    """``--season`` when given (it must fit in the training part), else the detected one."""
    if season is None:
        return detect_season(table.target[:train_end], table.axis)
    if season >= train_end:
        raise SeqgenError(f"{table.source}: --season {season} is not shorter than the training part "
                          f"({train_end} steps); lower --season or give more data")
    if season == 1:
        return Season(1, "none: --season 1 (seasonal naive = naive)")
    return Season(season, f"{season} steps: given by --season")


def check_lengths(table: SeriesTable, train_end: int, valid_end: int, window: int, horizon: int) -> None:
    """Every part long enough for ``window`` and ``horizon`` (one line naming the option otherwise)."""
    n = len(table)
    if train_end < window + horizon:
        raise SeqgenError(f"{table.source}: the series is too short: its training part has {train_end} of {n} steps, "
                          f"but a window of --window {window} plus --horizon {horizon} needs {window + horizon}; "
                          "lower --window or give more data")
    for part, length, option in (("validation", valid_end - train_end, "--valid-fraction"),
                                 ("test", n - valid_end, "--test-fraction")):
        if length < horizon:
            raise SeqgenError(f"{table.source}: --horizon {horizon} is longer than the {part} part ({length} steps); "
                              f"lower --horizon or raise {option}")


def prepare(table: SeriesTable, data: SeriesDataConfig, codec: SeriesCodec | None = None,
            record: dict | None = None) -> SeriesData:
    """Split, choose season and window, check the parts, standardise with the training statistics.
    ``record``: a trained run's (its recorded season and window win, so evaluation matches training)."""
    record = record or {}
    train_end, valid_end = split_points(len(table), data.valid_fraction, data.test_fraction, table.source)
    if "season" in record:
        season = Season(int(record["season"]), record.get("season_why", "recorded in run.json"))
    else:
        season = choose_season(table, train_end, data.season)
    window = data.window or record.get("window") or default_window(season.steps, train_end, data.horizon)
    check_lengths(table, train_end, valid_end, window, data.horizon)
    codec = codec or SeriesCodec.fit(table.values[:train_end], table.columns)
    return SeriesData(table, codec, codec.encode(table.values), train_end, valid_end, season.steps, window, season.why)


def origins(prep: SeriesData, part: str, window: int, horizon: int) -> np.ndarray:
    """Forecast origins whose whole horizon lies in ``part`` ("valid" or "test") and whose window fits."""
    lo, hi = (prep.train_end, prep.valid_end) if part == "valid" else (prep.valid_end, len(prep.values))
    return np.arange(max(lo - 1, window - 1), hi - horizon)


def data_summary(source: SeriesSource, data: SeriesDataConfig = SeriesDataConfig()) -> str:
    """What ``seqgen data series`` prints: steps, gaps, missing values, split, season and window."""
    table = source.load()
    train_end, valid_end = split_points(len(table), data.valid_fraction, data.test_fraction, table.source)
    season = choose_season(table, train_end, data.season)
    window = data.window or default_window(season.steps, train_end, data.horizon)
    check_lengths(table, train_end, valid_end, window, data.horizon)
    how = "given by --window" if data.window else \
        "default: two seasons (at least 24, at most 512), 64 without a season; at most half the training part"
    return (f"{describe_table(table, data.valid_fraction, data.test_fraction)}\nseason: {season.why}"
            f"\nwindow: {window} steps ({how})")
