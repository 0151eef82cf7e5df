"""Request values checked, with one line naming the bad one (no numpy: the first page waits for nothing)."""

from __future__ import annotations

import math

from seqgen.studio.security import StudioError


def number(body: dict, name: str, default, low, high, kind=float):
    """``body[name]`` as ``kind`` within ``[low, high]`` (None/absent: ``default``), or one line naming it."""
    value = body.get(name)
    if value is None or value == "":
        return default
    try:
        value = kind(value)
    except (TypeError, ValueError, OverflowError):
        raise StudioError(f"{name} must be a number, got {value!r}") from None
    if isinstance(value, float) and not math.isfinite(value) or not low <= value <= high:
        raise StudioError(f"{name} must be between {low} and {high}, got {value!r}")
    return value
