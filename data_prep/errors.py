"""The one exception type a user sees.

Anything that is the user's fault (a bad path, a malformed file, an option out of range) raises
:class:`SeqgenError` with a single line saying what is wrong, where, and what to do. The CLI turns
it into ``Error: <message>`` and a non-zero exit, without a traceback. Bugs stay ordinary
exceptions so they keep their tracebacks.
"""

from __future__ import annotations


class SeqgenError(Exception):
    """A user-facing error: one line, what is wrong, where, and what to do about it."""


def require(condition: bool, message: str) -> None:
    """Raise :class:`SeqgenError` with ``message`` unless ``condition`` holds."""
    if not condition:
        raise SeqgenError(message)
