"""The MIDI page: N seconds from a ``train midi`` run in DIR, shown on the roll, played, downloaded.

Generation is :func:`seqgen.generate.midi_gen.write_midi_pieces` (the library behind ``generate
midi``, either encoding) into a temporary file, read back with seqgen's MIDI reader; the page gets
the notes on a 0.1-second grid (so the chorale roll and synthesiser draw and play them) and the file.
"""

from __future__ import annotations

import base64
import tempfile
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from seqgen.studio.jobs import Job
from seqgen.studio.loader import Loader, require_ready
from seqgen.studio.params import number
from seqgen.studio.security import StudioError

GRID_S = 0.1  # seconds per roll step
MAX_SECONDS = 120


def generate(loader: Loader, body: dict, job: Job) -> dict:
    from seqgen.data_prep.midi_read import read_midi
    from seqgen.generate.midi_gen import write_midi_pieces
    from seqgen.generate.sampling import SamplingConfig

    seconds = number(body, "seconds", 10.0, 1.0, MAX_SECONDS)
    sampling = SamplingConfig(temperature=number(body, "temperature", 1.0, 0.05, 5.0),
                              top_p=number(body, "top_p", None, 0.01, 1.0), seed=number(body, "seed", 0, 0, 2**31 - 1, int))
    require_ready(loader)
    run = loader.path_of(body.get("run"), "midi")
    if run is None:
        raise StudioError("pick a MIDI run from the runs folder (there is no shipped MIDI model)")
    job.report(0.1, f"sampling {seconds:g} s")
    with tempfile.TemporaryDirectory(prefix="seqgen-studio-") as folder:
        path = Path(folder) / "piece.mid"
        lines = write_midi_pieces(run, path, seconds=seconds, sampling=sampling)
        notes = read_midi(path).notes
        data = path.read_bytes()
    steps = [(int(n.track) % 4, int(n.pitch), round(n.start / GRID_S), max(1, round((n.end - n.start) / GRID_S)))
             for n in notes]
    return {"name": "midi", "steps": max([s + d for _, _, s, d in steps], default=1), "voices": 4,
            "notes": [list(n) for n in steps], "messages": [line.replace(str(path), "the piece") for line in lines],
            "midi": base64.b64encode(data).decode()}


async def start(request: Request) -> JSONResponse:
    from seqgen.studio.chorale_api import body_of

    body, state = await body_of(request), request.app.state
    job = state.jobs.submit("midi", lambda job: generate(state.loader, body, job))
    return JSONResponse(job.view(), status_code=202)


ROUTES = [Route("/api/midi/generate", start, methods=["POST"])]
