"""The studio's guards: the token on every API call, Host and Origin checks, paths kept inside DIR.

A page on another site can make the browser send requests to 127.0.0.1: a wrong ``Origin`` is
refused (cross-site requests), and so is a ``Host`` that is not a loopback name or the bound host
(DNS rebinding points an attacker's name at 127.0.0.1, but the browser still sends that name). The
token, made at start and printed with the URL, is what a page on another origin can never know.
API calls send it in the ``X-Studio-Token`` header; only the job event stream, which the page opens
with ``EventSource`` (it cannot set headers), also takes it as ``?token=``, so the token appears in
no other URL the studio serves or logs.
"""

from __future__ import annotations

import hmac
import json
import re
from pathlib import Path, PurePosixPath
from urllib.parse import parse_qs, urlsplit

from seqgen.data_prep.errors import SeqgenError

TOKEN_HEADER = "x-studio-token"
OPEN_PREFIXES = ("/static/",)  # package files: no secrets, the page needs them before it has a token
OPEN_PATHS = ("/", "/favicon.ico")
QUERY_TOKEN_PATH = re.compile(r"/api/jobs/[^/]+/events")  # EventSource sends no headers: ?token= here only


class StudioError(SeqgenError):
    """A user error with an HTTP status (400 unless said)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def json_error(message: str, status: int) -> tuple[int, list, bytes]:
    body = json.dumps({"error": message.splitlines()[0] if message else "error"}).encode()
    return status, [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())], body


def _host_name(value: str) -> str:
    """``"127.0.0.1:8765"`` -> ``"127.0.0.1"``, ``"[::1]:80"`` -> ``"::1"``."""
    return (urlsplit(f"//{value}").hostname or "").lower()


def check_request(scope: dict, allowed_hosts: set[str], token: str) -> tuple[int, str] | None:
    """``(status, message)`` when the request must be refused, else None."""
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
    host = _host_name(headers.get("host", ""))
    if host not in allowed_hosts:
        return 403, f"host {host or '(none)'!r} is not this studio's; open the URL the studio printed"
    origin = headers.get("origin")
    if origin is not None and (urlsplit(origin).hostname or "").lower() not in allowed_hosts:
        return 403, f"origin {origin!r} may not call the studio (cross-site request refused)"
    path = scope.get("path", "")
    if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
        return None
    given = headers.get(TOKEN_HEADER)
    if given is None and scope.get("method") == "GET" and QUERY_TOKEN_PATH.fullmatch(path):
        given = (parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token") or [None])[0]
    if not given:
        return 401, "no token: open the URL with ?token=... that the studio printed"
    if not hmac.compare_digest(given.encode(), token.encode()):
        return 403, "wrong token: open the URL with ?token=... that the studio printed"
    return None


class GuardMiddleware:
    """ASGI middleware refusing requests :func:`check_request` refuses, with one line of JSON."""

    def __init__(self, app, allowed_hosts: set[str], token: str):
        self.app, self.allowed_hosts, self.token = app, allowed_hosts, token

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            refused = check_request(scope, self.allowed_hosts, self.token)
            if refused is not None:
                status, headers, body = json_error(refused[1], refused[0])
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def inside(root: Path, relative: str, must_exist: bool = True) -> Path:
    """``root / relative``, refused unless it stays inside ``root`` (no ``..``, absolute paths, symlinks out)."""
    if not isinstance(relative, str) or not relative.strip():
        raise StudioError("give a path inside the runs folder, e.g. 'lstm'")
    pure = PurePosixPath(relative.replace("\\", "/"))
    if pure.is_absolute() or ":" in pure.parts[0] or ".." in pure.parts:
        raise StudioError(f"path {relative!r} must be relative and inside the runs folder (no '..' or absolute paths)", 403)
    path = (root / pure).resolve()  # follows symlinks: one pointing out of root ends outside it
    if not path.is_relative_to(root.resolve()):
        raise StudioError(f"path {relative!r} leads outside the runs folder {root}", 403)
    if must_exist and not path.exists():
        raise StudioError(f"path {relative!r} does not exist in the runs folder {root}", 404)
    return path


async def read_capped(receive_body, limit: int, what: str) -> bytes:
    """The request body, refused with 413 (naming the limit) as soon as it passes ``limit`` bytes."""
    chunks, size = [], 0
    async for chunk in receive_body:
        size += len(chunk)
        if size > limit:
            raise StudioError(f"{what} is larger than the studio's upload limit of {limit // 1024:,} KiB "
                              f"({limit:,} bytes); give a smaller file", 413)
        chunks.append(chunk)
    return b"".join(chunks)
