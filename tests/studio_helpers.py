"""What the studio's API and browser tests share: the app on the shipped model, and waiting for jobs."""

from __future__ import annotations

import time

from seqgen.studio.app import create_app
from seqgen.studio.config import StudioConfig

TOKEN = "test-token-0123456789abcdef"
BASE = "http://127.0.0.1:8765"


def make_app(runs, **limits):
    return create_app(StudioConfig(runs=runs, token=TOKEN, **limits), preload=("chorale",))


def wait_job(get, job: dict, limit_s: float = 120) -> dict:
    """Poll ``/api/jobs/ID`` through ``get(path) -> dict`` until the job ends (a CPU-time-free bound)."""
    end = time.monotonic() + limit_s
    while job["status"] in ("queued", "running") and time.monotonic() < end:
        time.sleep(0.05)
        job = get(f"/api/jobs/{job['id']}")
    assert job["status"] not in ("queued", "running"), f"job {job['id']} still {job['status']} after {limit_s} s"
    return job
