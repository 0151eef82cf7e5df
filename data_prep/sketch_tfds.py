"""TFDS builder ``quickdraw_sketch_rnn``: QuickDraw sketches as ``{strokes, label}`` examples.

Features: ``strokes`` float32 ``(None, 3)`` canonical stroke-3 (not rescaled), ``label`` a
ClassLabel over the categories sorted by name; splits ``train``/``validation``/``test``.

Where the drawings come from, first match wins:

1. ``source_dir=`` given to the builder (``tfds.builder(..., source_dir=...)`` or
   ``tfds.load(..., builder_kwargs={"source_dir": ...})``);
2. the builder config's ``source_dir``;
3. the manual folder (``download_config=tfds.download.DownloadConfig(manual_dir=...)``);
4. online: the official per-category sketch-rnn files for the config's (or constructor's)
   ``categories``, fetched with the download manager.

A local folder holds sketch-rnn ``.npz`` or QuickDraw ``.ndjson`` files (ndjson is split with the
config's fractions and seed), read with :func:`data_prep.sketch_sources.load_sketches`.
Different sources or categories are different datasets: give each its own config name (see
:func:`sketch_tfds_config`) or ``data_dir``, or TFDS will reuse what it prepared first.

    import seqgen.data_prep.sketch_tfds  # registers the builder
    ds = tfds.load("quickdraw_sketch_rnn", split="train", data_dir="~/tfds",
                   builder_kwargs={"source_dir": "~/quickdraw/sketchrnn"})
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import urllib.parse
from typing import Sequence

import numpy as np
import tensorflow_datasets as tfds

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.sketch_formats import read_npz
from seqgen.data_prep.sketch_sources import cap_splits, load_sketches
from seqgen.data_prep.strokes import SPLITS, SketchSet, concat_sketch_sets

SKETCHRNN_URL = "https://storage.googleapis.com/quickdraw_dataset/sketchrnn/{}.npz"
_TFDS_SPLITS = {"train": "train", "valid": "validation", "test": "test"}


@dataclasses.dataclass(eq=False)
class QuickdrawSketchRnnConfig(tfds.core.BuilderConfig):
    """What to build: categories (None: all found locally), source folder, caps and split."""

    categories: tuple[str, ...] | None = None  # category names; needed to download
    source_dir: str | None = None  # a local folder of .npz or .ndjson files
    per_class: int | None = None  # training drawings per category (valid/test in proportion)
    split_fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)  # for ndjson (no published split)
    split_seed: int = 0  # seed of that split and of the per-class sampling


def sketch_tfds_config(categories: Sequence[str] | None = None, source_dir: str | None = None,
                       per_class: int | None = None, seed: int = 0) -> QuickdrawSketchRnnConfig:
    """A config whose name encodes its settings, so different choices never share prepared data."""
    key = repr((sorted(categories) if categories else None, source_dir, per_class, seed))
    name = "c" + hashlib.sha1(key.encode()).hexdigest()[:10]
    return QuickdrawSketchRnnConfig(
        name=name, description=f"categories={categories}, source_dir={source_dir}, per_class={per_class}",
        categories=tuple(sorted(categories)) if categories else None, source_dir=source_dir,
        per_class=per_class, split_seed=seed)


class QuickdrawSketchRnn(tfds.core.GeneratorBasedBuilder):
    """QuickDraw drawings in stroke-3 form, from local sketch-rnn/ndjson files or downloaded."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "First release: stroke-3 float32 strokes and a class label."}
    BUILDER_CONFIGS = [QuickdrawSketchRnnConfig(name="default", description="all categories found")]
    DEFAULT_CONFIG_NAME = "default"
    MANUAL_DOWNLOAD_INSTRUCTIONS = (
        "Put sketch-rnn .npz files (https://storage.googleapis.com/quickdraw_dataset/sketchrnn/) "
        "or QuickDraw .ndjson files in the manual folder, or pass source_dir=.")

    def __init__(self, *, source_dir: str | os.PathLike | None = None,
                 categories: Sequence[str] | None = None, **kwargs):
        # Set before the base constructor: it calls _info(), which reads the categories.
        self._source_dir = None if source_dir is None else os.fspath(source_dir)
        self._categories = tuple(sorted(categories)) if categories else None
        super().__init__(**kwargs)

    def _wanted_categories(self) -> tuple[str, ...] | None:
        return self._categories or self.builder_config.categories

    def _info(self) -> tfds.core.DatasetInfo:
        names = self._wanted_categories()
        # Unknown categories (all of a folder): the names are set once the files are read.
        label = tfds.features.ClassLabel(names=list(names)) if names else tfds.features.ClassLabel()
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict({
                "strokes": tfds.features.Tensor(shape=(None, 3), dtype=np.float32),
                "label": label,
            }),
            supervised_keys=("strokes", "label"),
            homepage="https://github.com/googlecreativelab/quickdraw-dataset",
        )

    def _local_source(self, dl_manager) -> str | None:
        source = self._source_dir or self.builder_config.source_dir
        if source:
            return source
        try:
            return os.fspath(dl_manager.manual_dir)
        except (AssertionError, ValueError):  # no manual folder, or an empty one
            return None

    def _read(self, dl_manager) -> dict[str, SketchSet]:
        config = self.builder_config
        source, categories = self._local_source(dl_manager), self._wanted_categories()
        if source:
            return load_sketches(source, categories=categories, per_class=config.per_class,
                                 seed=config.split_seed, split_fractions=config.split_fractions)
        if not categories:
            raise SeqgenError("quickdraw_sketch_rnn: no local files (source_dir or manual_dir) and "
                              "no categories to download; give one of them")
        urls = {c: SKETCHRNN_URL.format(urllib.parse.quote(c)) for c in categories}
        files = dl_manager.download(urls)  # {category: local path} (names are hashed)
        parts = [read_npz(files[c], category=c) for c in categories]
        splits = {k: concat_sketch_sets([p[k] for p in parts]) for k in SPLITS}
        return cap_splits(splits, config.per_class, config.split_fractions, config.split_seed)

    def _split_generators(self, dl_manager):
        splits = self._read(dl_manager)
        label = self.info.features["label"]
        if label.num_classes is None:
            label.names = splits["train"].class_names
        elif list(label.names) != splits["train"].class_names:
            raise SeqgenError(f"quickdraw_sketch_rnn: the data hold categories "
                              f"{splits['train'].class_names}, the config expects {list(label.names)}")
        return {_TFDS_SPLITS[k]: self._generate_examples(v) for k, v in splits.items()}

    def _generate_examples(self, sketches: SketchSet):
        for i, (strokes, label) in enumerate(zip(sketches.strokes, sketches.labels)):
            yield i, {"strokes": strokes.astype(np.float32), "label": int(label)}


def load_tfds_sketches(data_dir: str | os.PathLike, *, config: str | QuickdrawSketchRnnConfig | None = None,
                       **builder_kwargs) -> dict[str, SketchSet]:
    """Prepare the builder in ``data_dir`` if needed and read it back as ``{"train", "valid", "test"}``.

    ``builder_kwargs`` go to :class:`QuickdrawSketchRnn` (``source_dir``, ``categories``).
    """
    builder = QuickdrawSketchRnn(data_dir=os.fspath(data_dir), config=config, **builder_kwargs)
    builder.download_and_prepare()
    names = list(builder.info.features["label"].names)
    out = {}
    for ours, theirs in _TFDS_SPLITS.items():
        examples = list(tfds.as_numpy(builder.as_dataset(split=theirs)))
        out[ours] = SketchSet([e["strokes"] for e in examples],
                              np.array([e["label"] for e in examples], np.int64), names)
    return out
