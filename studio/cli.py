"""``seqgen studio``: the thin command that starts the local web studio."""

from __future__ import annotations

import click

from seqgen.generate.cli_common import SeqgenCommand, no_tensorflow


def register(main, **_groups) -> None:
    main.add_command(studio)


@click.command(cls=SeqgenCommand)
@click.option("--runs", "runs", type=click.Path(file_okay=False), default="runs", show_default=True,
              help="Folder of runs the studio lists, generates from and trains into (it reads nothing outside it).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; the default lets only this machine in.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="Port (0: any free port).")
@click.option("--no-browser", is_flag=True, help="Print the URL only; do not open a browser.")
@no_tensorflow
def studio(runs: str, host: str, port: int, no_browser: bool) -> None:
    """Open the studio in the browser: generate, hear, edit, judge and download chorales, stream text, train.

    Example: seqgen studio --runs runs --port 8765
    """
    from seqgen.studio.config import StudioConfig
    from seqgen.studio.server import serve

    serve(StudioConfig(runs=runs, host=host, port=port), open_browser=not no_browser, echo=click.echo)
