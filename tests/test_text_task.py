"""Text end to end on tiny corpora: training, evaluation, generation, and the CLI's bad inputs."""

import json
import math
import re
import shutil

import numpy as np
import pytest

from seqgen.generate import text_gen
from seqgen.generate.sampling import SamplingConfig
from tests.cli_helpers import assert_one_line_error, run
from seqgen.generate.runs import open_run
from seqgen.models import driver
from seqgen.models.config import make_config
from seqgen.models.registry import build_model
from seqgen.models.text_task import score_tokens
from tests.shared_runs import TEXT_LINES, shared



@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return shared(tmp_path_factory, "text") / "play.txt"


@pytest.fixture(scope="module")
def char_run(tmp_path_factory):
    """A 3-epoch GRU on the corpus (window 16, batch 8), samples after each epoch (shared by the session)."""
    return shared(tmp_path_factory, "text") / "run"


def test_training_writes_a_text_run_whose_loss_falls(char_run, corpus):
    info = json.loads((char_run / "run.json").read_text())
    assert info["task"] == "text" and info["data"]["level"] == "char" and info["codec"]["type"] == "char"
    assert info["record"]["files"] == [str(corpus.resolve())] and info["data"]["encoding"] == "utf-8"
    assert info["format"] == 2 and info["seqgen_version"] and info["source"]["corpus"] == [str(corpus.resolve())]
    assert info["data"]["window"] == 16 and set(info["codec"]["chars"]) == set("".join(TEXT_LINES) + "\n")
    log = (char_run / "log.csv").read_text().splitlines()
    header = log[0].split(",")
    losses = [float(row.split(",")[header.index("loss")]) for row in log[1:]]
    assert len(losses) == 3 and losses[-1] < losses[0]
    # The epoch callback: one sample of 20 characters per epoch, appended.
    # split on the headers: a sample may itself contain blank lines
    parts = re.split(r"=== epoch (\d+) ===\n", (char_run / "samples.txt").read_text())[1:]
    entries = [(parts[i], parts[i + 1][:-2]) for i in range(0, len(parts), 2)]  # each ends with "\n\n"
    assert [e for e, _ in entries] == ["1", "2", "3"]
    assert all(len(text) == 20 and set(text) <= set(info["codec"]["chars"]) for _, text in entries)


def test_evaluate_prints_nats_and_bits_per_character(char_run, corpus):
    result = run("evaluate", char_run)
    assert result.exit_code == 0, result.output
    nats = float(re.search(r"([\d.]+) nats per character", result.output).group(1))
    bits = float(re.search(r"([\d.]+) bits per character", result.output).group(1))
    assert bits == pytest.approx(nats / math.log(2), abs=2e-4)
    vocab = driver.read_info(char_run).model["vocab_size"]
    assert 0 < nats < math.log(vocab)  # it learnt something: better than uniform
    held_out = len(corpus.read_text()) // 10
    assert f"{held_out:,} characters, {held_out:,} character tokens scored" in result.output
    assert_one_line_error(run("evaluate", char_run, "--split", "test"), "no 'test' split")


def test_windowed_scoring_is_exact_for_wavenet():
    model = build_model(make_config("wavenet", "tiny", 12))  # receptive field 8
    rng = np.random.default_rng(0)
    tokens = rng.integers(2, 12, size=61).astype(np.int32)
    tokens[0] = tokens[30] = 0  # two files: a BOS target is not scored
    logits = model(tokens[None, :-1]).numpy()[0]  # (60, vocab): one pass over everything
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    targets = tokens[1:]
    keep = targets != 0
    expected = -log_probs[np.arange(60), targets][keep].sum()
    windowed = score_tokens(model, tokens, 0, context=7, span=5, batch_size=3)
    assert windowed.count == 59
    assert windowed.nats == pytest.approx(expected, rel=1e-6)  # context 3 would be off by 7e-5
    assert windowed.correct == int((logits.argmax(-1) == targets)[keep].sum())


def test_generation_begins_with_the_prompt_and_is_reproducible(char_run):
    loaded = open_run(char_run, "text")
    model, codec = loaded.model, loaded.codec
    prompt = codec.encode_prompt("to be")
    a = text_gen.generate_texts(model, codec, prompt, 40, 2, SamplingConfig(temperature=1.5, seed=3))
    assert all(t.startswith("to be") and len(t) == 45 for t in a)
    assert a == text_gen.generate_texts(model, codec, prompt, 40, 2, SamplingConfig(temperature=1.5, seed=3))
    assert a != text_gen.generate_texts(model, codec, prompt, 40, 2, SamplingConfig(temperature=1.5, seed=4))
    streamed = []
    text_gen.write_text(char_run, None, prompt="to be", length=40, num=2, echo=lambda s="", nl=True:
                        streamed.append(s + ("\n" if nl else "")),
                        sampling=SamplingConfig(temperature=1.5, seed=3))
    # Streamed chunk by chunk, the draw is the same; the first text comes piece by piece.
    assert "".join(streamed) == f"===== text 1 of 2 =====\n{a[0]}\n===== text 2 of 2 =====\n{a[1]}\n"
    assert streamed[:2] == ["===== text 1 of 2 =====\n", "to be"]


def test_cli_generate_to_terminal_and_files(char_run, tmp_path):
    result = run("generate", "text", "--run", char_run, "--prompt", "THE slings", "--skip-unknown",
                 "--length", "30", "--seed", "1")
    assert result.exit_code == 0, result.output
    note = "--skip-unknown dropped 3 character(s) of the prompt the model never saw: 'E', 'H', 'T'\n"
    assert result.output.endswith(note)
    text = result.output[: -len(note)]
    assert text.startswith(" slings") and len(text) == len(" slings") + 30 + 1
    out = tmp_path / "out.txt"
    result = run("generate", "text", "--run", char_run, "--prompt", "to", "--length", "25", "--num", "2", "-o", out)
    assert result.exit_code == 0, result.output
    texts = [(tmp_path / f"out-{i}.txt").read_text() for i in (1, 2)]
    assert all(t.startswith("to") and len(t) == 27 for t in texts) and texts[0] != texts[1]
    assert_one_line_error(run("generate", "text", "--run", char_run, "--num", "2", "-o", out), "already exists")
    assert (tmp_path / "out-1.txt").read_text() == texts[0]


def test_word_level_run(tmp_path, corpus):
    out = tmp_path / "words"
    result = run("train", "text", "--corpus", corpus, "--model", "lstm", "--preset", "tiny", "--level", "word",
                 "--epochs", "1", "--window", "8", "--batch-size", "8", "--out", out)
    assert result.exit_code == 0, result.output
    info = driver.read_info(out)
    assert info.data["level"] == "word" and " be" in info.codec["tokens"]
    report = driver.evaluate(out).text()
    assert "nats per word token" in report and "bits per character" in report
    loaded = open_run(out, "text")
    model, codec = loaded.model, loaded.codec
    text = text_gen.generate_texts(model, codec, codec.encode_prompt("to be"), 6, 1, SamplingConfig(seed=0))[0]
    assert text.startswith("to be") and len(codec.encode(text)) == 2 + 6


def test_cli_data_text(corpus):
    result = run("data", "text", corpus)
    assert result.exit_code == 0, result.output
    assert "vocabulary: 20 distinct characters" in result.output and "validation" in result.output


def test_resume_refuses_another_level(char_run, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(char_run, copy)
    (copy / "backup").mkdir()  # an interrupted run
    result = run("train", "text", "--model", "gru", "--level", "word", "--resume", "--out", copy)
    assert_one_line_error(result, "--level word conflicts with the run", "which has char", "drop --level")


@pytest.mark.parametrize("args, fragments", [
    (["data", "text", "{tmp}/empty.txt"], ["holds no text"]),
    (["data", "text", "{tmp}/binary.bin"], ["looks binary"]),
    (["data", "text", "{tmp}/latin.txt"], ["not valid utf-8", "--encoding latin-1"]),
    (["data", "text"], ["no corpus given"]),
    (["train", "text", "--corpus", "{tmp}/short.txt", "--model", "gru", "--out", "{tmp}/r"], ["fewer than one window"]),
    (["train", "text", "--corpus", "{tmp}/empty.txt", "--model", "gru", "--out", "{tmp}/r"], ["holds no text"]),
    (["train", "text", "--model", "gru", "--out", "{tmp}/r"], ["no corpus given"]),
    (["generate", "text", "--run", "{run}", "--prompt", "Zebra"], ["never saw in training", "'Z'"]),
    (["generate", "text", "--run", "{run}", "--prompt", "to", "--prompt-file", "{tmp}/short.txt"], ["not both"]),
    (["generate", "text", "--run", "{run}", "--prompt-file", "{tmp}/binary.bin"], ["looks binary"]),
    (["generate", "text", "--run", "{run}", "--prompt-file", "{tmp}/latin.txt"], ["--encoding latin-1"]),
    (["generate", "text", "--run", "{run}", "--prompt-file", "{tmp}/latin.txt", "--encoding", "latin-1"],
     ["never saw in training", "'\u00e9'"]),
    (["generate", "text", "--run", "{run}", "-o", "{tmp}/missing/x.txt"], ["does not exist"]),
    (["generate", "text", "--prompt", "to"], ["shipped text model is not installed"]),
])
def test_bad_input_gives_one_line_and_writes_nothing(args, fragments, char_run, tmp_path, monkeypatch):
    from seqgen.generate import runs

    monkeypatch.setitem(runs.SHIPPED, "text", tmp_path / "no-model")
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "binary.bin").write_bytes(b"\x00\x01\x02 not text")
    (tmp_path / "latin.txt").write_bytes("caf\u00e9\n".encode("latin-1"))
    (tmp_path / "short.txt").write_text("to be\n")
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run(*[a.format(tmp=tmp_path, run=char_run) for a in args])
    assert_one_line_error(result, *fragments)
    assert sorted(p.name for p in tmp_path.iterdir()) == before
