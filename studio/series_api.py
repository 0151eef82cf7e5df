"""The series page: upload a CSV, forecast it with a series run in DIR, plot it with its interval, download it.

Uploaded CSVs are kept under the studio's own temporary folder (named by a random id, removed when
the studio stops) and read by the run's own reader (:func:`seqgen.models.series_eval.forecast_series`),
with the run's time and target columns.
"""

from __future__ import annotations

import csv
import io
import secrets
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from seqgen.studio.jobs import Job
from seqgen.studio.loader import Loader, require_ready
from seqgen.studio.params import number
from seqgen.studio.security import StudioError, read_capped

MAX_HORIZON = 1000  # forecast steps one request may ask for


def forecast(loader: Loader, body: dict, job: Job, uploads: Path) -> dict:
    """The forecast of the uploaded CSV (or the run's own data) as JSON, with the CSV to download."""
    from seqgen.generate.forecast_writer import forecast_rows
    from seqgen.models.series_eval import forecast_series

    horizon = number(body, "horizon", None, 1, MAX_HORIZON, int)
    upload = body.get("upload")
    if upload is not None and (not isinstance(upload, str) or not upload.isalnum()):
        raise StudioError("upload must be the id the CSV upload returned")
    csv_path = uploads / f"{upload}.csv" if upload else None
    if csv_path is not None and not csv_path.is_file():
        raise StudioError(f"no uploaded CSV {upload!r} (the studio was restarted?); upload it again", 404)
    require_ready(loader)
    run = loader.path_of(body.get("run"), "series")
    if run is None:
        raise StudioError("pick a series run from the runs folder (there is no shipped series model)")
    job.report(0.2, "forecasting")
    result = forecast_series(run, str(csv_path) if csv_path else None, horizon)
    text = io.StringIO()
    csv.writer(text).writerows(forecast_rows(result))
    return {"column": result.column, "times": list(result.times), "values": result.values.tolist(),
            "low": result.low.tolist(), "high": result.high.tolist(), "history_times": list(result.history_times),
            "history": result.history.tolist(), "method": result.method, "coverage": result.coverage,
            "csv": text.getvalue()}


async def upload(request: Request) -> JSONResponse:
    """A CSV as the raw body, capped; returns its id, its header and its row count."""
    name = request.query_params.get("name", "")
    if Path(name).suffix.lower() not in (".csv", ".txt"):
        raise StudioError(f"upload {name!r}: give a .csv file")
    data = await read_capped(request.stream(), request.app.state.config.max_upload, f"upload {name!r}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise StudioError(f"upload {name!r} is not UTF-8 text (byte {e.start}); save it as UTF-8 CSV") from None
    rows = text.splitlines()
    upload_id = secrets.token_hex(8)
    (request.app.state.uploads / f"{upload_id}.csv").write_text(text, encoding="utf-8")
    return JSONResponse({"upload": upload_id, "name": name, "header": rows[0][:300] if rows else "", "rows": len(rows)})


async def start(request: Request) -> JSONResponse:
    from seqgen.studio.chorale_api import body_of

    body, state = await body_of(request), request.app.state
    job = state.jobs.submit("series", lambda job: forecast(state.loader, body, job, state.uploads))
    return JSONResponse(job.view(), status_code=202)


ROUTES = [Route("/api/series/upload", upload, methods=["POST"]), Route("/api/series/forecast", start, methods=["POST"])]
