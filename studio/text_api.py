"""The text page: a prompt, sampling settings, and the text streaming into the page as it is sampled."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from seqgen.studio.jobs import Job
from seqgen.studio.loader import Loader, require_ready
from seqgen.studio.params import number
from seqgen.studio.security import StudioError


def stream_text(loader: Loader, body: dict, job: Job, max_length: int) -> dict:
    """Sample ``length`` tokens after the prompt; each sampler chunk goes to the page as it comes."""
    from seqgen.generate.sampling import SamplingConfig
    from seqgen.generate.text_gen import stream_texts

    length = number(body, "length", 400, 1, max_length, int)
    sampling = SamplingConfig(temperature=number(body, "temperature", 0.8, 0.05, 5.0),
                              top_p=number(body, "top_p", None, 0.01, 1.0),
                              seed=number(body, "seed", 0, 0, 2**31 - 1, int))
    prompt = str(body.get("prompt") or "")
    if len(prompt) > 10_000:
        raise StudioError("the prompt is longer than 10,000 characters; shorten it")
    require_ready(loader)
    loaded = loader.open(body.get("run"), "text")
    codec = loaded.codec
    tokens = codec.encode_prompt(prompt.replace("\r\n", "\n"), skip_unknown=True)
    start = codec.decode(tokens)
    job.report(0.0, "sampling", chunk=start)
    done = 0
    for chunk in stream_texts(loaded.model, codec, tokens, length, 1, sampling):
        done += 1
        job.report(min(1.0, done * 64 / length), chunk=chunk[0])  # 64 tokens per sampler chunk
    return {"text": "".join(job.chunks)}


async def generate(request: Request) -> JSONResponse:
    from seqgen.studio.chorale_api import body_of

    body, state = await body_of(request), request.app.state
    job = state.jobs.submit("text", lambda job: stream_text(state.loader, body, job, state.config.max_text))
    return JSONResponse(job.view(), status_code=202)


ROUTES = [Route("/api/text/generate", generate, methods=["POST"])]
