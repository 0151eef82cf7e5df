"""Helpers the benchmark scripts share: where the shared data is, timing, tables."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))  # run from a checkout without installing
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def shared_file(name: str) -> Path | None:
    """``../shared/data/<name>`` when it exists (benchmarks only; tests never read it)."""
    path = SHARED / name
    if path.exists():
        return path
    print(f"note: {path} is not there; falling back to built-in data", file=sys.stderr)
    return None


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


def table(rows: list[dict]) -> str:
    """A Markdown table of ``rows`` (same keys in each)."""
    if not rows:
        return "(no rows)"
    keys = list(rows[0])
    fmt = lambda v: f"{v:.4f}" if isinstance(v, float) else str(v)  # noqa: E731
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(fmt(r[k]) for k in keys) + " |" for r in rows]
    return "\n".join(lines)
