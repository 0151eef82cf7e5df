"""The TFDS builder of a MIDI folder: with Apache Beam (when installed) and without, against the codecs."""

from __future__ import annotations

import hashlib
import os

import numpy as np
import pytest
import tensorflow_datasets as tfds

import midi_factory as mf
from seqgen.data_prep import midi_tfds
from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.midi_read import read_midi
from tests.cli_helpers import assert_one_line_error, run


def _names(split: str, count: int, prefix: str) -> list[str]:
    """The first ``count`` relative paths ``prefix<i>.mid`` that :func:`split_of` puts in ``split``."""
    names = (f"{prefix}{i}.mid" for i in range(1000))
    return [n for n in names if midi_tfds.split_of(n) == split][:count]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """Three training pieces (one in a subfolder), one held-out piece, and a truncated file (train split)."""
    root = tmp_path_factory.mktemp("midi")
    (root / "sub").mkdir()
    rng = np.random.default_rng(0)
    names = _names("train", 2, "piece") + _names("train", 1, "sub/piece") + _names("validation", 1, "piece")
    for name in names:
        melody = [(int(rng.choice([60, 62, 64, 67])), b / 2, 0.5, int(rng.integers(40, 110))) for b in range(12)]
        mf.write_notes(root / name, melody, [(48, 0, 4), (43, 4, 2)])
    mf.write_truncated(root / _names("train", 1, "broken")[0])
    return root


def _examples(path) -> dict[str, dict[str, dict]]:
    builder = tfds.builder_from_directory(path)
    return {s: {e["path"].decode(): e for e in tfds.as_numpy(builder.as_dataset(split=s))} for s in builder.info.splits}


@pytest.mark.parametrize("use_beam", [
    False,
    # .ci/run installs the beam extra after the main suite and sets SEQGEN_BEAM_TESTS=required: fail, not skip.
    pytest.param(True, marks=pytest.mark.skipif(
        not midi_tfds.beam_available() and os.environ.get("SEQGEN_BEAM_TESTS") != "required",
        reason='Apache Beam is not installed (pip install "seqgen[beam]")')),
])
def test_builder_holds_each_files_codec_tokens(folder, tmp_path, use_beam):
    built = midi_tfds.prepare_midi_tfds(folder, tmp_path / "tfds", encoding="events", use_beam=use_beam)
    assert (built.beam, built.fresh) == (use_beam, True)
    assert built.examples == {"train": 3, "validation": 1}
    assert built.skipped == {"train": 1, "validation": 0}  # the truncated file, counted, not fatal
    codec = midi_tfds.ENCODINGS["events"]()
    loaded = _examples(built.path)
    for split, examples in loaded.items():
        for relative, example in examples.items():
            assert midi_tfds.split_of(relative) == split
            file = folder / relative
            np.testing.assert_array_equal(example["tokens"], codec.encode(read_midi(file)))
            assert example["hash"].decode() == hashlib.blake2b(file.read_bytes(), digest_size=20).hexdigest()
    assert any(path.startswith("sub/") for path in loaded["train"])  # paths relative to the folder


def test_split_is_a_stable_function_of_the_relative_path():
    # Fixed answers: a change of hash would move files between splits on every machine's next build.
    assert [i for i in range(40) if midi_tfds.split_of(f"piece{i}.mid") == "validation"] == [4, 11, 20, 23, 35, 39]
    assert midi_tfds.split_of("a/b/c.mid") == "validation"  # the whole relative path counts, not the name
    assert midi_tfds.split_of("c.mid") == "train"
    shares = [midi_tfds.split_of(f"a/{i}.mid") == "validation" for i in range(4000)]
    assert 0.08 < np.mean(shares) < 0.12


def test_cli_prepares_once_and_reuses(folder, tmp_path, monkeypatch):
    # The Beam path is the test above; here the command's wiring, on TFDS's plain path (no Beam start-up).
    monkeypatch.setattr(midi_tfds, "beam_available", lambda: False)
    first = run("data", "midi", folder, "--tfds", tmp_path / "out")
    assert first.exit_code == 0, first.output
    assert "prepared the TFDS dataset midi_folder without Apache Beam" in first.output
    assert "train: 3 examples, validation: 1 examples; 1 file skipped" in first.output
    second = run("data", "midi", folder, "--tfds", tmp_path / "out")
    assert second.exit_code == 0 and "already prepared (same files and settings)" in second.output
    (folder / "extra.mid").write_bytes((folder / _names("train", 1, "piece")[0]).read_bytes())
    try:  # a changed folder is a new dataset, not the stale one
        third = run("data", "midi", folder, "--tfds", tmp_path / "out")
    finally:
        (folder / "extra.mid").unlink()
    assert "prepared the TFDS dataset" in third.output and "train: 4 examples" in third.output


@pytest.mark.parametrize("args, fragment", [
    (["--voices", "3"], "--voices is for the grid report"),
    (["--beam-options", "--runner=X", "--encoding", "durations"], None),
])
def test_cli_refuses_what_does_not_go_with_tfds(folder, tmp_path, monkeypatch, args, fragment):
    monkeypatch.setattr(midi_tfds, "beam_available", lambda: False)
    result = run("data", "midi", folder, "--tfds", tmp_path / "out", *args)
    assert_one_line_error(result, fragment or 'pip install "seqgen[beam]"')


def test_cli_one_line_errors(folder, tmp_path):
    assert_one_line_error(run("data", "midi", folder, folder, "--tfds", tmp_path), "--tfds builds from one folder")
    assert_one_line_error(run("data", "midi", folder, "--encoding", "events"), "--encoding goes with --tfds")
    assert_one_line_error(run("data", "midi", tmp_path / "nothere", "--tfds", tmp_path), "is not a folder")
    assert_one_line_error(run("data", "midi", folder, "--tfds", tmp_path, "--encoding", "grid"), "--encoding")


def test_a_split_of_only_unusable_files_is_one_line(tmp_path):
    (tmp_path / "midi").mkdir()
    mf.write_notes(tmp_path / "midi" / _names("train", 1, "ok")[0], [(60, 0, 1)])
    mf.write_truncated(tmp_path / "midi" / _names("validation", 1, "bad")[0])
    with pytest.raises(SeqgenError, match="no file of the validation split .* is usable"):
        midi_tfds.prepare_midi_tfds(tmp_path / "midi", tmp_path / "tfds", use_beam=False)
    with pytest.raises(SeqgenError, match="grid token ids need a pitch range"):
        midi_tfds.midi_tfds_config(tmp_path / "midi", "grid")
