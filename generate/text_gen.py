"""Text generation: a run (or the shipped Shakespeare model), a prompt, the sampler, the terminal or files.

The prompt is read through the model's vocabulary first (unknown characters or words are refused,
or dropped with ``skip_unknown``), then BOS + prompt primes the state-carrying sampler, which
produces the text in chunks: the terminal sees it as it is written.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterator

import click
import keras
import numpy as np

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.files import atomic_path
from seqgen.data_prep.text_corpus import iter_file_chunks
from seqgen.generate.limits import check_prompt_file, check_prompt_text, check_tokens
from seqgen.generate.outputs import text_paths
from seqgen.generate.runs import open_run
from seqgen.generate.sampler import sampler_for
from seqgen.generate.sampling import SamplingConfig
from seqgen.models import run_dir as rd


Echo = Callable[..., None]  # click.echo's signature: (text, nl=True)


def read_prompt(prompt: str | None, prompt_file: str | os.PathLike | None, encoding: str = "utf-8") -> str:
    """The prompt text from ``--prompt`` or ``--prompt-file`` (newlines normalised as in corpora)."""
    if prompt is not None and prompt_file is not None:
        raise SeqgenError("give either --prompt or --prompt-file, not both")
    if prompt_file is not None:
        return "".join(iter_file_chunks(prompt_file, encoding))  # refuses binary or undecodable files
    return (prompt or "").replace("\r\n", "\n").replace("\r", "\n")


def stream_texts(model, codec, prompt_tokens: np.ndarray, length: int, num: int,
                 sampling: SamplingConfig) -> Iterator[list[str]]:
    """The ``num`` texts' new pieces, one per sampler chunk: ``length`` tokens after BOS + prompt in all."""
    sampler = sampler_for(model, sampling, codec.forbidden_ids)
    primer = np.tile(np.concatenate([[codec.bos_id], prompt_tokens]).astype(np.int32), (num, 1))  # (num, 1 + P)
    for tokens in sampler.stream(primer, length):  # (num, <= the sampler's chunk)
        yield [codec.decode(row) for row in tokens]


def generate_texts(model, codec, prompt_tokens: np.ndarray, length: int, num: int,
                   sampling: SamplingConfig) -> list[str]:
    """``num`` texts, each the prompt followed by ``length`` generated tokens."""
    start = codec.decode(prompt_tokens)
    pieces = list(stream_texts(model, codec, prompt_tokens, length, num, sampling))
    return [start + "".join(chunk[i] for chunk in pieces) for i in range(num)]


def header(index: int, num: int) -> str:
    """The line before each text when several go to the terminal."""
    return f"===== text {index} of {num} ====="


def echo_texts(pieces: Iterator[list[str]], start: str, num: int, echo: Echo) -> None:
    """Write the first text as it is produced, then the others (each after a header when ``num > 1``)."""
    rest: list[list[str]] = [[] for _ in range(num)]
    if num > 1:
        echo(header(1, num))
    echo(start, nl=False)
    for chunk in pieces:
        echo(chunk[0], nl=False)  # click.echo flushes: the user reads the text as it comes
        for i in range(1, num):
            rest[i].append(chunk[i])
    echo("")
    for i in range(1, num):
        echo(header(i + 1, num))
        echo(start + "".join(rest[i]))


def write_text(run: str | os.PathLike | None, out: str | os.PathLike | None, *, prompt: str | None = None,
               prompt_file: str | os.PathLike | None = None, length: int = 500, num: int = 1,
               sampling: SamplingConfig = SamplingConfig(), skip_unknown: bool = False, force: bool = False,
               echo: Echo = click.echo, encoding: str | None = None) -> list[str]:
    """Everything ``seqgen generate text`` does; returns the lines to print after the texts.

    Without ``out`` the texts stream through ``echo``; with it each is written atomically.
    Options, output paths and the prompt are all checked before any sampling.
    """
    if length < 1:
        raise SeqgenError(f"--length must be >= 1 generated tokens, got {length}")
    check_tokens(length, num)  # the token limit, before the model loads
    check_prompt_file(prompt_file)
    paths = text_paths(out, num, force) if out is not None else None
    loaded = open_run(run, "text")
    model, codec = loaded.model, loaded.codec
    text = read_prompt(prompt, prompt_file, encoding or loaded.info.data.get("encoding", "utf-8"))
    check_prompt_text(text)  # each prompt character is a model step to prime
    prompt_tokens = codec.encode_prompt(text, skip_unknown=skip_unknown)
    lines = []
    dropped = len(codec.encode(text)) - len(prompt_tokens)  # unknown units become one token each, or nothing
    if dropped:
        shown = ", ".join(repr(m) for m in codec.unknown(text)[:10])
        lines.append(f"--skip-unknown dropped {dropped} {codec.unit}(s) of the prompt the model never saw: {shown}")
    if paths is None:
        echo_texts(stream_texts(model, codec, prompt_tokens, length, num, sampling), codec.decode(prompt_tokens),
                   num, echo)
        return lines
    for path, body in zip(paths, generate_texts(model, codec, prompt_tokens, length, num, sampling)):
        with atomic_path(path) as tmp:
            tmp.write_text(body, encoding="utf-8")
        lines.append(f"wrote {path} ({len(body):,} characters)")
    return lines


class EpochSamples(keras.callbacks.Callback):
    """After every epoch, sample a short text from BOS and append it to ``path`` (and print it)."""

    def __init__(self, path: Path, codec, length: int = 200, temperature: float = 0.8, seed: int = 0,
                 verbose: bool = False):
        super().__init__()
        self.path, self.codec, self.length, self.verbose = Path(path), codec, length, verbose
        self.temperature, self.seed = temperature, seed
        self._sampler = None

    def on_epoch_end(self, epoch, logs=None):
        if self._sampler is None:  # one sampler: its compiled loop reads the current weights
            sampling = SamplingConfig(temperature=self.temperature, seed=self.seed)
            self._sampler = sampler_for(self.model, sampling, self.codec.forbidden_ids)
        tokens = self._sampler.generate(np.array([[self.codec.bos_id]], np.int32), self.length)  # (1, length)
        entry = f"=== epoch {epoch + 1} ===\n{self.codec.decode(tokens[0])}\n\n"
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(entry)
        if self.verbose:
            print(f"\n{entry}", end="", flush=True)


def epoch_samples(length: int = 200, seed: int = 0, verbose: bool = True):
    """``callbacks(run, codec)`` for :func:`seqgen.models.driver.train`: a sample per epoch in
    ``RUN_DIR/samples.txt`` (0 tokens: none)."""
    def make(run: Path, codec) -> list:
        return [EpochSamples(Path(run) / rd.SAMPLES_FILE, codec, length, seed=seed, verbose=verbose)] if length else []
    return make
