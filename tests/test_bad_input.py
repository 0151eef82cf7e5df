"""Absurd numbers and hostile files refused in one line, before the model loads where possible
(the cases of issue 17 that ``benchmarks/fuzz_cli.py`` met; each failed before its fix)."""

import io
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.grid import Grid
from seqgen.generate import limits
from tests.cli_helpers import assert_one_line_error, run

SHIPPED = Path(__file__).resolve().parents[1] / "generate" / "pretrained"


@pytest.fixture
def no_model(monkeypatch):
    """Fail the test if the command gets as far as opening a run (its limits come first)."""
    def refuse(*args, **kwargs):
        raise AssertionError("the model was loaded before the limit was checked")
    # The lowest level only, which every caller reaches as rd.load_model_file: a module that binds a
    # patched name at import (from ... import open_run) would keep it for the worker's later tests.
    monkeypatch.setattr("seqgen.models.run_dir.load_model_file", refuse)


@pytest.mark.parametrize("args, limit", [
    (["train", "chorales", "--model", "lstm", "--batch-size", "1000000000", "--out", "r"], "8192"),
    (["infill", "bwv269", "--sweeps", "1000000", "-o", "x.mid"], "100"),
    (["infill", "bwv269", "--window", "100000", "-o", "x.mid"], "256"),
    (["infill", "bwv269", "--window", "1000000000", "-o", "x.mid"], "256"),
    (["infill", "bwv269", "--candidates", "1000000", "-o", "x.mid"], "128"),
    (["harmonize", "bwv269", "--particles", "1000000", "-o", "x.mid"], "1024"),
    (["harmonize", "bwv269", "--num", "1000000", "-o", "x.mid"], "1000"),
    (["generate", "chorale", "--num", "1000000", "-o", "x.mid"], "1000"),
    (["generate", "text", "--length", "1000000000"], "2000000"),
    (["train", "text", "--model", "lstm", "--window", "1000000000", "--out", "r"], "4096"),
    (["generate", "chorale", "--seed", "-1", "-o", "x.mid"], "2147483647"),
    (["show", "sketches", "cats.ndjson", "--index", "-1"], "0<=x"),
    (["classify", ".", "cats.ndjson", "--index", "-1"], "0<=x"),
])
def test_absurd_numbers_name_the_limit(tmp_path, monkeypatch, no_model, args, limit):
    monkeypatch.chdir(tmp_path)
    assert_one_line_error(run(*args), limit)


@pytest.mark.parametrize("args", [
    ["harmonize", "bwv269", "--parallel-penalty", "nan", "-o", "x.mid"],
    ["harmonize", "bwv269", "--parallel-penalty", "inf", "-o", "x.mid"],
    ["generate", "chorale", "--temperature", "nan", "-o", "x.mid"],
    ["generate", "text", "--top-p", "nan"],
    ["train", "chorales", "--model", "lstm", "--learning-rate", "nan", "--out", "r"],
    ["train", "chorales", "--model", "lstm", "--max-minutes", "inf", "--out", "r"],
    ["infill", "bwv269", "--bpm", "nan", "-o", "x.mid"],
])
def test_nan_and_inf_are_refused(tmp_path, monkeypatch, no_model, args):
    monkeypatch.chdir(tmp_path)
    assert_one_line_error(run(*args), "finite")


def test_harmonize_config_refuses_a_nan_penalty():
    from seqgen.generate.harmonize import HarmonizeConfig

    with pytest.raises(SeqgenError, match="finite"):
        HarmonizeConfig(parallel_penalty=math.nan)


def test_token_limit_is_checked_before_the_model_loads(tmp_path, no_model):
    result = run("generate", "chorale", "--steps", "100000", "--num", "1000", "-o", tmp_path / "x.mid")
    assert_one_line_error(result, "SEQGEN_MAX_TOKENS")


def test_a_huge_prompt_file_is_refused_unread(tmp_path, no_model):
    big = tmp_path / "big.txt"
    big.write_text("x" * 1_000_000)  # a 1 MB prompt with --length 10 took 86 s to prime
    result = run("generate", "text", "--prompt-file", big, "--length", "10")
    assert_one_line_error(result, f"{limits.MAX_PROMPT_BYTES:,}")


def test_a_long_prompt_is_refused():
    with pytest.raises(SeqgenError, match="20,000"):
        limits.check_prompt_text("a" * (limits.MAX_PROMPT_CHARS + 1))
    limits.check_prompt_text("a" * limits.MAX_PROMPT_CHARS)  # the limit itself is allowed


def test_an_empty_output_name_is_one_line(tmp_path, monkeypatch, no_model):
    monkeypatch.chdir(tmp_path)
    midi = SHIPPED.parent.parent / "samples" / "chorale-seed1.mid"
    assert_one_line_error(run("render", midi, "-o", ""), "empty")
    assert_one_line_error(run("generate", "text", "-o", ""), "empty")
    assert_one_line_error(run("render", midi, "-o", tmp_path), "directory")


def test_open_ended_bars_are_refused():
    from seqgen.generate.infill import parse_bars

    with pytest.raises(SeqgenError, match="5-"):
        parse_bars("5-", 128)
    assert parse_bars("5-6", 128) == range(64, 96)


def test_bars_spelling_is_refused_before_the_model_loads(tmp_path, monkeypatch):
    from seqgen.generate import runs

    def no_model(*args, **kwargs):
        raise AssertionError("the model was loaded before --bars was checked")

    monkeypatch.setattr(runs, "open_run", no_model)
    assert_one_line_error(run("infill", "bwv269", "--bars", "5-", "-o", tmp_path / "x.mid"), "--bars")
    assert not (tmp_path / "x.mid").exists()


def test_a_one_voice_piece_is_not_a_four_part_piece():
    from seqgen.generate.input_checks import check_parts_sound

    pitches = np.zeros((32, 4), np.int16)
    pitches[:, 0] = 72  # a melody alone, read into four voices
    with pytest.raises(SeqgenError, match="alto, tenor, bass.*harmonize"):
        check_parts_sound(Grid(pitches, pitches > 0, "mono"), "mono.mid", "infill")
    pitches[:, 1:] = [64, 57, 48]
    check_parts_sound(Grid(pitches, pitches > 0, "full"), "full.mid", "infill")


def test_infill_work_is_bounded_by_the_token_limit(monkeypatch):
    from seqgen.generate.input_checks import check_infill_work

    check_infill_work(800, 200, 4, window=8, sweeps=3, candidates=8)  # the defaults on a whole chorale
    with pytest.raises(SeqgenError, match="SEQGEN_MAX_TOKENS"):
        check_infill_work(800, 200, 4, window=256, sweeps=100, candidates=128)
    monkeypatch.setenv("SEQGEN_MAX_TOKENS", "100")
    with pytest.raises(SeqgenError, match="2,000 "):
        check_infill_work(800, 200, 4, window=8, sweeps=3, candidates=8)


def test_experiment_seeds_are_bounded(tmp_path):
    result = run("experiment", "sketches", "--synthetic", "--seeds", "1000000000", "--out", tmp_path / "x")
    assert_one_line_error(result, str(limits.MAX_SEEDS))
