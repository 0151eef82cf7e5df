"""Bounds on a MusicXML file before music21 reads it.

music21 trusts the numbers in a file: one note of duration 4294967296 (a flipped digit in
``<duration>``) makes it work for minutes or hours, and memory grows with it. This scan reads the
XML once with the standard library (fast, and bounded by the file's size) and refuses absurd
quantities with one line, so music21 only ever sees files of a sane size.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.etree import ElementTree

from seqgen.data_prep.errors import SeqgenError

MAX_FILE_BYTES = 32 << 20  # a MusicXML primer is a few hundred KB; 32 MB is a whole opera
MAX_QUARTERS = 25_000  # per part (the 100,000 16th-note steps primers may have)
_LIMITS = {"divisions": 100_000, "beats": 1_000, "beat-type": 1_024, "actual-notes": 1_000, "normal-notes": 1_000}


def _xml_bytes(path: Path) -> bytes:
    """The score's XML: the file itself, or for a compressed ``.mxl`` its first score inside."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise SeqgenError(f"primer {path} is larger than {MAX_FILE_BYTES >> 20} MB; give a shorter primer")
    if not zipfile.is_zipfile(path):
        return path.read_bytes()
    try:
        with zipfile.ZipFile(path) as archive:
            names = [i for i in archive.infolist() if i.filename.endswith((".xml", ".musicxml"))
                     and not i.filename.startswith("META-INF")]
            if not names or names[0].file_size > MAX_FILE_BYTES:
                raise SeqgenError(f"primer {path} holds no MusicXML score of a sane size; check the file")
            return archive.read(names[0])
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
        raise SeqgenError(f"primer {path} is a damaged .mxl archive ({e}); check the file") from None


def _number(element, path: Path) -> float:
    try:
        value = float((element.text or "").strip())
    except ValueError:
        raise SeqgenError(f"primer {path}: <{element.tag}> is not a number ({(element.text or '')[:20]!r}); "
                          "check the file") from None
    if not 0 <= value < float("inf"):
        raise SeqgenError(f"primer {path}: <{element.tag}> is {value}; check the file")
    return value


def check_musicxml(path: str | Path) -> None:
    """Raise :class:`SeqgenError` unless every part of ``path`` lasts at most ``MAX_QUARTERS`` quarter notes."""
    path = Path(path)
    data = _xml_bytes(path)
    if not data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return  # not XML (ABC, Humdrum...): music21's own reader decides
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as e:
        raise SeqgenError(f"primer {path} is not well-formed XML ({e}); check the file") from None
    except RecursionError:
        raise SeqgenError(f"primer {path} is nested too deeply to be a score; check the file") from None
    for part in root.iter("part"):
        divisions, quarters = 1.0, 0.0
        for element in part.iter():
            if element.tag in _LIMITS and _number(element, path) > _LIMITS[element.tag]:
                raise SeqgenError(f"primer {path}: <{element.tag}> {element.text.strip()[:20]} is beyond "
                                  f"{_LIMITS[element.tag]}; check the file")
            if element.tag == "divisions":
                divisions = max(_number(element, path), 1.0)
            elif element.tag in ("duration",):
                quarters += _number(element, path) / divisions
                if quarters > MAX_QUARTERS:
                    raise SeqgenError(f"primer {path} has a part longer than {MAX_QUARTERS} quarter notes "
                                      "(or a note of absurd duration); give a shorter primer")
