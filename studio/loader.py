"""TensorFlow and models load in the background; loaded runs stay cached.

The first page is served before TensorFlow is imported (that takes seconds); ``start`` imports it
and opens the shipped chorale model in a thread, and ``/api/status`` tells the page how far it got.
The import holds the interpreter lock for much of its time, so it starts only when the page first
asks for the status (its files are served by then) or ``START_AFTER_S`` after the server starts,
whichever is sooner: started with the server, it made the first page 0.6 s slower (RESULTS.md).
Runs are opened by :func:`seqgen.generate.runs.open_run` once and kept (``MAX_CACHED``, least
recently used dropped), keyed by their resolved path and the model file's modification time, so a
run retrained meanwhile is read again.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from pathlib import Path

from seqgen.data_prep.errors import SeqgenError
from seqgen.studio.security import StudioError, inside

MAX_CACHED = 6  # loaded runs kept in memory
START_AFTER_S = 1.5  # the background start begins by then even if no page asked
SHIPPED = "shipped"  # the run name the page uses for the model shipped in the package


class Loader:
    """Background start-up and the cache of loaded runs (thread-safe)."""

    def __init__(self, runs: Path, preload: tuple[str, ...] = ("chorale",)):
        self.runs, self.preload = runs, preload
        self.state, self.detail = "starting", "TensorFlow is loading in the background"
        self._ready, self._started = threading.Event(), threading.Event()
        self._lock = threading.Lock()
        self._cache: OrderedDict = OrderedDict()

    def start(self) -> None:
        """Begin the background start (once; later calls do nothing)."""
        with self._lock:
            if self._started.is_set():
                return
            self._started.set()
        threading.Thread(target=self._warm, args=(self.preload,), name="studio-loader", daemon=True).start()

    def _warm(self, preload: tuple[str, ...]) -> None:
        began = time.time()
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up notices would bury the URL
        try:
            import tensorflow  # noqa: F401  (the slow import, done once here)

            for task in preload:
                self.open(SHIPPED, task)
            self.state, self.detail = "ready", f"models ready ({time.time() - began:.1f} s)"
        except Exception as e:  # the page shows it; jobs will report their own errors
            self.state, self.detail = "failed", f"loading failed: {str(e).splitlines()[0] if str(e) else type(e).__name__}"
        finally:
            self._ready.set()

    def wait(self, timeout: float = 300) -> None:
        """Block a worker (never the event loop) until the background start is over."""
        self.start()
        self._ready.wait(timeout)

    def path_of(self, run: str | None, task: str) -> Path | None:
        """The run folder of ``run`` (inside DIR), or None for the shipped model."""
        if not run or run == SHIPPED:
            return None
        path = inside(self.runs, run)
        if not (path / "run.json").is_file():
            raise StudioError(f"{run!r} in the runs folder has no run.json; pick a run the Runs page lists")
        return path

    def open(self, run: str | None, task: str):
        """The :class:`~seqgen.models.driver.LoadedRun` of ``run`` (cached)."""
        from seqgen.generate.runs import SHIPPED as PACKAGED
        from seqgen.generate.runs import open_run

        path = self.path_of(run, task)
        folder = path or PACKAGED.get(task)
        if folder is None:
            raise StudioError(f"no shipped {task} model: pick a {task} run from the runs folder")
        model_file = folder / "model.keras"
        key = (str(folder), task, model_file.stat().st_mtime_ns if model_file.exists() else 0)
        with self._lock:  # one load per run, even when two tabs ask at once
            if key not in self._cache:
                self._cache[key] = open_run(path, task)
                while len(self._cache) > MAX_CACHED:
                    self._cache.popitem(last=False)
            self._cache.move_to_end(key)
            return self._cache[key]

    def status(self) -> dict:
        return {"state": self.state, "detail": self.detail, "cached": [Path(k[0]).name for k in self._cache]}


def require_ready(loader: Loader) -> None:
    loader.wait()
    if loader.state == "failed":
        raise SeqgenError(f"the studio could not load TensorFlow ({loader.detail}); see its terminal")
