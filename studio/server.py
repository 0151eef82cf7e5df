"""Serving the studio: bind the socket, print the URL with its token, open the browser, run uvicorn."""

from __future__ import annotations

import socket
import threading
import webbrowser
from typing import Callable

from seqgen.data_prep.errors import SeqgenError
from seqgen.studio.config import StudioConfig


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: a free one), or one line saying why not."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise SeqgenError(f"cannot listen on {host}:{port} ({e.strerror}); pick another --port (0: any free port)") from None
    sock.listen(64)
    return sock


def url_of(config: StudioConfig, port: int) -> str:
    host = config.host if config.host not in ("0.0.0.0", "::") else "127.0.0.1"
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{port}/?token={config.token}"


def serve(config: StudioConfig, open_browser: bool = True, echo: Callable[[str], None] = print) -> None:
    """Run the studio until interrupted (Ctrl+C)."""
    import uvicorn

    from seqgen.studio.app import create_app

    sock = bind(config.host, config.port)
    url = url_of(config, sock.getsockname()[1])
    echo(f"seqgen studio: {url}")
    echo(f"runs folder: {config.runs}  (Ctrl+C stops the studio)")
    if config.host not in ("127.0.0.1", "localhost", "::1"):
        echo(f"warning: listening on {config.host}, not only this machine; anyone with the token can use the studio")
    if open_browser:
        threading.Timer(0.5, webbrowser.open, args=(url,)).start()
    server = uvicorn.Server(uvicorn.Config(create_app(config), log_level="warning", lifespan="on"))
    server.run(sockets=[sock])
