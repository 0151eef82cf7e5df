"""The studio's Starlette application: pages, the API, one-line JSON errors, the guards around it all."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import threading
import traceback
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from seqgen.data_prep.errors import SeqgenError
from seqgen.studio import chorale_api, midi_api, runs_api, series_api, sketch_api, text_api
from seqgen.studio.config import StudioConfig
from seqgen.studio.events import job_events, queue_of
from seqgen.studio.jobs import JobQueue
from seqgen.studio.loader import START_AFTER_S, Loader
from seqgen.studio.security import GuardMiddleware, StudioError

STATIC = Path(__file__).parent / "static"


async def index(request: Request) -> FileResponse:
    # The page holds no secret: its script reads the token from the URL the studio printed.
    return FileResponse(STATIC / "index.html", headers={"cache-control": "no-store"})


async def status(request: Request) -> JSONResponse:
    state = request.app.state
    state.loader.start()  # the page is up: TensorFlow may load now (see loader.START_AFTER_S)
    return JSONResponse({"loader": state.loader.status(), "runs": str(state.config.runs),
                         "limits": {"upload_bytes": state.config.max_upload, "steps": state.config.max_steps,
                                    "text": state.config.max_text}})


async def job_view(request: Request) -> JSONResponse:
    job_id = request.path_params["job"]
    since = request.query_params.get("since", "0")
    return JSONResponse(queue_of(request, job_id).get(job_id).view(int(since) if since.isdigit() else 0))


async def job_cancel(request: Request) -> JSONResponse:
    job_id = request.path_params["job"]
    return JSONResponse(queue_of(request, job_id).cancel(job_id).view())


async def user_error(request: Request, exc: Exception) -> JSONResponse:
    status = exc.status if isinstance(exc, StudioError) else 400
    return JSONResponse({"error": str(exc).splitlines()[0] if str(exc) else "bad request"}, status_code=status)


async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
    return JSONResponse({"error": f"{exc.detail} ({request.url.path})"}, status_code=exc.status_code)


async def internal_error(request: Request, exc: Exception) -> JSONResponse:
    traceback.print_exception(exc)  # the terminal gets the details; the page gets one line
    return JSONResponse({"error": f"internal error ({type(exc).__name__}); the studio's terminal has details"},
                        status_code=500)


def create_app(config: StudioConfig, preload: tuple[str, ...] = ("chorale",)) -> Starlette:
    """The application; TensorFlow and ``preload``'s shipped models load in the background once it serves."""
    loader = Loader(config.runs, preload)

    @asynccontextmanager
    async def lifespan(app):
        asyncio.get_running_loop().call_later(START_AFTER_S, loader.start)
        yield
        app.state.jobs.shutdown()
        app.state.train_jobs.shutdown()
        shutil.rmtree(app.state.uploads, ignore_errors=True)

    routes = [Route("/", index), Route("/api/status", status),
              Route("/api/jobs/{job}", job_view), Route("/api/jobs/{job}/events", job_events),
              Route("/api/jobs/{job}/cancel", job_cancel, methods=["POST"]),
              *chorale_api.ROUTES, *text_api.ROUTES, *runs_api.ROUTES, *series_api.ROUTES, *sketch_api.ROUTES, *midi_api.ROUTES,
              Mount("/static", StaticFiles(directory=STATIC), name="static")]
    app = Starlette(routes=routes, lifespan=lifespan,
                    exception_handlers={SeqgenError: user_error, HTTPException: http_error, Exception: internal_error})
    app.state.config, app.state.loader = config, loader
    app.state.jobs, app.state.train_jobs, app.state.train_lock = JobQueue(), JobQueue(), threading.Lock()
    app.state.uploads = Path(tempfile.mkdtemp(prefix="seqgen-studio-"))  # uploaded CSVs, removed at the end
    app.add_middleware(GuardMiddleware, allowed_hosts=config.allowed_hosts, token=config.token)
    return app
