"""Users' text corpora: finding the files, decoding them safely, and the train/validation split.

A corpus is one or more files, folders (read recursively) or glob patterns. Nothing here holds a
whole corpus in memory: :func:`load_corpus` makes one streaming pass to validate every file
(decoding, no NUL bytes) and count its characters, and :func:`iter_split_chunks` re-reads the
files in chunks whenever a pipeline needs the text.

Decisions:

* Newlines are normalised (``\\r\\n`` and ``\\r`` become ``\\n``) and a UTF-8 byte-order mark is
  dropped, so a corpus written on Windows has the same vocabulary as one written elsewhere.
* The split is per file and counted in characters: the last ``floor(n * val_fraction)``
  characters of each file are validation, the rest training. Every file then contributes to
  both parts, and a corpus of one file still gets a held-out tail.
* Files named explicitly or matched by a glob must be text (a binary one is an error); inside a
  folder, hidden entries and files that look binary are skipped, since folders often mix both.
"""

from __future__ import annotations

import codecs
import encodings
import glob
import io
import math
import os
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from seqgen.data_prep.errors import SeqgenError

CHUNK_CHARS = 1 << 18  # characters read per step: bounds memory whatever the corpus size
_MAX_CARRY = 1 << 20  # characters without whitespace kept whole before a chunk is cut anyway
_SNIFF_BYTES = 8192  # bytes looked at to decide whether a file in a folder is binary
SPLITS = ("train", "validation")

PathLike = str | os.PathLike


@dataclass(frozen=True)
class TextCorpus:
    """Validated corpus files, their sizes in characters, and how they are split."""

    files: tuple[Path, ...]  # in reading order: arguments in order, folders and globs sorted
    sizes: tuple[int, ...]  # characters in each file (after newline normalisation)
    encoding: str = "utf-8"  # codec used to decode every file
    val_fraction: float = 0.1  # last fraction of EACH file held out for validation

    def __post_init__(self) -> None:
        if len(self.files) != len(self.sizes):
            raise ValueError(f"{len(self.files)} files but {len(self.sizes)} sizes")
        check_val_fraction(self.val_fraction)

    def split_point(self, index: int) -> int:
        """Character offset where file ``index`` switches from training to validation."""
        n = self.sizes[index]
        # Fraction(str(...)) makes 0.1 exactly 1/10, so the split never depends on float rounding.
        return n - math.floor(n * Fraction(str(self.val_fraction)))

    def part_bounds(self, index: int, split: str) -> tuple[int, int]:
        """``(start, stop)`` character offsets of ``split`` in file ``index``."""
        check_split(split)
        cut = self.split_point(index)
        return (0, cut) if split == "train" else (cut, self.sizes[index])

    def split_sizes(self, split: str) -> list[int]:
        """Characters of ``split`` in each file."""
        return [stop - start for start, stop in (self.part_bounds(i, split) for i in range(len(self.files)))]


def check_split(split: str) -> None:
    """Refuse a split name other than ``train`` or ``validation``."""
    if split not in SPLITS:
        raise SeqgenError(f"unknown split {split!r}: use one of {', '.join(SPLITS)}")


def check_val_fraction(val_fraction: float) -> None:
    """Refuse a validation fraction outside ``[0, 1)``."""
    if not 0.0 <= val_fraction < 1.0:
        raise SeqgenError(f"validation fraction {val_fraction!r} must be in [0, 1): e.g. 0.1 for the last 10%")


def _python_encoding(encoding: str) -> str:
    """Check ``encoding`` exists; plain UTF-8 is read as ``utf-8-sig`` to drop a byte-order mark."""
    # The standard library's registry only: a package in the venv (future_typing) registers a
    # search function that answers ANY name, which would turn a typo into a silent misreading.
    info = encodings.search_function(encoding.lower())
    if info is None or not getattr(info, "_is_text_encoding", True):  # base64, rot13...: not text encodings
        raise SeqgenError(f"unknown text encoding {encoding!r}: pass e.g. --encoding utf-8 or --encoding latin-1")
    return "utf-8-sig" if info.name == "utf-8" else info.name


def _looks_binary(path: Path, encoding: str) -> bool:
    """True if the first bytes of ``path`` decode to a NUL character (how text tools spot binaries)."""
    with open(path, "rb") as f:
        head = f.read(_SNIFF_BYTES)
    decoder = codecs.getincrementaldecoder(_python_encoding(encoding))(errors="replace")
    return "\x00" in decoder.decode(head, final=False)


def _expand(arg: PathLike, encoding: str) -> list[Path]:
    """The files one command-line argument names: a file, a folder (recursive) or a glob."""
    path = Path(arg)
    if path.is_file():
        return [path]
    if path.is_dir():
        found = []
        for root, dirs, names in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))  # skip .git and the like
            for name in sorted(names):
                child = Path(root, name)
                if not name.startswith(".") and child.is_file() and not _looks_binary(child, encoding):
                    found.append(child)
        return found
    if glob.has_magic(str(arg)):
        matches = sorted(Path(m) for m in glob.glob(str(arg), recursive=True))
        files = [m for m in matches if m.is_file()]
        if not files:
            raise SeqgenError(f"the pattern {str(arg)!r} matches no file: check it (quote it so the shell leaves it alone)")
        return files
    raise SeqgenError(f"corpus path {str(arg)!r} does not exist: give text files, folders or glob patterns")


def resolve_files(paths: Sequence[PathLike] | PathLike, encoding: str = "utf-8") -> list[Path]:
    """Expand files, folders and glob patterns into a de-duplicated, ordered list of files."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    seen: set[Path] = set()
    files: list[Path] = []
    for arg in paths:
        for path in _expand(arg, encoding):
            key = path.resolve()
            if key not in seen:
                seen.add(key)
                files.append(path)
    return files


def _decode_error_offset(path: Path, encoding: str) -> tuple[int, bytes]:
    """Byte offset and bytes of the first undecodable sequence in ``path`` (a second, exact pass)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    with open(path, "rb") as f:
        while block := f.read(CHUNK_CHARS):
            pending = len(decoder.getstate()[0])  # bytes held back from the previous block
            try:
                decoder.decode(block)
            except UnicodeDecodeError as err:
                return offset - pending + err.start, err.object[err.start : err.end]
            offset += len(block)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as err:
            return offset - len(err.object) + err.start, err.object[err.start : err.end]
    return offset, b""


def utf16_without_bom(head: bytes) -> str | None:
    """``"utf-16-le"``/``"utf-16-be"`` when ``head`` looks like UTF-16 text without a byte-order mark.

    Mostly-Latin UTF-16 has a zero byte in nearly every character: at odd offsets (little-endian)
    or even ones (big-endian). A binary file rarely shows that pattern on one side only.
    """
    head = head[: len(head) // 2 * 2]
    if len(head) < 4:
        return None
    pairs = len(head) // 2
    zero_even, zero_odd = head[0::2].count(0) / pairs, head[1::2].count(0) / pairs
    if zero_odd > 0.4 and zero_even < 0.05:
        return "utf-16-le"
    if zero_even > 0.4 and zero_odd < 0.05:
        return "utf-16-be"
    return None


def _head(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(_SNIFF_BYTES)


def _encoding_hint(path: Path, py_encoding: str) -> str:
    """What to do about a file that does not decode: UTF-16 if it starts with its mark, else latin-1."""
    with open(path, "rb") as f:
        if f.read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            return "it starts with a UTF-16 byte-order mark: pass --encoding utf-16"
    return "pass --encoding latin-1" if py_encoding == "utf-8-sig" else "pass the file's real --encoding"


def iter_file_chunks(path: PathLike, encoding: str = "utf-8", chunk_chars: int = CHUNK_CHARS) -> Iterator[str]:
    """Decoded text of ``path`` in chunks of at most ``chunk_chars`` characters.

    Raises SeqgenError naming the file and byte offset when a byte sequence does not decode, and
    when the text holds a NUL character (a binary file).
    """
    path = Path(path)
    py_encoding = _python_encoding(encoding)
    done = 0  # characters yielded so far
    try:
        with io.open(path, "r", encoding=py_encoding, newline=None) as f:
            while chunk := f.read(chunk_chars):
                if (nul := chunk.find("\x00")) >= 0:
                    if (guess := utf16_without_bom(_head(path))) and "16" not in py_encoding:
                        raise SeqgenError(f"{str(path)!r} looks like {guess.upper()} text without a byte-order mark, "
                                          f"not {encoding}: pass --encoding {guess}")
                    raise SeqgenError(
                        f"{str(path)!r} looks binary (NUL character at character {done + nul}): "
                        "seqgen reads text only; remove this file from the corpus"
                    )
                done += len(chunk)
                yield chunk
    except UnicodeDecodeError:
        # Plain utf-8 here: utf-8-sig would count offsets after a byte-order mark.
        offset, bad = _decode_error_offset(path, "utf-8" if py_encoding == "utf-8-sig" else py_encoding)
        hint = _encoding_hint(path, py_encoding)
        raise SeqgenError(
            f"{str(path)!r} is not valid {encoding}: byte {bad!r} at byte offset {offset} does not decode; {hint}"
        ) from None
    except UnicodeError as err:  # utf-16/utf-32 without a byte-order mark (not a UnicodeDecodeError)
        guess = utf16_without_bom(_head(path)) or "utf-16-le"
        raise SeqgenError(f"{str(path)!r} does not decode as {encoding} ({str(err)[:80]}): for UTF-16 without "
                          f"a byte-order mark pass --encoding {guess}") from None
    except OSError as err:
        raise SeqgenError(f"cannot read {str(path)!r}: {err.strerror or err}") from None


def load_corpus(paths: Sequence[PathLike] | PathLike, encoding: str = "utf-8", val_fraction: float = 0.1) -> TextCorpus:
    """Find, validate and measure a corpus in one streaming pass (nothing kept in memory)."""
    check_val_fraction(val_fraction)
    _python_encoding(encoding)
    files = resolve_files(paths, encoding)
    sizes = [sum(len(chunk) for chunk in iter_file_chunks(path, encoding)) for path in files]
    if not files or sum(sizes) == 0:
        where = ", ".join(str(p) for p in ([paths] if isinstance(paths, (str, os.PathLike)) else paths))
        raise SeqgenError(f"the corpus {where!r} holds no text: give non-empty text files")
    return TextCorpus(tuple(files), tuple(sizes), encoding, val_fraction)


def as_corpus(
    source: TextCorpus | Sequence[PathLike] | PathLike, encoding: str = "utf-8", val_fraction: float = 0.1
) -> TextCorpus:
    """``source`` itself if it is a loaded corpus, else :func:`load_corpus` of those paths."""
    return source if isinstance(source, TextCorpus) else load_corpus(source, encoding, val_fraction)


def _whitespace_aligned(pieces: Iterable[str]) -> Iterator[str]:
    """Re-cut ``pieces`` just before their last whitespace, so no word straddles two chunks.

    Tokenizers then see the same words whatever the chunk size. Text without whitespace is
    carried on, up to ``_MAX_CARRY`` characters (then cut anyway, to bound memory).
    """
    carry = ""
    for piece in pieces:
        text = carry + piece
        cut = max(text.rfind(c) for c in " \n\t")
        if cut <= 0 and len(text) < _MAX_CARRY:
            carry = text
            continue
        cut = cut if cut > 0 else len(text)
        carry = text[cut:]
        yield text[:cut]
    if carry:
        yield carry


def _part_pieces(corpus: TextCorpus, index: int, split: str, chunk_chars: int) -> Iterator[str]:
    """The characters ``[start, stop)`` of file ``index``, read in chunks."""
    start, stop = corpus.part_bounds(index, split)
    pos = 0
    for chunk in iter_file_chunks(corpus.files[index], corpus.encoding, chunk_chars):
        lo, hi = max(start - pos, 0), min(stop - pos, len(chunk))
        if lo < hi:
            yield chunk[lo:hi]
        pos += len(chunk)
        if pos >= stop:
            break


def iter_split_chunks(
    corpus: TextCorpus, split: str, order: Sequence[int] | None = None, chunk_chars: int = CHUNK_CHARS
) -> Iterator[tuple[int, str]]:
    """``(file index, text)`` chunks of one split, file by file, each cut at whitespace.

    ``order`` lists file indices to visit (default: all, in order). Empty parts yield nothing.
    """
    check_split(split)
    for index in range(len(corpus.files)) if order is None else order:
        for text in _whitespace_aligned(_part_pieces(corpus, index, split, chunk_chars)):
            yield index, text


def _char_counts(corpus: TextCorpus, split: str) -> Counter[str]:
    """How often each character occurs in ``split`` (one streaming pass)."""
    counts: Counter[str] = Counter()
    for _, text in iter_split_chunks(corpus, split):
        counts.update(text)  # C-accelerated counting of the characters
    return counts


def describe_corpus(
    paths: TextCorpus | Sequence[PathLike] | PathLike, encoding: str = "utf-8", val_fraction: float = 0.1
) -> str:
    """A few lines for ``seqgen data text``: files, characters, split sizes, vocabulary."""
    corpus = as_corpus(paths, encoding, val_fraction)
    train, val = _char_counts(corpus, "train"), _char_counts(corpus, "validation")
    n_train, n_val = sum(train.values()), sum(val.values())
    unseen = sorted(set(val) - set(train))
    common = ", ".join(f"{c!r} {n / max(n_train, 1):.1%}" for c, n in train.most_common(8))
    return "\n".join(
        [
            f"corpus: {len(corpus.files)} file(s), {n_train + n_val:,} characters, encoding {corpus.encoding}",
            f"split: train {n_train:,} characters, validation {n_val:,} "
            f"(the last {corpus.val_fraction * 100:g}% of each file)",
            f"vocabulary: {len(train)} distinct characters in the training split",
            f"validation characters unseen in training: {len(unseen)}"
            + (f" ({''.join(unseen)[:40]!r})" if unseen else ""),
            f"most common: {common}",
        ]
    )
