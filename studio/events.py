"""Server-sent events: ``GET /api/jobs/{job}/events`` streams one job's progress to the page.

The page opens an ``EventSource`` per job instead of polling. Each event's data is the job's view
(:meth:`~seqgen.studio.jobs.Job.view`) with the chunks new since the last event; its ``id`` is the
number of chunks sent, so a browser that reconnects (it does so by itself, sending
``Last-Event-ID``) gets only what it missed, and a reloaded page (no id) gets the whole stream
again. Events: ``progress`` while the job is queued or running, then one of ``done`` (with the
result), ``failed`` (with its one-line error; not ``error``, which is EventSource's own name for a
lost connection) or ``cancelled``, and the stream ends. ``EventSource`` cannot send headers, so
this one endpoint takes the token as ``?token=`` (see :mod:`seqgen.studio.security`).
"""

from __future__ import annotations

import asyncio
import json
import time

from starlette.requests import Request
from starlette.responses import StreamingResponse

from seqgen.studio.jobs import Job, JobQueue

CHECK_S = 1.0  # a change nobody announced (there should be none) still goes out within this
KEEPALIVE_S = 15.0  # a comment line this often: a closed tab is noticed when writing to it fails
RETRY_MS = 1000  # how soon the browser reconnects after a lost connection
ENDS = ("done", "failed", "cancelled")  # the last event: named as the job's status


def queue_of(request: Request, job_id: str) -> JobQueue:
    state = request.app.state
    return state.train_jobs if job_id.startswith("train-") else state.jobs


def event(name: str, data: dict, event_id: int) -> str:
    return f"event: {name}\nid: {event_id}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


async def follow(job: Job, since: int):
    """The event stream of ``job`` from chunk ``since`` until it ends."""
    wake = job.listen(asyncio.get_running_loop())
    try:
        yield f"retry: {RETRY_MS}\n\n"
        sent, quiet_since = None, time.monotonic()
        while True:
            wake.clear()  # before reading the job: a change made after this read sets it again
            view = job.view(since)
            name = view["status"] if view["status"] in ENDS else "progress"
            seen = (name, view["progress"], view["message"], view["next"], view.get("error"))
            if seen != sent:
                yield event(name, view, view["next"])
                sent, since, quiet_since = seen, view["next"], time.monotonic()
            if name != "progress":
                return
            try:
                await asyncio.wait_for(wake.wait(), CHECK_S)
            except TimeoutError:
                if time.monotonic() - quiet_since > KEEPALIVE_S:
                    yield ": keep-alive\n\n"
                    quiet_since = time.monotonic()
    finally:
        job.unlisten(wake)


def _since(request: Request) -> int:
    given = request.headers.get("last-event-id") or request.query_params.get("since") or "0"
    return int(given) if given.isdigit() else 0


async def job_events(request: Request) -> StreamingResponse:
    job_id = request.path_params["job"]
    job = queue_of(request, job_id).get(job_id)  # an unknown job: one line of JSON, 404, before any stream
    headers = {"cache-control": "no-store", "x-accel-buffering": "no"}
    return StreamingResponse(follow(job, _since(request)), media_type="text/event-stream", headers=headers)
