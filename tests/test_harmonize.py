"""seqgen harmonize and infill on a tiny untrained model: the given voice and the untouched cells stay exactly."""

from dataclasses import replace

import numpy as np
import pytest

from seqgen.data_prep.chorale_codec import ChoraleCodec
from seqgen.data_prep.grid import Grid
from seqgen.data_prep.music_metrics import parse_key, shift_to_key
from seqgen.generate.harmonize import HarmonizeConfig, fill_given
from seqgen.generate.midi_writer import grid_to_midi, midi_to_grid
from seqgen.models.config import make_config
from seqgen.models.registry import build_model
from tests.chorale_factory import save_chorale_run, toy_grid
from tests.cli_helpers import assert_one_line_error, run

CODEC = ChoraleCodec(43, 76)
MELODY = np.array([67, 67, 69, 69, 71, 71, 71, 71, 72, 72, 0, 0, 74, 74, 72, 72, 71, 71, 69, 69], np.int16)


@pytest.fixture(scope="module")
def model():
    return build_model(make_config("lstm", "tiny", CODEC.vocab_size, CODEC.period))


def melody_tokens(voice: int = 0) -> tuple[np.ndarray, np.ndarray, Grid]:
    pitches = np.zeros((len(MELODY), 4), np.int16)
    pitches[:, voice] = MELODY if voice == 0 else np.where(MELODY > 0, MELODY - 24, 0)
    struck = np.zeros_like(pitches, bool)
    struck[::2, voice] = True  # repeated notes: two-step notes, each struck
    grid = Grid(pitches, struck)
    tokens = CODEC.encode(grid)
    return tokens, np.arange(len(tokens)) % 4 == voice, grid


@pytest.mark.parametrize("voice, particles, greedy, penalty", [(0, 1, True, 0), (0, 6, False, 3.0), (3, 4, False, 0)])
def test_the_given_voice_is_kept_exactly(model, voice, particles, greedy, penalty):
    tokens, mask, grid = melody_tokens(voice)
    config = HarmonizeConfig(particles=particles, greedy=greedy, seed=2, parallel_penalty=penalty)
    result = fill_given(model, CODEC, tokens, mask, config)
    out = CODEC.decode(result.tokens)
    np.testing.assert_array_equal(out.pitches[:, voice], grid.pitches[:, voice])
    np.testing.assert_array_equal(out.struck[:, voice], grid.struck[:, voice])
    assert result.log_likelihood < 0 and result.log_evidence < 0
    others = [v for v in range(4) if v != voice]
    assert (out.pitches[:, others] > 0).any()  # the model wrote something in the other voices


def test_particles_are_reproducible_with_a_seed(model):
    tokens, mask, _ = melody_tokens()
    runs = [fill_given(model, CODEC, tokens, mask, HarmonizeConfig(particles=8, seed=s)) for s in (5, 5, 6)]
    np.testing.assert_array_equal(runs[0].tokens, runs[1].tokens)
    assert runs[0].log_likelihood == runs[1].log_likelihood and runs[0].resamples == runs[1].resamples
    assert not np.array_equal(runs[0].tokens, runs[2].tokens)


def test_a_second_melody_reuses_the_compiled_loop(model):
    from seqgen.generate.harmonize import _loop_for
    from seqgen.generate.rules import RulesConfig

    soprano, s_mask, _ = melody_tokens(0)
    bass, b_mask, bass_grid = melody_tokens(3)
    config = HarmonizeConfig(particles=4, seed=1, rules=RulesConfig("off"))  # the penalty alone reads the history
    first = fill_given(model, CODEC, soprano, s_mask, config)
    sampler, _ = _loop_for(model, CODEC, len(soprano), config)
    traces = sampler._sample.experimental_get_tracing_count()
    out = CODEC.decode(fill_given(model, CODEC, bass, b_mask, replace(config, seed=2)).tokens)
    again = fill_given(model, CODEC, soprano, s_mask, config)
    assert sampler._sample.experimental_get_tracing_count() == traces  # new melody and seed, no new trace
    np.testing.assert_array_equal(out.pitches[:, 3], bass_grid.pitches[:, 3])  # the new melody was forced
    np.testing.assert_array_equal(again.tokens, first.tokens)  # and the seed set again gives the same piece


def test_keys_by_name():
    assert parse_key("A minor") == (9, "minor") and parse_key("eb") == (3, "major") and parse_key("F# minor") == (6, "minor")
    assert shift_to_key((7, "major"), (2, "major")) == (-5, (2, "major"))
    assert shift_to_key((0, "major"), (9, "minor")) == (0, (0, "major"))  # relative major: same signature


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, model):
    return save_chorale_run(model, CODEC, tmp_path_factory.mktemp("runs") / "tiny")


def test_harmonize_cli_keeps_a_midi_melody(tmp_path, run_dir):
    _, _, grid = melody_tokens()
    melody = grid_to_midi(Grid(grid.pitches[:, :1], grid.struck[:, :1]), tmp_path / "tune.mid")
    out = tmp_path / "harm.mid"
    result = run("harmonize", melody, "--run", run_dir, "--particles", "4", "--seed", "1", "--num", "2", "-o", out)
    assert result.exit_code == 0, result.output
    assert "log-likelihood" in result.output
    for path in (tmp_path / "harm-1.mid", tmp_path / "harm-2.mid"):
        written = midi_to_grid(path, voices=4)
        np.testing.assert_array_equal(written.pitches[: len(MELODY), 0], MELODY)
        np.testing.assert_array_equal(written.struck[: len(MELODY), 0], grid.struck[:, 0])
    key = run("harmonize", melody, "--run", run_dir, "--particles", "2", "--key", "A major", "-o", tmp_path / "k.musicxml")
    assert key.exit_code == 0 and "moved up 2 semitones to A major" in key.output, key.output
    assert "<fifths>3</fifths>" in (tmp_path / "k.musicxml").read_text()  # the key signature: three sharps
    assert_one_line_error(run("harmonize", melody, "--run", run_dir, "--key", "H minor", "-o", tmp_path / "x.mid"), "--key")
    assert_one_line_error(run("harmonize", melody, "--run", run_dir, "-o", out.with_suffix(".txt")), ".wav")


def test_infill_never_touches_cells_outside_the_region(model):
    from seqgen.generate.infill import InfillConfig, parse_bars, parse_voices, region_mask, resample_region

    grid = toy_grid(32, seed=3)
    tokens = CODEC.encode(grid)
    bars = parse_bars("2", grid.steps)
    assert (bars.start, bars.stop) == (16, 32) and parse_voices("alto,t") == [1, 2]
    mask = region_mask(grid.steps, 4, bars, [1, 2])
    assert mask.sum() == 32
    results = []
    for config in (InfillConfig(window=2, sweeps=1, candidates=3, seed=4), InfillConfig(window=3, sweeps=0, greedy=True),
                   InfillConfig(window=2, sweeps=1, candidates=3, seed=4)):
        new = resample_region(model, CODEC, tokens, mask, config)
        np.testing.assert_array_equal(new[~mask], tokens[~mask])
        assert (new[mask] != tokens[mask]).any()  # an untrained model does not write the toy's notes back
        results.append(new)
    np.testing.assert_array_equal(results[0], results[2])  # same seed, same result


def test_infill_cli(tmp_path, run_dir):
    grid = toy_grid(40, seed=3)
    piece = grid_to_midi(grid, tmp_path / "piece.mid")
    out = tmp_path / "new.mid"
    result = run("infill", piece, "--run", run_dir, "--bars", "2", "--voices", "bass", "--window", "2",
                 "--sweeps", "1", "-o", out)
    assert result.exit_code == 0, result.output
    assert "16 cells" in result.output and "1 Gibbs sweeps" in result.output
    written = midi_to_grid(out, voices=4)
    np.testing.assert_array_equal(written.pitches[:, :3], grid.pitches[:, :3])
    np.testing.assert_array_equal(written.pitches[:16], grid.pitches[:16])
    assert_one_line_error(run("infill", piece, "--run", run_dir, "--bars", "9", "-o", tmp_path / "x.mid"), "--bars")
