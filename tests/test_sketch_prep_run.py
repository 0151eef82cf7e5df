"""A sketch run records how its drawings were prepared (format, raw conversion, augmentation) and
classify applies the same preparation: a raw file classifies exactly as its simplified twin."""

from __future__ import annotations

import json

import numpy as np

from seqgen.data_prep.stroke_ops import google_simplify
from seqgen.data_prep.synthetic_sketches import synthetic_drawing
from seqgen.data_prep.strokes import stroke3_to_lines
from tests.cli_helpers import assert_one_line_error, run

SHAPES = ("circle", "line")


def write_raw_and_simplified(folder, per_class=6, seed=0):
    """The same drawings as raw screen pixels (with times) and as Google's simplified form."""
    rng = np.random.default_rng(seed)
    raw, simplified = [], []
    for shape in SHAPES:
        for _ in range(per_class):
            lines = [line * 3.0 + 400.0 for line in stroke3_to_lines(synthetic_drawing(shape, rng))]  # screen px
            raw.append({"word": shape, "drawing": [[l[:, 0].tolist(), l[:, 1].tolist(), list(range(len(l)))]
                                                   for l in lines]})
            simplified.append({"word": shape, "drawing": [[l[:, 0].astype(int).tolist(), l[:, 1].astype(int).tolist()]
                                                          for l in google_simplify(lines)]})
    folder.mkdir()
    for name, records in (("raw.ndjson", raw), ("simplified.ndjson", simplified)):
        (folder / name).write_text("".join(json.dumps(r) + "\n" for r in records))
    return folder / "raw.ndjson", folder / "simplified.ndjson"


def test_run_records_preparation_and_classify_applies_it(tmp_path):
    raw, simplified = write_raw_and_simplified(tmp_path / "data")
    out = tmp_path / "run"
    result = run("train", "sketches", "--data", raw, "--model", "tiny", "--epochs", "1", "--batch-size", "8",
                 "--augment", "rotation=5,dropout=0.1", "--out", out)
    assert result.exit_code == 0, result.output
    info = json.loads((out / "run.json").read_text())
    assert info["codec"]["prep"]["raw"] == info["data"]["prep"]["raw"] == "simplify"
    assert info["data"]["augment"] == {"scale": 0.0, "rotation": 5.0, "stroke_dropout": 0.1, "jitter": 0.0}
    assert info["record"]["read"]["formats"] == {"ndjson raw (simplified here)": 1}
    assert info["record"]["read"]["converted"] == 12
    from_raw = run("classify", out, raw)
    from_simplified = run("classify", out, simplified)
    assert from_raw.exit_code == 0 and from_simplified.exit_code == 0, from_raw.output
    assert from_raw.output == from_simplified.output and from_raw.output.count("\n#") == 11


def test_bad_augment_setting_is_one_line(tmp_path):
    result = run("train", "sketches", "--synthetic", "--augment", "spin=3", "--out", tmp_path / "r")
    assert_one_line_error(result, "--augment", "spin")
    assert not (tmp_path / "r").exists()
