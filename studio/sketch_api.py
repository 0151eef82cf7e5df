"""The sketch page: a drawing from the page classified by a sketch run in DIR, top-5 classes as it grows.

The drawing arrives as raw QuickDraw strokes (screen pixels and milliseconds) and goes through the
same path as ``seqgen classify``: written as one ndjson line, read by
:func:`seqgen.data_prep.sketch_sources.read_file` with the run's raw-drawing setting, prepared by the
run's codec. The page also gets the drawing as the model sees it (the prepared stroke-3).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from seqgen.studio.jobs import Job
from seqgen.studio.loader import Loader, require_ready
from seqgen.studio.security import StudioError

MAX_POINTS = 20_000  # points in one drawing
TOP = 5


def _strokes(body: dict) -> list:
    """``[[[x...], [y...], [t...]], ...]`` checked for shape and size (the reader checks the numbers)."""
    strokes = body.get("strokes")
    if not isinstance(strokes, list) or not strokes:
        raise StudioError("draw something first: the drawing has no strokes")
    if sum(len(s[0]) for s in strokes if isinstance(s, list) and s and isinstance(s[0], list)) > MAX_POINTS:
        raise StudioError(f"the drawing has more than {MAX_POINTS:,} points; clear it and draw again")
    return strokes


def classify(loader: Loader, body: dict, job: Job) -> dict:
    import numpy as np

    from seqgen.data_prep.sketch_sources import read_file
    from seqgen.models.sketch_task import predict_probabilities

    strokes = _strokes(body)
    require_ready(loader)
    loaded = loader.open(body.get("run"), "sketch")
    with tempfile.TemporaryDirectory(prefix="seqgen-studio-") as folder:
        path = Path(folder) / "drawing.ndjson"
        path.write_text(json.dumps({"word": "drawing", "drawing": strokes}) + "\n", encoding="utf-8")
        sketches = read_file(path, raw=loaded.codec.prep.raw)
    if len(sketches) == 0:
        raise StudioError("the drawing has no stroke of two points or more; draw a line")
    prepared = loaded.codec.prepare(sketches)
    probs = predict_probabilities(loaded.model, prepared)[0]  # (classes,)
    best = np.argsort(-probs, kind="stable")[:TOP]
    names = loaded.codec.classes
    return {"top": [[names[i], float(probs[i])] for i in best], "seen": np.asarray(prepared.strokes[0]).tolist()}


async def start(request: Request) -> JSONResponse:
    from seqgen.studio.chorale_api import body_of

    body, state = await body_of(request), request.app.state
    job = state.jobs.submit("sketch", lambda job: classify(state.loader, body, job))
    return JSONResponse(job.view(), status_code=202)


ROUTES = [Route("/api/sketch/classify", start, methods=["POST"])]
