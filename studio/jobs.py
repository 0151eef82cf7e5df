"""Long work off the event loop: one worker thread runs model jobs in order, the page follows them.

Model jobs (generate, infill, harmonise, judge, text) share one worker thread, so two tabs never
run the same model at once and the server keeps answering while a job runs. A job reports progress
(0-1) and, for streaming text, pieces of output; ``cancel`` sets a flag the job checks at each
progress report (between sampler chunks), and a job that cannot stop sooner has its result dropped.
Finished jobs are kept (at most ``KEEP``) so a reloaded page finds its job again. The page follows
a job by server-sent events (:mod:`seqgen.studio.events`): each change calls :meth:`Job.touch`,
which wakes the streams listening on the event loop (the work runs in another thread).
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

from seqgen.data_prep.errors import SeqgenError

KEEP = 200  # finished jobs remembered


class Cancelled(Exception):
    """Raised inside a job when its user pressed stop."""


@dataclass
class Job:
    id: str
    kind: str
    status: str = "queued"  # queued, running, done, failed, cancelled
    progress: float = 0.0  # 0-1
    message: str = ""
    result: Any = None
    error: str | None = None
    chunks: list[str] = field(default_factory=list)  # streamed output (text, epochs)
    target: str = ""  # the run folder a training job writes (one job per folder)
    started: float = field(default_factory=time.time)
    cancel_flag: threading.Event = field(default_factory=threading.Event)
    _listeners: list = field(default_factory=list, repr=False)  # (event loop, asyncio.Event) of open streams

    def listen(self, loop: asyncio.AbstractEventLoop) -> asyncio.Event:
        """An event set (on ``loop``) whenever the job changes; give it back with :meth:`unlisten`."""
        wake = asyncio.Event()
        self._listeners.append((loop, wake))
        return wake

    def unlisten(self, wake: asyncio.Event) -> None:
        self._listeners[:] = [(loop, w) for loop, w in self._listeners if w is not wake]

    def touch(self) -> None:
        """Wake the streams following this job (thread-safe: called from the worker)."""
        for loop, wake in list(self._listeners):
            try:
                loop.call_soon_threadsafe(wake.set)
            except RuntimeError:  # that stream's loop is closed: the studio is stopping
                self.unlisten(wake)

    def report(self, progress: float | None = None, message: str | None = None, chunk: str | None = None) -> None:
        """Called by the work; raises :class:`Cancelled` once the user asked to stop."""
        if self.cancel_flag.is_set():
            raise Cancelled()
        if progress is not None:
            self.progress = max(0.0, min(1.0, float(progress)))
        if message is not None:
            self.message = message
        if chunk:
            self.chunks.append(chunk)
        self.touch()

    def view(self, since: int = 0) -> dict:
        """What the page is sent: status, progress, new chunks after ``since``, result or one-line error."""
        out = {"id": self.id, "kind": self.kind, "status": self.status, "progress": self.progress,
               "message": self.message, "target": self.target, "chunks": self.chunks[since:], "next": len(self.chunks)}
        if self.status == "done":
            out["result"] = self.result
        if self.error:
            out["error"] = self.error
        return out


class JobQueue:
    """The single model worker and the table of jobs."""

    def __init__(self, workers: int = 1):
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="studio-job")
        self._jobs: dict[str, Job] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def submit(self, kind: str, work: Callable[[Job], Any], target: str = "") -> Job:
        with self._lock:
            job = Job(id=f"{kind}-{next(self._ids)}", kind=kind, target=target)
            self._jobs[job.id] = job
            self._forget_old()
        self._pool.submit(self._run, job, work)
        return job

    def _run(self, job: Job, work: Callable[[Job], Any]) -> None:
        try:
            self._work(job, work)
        finally:
            job.touch()  # the end (done, failed, cancelled) reaches the page at once

    def _work(self, job: Job, work: Callable[[Job], Any]) -> None:
        if job.cancel_flag.is_set():
            job.status = "cancelled"
            return
        job.status = "running"
        job.touch()
        try:
            result = work(job)
            if job.cancel_flag.is_set():  # the work could not stop sooner: its result is dropped
                job.status = "cancelled"
            else:
                job.result, job.progress, job.status = result, 1.0, "done"
        except Cancelled:
            job.status = "cancelled"
        except SeqgenError as e:
            job.status, job.error = "failed", str(e).splitlines()[0]
        except Exception as e:  # a bug: one line for the page, the traceback for the terminal
            traceback.print_exc()
            job.status, job.error = "failed", f"internal error ({type(e).__name__}); the studio's terminal has details"

    def get(self, job_id: str) -> Job:
        job = self._jobs.get(job_id)
        if job is None:
            from seqgen.studio.security import StudioError

            raise StudioError(f"no job {job_id!r} (the studio was restarted, or the job is long finished)", 404)
        return job

    def cancel(self, job_id: str) -> Job:
        job = self.get(job_id)
        job.cancel_flag.set()
        if job.status == "queued":
            job.status = "cancelled"
        job.touch()
        return job

    def list(self, kind: str | None = None) -> list[Job]:
        return [j for j in self._jobs.values() if kind is None or j.kind == kind]

    def _forget_old(self) -> None:
        done = [k for k, j in self._jobs.items() if j.status in ("done", "failed", "cancelled")]
        for key in done[: max(0, len(done) - KEEP)]:
            del self._jobs[key]

    def shutdown(self) -> None:
        for job in self._jobs.values():
            job.cancel_flag.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
