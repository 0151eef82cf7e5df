"""Which text a command reads: the user's files, folders and globs, or the built-in Shakespeare.

Kept apart from the model code so ``seqgen data text`` reads and describes a corpus without
importing TensorFlow.
"""

from __future__ import annotations

from typing import Sequence

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.shakespeare import shakespeare_corpus
from seqgen.data_prep.text_corpus import PathLike, describe_corpus, load_corpus

VAL_FRACTION = 0.1  # the last 10% of each file is held out


def corpus_arguments(corpus: Sequence[PathLike], shakespeare: bool, data_dir: str | None,
                     how: str = "--corpus PATH") -> list[PathLike]:
    """The paths to read: the user's files/folders/globs, or the built-in Shakespeare (unpacked once).

    ``how`` names the way the command takes paths, for the message when none is given.
    """
    if corpus and shakespeare:
        raise SeqgenError("give either corpus paths or --shakespeare, not both")
    if shakespeare:
        return [shakespeare_corpus(data_dir)]
    if not corpus:
        raise SeqgenError(f"no corpus given: name text files, folders or globs ({how}), or pass --shakespeare")
    return list(corpus)


def corpus_summary(paths: Sequence[PathLike] = (), encoding: str = "utf-8", shakespeare: bool = False,
                   data_dir: str | None = None) -> str:
    """What ``seqgen data text`` prints: characters, split sizes, vocabulary."""
    corpus = load_corpus(corpus_arguments(paths, shakespeare, data_dir, "as arguments"), encoding, VAL_FRACTION)
    return describe_corpus(corpus)
