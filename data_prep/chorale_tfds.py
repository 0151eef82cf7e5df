"""A TFDS builder for the Bach chorales, so ``tfds.load("bach_chorales")`` works offline.

It builds from the same data as the rest of seqgen (music21's corpus through the chorale cache, or
a jsb_chorales folder/archive given as ``source``), keeping the split. Each example is one whole
chorale: ``pitches (steps, 4)`` (MIDI, 0 = silence), ``struck (steps, 4)`` and its ``name``.

    import seqgen.data_prep.chorale_tfds  # registers the builder
    ds = tfds.load("bach_chorales", split="train", data_dir="~/tfds")
"""

from __future__ import annotations

import numpy as np
import tensorflow_datasets as tfds

from seqgen.data_prep.chorale_cache import load_chorales

_SPLITS = {"train": "train", "validation": "valid", "test": "test"}


class BachChorales(tfds.core.GeneratorBasedBuilder):
    """Four-voice Bach chorales on a 16th-note grid with struck/held flags."""

    VERSION = tfds.core.Version("1.1.0")
    RELEASE_NOTES = {"1.0.0": "music21 Riemenschneider chorales, 80/10/10 split by name hash.",
                     "1.1.0": "Each chorale's split from its own name's hash, whatever else the corpus holds."}

    def __init__(self, *, source: str = "music21", cache_dir: str | None = None, **kwargs):
        self._source, self._cache_dir = source, cache_dir
        super().__init__(**kwargs)

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(
            description=__doc__,
            features=tfds.features.FeaturesDict({
                "pitches": tfds.features.Tensor(shape=(None, 4), dtype=np.int16),
                "struck": tfds.features.Tensor(shape=(None, 4), dtype=np.bool_),
                "name": tfds.features.Text(),
            }),
            homepage="https://web.mit.edu/music21/",
        )

    def _split_generators(self, dl_manager):
        dataset = load_chorales(self._source, self._cache_dir, progress=False)
        return {tfds_name: self._generate_examples(dataset[ours]) for tfds_name, ours in _SPLITS.items()}

    def _generate_examples(self, grids):
        for i, grid in enumerate(grids):
            yield f"{i:04d}-{grid.name}", {"pitches": grid.pitches, "struck": grid.struck, "name": grid.name}
