"""harmonize's cadence search: phrase ends from fermatas or --phrase-ends, cadences judged on hand-built
chords, particle rows traced back together, and the given voice kept through the phrase-by-phrase search."""

import numpy as np
import pytest

from seqgen.data_prep.chorale_codec import ChoraleCodec
from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.grid import Grid
from seqgen.generate.harmonize import HarmonizeConfig, fill_given
from seqgen.generate.harmonize_phrases import _keep_closing, _Run, closes, fermata_ends, mark_phrase_ends, \
    parse_bar_list
from seqgen.generate.midi_writer import grid_to_midi, midi_to_grid
from seqgen.generate.particles import origins, systematic_indices, trace_all, trace_back
from seqgen.models.config import make_config
from seqgen.models.registry import build_model
from tests.chorale_factory import save_chorale_run
from tests.cli_helpers import assert_one_line_error, run

CODEC = ChoraleCodec(36, 81, phrases=True)
# Two phrases of 16 steps: quarter notes G G A B | C(fermata, a half) then D C B A | G (fermata, a half).
TUNE = [67] * 4 + [67] * 4 + [69] * 4 + [71] * 4 + [72] * 8 + [74] * 4 + [72] * 4 + [71] * 4 + [69] * 4 + [67] * 8


@pytest.fixture(scope="module")
def model():
    return build_model(make_config("lstm", "tiny", CODEC.vocab_size, CODEC.period))


def melody(fermatas: bool = True) -> Grid:
    steps = len(TUNE)
    pitches = np.zeros((steps, 4), np.int16)
    pitches[:, 0] = TUNE
    struck = np.zeros_like(pitches, bool)
    struck[0, 0] = True
    struck[1:, 0] = np.diff(TUNE) != 0
    struck[4, 0] = True  # the repeated G: struck again
    fermata = np.zeros(steps, bool)
    fermata[16:24] = fermata[40:48] = True
    return Grid(pitches, struck, "tune", meta={"fermata": fermata} if fermatas else {})


def test_phrase_ends_are_fermata_runs_and_the_last_step():
    f = np.zeros(12, bool)
    f[2:4] = f[7] = True
    assert fermata_ends(f, 12) == [3, 7, 11]
    f[10:] = True  # a fermata on the last note is the last phrase end, not two
    assert fermata_ends(f, 12) == [3, 7, 11]
    assert fermata_ends(None, 5) == [4]
    with pytest.raises(SeqgenError):
        fermata_ends(None, 0)


def test_phrase_ends_marked_by_bar_fall_on_the_bars_last_note():
    tune = melody(fermatas=False)
    marked = mark_phrase_ends(tune, "2,3", column=0)
    f = marked.meta["fermata"]
    # bar 2 (steps 16-31): its last struck note is the C at 28, held to 32; bar 3: the G at 40, held to the end
    assert list(np.flatnonzero(f)) == list(range(28, 32)) + list(range(40, 48))
    assert fermata_ends(f, tune.steps) == [31, 47]
    assert parse_bar_list(" 4, 2,2") == [2, 4]
    for bad in ("", "2-4", "0", "x", "2,,3"):
        with pytest.raises(SeqgenError, match="--phrase-ends"):
            parse_bar_list(bad)
    with pytest.raises(SeqgenError, match="bars 1-3"):
        mark_phrase_ends(tune, "4")
    silent = Grid(np.zeros((32, 1), np.int16), np.zeros((32, 1), bool))
    with pytest.raises(SeqgenError, match="no melody note begins in bar 1"):
        mark_phrase_ends(silent, "1")


def chord_grid(chords, hold: int = 4) -> Grid:
    """Each chord (soprano, alto, tenor, bass) held ``hold`` steps."""
    pitches = np.repeat(np.array(chords, np.int16), hold, axis=0)
    struck = np.zeros_like(pitches, bool)
    struck[::hold] = True
    return Grid(pitches, struck)


def test_a_phrase_closes_on_a_cadence_and_not_on_a_held_inner_chord():
    c_major = (0, "major")
    v_i = chord_grid([(72, 67, 64, 48), (71, 67, 62, 43), (72, 64, 55, 48)])  # I V I in C, root position
    assert closes(v_i, v_i.steps - 1, c_major, final=True) == 1
    assert closes(v_i, v_i.steps - 1, c_major, final=False) == 1
    i_v = chord_grid([(72, 67, 64, 48), (72, 64, 55, 48), (71, 67, 62, 43)])  # ends on V: a half cadence
    assert closes(i_v, i_v.steps - 1, c_major, final=False) == 1
    assert closes(i_v, i_v.steps - 1, c_major, final=True) == 0  # the piece may not end on it
    inverted = chord_grid([(72, 67, 64, 48), (71, 67, 62, 43), (72, 67, 55, 52)])  # I6 after V: no cadence
    assert closes(inverted, inverted.steps - 1, c_major, final=True) == 0
    # judged at its own end step, not at the grid's end
    assert closes(v_i, 7, c_major, final=True) == 0


def test_all_rows_trace_back_as_each_one_alone():
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, 50, (5, 9)).astype(np.int32)
    parents = rng.integers(0, 5, (9, 5)).astype(np.int32)
    every = trace_all(tokens, parents)
    for row in range(5):
        np.testing.assert_array_equal(every[row], trace_back(tokens, parents, row))


def test_origins_are_the_start_rows_each_final_row_continues():
    # 3 particles, 2 steps: after step 0 rows become (0, 0, 2), after step 1 (2, 1, 1) of those
    parents = np.array([[0, 0, 2], [2, 1, 1]])
    np.testing.assert_array_equal(origins(parents), [2, 0, 0])
    np.testing.assert_array_equal(origins(np.zeros((0, 3), int)), [0, 1, 2])  # no step: every row its own


def test_systematic_resampling_keeps_shares_and_never_draws_a_zero_weight():
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(systematic_indices(np.array([0.0, 1.0, 0.0]), rng), [1, 1, 1])
    drawn = systematic_indices(np.array([1.0, 3.0, 0.0, 0.0]), np.random.default_rng(5))  # 4 draws: exactly 1 and 3
    np.testing.assert_array_equal(np.bincount(drawn, minlength=4), [1, 3, 0, 0])


def made_up_run(level, log_w) -> _Run:
    n = len(level)
    rows = np.arange(n)[:, None] * np.ones((1, 3), np.int32)  # row i holds tokens i
    return _Run(rows, np.array(log_w, float), -np.arange(n, dtype=float), np.zeros(n), np.array(level), -1.0, 0)


def test_an_inner_phrase_end_keeps_only_particles_that_close_it():
    kept = _keep_closing(made_up_run([0, 1, 0, 1], [5.0, 0.0, 5.0, 0.0]), seed=3)
    assert set(kept.rows[:, 0]) <= {1, 3} and len(kept.rows) == 4  # heavy rows 0 and 2 did not close
    assert (kept.level == 1).all() and (kept.log_w == 0).all()  # equal weights into the next phrase
    np.testing.assert_array_equal(kept.log_lik, -kept.rows[:, 0])  # each row keeps its own past
    none = _keep_closing(made_up_run([0, 0, 0, 0], [0.0, -50.0, -50.0, -50.0]), seed=3)
    np.testing.assert_array_equal(none.rows[:, 0], [0, 0, 0, 0])  # none closes: by the weights alone


def test_cadence_search_keeps_the_melody_and_reports_every_phrase_end(model):
    tune = melody()
    given = CODEC.encode(tune)
    mask = np.arange(len(given)) % 4 == 0
    config = HarmonizeConfig(particles=4, seed=3)
    first, again = (fill_given(model, CODEC, given, mask, config) for _ in range(2))
    np.testing.assert_array_equal(first.tokens[mask], given[mask])  # fermata tokens of the soprano included
    np.testing.assert_array_equal(first.tokens, again.tokens)  # the same seed, the same search
    assert first.phrases == 2 and 0 <= first.cadences <= 2 and first.log_likelihood < 0
    marked = fill_given(model, CODEC, given, mask, config, ends=[15, 31, 47])
    assert marked.phrases == 3


def test_log_likelihood_counts_the_piece_and_not_the_chunk_past_its_end(model):
    """The loop draws whole chunks of 64 tokens; 45 steps (180 tokens) end inside one, and the tokens
    drawn past the end must not count (they did, before the particle filter read the forced length)."""
    import tensorflow as tf

    given = CODEC.encode(melody())[: 45 * 4]
    mask = np.arange(len(given)) % 4 == 0
    for cadences in (False, True):
        result = fill_given(model, CODEC, given, mask, HarmonizeConfig(particles=1, greedy=True, cadences=cadences))
        inputs = np.concatenate([[CODEC.bos_id], result.tokens[:-1]])[None].astype(np.int32)
        log_p = tf.nn.log_softmax(model(inputs)).numpy()[0]  # (time, vocab)
        rescored = float(log_p[np.arange(len(result.tokens)), result.tokens].sum())
        assert result.log_likelihood == pytest.approx(rescored, rel=1e-4)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, model):
    return save_chorale_run(model, CODEC, tmp_path_factory.mktemp("runs") / "phrases")


def test_harmonize_cli_marks_phrase_ends_on_a_midi_melody(tmp_path, run_dir):
    tune = melody(fermatas=False)
    path = grid_to_midi(Grid(tune.pitches[:, :1], tune.struck[:, :1]), tmp_path / "tune.mid")
    out = tmp_path / "h.mid"
    plain = run("harmonize", path, "--run", run_dir, "--particles", "3", "-o", out)
    assert plain.exit_code == 0, plain.output
    assert "of 1 phrase ends (the melody's last note)" in plain.output
    marked = run("harmonize", path, "--run", run_dir, "--particles", "3", "--phrase-ends", "1,2", "-o", out, "--force")
    assert marked.exit_code == 0, marked.output
    assert "of 3 phrase ends (bars 1, 2 and the melody's last note)" in marked.output
    np.testing.assert_array_equal(midi_to_grid(out, voices=4).pitches[: tune.steps, 0], TUNE)
    off = run("harmonize", path, "--run", run_dir, "--particles", "3", "--no-cadences", "-o", out, "--force")
    assert off.exit_code == 0 and "cadences at" not in off.output, off.output
    assert_one_line_error(run("harmonize", path, "--run", run_dir, "--phrase-ends", "2-4", "-o", tmp_path / "x.mid"),
                          "--phrase-ends")
    assert_one_line_error(run("harmonize", path, "--run", run_dir, "--phrase-ends", "9", "-o", tmp_path / "x.mid"),
                          "bars 1-3")
    assert not (tmp_path / "x.mid").exists()


def test_a_long_bar_list_is_cut_in_the_message():
    with pytest.raises(SeqgenError) as error:
        parse_bar_list(",".join(["1"] * 20000) + ",x")
    assert len(str(error.value)) < 120 and "..." in str(error.value)
