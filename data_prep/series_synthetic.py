"""Built-in synthetic series (offline): the textbook's noisy sums of two sines.

:func:`generate_time_series` is the batch of short independent series of Geron's *Hands-On
Machine Learning* (chapter on RNNs): two sines with random frequencies and offsets, plus uniform
noise. :func:`synthetic_table` is one long series of the same kind (each 50 steps span the
textbook's unit of time), on a daily calendar, for examples and CLI tests.
"""

from __future__ import annotations

import numpy as np

from seqgen.data_prep.series import SeriesTable, table_from_array
from seqgen.data_prep.series_time import DAY, TimeAxis

ORIGIN = 946684800.0  # 2000-01-01T00:00:00Z


def generate_time_series(batch_size: int, n_steps: int, seed: int | None = 0) -> np.ndarray:
    """``(batch_size, n_steps, 1)`` float32: ``0.5 sin((t - o1)(10 f1 + 10)) + 0.2 sin((t - o2)(20 f2 + 20)) + noise``."""
    rng = np.random.default_rng(seed)
    freq1, freq2, offsets1, offsets2 = rng.random((4, batch_size, 1))
    time = np.linspace(0, 1, n_steps)
    series = 0.5 * np.sin((time - offsets1) * (freq1 * 10 + 10))  # wave 1
    series += 0.2 * np.sin((time - offsets2) * (freq2 * 20 + 20))  # wave 2
    series += 0.1 * (rng.random((batch_size, n_steps)) - 0.5)  # noise
    return series[..., np.newaxis].astype(np.float32)


def synthetic_table(n_steps: int = 2000, seed: int = 0) -> SeriesTable:
    """One long noisy two-sine series, daily from 2000-01-01, column ``value``."""
    rng = np.random.default_rng(seed)
    freq1, freq2, offset1, offset2 = rng.random(4)
    time = np.arange(n_steps) / 49.0  # the textbook's 50 steps span [0, 1]
    series = 0.5 * np.sin((time - offset1) * (freq1 * 10 + 10)) + 0.2 * np.sin((time - offset2) * (freq2 * 20 + 20))
    series += 0.1 * (rng.random(n_steps) - 0.5)
    return table_from_array(series[:, None], ["value"], TimeAxis("date", DAY, ORIGIN), source="synthetic")


def write_synthetic_csv(path, n_steps: int = 2000, seed: int = 0) -> None:
    """The synthetic series as a CSV (``date,value``), for examples."""
    from seqgen.data_prep.files import atomic_path

    table = synthetic_table(n_steps, seed)
    with atomic_path(path) as tmp:
        lines = ["date,value"] + [f"{table.axis.format(p)},{v:.6f}" for p, v in zip(table.positions, table.target)]
        tmp.write_text("\n".join(lines) + "\n")
