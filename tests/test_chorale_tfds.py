"""The TFDS chorale builder, built from files the test writes."""

import numpy as np

from seqgen.data_prep.chorale_cache import load_chorales
from seqgen.data_prep.chorale_tfds import BachChorales
from tests.chorale_factory import write_csv_chorales


def test_builder_prepares_and_loads_every_split(tmp_path):
    source = str(write_csv_chorales(tmp_path / "jsb", counts=(3, 1, 2), steps=12))
    builder = BachChorales(source=source, data_dir=str(tmp_path / "tfds"))
    builder.download_and_prepare()
    assert {k: v.num_examples for k, v in builder.info.splits.items()} == {"train": 3, "validation": 1, "test": 2}
    expected = load_chorales(source)["test"]
    examples = list(builder.as_dataset(split="test").as_numpy_iterator())
    by_name = {e["name"].decode(): e for e in examples}
    for grid in expected:
        np.testing.assert_array_equal(by_name[grid.name]["pitches"], grid.pitches)
        np.testing.assert_array_equal(by_name[grid.name]["struck"], grid.struck)
