"""``seqgen`` commands for numeric series: ``data series``, ``train series`` and ``forecast``
(``seqgen evaluate RUN`` scores series runs like every other task's)."""

from __future__ import annotations

import math

import click

from seqgen.data_prep.series_limits import MAX_FORECAST_STEPS, MAX_HORIZON, MAX_SEASON, MAX_WINDOW
from seqgen.generate.cli_common import command, given_options, no_tensorflow, training_options

OPTION_KEYS = {"csv_file": "source.csv", "time": "source.time", "target": "source.target", "features": "source.features",
               "fill": "source.fill", "synthetic": "source.synthetic", "window": "data.window",
               "horizon": "data.horizon", "valid_fraction": "data.valid_fraction",
               "test_fraction": "data.test_fraction", "season": "data.season"}
FILLS = ("interpolate", "ffill", "drop", "error")


class Fraction(click.FloatRange):
    """A number strictly between 0 and 1; nan and inf refused (click's FloatRange lets nan through)."""

    def __init__(self):
        super().__init__(0, 1, min_open=True, max_open=True)

    def convert(self, value, param, ctx):
        value = super().convert(value, param, ctx)
        if not math.isfinite(value):
            self.fail(f"{value} is not a finite number; give one strictly between 0 and 1", param, ctx)
        return value


def source_options(f):
    """--time, --target, --features, --fill, --synthetic: which series to read and how."""
    options = [
        click.option("--time", default=None, help="Time column (ISO dates/times or numbers) [default: rows are steps]."),
        click.option("--target", default=None, help="Column to forecast."),
        click.option("--features", multiple=True, help="Other input columns, comma-separated or repeated."),
        click.option("--fill", type=click.Choice(FILLS), default="interpolate", show_default=True,
                     help="Missing values: interpolate, carry forward, drop the steps, or stop with an error."),
        click.option("--synthetic", is_flag=True, help="Use the built-in noisy two-sine series (offline)."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def split_options(f):
    """--window, --horizon, --valid-fraction, --test-fraction, --season."""
    options = [
        click.option("--window", type=click.IntRange(1, MAX_WINDOW), default=None,
                     help="Steps of history per input [default: two seasons (at least 24, at most 512), 64 without "
                          "a season; at most half the training part]."),
        click.option("--horizon", type=click.IntRange(1, MAX_HORIZON), default=10, show_default=True,
                     help="Steps forecast at once."),
        click.option("--valid-fraction", type=Fraction(), default=0.15,
                     show_default=True, help="Part after training, for early stopping and intervals."),
        click.option("--test-fraction", type=Fraction(), default=0.15,
                     show_default=True, help="Last part, for evaluation only."),
        click.option("--season", type=click.IntRange(1, MAX_SEASON), default=None,
                     help="Season in steps for the seasonal-naive baseline [default: detected from the whole "
                          "training part: calendar (daily 365, weekly 52, monthly 12...) or autocorrelation]."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def make_source(csv_file, time, target, features, fill, synthetic):
    from seqgen.data_prep.series_config import SeriesSource  # numpy: not imported for --help

    names = tuple(n.strip() for group in features for n in group.split(",") if n.strip())
    return SeriesSource(csv=csv_file, time=time, target=target, features=names, fill=fill, synthetic=synthetic)


def make_data(window, horizon, valid_fraction, test_fraction, season, batch_size=32):
    from seqgen.data_prep.series_config import SeriesDataConfig

    return SeriesDataConfig(window=window, horizon=horizon, batch_size=batch_size, valid_fraction=valid_fraction,
                            test_fraction=test_fraction, season=season)


def register(main: click.Group, data: click.Group, train: click.Group, generate: click.Group) -> None:
    """Add this domain's commands to the CLI's groups."""
    data.add_command(data_series)
    train.add_command(train_series_cmd)
    main.add_command(forecast)


@command("series")
@click.argument("csv_file", required=False, type=click.Path(dir_okay=False))
@source_options
@split_options
@no_tensorflow
def data_series(csv_file, time, target, features, fill, synthetic, window, horizon, valid_fraction,
                test_fraction, season) -> None:
    """Read a CSV series and print its step, gaps, missing values, split and season.

    Example: seqgen data series sales.csv --time date --target units --features price
    """
    from seqgen.data_prep.series_config import data_summary

    source = make_source(csv_file, time, target, features, fill, synthetic)
    click.echo(data_summary(source, make_data(window, horizon, valid_fraction, test_fraction, season)))


@command("series")
@training_options
@click.option("--csv", "csv_file", type=click.Path(dir_okay=False), default=None, help="CSV file of the series.")
@source_options
@split_options
@click.option("--no-anchor", is_flag=True,
              help="Let the model see the series' level (stationary series); by default it sees the target "
                   "relative to the window's first value, which copes with trends.")
def train_series_cmd(family, preset, batch_size, out, resume, force, train, csv_file, time, target, features,
                     fill, synthetic, window, horizon, valid_fraction, test_fraction, season, no_anchor) -> None:
    """Train an LSTM, GRU or WaveNet forecaster on a numeric series.

    Example: seqgen train series --csv sales.csv --time date --target units --model gru --out runs/sales
    """
    from seqgen.models.driver import TrainRequest, train as train_run

    source = {} if resume and not (csv_file or synthetic) else \
        make_source(csv_file, time, target, features, fill, synthetic).to_dict()
    data = make_data(window, horizon, valid_fraction, test_fraction, season, batch_size)
    overrides = {"anchored": False} if no_anchor else {}
    request = TrainRequest(family, preset, source, data, train, given_options(OPTION_KEYS), overrides)
    trained = train_run("series", out, request, resume=resume, force=force)
    click.echo(f"trained {trained.info.family}/{trained.info.preset}; run saved in {trained.run}. "
               f"Next: seqgen evaluate {trained.run}")


@command("forecast")
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--csv", "csv_file", type=click.Path(dir_okay=False), default=None,
              help="History to forecast from (same columns as training) [default: the run's own data].")
@click.option("--horizon", type=click.IntRange(1, MAX_FORECAST_STEPS), default=None,
              help="Steps to forecast [default: the run's].")
@click.option("--method", type=click.Choice(["auto", "direct", "autoregressive"]), default="auto", show_default=True,
              help="All steps at once, or one step fed back (auto: direct up to the trained horizon).")
@click.option("-o", "--out", type=click.Path(dir_okay=False), required=True, help="Forecast CSV to write.")
@click.option("--plot", is_flag=True, help="Also write OUT.png: history, forecast and interval.")
@click.option("--force", is_flag=True, help="Overwrite existing output files.")
def forecast(run_dir, csv_file, horizon, method, out, plot, force) -> None:
    """Forecast the steps after the end of a series with a trained series run.

    Example: seqgen forecast runs/sales --csv sales.csv --horizon 30 -o forecast.csv --plot
    """
    from pathlib import Path

    from seqgen.data_prep.files import check_writable
    from seqgen.generate.forecast_writer import write_forecast_csv, write_forecast_png
    from seqgen.models.series_eval import forecast_series

    png = Path(out).with_suffix(".png")
    check_writable(out, force)  # before any work
    if plot:
        check_writable(png, force)
    result = forecast_series(run_dir, csv_file, horizon, method)
    click.echo(f"{len(result.values)} steps forecast ({result.method}), {result.times[0]} to {result.times[-1]}")
    click.echo(f"wrote {write_forecast_csv(result, out, force)}")
    if plot:
        click.echo(f"wrote {write_forecast_png(result, png, force)}")
