"""Upper bounds of the numeric series options, checked before any work (no numpy: the CLI's option
types read them at import, and ``--help`` stays light).

Each bound keeps a run's memory and time in proportion to the data: the training pipeline holds
``rows x horizon`` targets, a window of ``--window`` steps per example, and an autoregressive
forecast one model step per ``--horizon`` step.
"""

from __future__ import annotations

import math

from seqgen.data_prep.errors import SeqgenError

MAX_WINDOW = 10_000  # --window: steps of history per input
MAX_HORIZON = 1_000  # --horizon when training: targets per position
MAX_FORECAST_STEPS = 10_000  # seqgen forecast --horizon: steps fed back one model step at a time
MAX_SEASON = 100_000  # --season (also below the training part's length)
MAX_ROWS = 10_000_000  # rows (and steps) of a series CSV (8 bytes per kept cell)
MIN_STEPS = 10  # a series shorter than this has no room for train, valid and test parts


def check_int(name: str, value, low: int, high: int, option: str) -> int:
    """``value`` as an int in ``[low, high]``, or one line naming the option and the limit."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SeqgenError(f"{name} must be an integer from {low} to {high}, got {value!r}; choose {option} in that range")
    return value


def check_fraction(name: str, value, option: str) -> float:
    """A finite number strictly between 0 and 1 (nan and inf refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not 0 < value < 1:
        raise SeqgenError(f"{name} must be a number strictly between 0 and 1, got {value!r}; choose {option} in that range")
    return float(value)
