"""The chorale page's routes: start jobs (generate, infill, harmonise, judge), export, upload."""

from __future__ import annotations

import tempfile
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from seqgen.studio.params import number
from seqgen.studio.security import StudioError, read_capped

EXPORTS = {"midi": (".mid", "audio/midi"), "musicxml": (".musicxml", "application/vnd.recordare.musicxml+xml"),
           "wav": (".wav", "audio/wav")}
UPLOADS = (".mid", ".midi", ".musicxml", ".xml", ".mxl")


async def body_of(request: Request) -> dict:
    """The JSON body (capped like uploads), refused with one line when it is not a JSON object."""
    import json

    raw = await read_capped(request.stream(), request.app.state.config.max_upload, "the request")
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        raise StudioError("the request body is not JSON") from None
    if not isinstance(body, dict):
        raise StudioError("the request body must be a JSON object")
    return body


def _work():
    """:mod:`seqgen.studio.chorale_work`, imported at the first request: numpy (0.3-0.6 s) waits for it."""
    from seqgen.studio import chorale_work

    return chorale_work


def _grid(body: dict, max_steps: int):
    from seqgen.studio.pieces import grid_from_json

    return grid_from_json(body.get("piece"), max_steps)


def _start(request: Request, kind: str, work) -> JSONResponse:
    job = request.app.state.jobs.submit(kind, work)
    return JSONResponse(job.view(), status_code=202)


async def generate(request: Request) -> JSONResponse:
    body, state = await body_of(request), request.app.state
    return _start(request, "chorale", lambda job: _work().generate(
        state.loader, body, job, state.config.max_steps, state.config.data_dir))


async def infill(request: Request) -> JSONResponse:
    body, state = await body_of(request), request.app.state
    return _start(request, "infill", lambda job: _work().infill(state.loader, body, job, state.config.max_steps))


async def harmonize(request: Request) -> JSONResponse:
    body, state = await body_of(request), request.app.state
    return _start(request, "harmonize", lambda job: _work().harmonize(state.loader, body, job, state.config.max_steps))


async def judge(request: Request) -> JSONResponse:
    from seqgen.studio.judge_marks import judge_table

    body, state = await body_of(request), request.app.state
    grid = _grid(body, state.config.max_steps)
    reference = body.get("reference") or "bach"
    if reference not in ("bach", "none"):
        raise StudioError(f"reference must be 'bach' or 'none', got {reference!r}")
    def work(job):
        if reference == "bach":
            job.report(0.1, "reading the Bach reference (built from music21's chorales the first time, about 20 s)")
        return judge_table(grid, reference, state.config.data_dir)

    return _start(request, "judge", work)


def _export_bytes(grid, fmt: str, bpm: float, key: str | None) -> bytes:
    from seqgen.generate.chorale_io import write_grid

    with tempfile.TemporaryDirectory(prefix="seqgen-studio-") as folder:
        path = Path(folder) / f"piece{EXPORTS[fmt][0]}"
        write_grid(grid, path, bpm=bpm, instrument=19, force=True, key=key)
        return path.read_bytes()


async def export(request: Request) -> Response:
    """The piece on screen as MIDI, MusicXML or WAV (rendered by :mod:`seqgen.generate.audio`)."""
    body, state = await body_of(request), request.app.state
    fmt = body.get("format", "midi")
    if fmt not in EXPORTS:
        raise StudioError(f"format must be one of {', '.join(EXPORTS)}, got {fmt!r}")
    grid = _grid(body, state.config.max_steps)
    bpm = number(body, "bpm", 80, 20, 300)
    data = await run_in_threadpool(_export_bytes, grid, fmt, bpm, (body.get("piece") or {}).get("key"))
    name = f"chorale{EXPORTS[fmt][0]}"
    return Response(data, media_type=EXPORTS[fmt][1], headers={"content-disposition": f'attachment; filename="{name}"'})


def _read_upload(data: bytes, suffix: str):
    from seqgen.data_prep.musicxml_check import check_musicxml
    from seqgen.generate.judge import read_piece
    from seqgen.studio.pieces import piece_json

    with tempfile.TemporaryDirectory(prefix="seqgen-studio-") as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(data)
        if suffix in (".musicxml", ".xml", ".mxl"):
            check_musicxml(path)  # absurd durations would keep music21 busy for hours
        grid = read_piece(path)
    return piece_json(grid, [f"read {grid.voices} voice(s), {grid.steps} steps"])


async def upload(request: Request) -> JSONResponse:
    """A MIDI/MusicXML file as the raw body (``?name=tune.mid``), read with seqgen's readers."""
    name = request.query_params.get("name", "")
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOADS:
        raise StudioError(f"upload {name!r}: give a MIDI or MusicXML file ({', '.join(UPLOADS)})")
    data = await read_capped(request.stream(), request.app.state.config.max_upload, f"upload {name!r}")
    piece = await run_in_threadpool(_read_upload, data, suffix)
    if piece["steps"] > request.app.state.config.max_steps:
        raise StudioError(f"upload {name!r} lasts {piece['steps']} steps; the studio takes at most "
                          f"{request.app.state.config.max_steps}", 413)
    return JSONResponse(piece)


ROUTES = [Route("/api/chorale/generate", generate, methods=["POST"]),
          Route("/api/chorale/infill", infill, methods=["POST"]),
          Route("/api/chorale/harmonize", harmonize, methods=["POST"]),
          Route("/api/chorale/judge", judge, methods=["POST"]),
          Route("/api/chorale/export", export, methods=["POST"]),
          Route("/api/upload", upload, methods=["POST"])]
