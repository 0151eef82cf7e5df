"""The chorale commands through click: outputs, and one clear line for every bad input."""

import mido
import pytest

from tests.cli_helpers import assert_one_line_error, run
from tests.shared_runs import shared


@pytest.fixture(scope="module")
def csv_data(tmp_path_factory):
    return str(shared(tmp_path_factory, "chorale") / "jsb")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """``train chorales`` through click (the session's shared run: tests/shared_runs.py); read-only."""
    folder = shared(tmp_path_factory, "chorale")
    assert "seqgen evaluate" in (folder / "output.txt").read_text()
    return folder / "run"


def test_data_chorales_prints_statistics(csv_data):
    result = run("data", "chorales", "--source", csv_data)
    assert result.exit_code == 0, result.output
    assert "train:    6 chorales" in result.output and "vocabulary:" in result.output


def test_evaluate_prints_nats_and_baseline(run_dir, csv_data):
    result = run("evaluate", run_dir)
    assert result.exit_code == 0, result.output
    assert "nats per note" in result.output and "baseline" in result.output


def test_generate_writes_midi_with_four_voices(run_dir, tmp_path):
    out = tmp_path / "c.mid"
    result = run("generate", "chorale", "--run", run_dir, "--steps", "16", "--num", "2", "--seed", "3",
                 "--bpm", "90", "--plot", "-o", out)
    assert result.exit_code == 0, result.output
    for name in ("c-1.mid", "c-2.mid", "c-1.png"):
        assert (tmp_path / name).exists()
    midi = mido.MidiFile(tmp_path / "c-1.mid")
    assert sum(1 for t in midi.tracks if any(m.type == "note_on" for m in t)) >= 1
    again = run("generate", "chorale", "--run", run_dir, "--steps", "16", "-o", tmp_path / "c-1.mid")
    assert_one_line_error(again, "already exists")


def test_generate_musicxml(run_dir, tmp_path):
    out = tmp_path / "c.musicxml"
    result = run("generate", "chorale", "--run", run_dir, "--steps", "8", "--format", "musicxml", "-o", out)
    assert result.exit_code == 0, result.output
    assert out.read_text().lstrip().startswith("<?xml")


def test_generate_into_a_key(run_dir, tmp_path):
    import music21

    out = tmp_path / "k.musicxml"
    result = run("generate", "chorale", "--run", run_dir, "--steps", "16", "--seed", "2", "--key", "A major",
                 "--format", "musicxml", "-o", out)
    assert result.exit_code == 0, result.output
    assert "(estimated);" in result.output and ("to A major" in result.output or "signature of A major" in result.output)
    keys = list(music21.converter.parse(out).recurse().getElementsByClass(music21.key.Key))
    assert keys and keys[0].sharps == 3  # A major's signature
    assert_one_line_error(run("generate", "chorale", "--run", run_dir, "--key", "H minor", "-o", tmp_path / "x.mid"),
                          "H minor")


@pytest.mark.parametrize("args, fragments", [
    (["data", "chorales", "--source", "/no/such/folder"], ["does not exist"]),
    (["train", "chorales", "--model", "lstm", "--preset", "huge", "--out", "{tmp}/r"], ["unknown preset 'huge'"]),
    (["train", "chorales", "--model", "transformer", "--out", "{tmp}/r"], ["Invalid value for '--model'"]),
    (["evaluate", "{tmp}"], ["is not a seqgen run"]),
    (["generate", "chorale", "--run", "{run}", "--temperature", "0", "-o", "{tmp}/x.mid"], ["--temperature"]),
    (["generate", "chorale", "--run", "{run}", "--top-p", "1.5", "-o", "{tmp}/x.mid"], ["--top-p"]),
    (["generate", "chorale", "--run", "{run}", "--top-k", "0", "-o", "{tmp}/x.mid"], ["--top-k"]),
    (["generate", "chorale", "--run", "{run}", "--steps", "0", "-o", "{tmp}/x.mid"], ["--steps"]),
    (["generate", "chorale", "--run", "{run}", "--steps", "16", "--phrases", "2", "-o", "{tmp}/x.mid"],
     ["--steps 16", "--phrases 2", "not both"]),
    (["generate", "chorale", "--run", "{run}", "--plot", "-o", "{tmp}/x.png"], ["should end in .mid or .midi",
                                                                              "-o x.mid"]),
    (["generate", "chorale", "--run", "{run}", "-o", "{tmp}/missing/x.mid"], ["does not exist"]),
    (["generate", "chorale", "--run", "{run}", "--primer", "{tmp}/none.mid", "-o", "{tmp}/x.mid"], ["does not exist"]),
    (["generate", "chorale", "--run", "{run}", "--primer", "{tmp}/bad.mid", "-o", "{tmp}/x.mid"], ["bad.mid"]),
    (["generate", "chorale", "--run", "{run}", "--primer", "nosuch:3", "-o", "{tmp}/x.mid"], ["SPLIT:INDEX"]),
])
def test_bad_input_gives_one_line_and_writes_nothing(args, fragments, run_dir, csv_data, tmp_path):
    (tmp_path / "bad.mid").write_bytes(b"MThd broken")
    args = [a.format(tmp=tmp_path, run=run_dir) for a in args]
    if "--primer" in args and "--data-dir" not in args:
        args += ["--data-dir", str(tmp_path)]
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run(*args)
    assert_one_line_error(result, *fragments)
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_generate_refuses_a_run_of_another_task(tmp_path):
    (tmp_path / "run.json").write_text('{"task": "text", "codec": {"type": "char", "chars": "ab"}}')
    # No model file: the task must be checked before any weights are looked for.
    result = run("generate", "chorale", "--run", tmp_path, "-o", tmp_path / "x.mid")
    assert_one_line_error(result, "is a 'text' run, not a chorale run", "seqgen train chorales")
    assert not (tmp_path / "x.mid").exists()


def test_quick_start_uses_the_shipped_model(tmp_path):
    """The README's first command: no training, no --model, a chorale comes out."""
    out = tmp_path / "chorale.mid"
    result = run("generate", "chorale", "--seed", "1", "--steps", "32", "-o", out)
    assert result.exit_code == 0, result.output
    midi = mido.MidiFile(out)
    names = [t.name for t in midi.tracks]
    assert {"soprano", "alto", "tenor", "bass"} <= set(names)
    notes = [m for t in midi.tracks for m in t if m.type == "note_on" and m.velocity > 0]
    assert len(notes) >= 8
    assert all(36 <= m.note <= 81 for m in notes)  # inside the shipped vocabulary


def test_generate_writes_four_phrases_unless_steps_are_asked(monkeypatch, tmp_path):
    """The length decision, through click: no option -> the phrase search with 4, --phrases N -> N, and the
    primer's tokens before them; the model and the search stand in (their own tests are in test_cadence)."""
    from types import SimpleNamespace

    from seqgen.data_prep.chorale_codec import ChoraleCodec
    from seqgen.generate import chorale_gen
    from tests.chorale_factory import toy_grid

    codec, asked = ChoraleCodec(36, 81, 4, phrases=True), []

    def search(model, codec, num, sampling, config, mode, primer, **kwargs):
        asked.append((num, config.phrases, len(primer)))
        return [toy_grid(16)] * num, []

    loaded = SimpleNamespace(model=None, codec=codec, info=SimpleNamespace(source={"source": "music21"}))
    monkeypatch.setattr(chorale_gen, "open_run", lambda run, task: loaded)
    monkeypatch.setattr(chorale_gen, "phrase_pieces", search)
    monkeypatch.setattr(chorale_gen, "resolve_primer", lambda *args: toy_grid(32))
    result = run("generate", "chorale", "--num", "2", "-o", tmp_path / "c.mid")
    assert result.exit_code == 0, result.output
    assert asked == [(2, 4, 0)] and (tmp_path / "c-2.mid").is_file()
    result = run("generate", "chorale", "--phrases", "2", "--primer", "bwv269", "--primer-steps", "8", "-o", tmp_path / "p.mid")
    assert result.exit_code == 0, result.output
    assert asked[1] == (1, 2, 8 * 4) and (tmp_path / "p.mid").is_file()  # the primer's 8 steps, then 2 phrases
