"""The largest value each numeric option takes, checked by click before any work starts.

Every bound here is far above useful settings and far below what exhausts a 2-core, 8 GB machine
(each was met by ``benchmarks/fuzz_cli.py``: a billion-example batch hangs building it, a million
particles or Gibbs sweeps run for hours or die after gigabytes). click's range message names the
bound, so the user reads the limit. Nothing here imports TensorFlow: ``--help`` stays fast.
"""

from __future__ import annotations

import os

from seqgen.data_prep.errors import SeqgenError

MAX_SEED = 2**31 - 1  # numpy and TensorFlow seeds are 32-bit
MAX_EPOCHS = 100_000  # more is a typo; early stopping ends real runs far sooner
MAX_BATCH = 8192  # examples per batch: beyond this a chorale or text batch no longer fits in memory
MAX_PATIENCE = 100_000
MAX_MINUTES = 100_000  # --max-minutes: about 70 days of training
MAX_LEARNING_RATE = 10.0  # Adam diverges far below this
MAX_WINDOW = 4096  # tokens (text) or 16th-note steps (chorales) per training window
MAX_VOCAB = 1_000_000  # word vocabulary kept
MAX_SAMPLES = 100_000  # tokens sampled into samples.txt after each epoch
MAX_NUM = 1000  # pieces or texts of one --num (each is a file, all in one batch)
MAX_TOP_K = 1_000_000
MAX_STEPS = 100_000  # 16th-note steps of a generated chorale (about 100 minutes at 80 bpm)
MAX_LENGTH = 2_000_000  # generated text tokens (the token limit SEQGEN_MAX_TOKENS still applies)
MAX_PARTICLES = 1024  # harmonize: hypotheses in one batch
MAX_SWEEPS = 100  # infill: Gibbs sweeps (each is a model call per cell and candidate)
MAX_INFILL_WINDOW = 256  # infill: steps after a cell that judge it (16 bars)
MAX_CANDIDATES = 128  # infill: notes tried per cell (a chorale voice has fewer than 100)
MAX_INDEX = 10_000_000  # sketch --index: position in a file
CHORALE_VOICES = 4  # tokens per 16th-note step of a chorale (one per voice), for the token limit
MAX_PROMPT_CHARS = 20_000  # prompt characters primed (priming costs a model step each, about 0.1 ms)
MAX_PROMPT_BYTES = 4 * MAX_PROMPT_CHARS + 4  # --prompt-file: the most those characters take (UTF-32, BOM)


def check_prompt_file(path: str | os.PathLike | None) -> None:
    """Refuse a prompt file too large to prime, before it is read or a model loads."""
    if path is None:
        return
    size = os.path.getsize(path)
    if size > MAX_PROMPT_BYTES:
        raise SeqgenError(f"--prompt-file {str(path)!r} is {size:,} bytes, more than the limit of "
                          f"{MAX_PROMPT_BYTES:,}; give a shorter prompt (its last lines, say)")


def check_prompt_text(text: str) -> None:
    """Refuse a prompt longer than :data:`MAX_PROMPT_CHARS` (each character is a model step to prime)."""
    if len(text) > MAX_PROMPT_CHARS:
        raise SeqgenError(f"the prompt has {len(text):,} characters, more than the limit of {MAX_PROMPT_CHARS:,}; "
                          "give a shorter --prompt or --prompt-file")


def check_tokens(tokens_per_piece: int, num: int) -> None:
    """The sampler's token limit (``SEQGEN_MAX_TOKENS``), checked before the model loads."""
    from seqgen.generate.sampler import check_length

    check_length(tokens_per_piece, num)
