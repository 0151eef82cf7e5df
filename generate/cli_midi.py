"""``seqgen`` commands for MIDI corpora."""

from __future__ import annotations

import click


def register(main: click.Group, data: click.Group, train: click.Group, generate: click.Group) -> None:
    """Add this domain's commands to the CLI's groups."""
