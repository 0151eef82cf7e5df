"""Text vocabularies: characters (the default) or words, fitted on a corpus's training split.

Both codecs share the layout ``0 = BOS``, ``1 = unknown``, then their ordinary tokens, and
``period = 1``. They are built from a streaming pass over the corpus files, so fitting never
holds the corpus in memory.

* :class:`CharCodec`: one token per character; the vocabulary is the sorted set of characters of
  the training text. An unknown character decodes to U+FFFD. Since the training text never holds
  an unknown character, the unknown id is forbidden to samplers along with BOS.
* :class:`WordCodec`: a lossless word tokenizer in the style of GPT-2. A token is a word
  (letters, digits, inner apostrophes: ``don't``, ``o'er``) or one punctuation mark, either
  optionally preceded by ONE space, or a single whitespace character (newlines included). So
  ``"".join(tokens) == text`` and decoding gives back readable text with its line breaks. The
  ``max_vocab`` most frequent tokens are kept; a word outside the vocabulary becomes a space token
  plus the unknown token (decoded ``<unk>``), so the spacing around it survives.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Iterable, Sequence

import numpy as np

from seqgen.data_prep.codec_base import config_value
from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.text_corpus import PathLike, TextCorpus, as_corpus, iter_split_chunks

BOS_ID = 0
UNK_ID = 1
_SPECIAL = 2  # ids below this are BOS and unknown
MAX_SAVED_VOCAB = 10_000_000  # a saved vocabulary larger than this is a damaged run.json, not a real one

# Every character falls in exactly one branch, so findall() covers the whole text (lossless).
_WORD_TOKEN = re.compile(r" ?\w+(?:['’]\w+)*| ?[^\w\s]|\s")


def tokenize_words(text: str) -> list[str]:
    """Split text into word-level tokens whose concatenation is ``text`` exactly."""
    return _WORD_TOKEN.findall(text)


class _TextCodec:
    """Shared behaviour: a token table after BOS and unknown, decoding, prompt checks."""

    type_name = ""
    bos_id = BOS_ID
    unk_id = UNK_ID
    period = 1  # one token per step
    forbidden_ids: tuple[int, ...] = (BOS_ID,)
    unk_text = "<unk>"  # what decode() writes for the unknown token
    unit = "token"  # what a token is, for messages

    def __init__(self, tokens: Sequence[str]) -> None:
        self.tokens = tuple(tokens)  # the ordinary tokens; token i has id i + 2
        if len(set(self.tokens)) != len(self.tokens) or not all(self.tokens):
            raise SeqgenError(f"{self.type_name} vocabulary has duplicate or empty tokens: the saved codec is corrupt")
        self._index = {tok: i + _SPECIAL for i, tok in enumerate(self.tokens)}
        self._table = ["", self.unk_text, *self.tokens]  # id -> text; BOS writes nothing

    @property
    def vocab_size(self) -> int:
        """Number of ids, BOS and unknown included."""
        return len(self.tokens) + _SPECIAL

    def decode(self, tokens: Iterable[int] | np.ndarray) -> str:
        """Token ids ``(n,)`` -> text. BOS ids are skipped; unknown ones write ``unk_text``."""
        ids = np.asarray(tokens, dtype=np.int64).reshape(-1)
        if ids.size and (ids.min() < 0 or ids.max() >= self.vocab_size):
            raise ValueError(f"token ids must be in [0, {self.vocab_size}), got {ids.min()}..{ids.max()}")
        table = self._table
        return "".join([table[i] for i in ids.tolist()])

    def unknown(self, text: str) -> list[str]:
        """The distinct characters or words of ``text`` that are not in the vocabulary, sorted."""
        raise NotImplementedError

    def encode(self, text: str, skip_unknown: bool = False) -> np.ndarray:
        """Text -> int32 ids ``(n,)`` without BOS; unknown units become ``unk_id`` or are dropped."""
        raise NotImplementedError

    def encode_prompt(self, text: str, skip_unknown: bool = False) -> np.ndarray:
        """Encode a user's prompt, refusing unknown units unless ``skip_unknown`` drops them."""
        missing = self.unknown(text)
        if missing and not skip_unknown:
            shown = ", ".join(repr(m) for m in missing[:10]) + (" ..." if len(missing) > 10 else "")
            raise SeqgenError(
                f"the prompt has {len(missing)} {self.unit}(s) the model never saw in training: {shown}; "
                "rephrase it or pass --skip-unknown to drop them"
            )
        return self.encode(text, skip_unknown=skip_unknown)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.to_config() == self.to_config()

    __hash__ = None  # compared by value, so not hashable

    def __repr__(self) -> str:
        return f"{type(self).__name__}(vocab_size={self.vocab_size})"

    def to_config(self) -> dict:
        """A JSON-able dict rebuilt by ``from_config``."""
        raise NotImplementedError


class CharCodec(_TextCodec):
    """One token per character; vocabulary = sorted characters of the training text."""

    type_name = "char"
    forbidden_ids = (BOS_ID, UNK_ID)  # training text never contains the unknown token
    unk_text = "\ufffd"
    unit = "character"
    one_token_per_char = True  # lets pipelines count tokens without encoding

    def __init__(self, chars: Iterable[str]) -> None:
        chars = sorted(chars)
        if not chars or any(len(c) != 1 for c in chars):
            raise SeqgenError("a character vocabulary needs at least one single-character token: the text is empty?")
        super().__init__(chars)
        # Sorted code points: encode() looks characters up with one vectorised searchsorted.
        self._codepoints = np.array([ord(c) for c in chars], dtype=np.uint32)

    @classmethod
    def fit(
        cls, source: TextCorpus | Sequence[PathLike] | PathLike, encoding: str = "utf-8", val_fraction: float = 0.1
    ) -> CharCodec:
        """The characters of the corpus's training split, read in chunks."""
        chars: set[str] = set()
        for _, text in iter_split_chunks(as_corpus(source, encoding, val_fraction), "train"):
            chars.update(text)
        return cls(chars)

    @classmethod
    def from_text(cls, text: str) -> CharCodec:
        """The vocabulary of one string (prompts, tests)."""
        return cls(set(text))

    def _lookup(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """``(ids, known)``: the id of every character (unknown -> UNK) and whether it is known."""
        cps = np.frombuffer(text.encode("utf-32-le", errors="surrogatepass"), dtype=np.uint32)  # (n,)
        pos = np.minimum(np.searchsorted(self._codepoints, cps), len(self._codepoints) - 1)
        known = self._codepoints[pos] == cps
        return np.where(known, pos + _SPECIAL, UNK_ID).astype(np.int32), known

    def encode(self, text: str, skip_unknown: bool = False) -> np.ndarray:
        """Text -> int32 ids ``(len(text),)``, or fewer with ``skip_unknown``."""
        ids, known = self._lookup(text)
        return ids[known] if skip_unknown else ids

    def unknown(self, text: str) -> list[str]:
        """Characters of ``text`` outside the vocabulary, sorted."""
        return sorted(set(text) - self._index.keys())

    def to_config(self) -> dict:
        return {"type": self.type_name, "chars": "".join(self.tokens)}

    @classmethod
    def from_config(cls, config: dict) -> CharCodec:
        """Rebuild from ``to_config``'s dict."""
        return cls(config_value(config, "chars", str, "char", low=1, high=MAX_SAVED_VOCAB))


class WordCodec(_TextCodec):
    """Word-level tokens (see the module docstring); ``max_vocab`` bounds ``vocab_size``."""

    type_name = "word"
    unit = "word"
    reserved = (" ", "\n")  # always in the vocabulary: spacing and lines survive any cut-off

    def __init__(self, tokens: Sequence[str], max_vocab: int = 10_000) -> None:
        if max_vocab < _SPECIAL + len(self.reserved) + 1:
            raise SeqgenError(f"max_vocab {max_vocab} is too small: use at least {_SPECIAL + len(self.reserved) + 1}")
        tokens = list(tokens)
        if tokens[: len(self.reserved)] != list(self.reserved) or len(tokens) + _SPECIAL > max_vocab:
            raise SeqgenError(f"a word vocabulary must start with {self.reserved!r} and fit max_vocab={max_vocab}")
        super().__init__(tokens)
        self.max_vocab = max_vocab
        self._space_id = self._index[" "]

    @classmethod
    def from_counts(cls, counts: Counter[str], max_vocab: int = 10_000) -> WordCodec:
        """Keep the most frequent tokens (ties broken alphabetically, so fitting is deterministic)."""
        room = max_vocab - _SPECIAL - len(cls.reserved)
        ranked = sorted((t for t in counts if t not in cls.reserved), key=lambda t: (-counts[t], t))
        return cls([*cls.reserved, *ranked[: max(room, 0)]], max_vocab)

    @classmethod
    def fit(
        cls,
        source: TextCorpus | Sequence[PathLike] | PathLike,
        max_vocab: int = 10_000,
        encoding: str = "utf-8",
        val_fraction: float = 0.1,
    ) -> WordCodec:
        """Count the tokens of the corpus's training split in chunks; keep the ``max_vocab`` best."""
        counts: Counter[str] = Counter()
        for _, text in iter_split_chunks(as_corpus(source, encoding, val_fraction), "train"):
            counts.update(tokenize_words(text))
        return cls.from_counts(counts, max_vocab)

    @classmethod
    def from_text(cls, text: str, max_vocab: int = 10_000) -> WordCodec:
        """The vocabulary of one string (prompts, tests)."""
        return cls.from_counts(Counter(tokenize_words(text)), max_vocab)

    def _ids(self, token: str) -> list[int]:
        """Ids of one token: itself, else a space plus the bare word, else (a space plus) UNK."""
        if token in self._index:
            return [self._index[token]]
        if len(token) > 1 and token[0] == " ":
            return [self._space_id, self._index.get(token[1:], UNK_ID)]
        return [UNK_ID]

    def encode(self, text: str, skip_unknown: bool = False) -> np.ndarray:
        """Text -> int32 ids; with ``skip_unknown`` an unknown word is dropped with its space."""
        ids: list[int] = []
        for token in tokenize_words(text):
            found = self._index.get(token)
            if found is not None:  # the common case, kept cheap
                ids.append(found)
                continue
            parts = self._ids(token)
            if not (skip_unknown and UNK_ID in parts):
                ids.extend(parts)
        return np.array(ids, dtype=np.int32)

    def unknown(self, text: str) -> list[str]:
        """Words (without their leading space) of ``text`` that would become the unknown token."""
        return sorted({t.lstrip(" ") for t in tokenize_words(text) if UNK_ID in self._ids(t)})

    def to_config(self) -> dict:
        return {"type": self.type_name, "tokens": list(self.tokens), "max_vocab": self.max_vocab}

    @classmethod
    def from_config(cls, config: dict) -> WordCodec:
        """Rebuild from ``to_config``'s dict."""
        tokens = config_value(config, "tokens", list, "word", low=1, high=MAX_SAVED_VOCAB)
        if not all(isinstance(t, str) for t in tokens):
            raise SeqgenError("the saved word codec in run.json: field 'tokens' should hold only strings; "
                              "the run is damaged, train it again")
        return cls(tokens, config_value(config, "max_vocab", int, "word", low=1, high=MAX_SAVED_VOCAB))
