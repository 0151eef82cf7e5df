"""Every task through the one shared driver on tiny data: train, evaluate, generate (or classify),
resume with the run's settings, and the same one-line refusal of a conflicting option everywhere."""

import json
from pathlib import Path

import mido
import pytest

from seqgen.data_prep.errors import SeqgenError
from seqgen.generate import chorale_gen, midi_gen, text_gen
from seqgen.generate.sampling import SamplingConfig
from seqgen.generate.sketch_classify import classify_file
from seqgen.models import driver
from seqgen.models.train import TrainConfig
from tests.shared_runs import read_report, shared

# task -> (family of its shared run, the split evaluate scores)
TASKS = {"chorale": ("gru", "test"), "text": ("gru", "valid"), "midi": ("gru", "valid"), "sketch": ("tiny", "test"),
         "series": ("gru", "test")}


def generate(task: str, folder: Path, tmp: Path) -> list[str]:
    """Each task's generation (classification for sketches) from the shared run, with a fixed seed."""
    sampling, run = SamplingConfig(seed=1), folder / "run"
    if task == "chorale":
        chorale_gen.write_chorales(str(run), str(tmp / "c.mid"), primer=None, primer_steps=4, steps=8, num=1,
                                   sampling=sampling, bpm=80, instrument=19, fmt="midi", plot=False, force=False)
        return [str(mido.MidiFile(tmp / "c.mid").length)]
    if task == "text":
        return text_gen.write_text(run, tmp / "t.out", prompt="to", length=12, sampling=sampling, echo=lambda *a, **k: None)
    if task == "midi":
        return midi_gen.write_midi_pieces(run, tmp / "m.mid", steps=16, sampling=sampling)
    if task == "series":
        from seqgen.models.series_eval import forecast_series

        return list(map(str, forecast_series(run, horizon=6).values))
    return classify_file(run, folder / "nd" / "circle.ndjson", indices=[0])


@pytest.mark.parametrize("task", sorted(TASKS))
def test_every_task_trains_evaluates_generates_and_resumes_alike(task, tmp_path_factory, tmp_path):
    """Every task's shared run (trained through driver.train, by the API or the CLI; tests/shared_runs.py)."""
    family, split = TASKS[task]
    folder = shared(tmp_path_factory, task)
    run = folder / "run"
    info = json.loads((run / "run.json").read_text())
    assert (info["format"], info["task"], info["model"]["family"]) == (2, task, family)
    assert info["seqgen_version"] and info["codec"]["type"]
    made_by_cli = (folder / "output.txt").exists()  # the CLI's output, else driver.train's report
    assert (folder / "output.txt").read_text() if made_by_cli else read_report(folder)
    evaluation = driver.evaluate(run)
    assert evaluation.lines and evaluation.scores and evaluation.lines[0].startswith(split)
    assert generate(task, folder, tmp_path)
    # Resume: a finished run grows by --epochs; a conflicting option is the same one line for every task.
    with pytest.raises(SeqgenError, match=f"--model other conflicts with the run in .*, which has {family}; drop --model"):
        request = driver.TrainRequest("other", None, {}, None, TrainConfig(epochs=1), {"family": "--model"})
        driver.check_resume_options(run, driver.read_info(run), request, trained_task(task))


def trained_task(name):
    from seqgen.models.task import get_task

    return get_task(name)


def test_a_run_of_seqgen_0_1_still_loads_and_generates(tmp_path):
    """Runs written before run.json's format 2 are upgraded on reading (a chorale run.json as seqgen 0.1
    wrote it, beside a model of its plain codec: the shipped model now has phrase and mode tokens)."""
    from seqgen.data_prep.chorale_codec import ChoraleCodec
    from seqgen.models.config import config_to_dict, make_config
    from seqgen.models.registry import build_model
    from seqgen.models.run_dir import save_model

    run = tmp_path / "old"
    run.mkdir()
    codec = ChoraleCodec(36, 81)
    config = make_config("lstm", "tiny", codec.vocab_size, codec.period)
    save_model(build_model(config), run / "model.keras")
    old = {"task": "chorale", "preset": "tiny", "codec": {"type": "chorale", "low": 36, "high": 81, "voices": 4},
           "data": {"batch_size": 32, "max_transpose": 5, "source": "music21", "stride_steps": 16, "window_steps": 64},
           "model": config_to_dict(config),
           "train": {"clipnorm": 1.0, "epochs": 20, "learning_rate": 0.001, "mixed_precision": False, "patience": 5,
                     "seed": 0, "steps_per_execution": 1}}
    (run / "run.json").write_text(json.dumps(old))
    info = driver.read_info(run)
    assert (info.source, info.preset, info.family, info.seqgen_version) == ({"source": "music21"}, "tiny", "lstm", "0.1.0")
    assert "source" not in info.data
    lines = chorale_gen.write_chorales(str(run), str(tmp_path / "x.mid"), primer=None, primer_steps=4, steps=8, num=1,
                                       sampling=SamplingConfig(seed=0), bpm=80, instrument=19, fmt="midi",
                                       plot=False, force=False)
    assert (tmp_path / "x.mid").exists() and lines


@pytest.mark.parametrize("field, value, fragment", [
    ("task", 3, "the field 'task' should be a string, got int"),
    ("model", [1], "the field 'model' should be an object, got list"),
    ("train", "fast", "the field 'train' should be an object, got str"),
    ("format", 9, "format 9 is newer than this seqgen"),
])
def test_run_json_with_wrong_types_is_one_line_naming_the_field(tmp_path, field, value, fragment):
    values = {"format": 2, "task": "text", "model": {}, "source": {}, "data": {}, "train": {}, "codec": None}
    values[field] = value
    (tmp_path / "run.json").write_text(json.dumps(values))
    with pytest.raises(SeqgenError, match=fragment):
        driver.read_info(tmp_path)


def test_a_resume_option_the_run_left_unset_reads_plainly(tmp_path_factory):
    run = shared(tmp_path_factory, "sketch") / "run"  # trained from --data: no --max-categories
    request = driver.TrainRequest(None, None, {}, None, TrainConfig(epochs=1),
                                  {"source.max_categories": "--max-categories"})
    with pytest.raises(SeqgenError) as refused:
        driver.check_resume_options(run, driver.read_info(run), request, trained_task("sketch"))
    message = str(refused.value)
    assert "--max-categories conflicts with the run in" in message and "which has no --max-categories" in message
    assert "None" not in message and "--max-categories  " not in message
