"""The sampler and chorale generation: exact greedy output, seeds, primers, batches."""

import numpy as np
import pytest

from seqgen.data_prep.chorale_codec import ChoraleCodec
from seqgen.data_prep.errors import SeqgenError
from seqgen.generate.chorale_gen import generate_grids
from seqgen.generate.chorale_io import resolve_primer
from seqgen.generate.outputs import music_paths, output_paths, text_paths
from seqgen.generate.sampler import Sampler
from seqgen.generate.sampling import SamplingConfig, make_strategy
from seqgen.models.config import FAMILIES, make_config
from seqgen.models.registry import build_model
from tests.chorale_factory import toy_grid

VOCAB = 23


def rerun_greedy(model, primer: np.ndarray, steps: int) -> np.ndarray:
    """The textbook method: run the whole growing sequence through the model for every token."""
    import tensorflow as tf

    # one trace for every length: eager calls of a recurrent layer cost ~50 ms each
    full_pass = tf.function(model, input_signature=[tf.TensorSpec((None, None), tf.int32)])
    seq = primer.copy()
    for _ in range(steps):
        logits = full_pass(seq).numpy()[:, -1]  # (batch, vocab)
        logits[:, 0] = -np.inf  # BOS is forbidden, as in the sampler
        seq = np.concatenate([seq, logits.argmax(-1)[:, None].astype(np.int32)], axis=1)
    return seq[:, primer.shape[1]:]


@pytest.mark.parametrize("family, jit", [(f, False) for f in FAMILIES] + [("wavenet", True)])
def test_greedy_sampler_equals_rerunning_the_model(family, jit, monkeypatch):
    import seqgen.generate.sampler as sampler_module

    # chunks of 16 so that 40 tokens cross two chunk boundaries, where the state is carried over;
    # re-running the model costs steps^2, so fewer steps keep the test quick
    monkeypatch.setattr(sampler_module, "CHUNK", 16)
    model = build_model(make_config(family, "tiny", VOCAB, 4))
    primer = np.array([[0, 5, 9, 3, 7, 2], [0, 1, 1, 4, 4, 8]], np.int32)
    sampler = Sampler(model, make_strategy(forbidden=(0,)), greedy=True, jit=jit)
    np.testing.assert_array_equal(sampler.generate(primer, 40), rerun_greedy(model, primer, 40))


def test_seeded_sampling_is_reproducible_and_streams_in_chunks():
    model = build_model(make_config("gru", "tiny", VOCAB, 1))
    primer = np.zeros((3, 1), np.int32)
    a = Sampler(model, make_strategy(temperature=1.5), seed=7).generate(primer, 40)
    b = Sampler(model, make_strategy(temperature=1.5), seed=7).generate(primer, 40)
    c = Sampler(model, make_strategy(temperature=1.5), seed=8).generate(primer, 40)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert not np.array_equal(a[0], a[1])  # each row of a batch is its own draw
    long = Sampler(model, make_strategy(temperature=1.5), seed=7).generate(primer, 150)
    np.testing.assert_array_equal(long[:, :40], a)  # a longer run starts with the same draw
    chunks = list(Sampler(model, make_strategy(temperature=1.5), seed=7).stream(primer, 150))
    assert [c.shape[1] for c in chunks] == [64, 64, 22]
    np.testing.assert_array_equal(np.concatenate(chunks, axis=1), long)


def test_top_k_one_is_greedy():
    model = build_model(make_config("gru", "tiny", VOCAB, 1))  # any family: no XLA compile
    primer = np.zeros((2, 1), np.int32)
    greedy = Sampler(model, make_strategy(forbidden=(0,)), greedy=True).generate(primer, 20)
    top1 = Sampler(model, make_strategy(top_k=1, forbidden=(0,)), seed=3).generate(primer, 20)
    np.testing.assert_array_equal(greedy, top1)


def test_sampler_rejects_bad_requests():
    model = build_model(make_config("lstm", "tiny", VOCAB, 1))
    sampler = Sampler(model, make_strategy())
    with pytest.raises(SeqgenError, match="steps must be >= 1"):
        sampler.generate(np.zeros((1, 1), np.int32), 0)
    with pytest.raises(SeqgenError, match="primer must be"):
        sampler.generate(np.zeros((1, 0), np.int32), 3)


@pytest.fixture(scope="module")
def chorale_model():
    grid = toy_grid(32)
    codec = ChoraleCodec.fit([grid])
    model = build_model(make_config("lstm", "tiny", codec.vocab_size, codec.period))
    return model, codec, grid


def test_generated_chorales_keep_the_primer(chorale_model):
    model, codec, grid = chorale_model
    grids, notes = generate_grids(model, codec, grid, steps=24, num=3, sampling=SamplingConfig(seed=1), primer_steps=8)
    assert len(grids) == 3 and all(g.steps == 24 and g.voices == 4 for g in grids)
    for g in grids:
        np.testing.assert_array_equal(g.pitches[:8], grid.pitches[:8])
        np.testing.assert_array_equal(g.struck[:8], grid.struck[:8])
        sounding = g.pitches[g.pitches > 0]
        assert sounding.min() >= codec.low and sounding.max() <= codec.high
    assert notes == []
    again, _ = generate_grids(model, codec, grid, steps=24, num=3, sampling=SamplingConfig(seed=1), primer_steps=8)
    np.testing.assert_array_equal(again[2].pitches, grids[2].pitches)


def test_primer_outside_range_is_moved_and_said(chorale_model):
    model, codec, grid = chorale_model
    high = grid.transposed(24)
    grids, notes = generate_grids(model, codec, high, steps=12, num=1, sampling=SamplingConfig(greedy=True), primer_steps=4)
    assert "moved by octaves" in notes[0]
    kept = grids[0].pitches[:4]
    np.testing.assert_array_equal(kept % 12, grid.pitches[:4] % 12)  # same pitch classes
    assert kept.max() <= codec.high and kept[kept > 0].min() >= codec.low
    with pytest.raises(SeqgenError, match="must exceed the primer"):
        generate_grids(model, codec, grid, steps=4, num=1, sampling=SamplingConfig(), primer_steps=4)


def test_primer_from_a_midi_file(tmp_path):
    from seqgen.generate.midi_writer import grid_to_midi

    grid = toy_grid(16)
    path = grid_to_midi(grid, tmp_path / "primer.mid")
    read = resolve_primer(str(path), voices=4)
    np.testing.assert_array_equal(read.pitches, grid.pitches)
    with pytest.raises(SeqgenError, match="does not exist"):
        resolve_primer(str(tmp_path / "missing.mid"), voices=4)
    (tmp_path / "junk.mid").write_bytes(b"not midi at all")
    with pytest.raises(SeqgenError):
        resolve_primer(str(tmp_path / "junk.mid"), voices=4)


def test_output_paths_are_numbered_and_checked(tmp_path):
    paths = output_paths(tmp_path / "c.mid", 3, "midi", plot=True, force=False)
    assert [p.name for p, _ in paths] == ["c-1.mid", "c-2.mid", "c-3.mid"]
    assert paths[0][1].name == "c-1.png"
    (tmp_path / "c-2.mid").write_bytes(b"mine")
    with pytest.raises(SeqgenError, match="already exists"):
        output_paths(tmp_path / "c.mid", 3, "midi", plot=False, force=False)
    assert output_paths(tmp_path / "x", 1, "musicxml", False, False)[0][0].suffix == ".musicxml"
    assert [p.name for p in music_paths(tmp_path / "h", 2, False)] == ["h-1.mid", "h-2.mid"]
    assert text_paths(tmp_path / "t.txt", 1, False) == [tmp_path / "t.txt"]
    for paths in (lambda: output_paths("", 1, "midi", False, False), lambda: music_paths(" ", 1, False),
                  lambda: text_paths("", 2, False)):
        with pytest.raises(SeqgenError, match="-o is empty"):
            paths()


@pytest.mark.parametrize("bad, text", [(dict(temperature=0), "temperature"), (dict(top_k=0), "top-k"),
                                       (dict(top_p=1.5), "top-p"), (dict(temperature=float("nan")), "nan")])
def test_sampling_config_validates_each_value(bad, text):
    with pytest.raises(SeqgenError, match=text):
        SamplingConfig(**bad)


def test_primer_from_musicxml_and_by_name(tmp_path):
    from seqgen.generate.score_writer import grid_to_musicxml
    from tests.chorale_factory import write_csv_chorales

    grid = toy_grid(16)
    path = grid_to_musicxml(grid, tmp_path / "primer.musicxml")
    read = resolve_primer(str(path), voices=4)
    np.testing.assert_array_equal(read.pitches, grid.pitches)
    np.testing.assert_array_equal(read.struck, grid.struck)
    with pytest.raises(SeqgenError, match="has 4 parts; the model writes 3 voices"):
        resolve_primer(str(path), voices=3)
    source = str(write_csv_chorales(tmp_path / "jsb", counts=(2, 1, 1), steps=12))
    by_name = resolve_primer("chorale_001", voices=4, source=source)
    by_index = resolve_primer("train:1", voices=4, source=source)
    assert by_name.name == by_index.name == "chorale_001"
    with pytest.raises(SeqgenError, match="not a file, SPLIT:INDEX, or a chorale name"):
        resolve_primer("bwv9999", voices=4, source=source)
