"""Run folders held to what they promise: run.json checked against its model, --force deleting
only what a run writes, a refused --resume changing nothing (issue 17)."""

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from seqgen.data_prep.errors import SeqgenError
from seqgen.models import run_dir as rd
from tests.cli_helpers import assert_one_line_error, run

SHIPPED = Path(__file__).resolve().parents[1] / "generate" / "pretrained"


def edited_run(tmp_path, name, path, value):
    """A copy of a shipped run whose run.json has ``path`` (dotted) set to ``value``."""
    target = tmp_path / name
    shutil.copytree(SHIPPED / name, target)
    info = json.loads((target / "run.json").read_text())
    *parents, last = path.split(".")
    node = info
    for key in parents:
        node = node[key]
    node[last] = value
    (target / "run.json").write_text(json.dumps(info))
    return target


@pytest.fixture
def no_weights(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("weights were read before run.json was checked")
    monkeypatch.setattr("seqgen.models.run_dir.load_model_file", refuse)


def shipped_vocab_sizes(high):
    """(tokens of the shipped chorale codec with ``high`` as its top pitch, tokens of its model)."""
    from seqgen.data_prep.codec_base import codec_from_config

    info = json.loads((SHIPPED / "chorale" / "run.json").read_text())
    return codec_from_config({**info["codec"], "high": high}).vocab_size, info["model"]["vocab_size"]


def test_evaluate_refuses_a_vocabulary_that_is_not_the_models(tmp_path, no_weights):
    bad = edited_run(tmp_path, "chorale", "codec.high", 70)
    codec_tokens, model_tokens = shipped_vocab_sizes(70)
    assert codec_tokens != model_tokens
    assert_one_line_error(run("evaluate", bad), f"{codec_tokens} tokens", str(model_tokens))


def test_generate_chorale_refuses_a_vocabulary_that_is_not_the_models(tmp_path, no_weights):
    bad = edited_run(tmp_path, "chorale", "codec.high", 70)
    assert_one_line_error(run("generate", "chorale", "--run", bad, "-o", tmp_path / "x.mid"),
                          str(shipped_vocab_sizes(70)[1]))
    assert not (tmp_path / "x.mid").exists()


def test_generate_text_refuses_a_vocabulary_that_is_not_the_models(tmp_path, no_weights):
    bad = edited_run(tmp_path, "shakespeare", "codec.chars", "abc \n")
    assert_one_line_error(run("generate", "text", "--run", bad, "--length", "5"), "78")


def test_a_family_that_is_not_the_models_is_refused(tmp_path):
    from seqgen.models.driver import load_run

    bad = edited_run(tmp_path, "chorale", "model.family", "gru")
    with pytest.raises(SeqgenError, match="'gru'.*'lstm'"):
        load_run(bad, "chorale")


def fake_run(path: Path) -> Path:
    """A run folder as training leaves it, with the user's own files among the run's."""
    shutil.copytree(SHIPPED / "chorale", path)
    for name in ("backup/epoch-3.weights.h5", "backup/.epoch-3.weights.ab12.tmp.weights.h5",
                 "tensorboard/train/events.out.tfevents.1.host", "tensorboard/validation/events.out.tfevents.2.host",
                 "backup/my-notes.txt", "tensorboard/my-notes.txt", "tensorboard/train/plot.png", "my-notes.txt"):
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text("x")
    (path / "state.json").write_text("{}")
    return path


def test_force_deletes_only_what_a_run_writes(tmp_path):
    path = rd.prepare_run_dir(fake_run(tmp_path / "run"), force=True)
    left = sorted(str(p.relative_to(path)) for p in path.rglob("*") if p.is_file())
    assert left == ["README.md", "backup/my-notes.txt", "my-notes.txt", "tensorboard/my-notes.txt",
                    "tensorboard/train/plot.png"]
    assert not (path / "tensorboard" / "validation").exists()  # emptied by the run's deletions: gone


def test_force_removes_a_run_folder_entirely_when_it_holds_only_run_files(tmp_path):
    path = tmp_path / "run"
    fake_run(path)
    for name in ("backup/my-notes.txt", "tensorboard/my-notes.txt", "tensorboard/train/plot.png"):
        (path / name).unlink()
    rd.prepare_run_dir(path, force=True)
    assert not (path / "backup").exists() and not (path / "tensorboard").exists()


def finished_run(tmp_path, epochs):
    path = tmp_path / "run"
    shutil.copytree(SHIPPED / "chorale", path)
    state = {"epoch": epochs, "weights": None, "best": 1.0, "best_epoch": epochs - 1, "pending": None, "finished": True}
    (path / "state.json").write_text(json.dumps(state))
    info = json.loads((path / "run.json").read_text())
    info["train"]["epochs"] = epochs
    (path / "run.json").write_text(json.dumps(info))
    return path


@pytest.mark.parametrize("epochs, words", [(2, "after 2 epochs;"), (1, "after 1 epoch;")])
def test_a_refused_resume_changes_nothing(tmp_path, monkeypatch, epochs, words):
    path = finished_run(tmp_path, epochs)
    before = {p.name: p.read_bytes() for p in path.iterdir()}
    monkeypatch.setattr("seqgen.models.chorale_task.ChoraleTask.prepare",
                        lambda *a, **k: pytest.fail("data read before the resume was refused"), raising=False)
    result = run("train", "chorales", "--resume", "--epochs", "1", "--out", path)
    assert_one_line_error(result, words, "--epochs above")
    assert {p.name: p.read_bytes() for p in path.iterdir()} == before


def test_training_prints_one_line_per_epoch_when_not_on_a_terminal():
    from seqgen.models.train import progress_verbosity

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    assert progress_verbosity("auto", io.StringIO()) == 2
    assert progress_verbosity("auto", Terminal()) == 1
    assert progress_verbosity(0, Terminal()) == 0


def test_data_sketches_does_not_import_tensorflow():
    code = ("import sys; from seqgen.generate.cli import main\n"
            "try: main(['data', 'sketches', '--synthetic', '--per-class', '8'])\n"
            "except SystemExit as e: assert not e.code, e.code\n"
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'imported'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "10 categories" in done.stdout


@pytest.mark.parametrize("command", ["harmonize", "infill"])
def test_bpm_has_help(command):
    result = run(command, "--help")
    line = next(line for line in result.output.splitlines() if "--bpm" in line)
    assert "Tempo" in line


def test_the_end_of_training_keeps_a_users_file_in_backup(tmp_path):
    from seqgen.models.resume import finish

    path = fake_run(tmp_path / "run")
    shutil.copyfile(path / "model.keras", path / "best.keras")  # the best checkpoint becomes model.keras
    finish(path, None, {"epoch": 1, "best": 1.0, "best_epoch": 0, "pending": None, "finished": False})
    assert sorted(p.name for p in (path / "backup").iterdir()) == ["my-notes.txt"]


def test_remove_run_keeps_the_folder_of_a_users_file(tmp_path):
    path = fake_run(tmp_path / "run")
    rd.remove_run(path)
    assert (path / "backup" / "my-notes.txt").exists() and not (path / "run.json").exists()
    (tmp_path / "bare").mkdir()
    (tmp_path / "bare" / "run.json").write_text("{}")
    rd.remove_run(tmp_path / "bare")
    assert not (tmp_path / "bare").exists()
