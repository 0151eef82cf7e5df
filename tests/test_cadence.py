"""Cadences on hand-made chord progressions, and the phrase search's phrase-end rule."""

import numpy as np
import pytest

from seqgen.data_prep.chorale_codec import ChoraleCodec
from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.grid import Grid
from seqgen.generate.cadence import cadence_kind, ends_on_cadence, key_in_mode, phrase_cadence
from seqgen.generate.phrase_search import (PhraseConfig, _Piece, _final, _phrase_end, aarden_key, longest_still,
                                          phrase_pieces)
from seqgen.generate.sampling import SamplingConfig

# S, A, T, B in C major
I = (72, 67, 64, 48)
IV = (72, 65, 60, 53)
V = (71, 67, 62, 55)
V7 = (71, 65, 62, 55)
VI = (72, 64, 60, 57)
I6 = (72, 67, 60, 52)  # first inversion: E in the bass
I_MINOR = (72, 67, 63, 48)  # C minor tonic
I_OPEN = (72, 72, 67, 48)  # no third


def _grid(*chords, length=4) -> Grid:
    pitches = np.repeat(np.array(chords, np.int16), length, axis=0)  # (steps, 4)
    return Grid.from_pitches(pitches)


def test_authentic_cadence_v_i_and_v7_i():
    assert ends_on_cadence(_grid(I, IV, V, I), 0, "major")
    assert ends_on_cadence(_grid(I, V7, I), 0, "major")
    assert cadence_kind(_grid(I, V, I), 11, 0, "major") == "authentic"


def test_not_a_final_cadence():
    assert not ends_on_cadence(_grid(I, V, I6), 0, "major")  # inversion
    assert not ends_on_cadence(_grid(I, IV, I), 0, "major")  # plagal, not from the dominant
    assert not ends_on_cadence(_grid(I, V, I_OPEN), 0, "major")  # no third
    assert not ends_on_cadence(_grid(I, V, I, length=2), 0, "major", hold=4)  # not held
    assert not ends_on_cadence(_grid(I, V, I_MINOR), 0, "major")  # minor third in a major key


def test_minor_keys_allow_the_picardy_third():
    assert ends_on_cadence(_grid(I_MINOR, V, I_MINOR), 0, "minor")
    assert ends_on_cadence(_grid(I_MINOR, V, I), 0, "minor")


def test_cadence_kinds():
    assert cadence_kind(_grid(I, IV, V), 11, 0, "major") == "half"
    assert cadence_kind(_grid(I, IV, I), 11, 0, "major") == "plagal"
    assert cadence_kind(_grid(I, V, VI), 11, 0, "major") == "deceptive"
    assert cadence_kind(_grid(I, V, I6), 11, 0, "major") == "other"
    # V - I in G major (D7 - G) counts as an inner phrase's cadence in a related key
    g = _grid(I, (72, 66, 62, 50), (71, 67, 62, 43))
    assert cadence_kind(g, 11, 0, "major") == "half" and phrase_cadence(g, 11, 0, "major") == "half"
    e_minor = _grid(I, (71, 66, 63, 47), (71, 67, 64, 52))  # B - E minor
    assert phrase_cadence(e_minor, 11, 0, "major") == "authentic"


def test_key_in_mode_keeps_the_asked_mode():
    tonic, mode = key_in_mode(_grid(I_MINOR, V, I_MINOR), "minor")
    assert (tonic, mode) == (0, "minor")
    assert key_in_mode(_grid(I, IV, V, I), None) == (0, "major")


def test_phrase_end_needs_a_held_fermata_after_the_shortest_phrase():
    config = PhraseConfig(hold=4, min_phrase_steps=12)
    f = np.zeros(40, bool)
    f[5:7] = True  # a slip: two steps
    f[8:12] = True  # held, but too early (phrase of 12 steps ends at 11: accepted)
    assert _phrase_end(f, 0, config) == 11
    assert _phrase_end(f, 2, config) is None  # from step 2 the run ends after 10 steps: too short
    f[30:34] = True
    assert _phrase_end(f, 2, config) == 33
    f[36:] = True  # runs to the end of the window: not surely ended
    assert _phrase_end(f, 34, config) is None
    f[:] = False
    f[10:30] = True  # a chord stuck under a fermata for 20 steps
    assert _phrase_end(f, 0, config) is None
    f[:] = False
    f[6:10] = f[30:34] = True  # a phrase end at 9, then the next phrase from 10
    assert _phrase_end(f, 10, config) == 33
    f[10:12] = True  # the next phrase begins under the last fermata: that hold would grow to 6 steps
    assert _phrase_end(f, 10, config) is None


def test_phrase_config_names_the_bad_value():
    with pytest.raises(SeqgenError, match="particles must be in 1..256, got 0"):
        PhraseConfig(particles=0)


def test_phrases_need_a_phrase_codec():
    with pytest.raises(SeqgenError, match="--phrases"):
        phrase_pieces(None, ChoraleCodec(40, 80), 1, SamplingConfig(), PhraseConfig(2))


class ScriptedModel:
    """A stand-in model that always predicts the next token of ``script`` (the start token first)."""

    def __init__(self, script: np.ndarray, vocab: int):
        import tensorflow as tf

        self.table = tf.constant(np.eye(vocab, dtype=np.float32)[np.append(script[1:], script[-1])] * 30.0)

    def initial_state(self, batch):
        import tensorflow as tf

        return tf.zeros((batch,), tf.int32)

    def step(self, tokens, state):
        import tensorflow as tf

        return tf.gather(self.table, tf.minimum(state, self.table.shape[0] - 1)), state + 1

    def __call__(self, rows, training=False):
        import tensorflow as tf

        positions = tf.minimum(tf.range(tf.shape(rows)[1]), self.table.shape[0] - 1)
        return tf.gather(self.table, positions)[None] + tf.zeros_like(rows, tf.float32)[..., None]


def _script(codec, *chords, fermata_from: int):
    grid = _grid(*chords)
    fermata = np.zeros(grid.steps + 1, bool)
    fermata[fermata_from:grid.steps] = True
    grid = Grid(np.vstack([grid.pitches, grid.pitches[-1:]]), np.vstack([grid.struck, [True] * 4]),
                meta={"fermata": fermata})  # one more, re-struck step: the fermata surely ended
    return np.concatenate([[codec.start_id("major")], codec.encode(grid)])


def test_phrase_search_keeps_a_piece_ending_on_its_cadence():
    codec = ChoraleCodec(40, 80, 4, phrases=True)
    script = _script(codec, I, IV, V, I, fermata_from=12)
    config = PhraseConfig(phrases=1, particles=2, max_phrase_steps=20, min_onsets=2)
    grids, notes = phrase_pieces(ScriptedModel(script, codec.vocab_size), codec, 2, SamplingConfig(), config, "major")
    assert notes == [] and len(grids) == 2
    assert grids[0].steps == 16 and ends_on_cadence(grids[0], 0, "major") and grids[0].meta["key"] == (0, "major")


def test_a_chord_stuck_mid_phrase_ends_no_phrase():
    struck = np.zeros((10, 4), bool)
    struck[[0, 2, 9]] = True  # still on steps 1 and 3-8
    assert longest_still(struck) == 6 and longest_still(np.ones((3, 4), bool)) == 0 and longest_still(struck[3:5]) == 2
    codec = ChoraleCodec(40, 80, 4, phrases=True)
    script = _script(codec, I, IV, V, I, fermata_from=12)  # each chord struck once, then held 3 steps
    config = PhraseConfig(phrases=1, particles=2, max_phrase_steps=20, min_onsets=2, max_still=3)
    grids, notes = phrase_pieces(ScriptedModel(script, codec.vocab_size), codec, 1, SamplingConfig(), config, "major")
    assert notes == [] and grids[0].steps == 16
    # held 3 steps is too still for max_still=2: no phrase ends, and a piece of no step is refused, not written
    config = PhraseConfig(phrases=1, particles=2, max_phrase_steps=20, min_onsets=2, max_still=2)
    refused = "piece 1 ended no phrase in 8-24 tries, so nothing was written; try another --seed"
    with pytest.raises(SeqgenError, match=refused):
        phrase_pieces(ScriptedModel(script, codec.vocab_size), codec, 1, SamplingConfig(), config, "major")
    with pytest.raises(SeqgenError, match="--greedy holds the likeliest chord.*--steps N"):
        phrase_pieces(ScriptedModel(script, codec.vocab_size), codec, 1, SamplingConfig(greedy=True), config, "major")
    with pytest.raises(SeqgenError, match="max_still must be in 1..256, got 0"):
        PhraseConfig(max_still=0)


def test_phrase_search_reports_a_missed_cadence():
    codec = ChoraleCodec(40, 80, 4, phrases=True)
    script = _script(codec, I, IV, V, I6, fermata_from=12)
    config = PhraseConfig(phrases=1, particles=2, max_phrase_steps=20, min_onsets=2)
    grids, notes = phrase_pieces(ScriptedModel(script, codec.vocab_size), codec, 1, SamplingConfig(), config, "major")
    assert len(notes) == 1 and "no cadence in 8-24 tries" in notes[0] and grids[0].steps == 16
    _, greedy = phrase_pieces(ScriptedModel(script, codec.vocab_size), codec, 1, SamplingConfig(greedy=True), config,
                              "major")
    assert greedy == ["piece 1: 1 of 1 phrases found no cadence in one greedy try"]


def test_inner_phrases_asked_for_no_cadence_take_any_phrase_end():
    codec = ChoraleCodec(40, 80, 4, phrases=True)
    first = _script(codec, I, IV, V, I6, fermata_from=12)  # 17 steps: an inner phrase ending on I6, no cadence
    second = _script(codec, V, IV, V, I, fermata_from=12)[1:]  # 17 more: a final V - I
    script = np.concatenate([first, second])
    notes = {}
    for share in (1.0, 0.0):
        config = PhraseConfig(phrases=2, particles=2, max_phrase_steps=20, min_onsets=2, inner_cadences=share)
        grids, notes[share] = phrase_pieces(ScriptedModel(script, codec.vocab_size), codec, 1, SamplingConfig(),
                                            config, "major")
        assert grids[0].steps == 33 and ends_on_cadence(grids[0], 0, "major")
    assert notes[1.0] == ["piece 1: 1 of 2 phrases found no cadence in 8-24 tries"] and notes[0.0] == []
    with pytest.raises(SeqgenError, match="inner_cadences must be in 0..1, got 1.5"):
        PhraseConfig(inner_cadences=1.5)


def test_a_tail_search_keeps_the_phrase_and_samples_again_only_before_its_fermata():
    from seqgen.generate.phrase_search import _tails

    codec = ChoraleCodec(40, 80, 4, phrases=True)
    config = PhraseConfig(min_onsets=2, tail=4)
    plain = _script(codec, I, IV, V, I6, fermata_from=12)  # 17 steps, fermata 12-15 on I6: no cadence
    closed = _script(codec, I, IV, V, I, fermata_from=12)  # V - I under the fermata
    pieces = [_Piece(plain[:1]), _Piece(closed[:1])]
    best = {0: ((2, 0.3), plain, (0, "major")), 1: ((2, 0.6), closed, (0, "major"))}  # first round: any end
    primers = {0: plain[:1], 1: closed[:1]}
    _tails(codec, 0, pieces, "major", config, np.array([True, True]), best, primers)
    assert best[1][0] == (2, 1.0) and len(primers[1]) == 1  # closed already: kept, nothing sampled again
    assert best[0][0] == (0, -1.0)  # no cadence: kept only until a tail closes better
    assert list(primers[0]) == list(plain[: 1 + (12 - 4) * 4])  # the phrase's first 8 steps, then the tail again
    with pytest.raises(SeqgenError, match="tail must be in 0..256, got -1"):
        PhraseConfig(tail=-1)


def test_the_last_phrase_is_judged_in_the_key_the_whole_piece_is_heard_in():
    piece = _grid(I, IV, V, I)  # C major throughout
    assert _final(piece, _Piece(np.zeros(1)), None, 4) == ((0, "major"), 2)
    assert _final(piece, _Piece(np.zeros(1)), "minor", 4) == ((0, "major"), 1)  # V - I, but not the mode asked
    asked = (9, "minor")
    assert _final(piece, _Piece(np.zeros(1), asked=asked), "minor", 4)[1] == 1  # nor the key asked
    assert _final(_grid(I, IV, I6), _Piece(np.zeros(1)), None, 4)[1] == 0  # no V - I at all
    assert aarden_key(piece) == (0, "major") and aarden_key(Grid.from_pitches(np.zeros((4, 4), np.int16))) == (0, "major")


def test_no_length_asked_means_four_phrases_through_the_search(monkeypatch):
    from dataclasses import replace

    from seqgen.generate import chorale_gen

    codec = ChoraleCodec(40, 80, 4, phrases=True)
    script = _script(codec, I, IV, V, I, fermata_from=12)
    asked = []

    def one_short_phrase(model, codec, num, sampling, config, *args, **kwargs):  # the real search, made small
        asked.append(config)
        small = replace(config, phrases=1, particles=2, max_phrase_steps=20, min_onsets=2)
        return phrase_pieces(model, codec, num, sampling, small, *args, **kwargs)

    monkeypatch.setattr(chorale_gen, "phrase_pieces", one_short_phrase)
    model = ScriptedModel(script, codec.vocab_size)
    grids, notes = chorale_gen.generate_grids(model, codec, None, None, 1, SamplingConfig(), mode="major")
    assert asked == [PhraseConfig(chorale_gen.DEFAULT_PHRASES)] and chorale_gen.DEFAULT_PHRASES == 4
    assert notes == [] and ends_on_cadence(grids[0], 0, "major")


def test_one_length_free_steps_or_phrases():
    from seqgen.generate.chorale_gen import piece_length

    assert piece_length(None, None) == (None, 4) and piece_length(16, None) == (16, None)
    assert piece_length(None, 2) == (None, 2)
    with pytest.raises(SeqgenError, match=r"--steps 16 \(free sampling, no cadence\) or --phrases 2 .*not both"):
        piece_length(16, 2)


def test_a_model_without_phrase_ends_samples_free_steps_by_default():
    from seqgen.generate.chorale_gen import FREE_STEPS, generate_grids

    codec = ChoraleCodec(40, 80)  # no fermatas
    model = ScriptedModel(np.concatenate([[0], codec.encode(_grid(I, IV, V, I))]), codec.vocab_size)
    grids, notes = generate_grids(model, codec, None, None, 1, SamplingConfig())
    assert grids[0].steps == FREE_STEPS == 128 and "no phrase ends" in notes[0] and "--steps N" in notes[0]
    with pytest.raises(SeqgenError, match="--phrases needs a model trained with phrase ends"):
        generate_grids(model, codec, None, None, 1, SamplingConfig(), phrases=2)  # asked, not defaulted: refused


class BranchModel:
    """Scripts ``a`` and ``b`` (start token first, the same length), told apart at their first different
    token, which the model draws as ``a``'s with probability 0.8; after it, that script's tokens are sure."""

    def __init__(self, a: np.ndarray, b: np.ndarray, vocab: int):
        import tensorflow as tf

        self.at = int(np.flatnonzero(a != b)[0])  # (index of the token that decides the branch)
        self.b_token = int(b[self.at])
        sure = [np.eye(vocab, dtype=np.float32)[np.append(s[1:], s[-1])] * 30.0 for s in (a, b)]  # (len, vocab) each
        mixed = np.full(vocab, -30.0, np.float32)
        mixed[a[self.at]], mixed[b[self.at]] = np.log(0.8), np.log(0.2)
        sure[0][self.at - 1] = sure[1][self.at - 1] = mixed
        self.tables = tf.constant(np.stack(sure))  # (2, len, vocab)

    def initial_state(self, batch):
        import tensorflow as tf

        return tf.zeros((batch,), tf.int32), tf.zeros((batch,), tf.int32)  # position, branch (0: a, 1: b)

    def step(self, tokens, state):
        import tensorflow as tf

        position, branch = state
        branch = tf.where(position == self.at, tf.cast(tokens == self.b_token, tf.int32), branch)
        row = tf.minimum(position, self.tables.shape[1] - 1)
        return tf.gather_nd(self.tables, tf.stack([branch, row], axis=1)), (position + 1, branch)


def test_the_pick_draws_among_the_cadences_or_takes_the_likeliest():
    codec = ChoraleCodec(40, 80, 4, phrases=True)
    a, b = (_script(codec, I, second, V, I, fermata_from=12) for second in (IV, I))  # both close V - I
    model = BranchModel(a, b, codec.vocab_size)
    seconds = {}
    for pick in ("likeliest", "sample"):
        config = PhraseConfig(phrases=1, particles=8, max_phrase_steps=20, min_onsets=2, pick=pick)
        grids, notes = phrase_pieces(model, codec, 10, SamplingConfig(seed=3), config, "major")
        assert notes == [] and all(ends_on_cadence(g, 0, "major") for g in grids)
        seconds[pick] = {tuple(g.pitches[4]) for g in grids}  # the second chord: IV (likelier) or I
    assert seconds["likeliest"] == {IV}
    assert seconds["sample"] == {IV, I}  # the less likely cadence is drawn too
    with pytest.raises(SeqgenError, match="pick must be one of sample, likeliest, got 'best'"):
        PhraseConfig(pick="best")


def test_a_piece_without_its_final_cadence_goes_back_one_phrase(monkeypatch):
    import seqgen.generate.phrase_search as ps

    def fake_phrase(codec, sampler, seed, pieces, mode, final, config):  # the retry's ending works for piece 0 only
        for p in pieces:
            p.tokens = np.append(p.tokens, seed)
            p.missed += final and (p.tokens[0] != 0 or seed == 0)

    monkeypatch.setattr(ps, "_phrase", fake_phrase)
    before = [_Piece(np.array([0])), _Piece(np.array([1]))]
    pieces = [_Piece(np.array([0, 0, 0]), missed=1), _Piece(np.array([1, 0, 0]), missed=1)]
    ps._backtrack(None, None, 5, pieces, before, [0, 0], None, PhraseConfig())
    assert list(pieces[0].tokens) == [0, 5, 5] and pieces[0].missed == 0  # written again: found
    assert list(pieces[1].tokens) == [1, 0, 0] and pieces[1].missed == 1  # the retry missed too: kept as it was


def test_a_fermata_too_soon_to_end_the_phrase_loses_its_mark():
    from seqgen.generate.phrase_search import _judge

    codec = ChoraleCodec(40, 80, phrases=True)
    grid = _grid(I, IV, V, I, VI, IV, V7, I, IV, I)  # 40 steps
    fermata = np.zeros(40, bool)
    fermata[4:8] = True  # held a quarter, but 8 steps into the phrase: too soon (Bach's shortest is 12)
    fermata[24:28] = True  # the phrase end
    grid = Grid(grid.pitches, grid.struck, meta={"fermata": fermata})
    row = np.concatenate([[codec.start_id("major")], codec.encode(grid)])
    assert codec.decode(row[1:]).meta["fermata"][4:8].all()
    config = PhraseConfig(hold=4, min_phrase_steps=12, min_onsets=0)
    tokens, _, _ = _judge(codec, row, 0, _Piece(row[:1]), "major", False, config, cadence=False)
    marks = codec.decode(tokens[1:]).meta["fermata"]
    assert len(marks) == 29 and marks[24:28].all() and not marks[:24].any()  # kept to the step after the end
    assert (codec.without_phrase_ends(tokens[1:]) == codec.encode(Grid(grid.pitches[:29], grid.struck[:29]))).all()
