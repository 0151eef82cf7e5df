"""Phrase ends (fermatas) and mode start tokens in the chorale codec, cache, windows and MusicXML."""

import numpy as np
import pytest
import tensorflow as tf

from seqgen.data_prep import chorale_cache
from seqgen.data_prep.chorale_codec import BOS, FIRST_PITCH, ChoraleCodec
from seqgen.data_prep.chorales import phrase_ends, read_csv_folder
from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.grid import Grid
from seqgen.models.chorale_task import mode_windows
from tests.chorale_factory import toy_grid, write_csv_chorales

CODEC = ChoraleCodec(40, 80, 4, phrases=True)


def _phrased(steps=12, ends=(4, 5, 10, 11), mode="minor") -> Grid:
    grid = toy_grid(steps)
    fermata = np.zeros(steps, bool)
    fermata[list(ends)] = True
    return Grid(grid.pitches, grid.struck, grid.name, meta={"fermata": fermata, "mode": mode})


def test_plain_ids_keep_their_meaning_and_new_blocks_follow():
    plain = ChoraleCodec(40, 80)
    assert CODEC.fermata_start == plain.vocab_size
    assert CODEC.vocab_size == plain.vocab_size + 2 * 41 + 2
    grid = toy_grid(8)
    np.testing.assert_array_equal(CODEC.encode(grid), plain.encode(grid))  # no fermatas: same tokens
    assert CODEC.forbidden_ids == (BOS, *CODEC.mode_ids) and plain.forbidden_ids == (BOS,)


def test_round_trip_keeps_fermatas_on_the_soprano_token_only():
    grid = _phrased()
    tokens = CODEC.encode(grid).reshape(-1, 4)  # (steps, voices)
    assert (tokens[[4, 5, 10, 11], 0] >= CODEC.fermata_start).all()
    assert (tokens[:, 1:] < CODEC.fermata_start).all() and (tokens[[0, 6], 0] < CODEC.fermata_start).all()
    back = CODEC.decode(tokens)
    np.testing.assert_array_equal(back.pitches, grid.pitches)
    np.testing.assert_array_equal(back.struck, grid.struck)
    np.testing.assert_array_equal(back.meta["fermata"], grid.meta["fermata"])
    assert phrase_ends(back.meta["fermata"]).tolist() == [5, 11]


def test_decode_reads_start_tokens_as_silence_and_a_fermata_in_any_voice():
    tokens = np.array([CODEC.mode_ids[1], 2, 2, CODEC.fermata_start + 3], np.int32)
    grid = CODEC.decode(tokens)
    assert grid.pitches[0].tolist() == [0, 40, 40, 41] and grid.meta["fermata"].tolist() == [True]


def test_start_tokens_carry_the_mode():
    assert CODEC.start_token(_phrased(mode="minor")) == CODEC.mode_ids[1]
    assert CODEC.start_id("major") == CODEC.mode_ids[0] and CODEC.start_id(None) == BOS
    assert ChoraleCodec(40, 80).start_id("minor") == BOS  # the plain codec has no modes
    assert CODEC.mode_of(CODEC.mode_ids[1]) == "minor" and CODEC.mode_of(5) is None
    with pytest.raises(SeqgenError, match="dorian"):
        CODEC.start_id("dorian")


def test_pitch_groups_merge_fermata_tokens_with_their_pitch():
    groups = CODEC.pitch_groups()
    assert groups[CODEC.fermata_start + 5] == groups[FIRST_PITCH + 5] == groups[FIRST_PITCH + 4]
    assert len({groups[i] for i in CODEC.mode_ids}) == 2 and groups[CODEC.mode_ids[0]] not in groups[:-2]


def test_config_round_trip_and_old_configs_read_as_plain():
    assert ChoraleCodec.from_config(CODEC.to_config()) == CODEC
    old = {"type": "chorale", "low": 36, "high": 81, "voices": 4}
    assert ChoraleCodec.from_config(old).phrases is False and ChoraleCodec(36, 81).to_config() == old
    with pytest.raises(SeqgenError, match="phrases"):
        ChoraleCodec.from_config({**old, "phrases": "yes"})


def test_transposition_moves_fermata_tokens_within_their_block_and_keeps_modes():
    grid = _phrased()
    tokens = np.concatenate([[CODEC.mode_ids[0]], CODEC.encode(grid)])[None]  # (1, 1 + 48)
    low, high = CODEC.shift_ranges(tokens, 12)[0]
    p = grid.pitches[grid.pitches > 0]
    assert (low, high) == (max(40 - p.min(), -12), min(80 - p.max(), 12))
    moved = CODEC.transpose_tokens(tf.constant(tokens), 2).numpy()[0]
    assert moved[0] == CODEC.mode_ids[0]
    back = CODEC.decode(moved[1:])
    np.testing.assert_array_equal(back.pitches, np.where(grid.pitches > 0, grid.pitches + 2, 0))
    np.testing.assert_array_equal(back.meta["fermata"], grid.meta["fermata"])


def test_every_training_window_starts_with_the_mode_unless_dropped():
    seq = np.concatenate([[CODEC.mode_ids[1]], CODEC.encode(_phrased(40))])  # 161 tokens
    windows = mode_windows([seq], 32, 16, 4)
    assert len(windows) > 3 and (windows[:, 0] == CODEC.mode_ids[1]).all()
    np.testing.assert_array_equal(windows[1, 1:], seq[17:49])  # targets are the piece's own tokens
    kept = mode_windows([seq], 32, 16, 4, dropout=1.0)
    assert kept[1, 0] == seq[16]


def test_cache_keeps_fermatas_and_modes(tmp_path):
    grid = _phrased()
    path = tmp_path / "c.npz"
    chorale_cache.save_dataset({"train": [grid], "valid": [], "test": []}, path)
    loaded = chorale_cache.load_dataset(path)["train"][0]
    np.testing.assert_array_equal(loaded.meta["fermata"], grid.meta["fermata"])
    assert loaded.meta["mode"] == "minor"


def test_csv_chorales_have_no_fermatas_and_fit_a_plain_codec(tmp_path):
    dataset = read_csv_folder(write_csv_chorales(tmp_path / "jsb"))
    codec = ChoraleCodec.fit([g for gs in dataset.values() for g in gs])
    assert codec.phrases is False and codec.start_token(dataset["train"][0]) == BOS


def test_musicxml_writes_fermatas_back(tmp_path):
    from music21 import converter, expressions

    from seqgen.data_prep.chorales import score_to_grid
    from seqgen.generate.score_writer import grid_to_musicxml

    grid = _phrased()
    path = grid_to_musicxml(grid, tmp_path / "p.musicxml")
    score = converter.parse(str(path))
    soprano = score.parts[0].flatten().notes
    marked = [n for n in soprano if any(isinstance(e, expressions.Fermata) for e in n.expressions)]
    assert marked and all(n.offset * 4 in range(4, 12) for n in marked)
    back = score_to_grid(score, "p", any_names=True)
    assert phrase_ends(back.meta["fermata"]).tolist() == [5, 11]
