"""MIDI corpora end to end: split, transposition, training on both encodings, evaluation, generation, CLI."""

from __future__ import annotations

import json
import re
import shutil
from types import SimpleNamespace

import mido
import numpy as np
import pytest

import midi_factory as mf
from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.midi_events import NOTE_OFF, NOTE_ON, TIME_SHIFT, EventCodec
from seqgen.data_prep.midi_read import read_midi
from seqgen.generate.sampling import SamplingConfig
from seqgen.generate.midi_gen import event_primer, generate_events, shift_steps, trim_to_steps
from seqgen.models.config import make_config
from seqgen.models import driver
from seqgen.models.midi_task import MidiDataConfig, split_corpus, split_tail
from seqgen.models.registry import build_model
from seqgen.models.train import TrainConfig
from tests.cli_helpers import assert_one_line_error, run
from tests.shared_runs import read_report, shared

CODEC = EventCodec()


def on(p):
    return NOTE_ON + p


def off(p):
    return NOTE_OFF + p


def shift(steps):
    return TIME_SHIFT + steps - 1


def train_midi(out, corpus, *, family, preset, data=None, train=TrainConfig(), verbose=0):
    """The MIDI task through the shared driver, as ``seqgen train midi`` calls it."""
    request = driver.TrainRequest(family, preset, {"corpus": corpus}, data, train)
    return driver.train("midi", out, request, verbose=verbose)


def losses(run_dir):
    rows = (run_dir / "log.csv").read_text().splitlines()
    column = rows[0].split(",").index("loss")
    return [float(row.split(",")[column]) for row in rows[1:]]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Four two-part pieces (64 steps each) and three unusable files (tests/shared_runs.py)."""
    return shared(tmp_path_factory, "midi") / "corpus"


@pytest.fixture(scope="module")
def grid_run(tmp_path_factory, corpus):
    out = tmp_path_factory.mktemp("runs") / "grid"
    result = run("train", "midi", "--corpus", corpus, "--encoding", "grid", "--model", "gru", "--preset", "tiny",
                 "--epochs", "3", "--learning-rate", "0.01", "--window", "8", "--batch-size", "8", "--out", out)
    assert result.exit_code == 0, result.output
    return out, result.output


@pytest.fixture(scope="module")
def events_run(tmp_path_factory):
    """A 3-epoch GRU on the corpus, events encoding, window 32 (shared by the session): (run, report)."""
    folder = shared(tmp_path_factory, "midi")
    return SimpleNamespace(run=folder / "run", report=read_report(folder))


# ------------------------------------------------------------------------------ split and augmentation


def test_split_by_file_name_is_stable_and_leaves_one_each_side(corpus):
    perfs = [read_midi(corpus / f"piece{i}.mid") for i in range(4)]
    split = split_corpus(perfs)
    assert len(split.train) == 3 and len(split.valid) == 1 and not split.tail
    again = split_corpus(perfs[::-1])  # the order files are found in does not matter
    assert {p.name for p in again.valid} == {p.name for p in split.valid}
    pair = split_corpus(perfs[:2])
    assert len(pair.train) == len(pair.valid) == 1


def test_one_file_holds_out_its_last_notes(corpus):
    perf = read_midi(corpus / "piece0.mid")  # onsets every half beat for 16 beats: 32 onsets
    head, tail = split_tail(perf, 0.1)
    assert len(head.notes) + len(tail.notes) == len(perf.notes)
    assert max(n.start_beat for n in head.notes) == 14.0  # 29 onsets kept, the last 3 held out
    assert min(n.start_beat for n in tail.notes) == 0.5  # whole beats cut: it keeps its place in the beat
    assert min(n.start for n in tail.notes) == 0.0  # and starts at once
    split = split_corpus([perf])
    assert split.tail and split.train == (head,) and split.valid == (tail,)


def test_event_transposition_moves_note_tokens_only():
    tokens = np.array([0, on(60), shift(5), off(60), CODEC.first_velocity + 3, on(127)], np.int32)
    moved = CODEC.transpose_tokens(tokens, -2).numpy()
    np.testing.assert_array_equal(moved, [0, on(58), shift(5), off(58), CODEC.first_velocity + 3, on(125)])
    windows = np.array([[0, on(1), off(126), shift(3)], [0, shift(2), shift(9), 5 + CODEC.first_velocity]])
    np.testing.assert_array_equal(CODEC.shift_ranges(windows, 4), [[-1, 1], [0, 0]])


# ------------------------------------------------------------------------------------- training


def test_grid_training_from_the_cli_skips_broken_files(grid_run, corpus):
    out, output = grid_run
    for name in ("truncated.mid", "empty.mid", "readme.mid"):
        assert f"skipped {corpus / name}" in output
    assert "files read: 4, skipped: 3" in output and "held-out files: 1" in output
    info = json.loads((out / "run.json").read_text())
    assert (info["task"], info["data"]["encoding"], info["codec"]["type"], info["codec"]["voices"]) == ("midi", "grid", "chorale", 2)
    assert info["source"]["corpus"] == [str(corpus)] and len(info["record"]["split"]["valid_files"]) == 1
    assert losses(out)[-1] < losses(out)[0]


def test_events_training_loss_falls(events_run):
    info = json.loads((events_run.run / "run.json").read_text())
    assert (info["data"]["encoding"], info["codec"]["type"], info["model"]["family"]) == ("events", "midi_events", "gru")
    assert losses(events_run.run)[-1] < losses(events_run.run)[0]
    assert "events: 389 tokens" in events_run.report


def test_no_usable_file_is_one_clear_error(tmp_path):
    mf.write_truncated(tmp_path / "a.mid")
    mf.write_bytes(tmp_path / "b.mid", b"")
    with pytest.raises(SeqgenError, match="none of the 2 MIDI files"):
        train_midi(tmp_path / "run", [str(tmp_path)], family="lstm", preset="tiny", data=MidiDataConfig("events"))
    result = run("train", "midi", "--corpus", tmp_path, "--encoding", "grid", "--model", "lstm", "--out", tmp_path / "r")
    assert_one_line_error(result, "none of the 2 MIDI files")
    assert not (tmp_path / "run").exists() and not (tmp_path / "r").exists()


def test_resume_refuses_another_corpus_and_reads_the_rest_from_the_run(grid_run, corpus, tmp_path):
    out = tmp_path / "grid"
    shutil.copytree(grid_run[0], out)
    (out / "model.keras").unlink()
    (out / "backup").mkdir()  # an interrupted run
    result = run("train", "midi", "--resume", "--corpus", tmp_path, "--model", "gru", "--out", out)
    assert_one_line_error(result, "--corpus", "conflicts with the run", str(corpus), "drop --corpus")
    result = run("train", "midi", "--resume", "--model", "gru", "--epochs", "1", "--batch-size", "64", "--out", out)
    assert_one_line_error(result, "--batch-size 64 conflicts with the run", "which has 8", "drop --batch-size")
    result = run("train", "midi", "--resume", "--model", "gru", "--epochs", "1", "--out", out)
    assert result.exit_code == 0, result.output
    assert (out / "model.keras").exists() and "files read: 4, skipped: 3" in result.output


# ------------------------------------------------------------------------------------- evaluation


def test_evaluate_prints_nats_for_both_encodings(grid_run, events_run):
    grid = run("evaluate", grid_run[0])
    assert grid.exit_code == 0, grid.output
    assert "valid: 1 files, 64 steps x 2 voices" in grid.output and "nats per step" in grid.output
    # nats per second of music: all 64 x 2 notes' nats over the file's seconds, comparable with events
    seconds = float(re.search(r"([\d.]+) s of music", grid.output).group(1))
    per_note = float(re.search(r"([\d.]+) nats per note", grid.output).group(1))
    per_second = float(re.search(r"([\d.]+) nats per second of music", grid.output).group(1))
    assert per_second == pytest.approx(per_note * 128 / seconds, rel=0.02)
    events = run("evaluate", events_run.run, "--split", "train")
    assert events.exit_code == 0, events.output
    assert "train: 3 files" in events.output and "nats per event" in events.output
    assert_one_line_error(run("evaluate", grid_run[0], "--split", "test"), "--split valid")


def test_one_file_corpus_trains_and_evaluates_on_its_tail(corpus, tmp_path):
    trained = train_midi(tmp_path / "run", [str(corpus / "piece2.mid")], family="lstm", preset="tiny", verbose=0,
                         data=MidiDataConfig(encoding="events", window=16), train=TrainConfig(epochs=1))
    assert f"held out: the last notes of {corpus / 'piece2.mid'} (a corpus of one file)" in trained.report
    info = json.loads((trained.run / "run.json").read_text())
    assert info["record"]["split"] == {"tail": True, "valid_files": [str(corpus / "piece2.mid")]}
    report = driver.evaluate(trained.run).text()
    # the last 3 of 32 half-beat onsets: velocity, then on, shift, off for each note; 0.75 s at 120 bpm
    assert report.startswith("valid: 1 files, 10 events, 0.8 s of music")


# ------------------------------------------------------------------------------------- generation


def notes_in(path):
    return sum(1 for t in mido.MidiFile(path).tracks for m in t if m.type == "note_on" and m.velocity > 0)


def test_generate_grid_writes_numbered_files(grid_run, tmp_path):
    result = run("generate", "midi", "--run", grid_run[0], "--steps", "16", "--num", "2", "--seed", "1",
                 "-o", tmp_path / "g.mid")
    assert result.exit_code == 0, result.output
    for name in ("g-1.mid", "g-2.mid"):
        assert notes_in(tmp_path / name) > 0
        assert mido.MidiFile(tmp_path / name).length == pytest.approx(2.0)  # 16 steps at the corpus's 120 bpm
    assert_one_line_error(run("generate", "midi", "--run", grid_run[0], "-o", tmp_path / "g-1.mid"), "already exists")
    again = run("generate", "midi", "--run", grid_run[0], "--steps", "8", "--force", "-o", tmp_path / "g-1.mid")
    assert again.exit_code == 0, again.output


def test_generate_grid_folds_a_primer_with_more_voices(grid_run, tmp_path):
    primer = mf.write_notes(tmp_path / "p.mid", [(72, 0, 4)], [(67, 0, 4)], [(60, 0, 4)])
    result = run("generate", "midi", "--run", grid_run[0], "--primer", primer, "--seconds", "4", "-o", tmp_path / "o.mid")
    assert result.exit_code == 0, result.output
    assert "1 notes dropped to fit the model's 2 voices" in result.output and "32 steps" in result.output


def test_generate_events_from_a_primer(events_run, tmp_path):
    primer = mf.write_notes(tmp_path / "p.mid", [(60, 0, 1), (62, 1, 1), (64, 8, 1)])  # 120 bpm: 0.5 s a beat
    tokens = event_primer(primer, CODEC, beats=2)
    assert [(n.pitch, n.start, n.end) for n in CODEC.decode(tokens)] == [(60, 0.0, 0.5), (62, 0.5, 1.0)]
    result = run("generate", "midi", "--run", events_run.run, "--primer", primer, "--primer-beats", "2",
                 "--steps", "200", "--instrument", "40", "-o", tmp_path / "e.mid")
    assert result.exit_code == 0, result.output
    assert notes_in(tmp_path / "e.mid") >= 2  # the primer's notes at least
    programs = [m.program for t in mido.MidiFile(tmp_path / "e.mid").tracks for m in t if m.type == "program_change"]
    assert programs == [40]


def test_trim_to_steps_shortens_the_last_shift():
    tokens = np.array([on(60), shift(30), off(60), on(62), shift(50), off(62)], np.int32)
    np.testing.assert_array_equal(trim_to_steps(tokens, CODEC, 50), [on(60), shift(30), off(60), on(62), shift(20)])
    np.testing.assert_array_equal(trim_to_steps(tokens, CODEC, 30), [on(60), shift(30)])
    np.testing.assert_array_equal(trim_to_steps(tokens, CODEC, 500), tokens)  # never reached: whole


def test_seconds_give_exactly_that_much_time():
    model = build_model(make_config("gru", "tiny", CODEC.vocab_size))  # untrained: shifts come often
    prime = np.array([on(60), shift(10)], np.int32)
    rows, notes = generate_events(model, CODEC, prime, num=3, sampling=SamplingConfig(seed=2), seconds=1.5)
    assert notes == [] and len(rows) == 3
    for row in rows:
        np.testing.assert_array_equal(row[:2], prime)
        assert shift_steps(row, CODEC).sum() == 150  # 1.5 s of 10 ms steps
    with pytest.raises(SeqgenError, match="must exceed the primer's 0.1 s"):
        generate_events(model, CODEC, prime, num=1, sampling=SamplingConfig(), seconds=0.1)


def test_events_seconds_from_the_cli(events_run, tmp_path):
    result = run("generate", "midi", "--run", events_run.run, "--seconds", "1.5", "-o", tmp_path / "s.mid")
    assert result.exit_code == 0, result.output
    assert mido.MidiFile(tmp_path / "s.mid").length <= 1.5 + 1e-6


def test_data_midi_lists_files_and_reasons(corpus):
    result = run("data", "midi", corpus)
    assert result.exit_code == 0, result.output
    assert "files read: 4" in result.output and "files skipped: 3" in result.output
    assert "empty file (0 bytes)" in result.output and "pitch range: 48-67" in result.output
    assert_one_line_error(run("data", "midi", corpus / "nothing"), "does not exist")


@pytest.mark.parametrize("args, fragments", [
    (["--primer", "{tmp}/none.mid"], ["does not exist"]),
    (["--primer", "{tmp}/bad.mid"], ["bad.mid", "truncated MIDI data"]),
    (["--primer", "{tmp}/notes.txt"], ["not a MIDI file"]),
    (["--steps", "10", "--seconds", "2"], ["not both"]),
    (["--steps", "4", "--primer", "{corpus}/piece0.mid"], ["must exceed the primer's 16 steps"]),
    (["--temperature", "0"], ["--temperature"]),
    (["-o", "{tmp}/missing/x.mid"], ["does not exist"]),
])
def test_bad_generate_input_is_one_line_and_writes_nothing(args, fragments, grid_run, corpus, tmp_path):
    (tmp_path / "bad.mid").write_bytes(b"MThd broken")
    (tmp_path / "notes.txt").write_text("la la")
    args = [a.format(tmp=tmp_path, corpus=corpus) for a in args]
    out = [] if "-o" in args else ["-o", tmp_path / "x.mid"]
    before = sorted(p.name for p in tmp_path.iterdir())
    assert_one_line_error(run("generate", "midi", "--run", grid_run[0], *args, *out), *fragments)
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_generate_refuses_a_run_of_another_task(tmp_path):
    (tmp_path / "run.json").write_text('{"task": "chorale", "codec": {"type": "chorale", "low": 40, "high": 80}}')
    # No model file at all: the task check must come first, or the error would be about the weights.
    assert_one_line_error(run("generate", "midi", "--run", tmp_path, "-o", tmp_path / "x.mid"),
                          "is a 'chorale' run, not a midi run", "seqgen train midi")


def test_transposition_by_default_only_with_controls():
    from seqgen.models.midi_task import TRANSPOSE_WITH_CONTROLS, MidiDataConfig

    assert MidiDataConfig().transpose == 0
    assert MidiDataConfig(controls=True).transpose == TRANSPOSE_WITH_CONTROLS
    assert MidiDataConfig(max_transpose=3).transpose == 3 and MidiDataConfig(controls=True, max_transpose=0).transpose == 0
    with pytest.raises(SeqgenError, match="max_transpose must be in 0..12, got 13"):
        MidiDataConfig(max_transpose=13)
