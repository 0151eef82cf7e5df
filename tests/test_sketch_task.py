"""Sketch classification end to end on synthetic files: train, evaluate, classify, show, resume,
experiment, and one clear line for every bad input."""

import csv
import json
import shutil

import numpy as np
import pytest

from seqgen.data_prep.sketch_formats import write_npz
from seqgen.data_prep.sketch_pipeline import pad_strokes
from seqgen.data_prep.sketch_sources import load_sketches
from seqgen.data_prep.stroke_ops import StrokePrep
from seqgen.data_prep.synthetic_sketches import synthetic_drawing, write_synthetic
from seqgen.models import sketch_task
from seqgen.models.sketch_classifier import SketchClassifierConfig, sketch_classifier_config
from seqgen.models.sketch_experiment import TrialResult, markdown_table, prepare_experiment_dir, summary_rows
from seqgen.models.sketch_task import load_sketch_run
from tests.cli_helpers import assert_one_line_error, run
from tests.shared_runs import SKETCH_CLASSES, shared

CLASSES = SKETCH_CLASSES
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TRAIN = ["--model", "tiny", "--batch-size", "16", "--learning-rate", "0.01"]


@pytest.fixture(scope="module")
def drawings(tmp_path_factory):
    """A folder of QuickDraw-style .ndjson files, 20 drawings per class (split 16/2/2 with a seed)."""
    return shared(tmp_path_factory, "sketch") / "nd"


@pytest.fixture(scope="module")
def sketch_run(tmp_path_factory):
    """``train sketches --data DRAWINGS --model tiny --batch-size 16 --learning-rate 0.01 --epochs 3``,
    shared by the session (tests/shared_runs.py)."""
    folder = shared(tmp_path_factory, "sketch")
    assert f"seqgen evaluate {folder / 'run'}" in (folder / "output.txt").read_text()
    return folder / "run"


def test_data_sketches_prints_categories_counts_and_lengths(drawings):
    result = run("data", "sketches", drawings)
    assert result.exit_code == 0, result.output
    assert "4 categories: circle, cross, line, square" in result.output
    rows = {line.split()[0]: line.split()[1:3] for line in result.output.splitlines()[3:6]}
    assert rows == {"train": ["64", "16-16"], "valid": ["8", "2-2"], "test": ["8", "2-2"]}
    synthetic = run("data", "sketches", "--synthetic", "--categories", "star,wave", "--per-class", "8")
    assert synthetic.exit_code == 0, synthetic.output
    assert "2 categories: star, wave" in synthetic.output and "train         16         8-8" in synthetic.output


def test_training_writes_a_sketch_run(sketch_run, drawings):
    info = json.loads((sketch_run / "run.json").read_text())
    assert info["task"] == "sketch" and info["model"]["family"] == "tiny" and info["codec"]["classes"] == CLASSES
    model = {k: v for k, v in info["model"].items() if k != "family"}
    assert SketchClassifierConfig.from_dict(model) == sketch_classifier_config("tiny")
    assert info["codec"]["prep"] == StrokePrep().to_dict() == info["data"]["prep"]
    assert info["source"]["paths"] == [str(drawings.resolve())] and info["data"]["batch_size"] == 16
    assert info["record"]["counts"] == {"train": 64, "valid": 8, "test": 8}
    # The scale is the std of every training offset once each drawing starts at the origin.
    train = load_sketches(drawings, seed=0)["train"]
    offsets = np.concatenate([np.vstack([[0, 0], s[1:, :2]]) for s in train.strokes])
    assert info["codec"]["scale"] == pytest.approx(float(np.std(offsets)), rel=1e-6)
    log = list(csv.DictReader((sketch_run / "log.csv").open()))
    assert [int(row["epoch"]) for row in log] == [0, 1, 2]
    assert float(log[-1]["loss"]) < float(log[0]["loss"])


def test_evaluate_prints_top_k_and_per_class_and_writes_confusion_png(sketch_run, tmp_path):
    result = run("evaluate", sketch_run)
    assert result.exit_code == 0, result.output
    accuracy = next(line for line in result.output.splitlines() if line.startswith("accuracy:")).split()
    top1, top3, top5 = float(accuracy[2]), float(accuracy[4]), float(accuracy[6])
    assert top1 <= top3 <= top5 == 1.0  # 4 classes: the true one is always among the top 5
    # Top-1 recomputed another way: one padded batch in file order (no length sorting).
    loaded = load_sketch_run(sketch_run)
    test = sketch_task.run_split(loaded.info.source, loaded.codec, "test")
    predicted = loaded.model(pad_strokes(test.strokes), training=False).numpy().argmax(axis=1)
    assert top1 == pytest.approx(np.mean(predicted == test.labels), abs=1e-4)
    per_class = [line.split() for line in result.output.splitlines() if line.startswith("  ")]
    assert [row[0] for row in per_class] == CLASSES and all(row[2].endswith("/2)") for row in per_class)
    assert sum(int(row[2][1]) for row in per_class) == round(top1 * 8)
    assert (sketch_run / "confusion_test.png").read_bytes()[:8] == PNG_MAGIC
    out = tmp_path / "cm.png"
    assert run("evaluate", sketch_run, "--split", "valid", "-o", out).exit_code == 0
    assert out.read_bytes()[:8] == PNG_MAGIC
    assert_one_line_error(run("evaluate", sketch_run, "-o", out), "already exists", "--force")


@pytest.mark.parametrize("layout", ["ndjson", "npz", "tfrecord"])
def test_classify_prints_top_3_with_probabilities(sketch_run, drawings, tmp_path, layout):
    if layout == "ndjson":
        path = drawings / "square.ndjson"
    else:
        write_synthetic(tmp_path, layout, n_per_class=5, classes=["square", "star"], seed=9)
        path = tmp_path / ("square.npz" if layout == "npz" else "test.tfrecord")
    result = run("classify", sketch_run, path, "--index", "0", "--index", "1")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("#0 (square): ") and "top-1 matches the file's label" in lines[-1]
    for line in lines[:2]:
        guesses = line.split(": ", 1)[1].split()
        names, probs = guesses[0::2], [float(p) for p in guesses[1::2]]
        assert len(names) == 3 and set(names) <= set(CLASSES) and len(set(names)) == 3
        assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1.001


def test_show_renders_drawings_and_never_overwrites(drawings, tmp_path):
    out = tmp_path / "circles.png"
    result = run("show", "sketches", drawings / "circle.ndjson", "--index", "2", "--index", "5", "-o", out)
    assert result.exit_code == 0 and "drew 2 drawing(s)" in result.output
    assert out.read_bytes()[:8] == PNG_MAGIC
    before = out.read_bytes()
    assert_one_line_error(run("show", "sketches", drawings / "circle.ndjson", "-o", out), "already exists")
    assert out.read_bytes() == before
    assert run("show", "sketches", drawings / "circle.ndjson", "-o", out, "--force").exit_code == 0
    assert out.read_bytes() != before  # 16 drawings now, not 2
    assert_one_line_error(run("show", "sketches", drawings / "circle.ndjson", "--index", "20", "-o", tmp_path / "x.png"),
                          "no drawing 20", "holds 20")
    assert not (tmp_path / "x.png").exists()


def test_interrupted_run_resumes_and_refuses_other_settings(sketch_run, drawings, tmp_path):
    out = tmp_path / "run"
    shutil.copytree(sketch_run, out)
    (out / "model.keras").unlink()
    (out / "backup").mkdir()  # as an interrupted run leaves it (the trainer's tests interrupt for real)
    assert_one_line_error(run("train", "sketches", "--resume", "--model", "textbook", "--out", out),
                          "--model textbook conflicts with the run", "which has tiny")
    assert_one_line_error(run("train", "sketches", "--resume", "--data", drawings / "circle.ndjson", "--out", out),
                          "--data", "conflicts with the run", str(drawings), "drop --data")
    assert_one_line_error(run("train", "sketches", "--resume", "--max-categories", "3", "--out", out),
                          "--max-categories conflicts", "which has no --max-categories")
    assert_one_line_error(run("train", "sketches", "--resume", "--raw", "keep", "--out", out),
                          "--raw keep conflicts", "which has simplify")
    assert_one_line_error(run("train", "sketches", "--resume", "--augment", "off", "--out", out),
                          "--augment jitter=0.0, rotation=0.0, scale=0.0, stroke_dropout=0.0 conflicts",
                          "which has jitter=0.05, rotation=10.0, scale=0.15, stroke_dropout=0.1", "drop --augment")
    same_data = ["--data", drawings, "--augment", "on", "--max-length", "250"]
    result = run("train", "sketches", "--resume", *same_data, "--epochs", "4", "--out", out)
    assert result.exit_code == 0, result.output
    assert [int(row["epoch"]) for row in csv.DictReader((out / "log.csv").open())] == [0, 1, 2, 3]
    assert (out / "model.keras").exists() and not (out / "backup").exists()


def test_experiment_writes_tables_and_learning_curves(drawings, tmp_path):
    out = tmp_path / "exp"
    # One model, one seed: the table over several models and seeds is summary_rows' (tested below).
    result = run("experiment", "sketches", "--data", drawings, "--per-class", "6", "--models", "tiny",
                 "--seeds", "1", "--epochs", "1", "--batch-size", "8", "--out", out)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert [(r["model"], r["seeds"], r["epochs"]) for r in rows] == [("tiny", "1", "1.0")]
    assert int(rows[0]["params"]) > 0
    assert all(0 <= float(r["top1_mean"]) <= float(r["top5_mean"]) == 1.0 for r in rows)
    table = (out / "results.md").read_text().splitlines()
    assert table[0].startswith("| model | seeds | top1_mean | top1_std |") and table[2].startswith("| tiny | 1 |")
    assert (out / "learning_curves.png").read_bytes()[:8] == PNG_MAGIC
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["tiny-seed0"]
    trials = json.loads((out / "experiment.json").read_text())["trials"]
    assert [len(t["val_accuracy"]) for t in trials] == [1]
    again = run("experiment", "sketches", "--data", drawings, "--models", "tiny", "--out", out)
    assert_one_line_error(again, "is not empty", "--force")


def test_summary_rows_mean_and_sample_spread():
    def trial(preset, seed, top1):
        return TrialResult(preset, seed, top1, 1.0, 10, 2, 4.0, 50.0, 100.0, (0.5, top1))

    rows = summary_rows([trial("a", 0, 0.5), trial("a", 1, 0.7), trial("b", 0, 0.9)])
    assert [r["model"] for r in rows] == ["a", "b"]
    assert rows[0]["top1_mean"] == pytest.approx(0.6) and rows[0]["top1_std"] == pytest.approx(np.sqrt(0.02))
    assert rows[1]["top1_std"] == 0.0 and rows[1]["seeds"] == 1
    assert "| a | 2 | 0.6000 | 0.1414 |" in markdown_table(rows)


def test_experiment_force_replaces_only_experiments(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(Exception, match="not a seqgen experiment"):
        prepare_experiment_dir(tmp_path / "mine", force=True)
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


@pytest.mark.parametrize("args, fragments", [
    (["train", "sketches", "--data", "{data}", "--categories", "circle,heart", "--out", "{tmp}/r"],
     ["category 'heart' is not in the data"]),
    (["train", "sketches", "--synthetic", "--categories", "circle,heart", "--out", "{tmp}/r"],
     ["'heart' is not a synthetic shape"]),
    (["train", "sketches", "--data", "{tmp}/missing.ndjson", "--out", "{tmp}/r"], ["missing.ndjson: no such file"]),
    (["train", "sketches", "--data", "{tmp}/table.csv", "--out", "{tmp}/r"], ["table.csv: CSV, not sketch data"]),
    (["train", "sketches", "--data", "{tmp}/npz", "--out", "{tmp}/r"], ["category 'hollow' has no training drawings"]),
    (["train", "sketches", "--synthetic", "--max-categories", "1", "--out", "{tmp}/r"], ["at least two"]),
    (["train", "sketches", "--synthetic", "--model", "huge", "--out", "{tmp}/r"], ["Invalid value for '--model'", "'huge'"]),
    (["train", "sketches", "--out", "{tmp}/r"], ["no drawings given"]),
    (["experiment", "sketches", "--synthetic", "--models", "tiny,huge", "--out", "{tmp}/r"], ["'huge'"]),
    (["experiment", "sketches", "--synthetic", "--models", "tiny,tiny", "--out", "{tmp}/r"], ["listed twice"]),
    (["sketch", "evaluate", "{text_run}"], ["is a 'text' run, not a sketch run"]),  # seqgen 0.2's spelling
    (["classify", "{text_run}", "{data}/line.ndjson"], ["is a 'text' run, not a sketch run"]),
    (["classify", "{run}", "{tmp}/table.csv"], ["table.csv: CSV, not sketch data"]),
    (["show", "sketches", "{tmp}/missing.ndjson", "-o", "{tmp}/r.png"], ["missing.ndjson: no such file"]),
    (["data", "sketches", "{data}", "--categories", "heart"], ["category 'heart' is not in the data"]),
    (["data", "sketches"], ["no drawings given"]),
])
def test_bad_input_gives_one_line_and_writes_nothing(args, fragments, drawings, sketch_run, tmp_path):
    (tmp_path / "table.csv").write_text("a,b\n1,2\n")
    (tmp_path / "npz").mkdir()
    write_npz(tmp_path / "npz" / "full.npz", {"train": [synthetic_drawing("line", np.random.default_rng(0))]})
    write_npz(tmp_path / "npz" / "hollow.npz", {"test": [synthetic_drawing("star", np.random.default_rng(1))]})
    (tmp_path / "text_run").mkdir()
    (tmp_path / "text_run" / "run.json").write_text('{"task": "text"}')
    before = sorted(tmp_path.rglob("*"))
    values = {"tmp": tmp_path, "data": drawings, "run": sketch_run, "text_run": tmp_path / "text_run"}
    assert_one_line_error(run(*[a.format(**values) for a in args]), *fragments)
    assert sorted(tmp_path.rglob("*")) == before  # nothing written: no run folder, no PNG


def test_old_sketch_spellings_still_work_but_are_hidden(drawings, sketch_run, tmp_path):
    from seqgen.generate.cli import main

    assert run("sketch", "show", drawings / "circle.ndjson", "-o", tmp_path / "a.png").exit_code == 0
    assert run("show", "sketches", drawings / "circle.ndjson", "-o", tmp_path / "b.png").exit_code == 0
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    old = run("sketch", "classify", sketch_run, drawings / "circle.ndjson", "--index", "0")
    assert old.exit_code == 0 and old.output == run("classify", sketch_run, drawings / "circle.ndjson",
                                                    "--index", "0").output
    root_help = run("--help").output
    assert "sketch " not in root_help and "classify" in root_help and "show" in root_help
    assert main.commands["sketch"].hidden
    experiment = main.commands["experiment"].commands["sketches"]
    train = main.commands["train"].commands["sketches"]
    shared = ("epochs", "batch_size", "learning_rate", "patience", "max_minutes")
    assert ({p.name: p.default for p in experiment.params if p.name in shared}
            == {p.name: p.default for p in train.params if p.name in shared})  # one definition each
