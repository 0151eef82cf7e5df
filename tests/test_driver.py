"""Every task through the one shared driver on tiny data: train, evaluate, generate (or classify),
resume with the run's settings, and the same one-line refusal of a conflicting option everywhere."""

import json
from pathlib import Path

import mido
import numpy as np
import pytest

import midi_factory as mf
from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.synthetic_sketches import write_synthetic
from seqgen.generate import chorale_gen, midi_gen, text_gen
from seqgen.generate.sampling import SamplingConfig
from seqgen.generate.sketch_classify import classify_file
from seqgen.models import driver
from seqgen.models.chorale_task import ChoraleDataConfig
from seqgen.models.midi_task import MidiDataConfig
from seqgen.models.series_task import SeriesDataConfig
from seqgen.models.sketch_task import SketchDataConfig
from seqgen.models.text_task import TextDataConfig
from seqgen.models.train import TrainConfig
from tests.chorale_factory import write_csv_chorales

TRAIN = TrainConfig(epochs=1, learning_rate=0.01)


def chorale_source(tmp: Path) -> dict:
    return {"source": str(write_csv_chorales(tmp / "jsb"))}


def text_source(tmp: Path) -> dict:
    rng = np.random.default_rng(0)
    words = ["to be or not", "that is the question", "the slings and arrows"]
    (tmp / "t.txt").write_text("\n".join(words[i] for i in rng.integers(3, size=200)) + "\n")
    return {"corpus": [str(tmp / "t.txt")], "shakespeare": False}


def midi_source(tmp: Path) -> dict:
    (tmp / "midi").mkdir()
    for i in range(3):
        mf.write_notes(tmp / "midi" / f"p{i}.mid", [(60 + (b * (i + 2)) % 12, b / 2, 0.5) for b in range(32)])
    return {"corpus": [str(tmp / "midi")]}


def sketch_source(tmp: Path) -> dict:
    write_synthetic(tmp / "nd", "ndjson", n_per_class=12, classes=["circle", "line", "square"], seed=1)
    return {"paths": [str(tmp / "nd")]}


def series_source(tmp: Path) -> dict:
    return {"synthetic": True, "synthetic_steps": 400}


TASKS = {  # task -> (family, source maker, data config, split evaluate scores)
    "chorale": ("gru", chorale_source, ChoraleDataConfig(window_steps=8, stride_steps=4, batch_size=8), "test"),
    "text": ("lstm", text_source, TextDataConfig(window=16, batch_size=8), "valid"),
    "midi": ("gru", midi_source, MidiDataConfig(window=8, batch_size=4), "valid"),
    "sketch": ("tiny", sketch_source, SketchDataConfig(batch_size=8), "test"),
    "series": ("gru", series_source, SeriesDataConfig(window=16, horizon=4, batch_size=16), "test"),
}


def generate(task: str, run: Path, tmp: Path) -> list[str]:
    """Each task's generation (classification for sketches) from the run, with a fixed seed."""
    sampling = SamplingConfig(seed=1)
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
    return classify_file(run, tmp / "nd" / "circle.ndjson", indices=[0])


@pytest.mark.parametrize("task", sorted(TASKS))
def test_every_task_trains_evaluates_generates_and_resumes_alike(task, tmp_path):
    family, make_source, data, split = TASKS[task]
    run = tmp_path / "run"
    trained = driver.train(task, run, driver.TrainRequest(family, "tiny", make_source(tmp_path), data, TRAIN), verbose=0)
    info = json.loads((run / "run.json").read_text())
    assert (info["format"], info["task"], info["model"]["family"]) == (2, task, family)
    assert info["seqgen_version"] and info["codec"]["type"] and trained.report
    evaluation = driver.evaluate(run)
    assert evaluation.lines and evaluation.scores and evaluation.lines[0].startswith(split)
    assert generate(task, run, tmp_path)
    # Resume: a finished run grows by --epochs; a conflicting option is the same one line for every task.
    with pytest.raises(SeqgenError, match=f"--model other conflicts with the run in .*, which has {family}; drop --model"):
        request = driver.TrainRequest("other", None, {}, None, TRAIN, {"family": "--model"})
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
