"""The step loop: predict one token, pick it, feed it back, carrying the model's state.

The sampler knows only the one-step contract of :mod:`models.base` (``initial_state`` and
``step``), so it serves every family. Both loops below run compiled (``tf.function`` around a
``tf.while_loop``): no Python runs per step, and since the state is carried (RNN states, WaveNet
caches) a step costs the same at step 10 and at step 10,000.

Generation is ``prime`` (read the primer, BOS first, through ``step``) then ``sample`` in one or
more chunks; chunks let text stream to the terminal while the state carries on between them.
"""

from __future__ import annotations

import os
import sys
from typing import Callable, Iterable, Iterator

import numpy as np
import tensorflow as tf

from seqgen.data_prep.errors import SeqgenError
from seqgen.generate.processors import Context
from seqgen.generate.sampling import SamplingConfig, Strategy, fold_seed, history_of, select


CHUNK = 64  # tokens per compiled sampling call: one static shape, so XLA compiles once
# Tokens one call may generate, all sequences of the batch together (about an hour on a 2-core CPU
# for a small LSTM; the output alone is 4 bytes a token). SEQGEN_MAX_TOKENS raises it.
MAX_TOKENS = 2_000_000
PROGRESS_FROM = 4096  # generate() shows a progress bar on a terminal from this many tokens

Progress = Callable[[int, int], None]  # (tokens done per sequence, tokens asked per sequence)


def max_tokens() -> int:
    """The limit on tokens per call: ``MAX_TOKENS`` or the ``SEQGEN_MAX_TOKENS`` environment variable."""
    raw = os.environ.get("SEQGEN_MAX_TOKENS")
    if raw is None:
        return MAX_TOKENS
    try:
        value = int(raw)
    except ValueError:
        raise SeqgenError(f"SEQGEN_MAX_TOKENS must be a whole number, got {raw!r}") from None
    if value < 1:
        raise SeqgenError(f"SEQGEN_MAX_TOKENS must be >= 1, got {value}")
    return value


def check_length(steps: int, batch: int = 1) -> None:
    """Refuse absurd lengths before any work: one line naming the limit and how to raise it."""
    limit = max_tokens()
    if steps * batch > limit:
        raise SeqgenError(
            f"{batch} x {steps:,} = {steps * batch:,} tokens asked for, more than the limit of {limit:,} per run; "
            f"generate fewer (or in several runs), or raise the limit with the environment variable "
            f"SEQGEN_MAX_TOKENS={steps * batch}")


def tqdm_progress(desc: str = "generating", unit: str = "token") -> Progress:
    """A progress callback drawing a tqdm bar on stderr (closed when the last token is done)."""
    from tqdm import tqdm

    bar = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, leave=False)
        bar.update(min(done, total) - bar.n)
        if done >= total:
            bar.close()

    return update


class Sampler:
    """Generates tokens from ``model`` with ``strategy``, a processor ``(logits, context) -> logits``.

    ``seed`` makes the output reproducible; ``greedy`` takes the most likely token every step
    (deterministic, for tests). ``jit`` compiles the sampling loop with XLA; by default it follows
    the model's ``xla_sampling`` hint (a WaveNet step is many small ops, which XLA fuses: about 25x
    faster on a CPU; RNN steps gain nothing), and is on when processors read the history. The loop carries the last ``history_of(strategy)``
    tokens for history-aware processors. ``weigh`` (e.g. harmonize's particle filter,
    :class:`generate.particles.ParticleFilter`) reweighs and resamples the batch inside the loop.
    """

    def __init__(self, model, strategy: Strategy, seed: int = 0, greedy: bool = False, jit: bool | None = None,
                 progress: Progress | str | None = "auto", weigh=None, scores: bool = False):
        self.model, self.strategy, self.greedy, self.weigh = model, strategy, greedy, weigh
        self.scores = scores  # also keep each drawn token's log-probability under the model (scored())
        # The weigher may read the history too (the particle filter's parallel penalty), rules off or not.
        self.history = max(history_of(strategy), history_of(weigh))
        # generate()'s progress: a callback, None, or "auto" (a tqdm bar when stderr is a terminal and
        # the run is long). stream() reports only to a callback given to it: its caller shows the output.
        self.progress = progress
        # Variables, not constants: reseed() changes them without tracing the loop again.
        self.seed = tf.Variable([0, 0x5EC], dtype=tf.int32, trainable=False)
        self.resample_seed = tf.Variable([0, 0x5ED], dtype=tf.int32, trainable=False)
        self.reseed(seed)
        if jit is None:
            # The model's hint only. XLA for history-aware processors (the rules) was tried as a default and
            # measured on the shipped model with strict rules: 128 steps 17.9 s against 4.2 s uncompiled,
            # 1,024 steps 134 s against 6.8 s (compile cost per call; benchmarks/RESULTS.md).
            jit = getattr(model, "xla_sampling", False)
        # The primer's length varies from call to call, so priming is not XLA-compiled.
        self._prime = tf.function(self._prime_loop, reduce_retracing=True)
        self._sample = tf.function(self._sample_loop, jit_compile=jit, reduce_retracing=True)

    def reseed(self, seed: int) -> None:
        """Draw as a new Sampler with ``seed`` would, keeping the compiled loop."""
        self.seed.assign([seed & 0x7FFFFFFF, 0x5EC])
        self.resample_seed.assign([seed & 0x7FFFFFFF, 0x5ED])

    def _prime_loop(self, primer):
        """``primer (batch, P)`` -> logits after its last token ``(batch, vocab)`` and the state."""
        batch, length = tf.shape(primer)[0], tf.shape(primer)[1]
        state = self.model.initial_state(batch)
        logits, state = self.model.step(primer[:, 0], state)

        def body(i, logits, state):
            logits, state = self.model.step(primer[:, i], state)
            return i + 1, logits, state

        _, logits, state = tf.while_loop(lambda i, *_: i < length, body, (tf.constant(1), logits, state))
        return logits, state

    def _sample_loop(self, logits, state, recent, carry, offset, position):
        """Draw ``CHUNK`` tokens, feeding each back.

        -> ``(tokens (batch, CHUNK), parents (CHUNK, batch) or None, scores (batch, CHUNK) or None, logits,
        state, recent, carry)``; ``parents[i, b]`` is the row whose history row ``b`` continues after token
        ``i`` (with ``weigh``); ``scores`` the tokens' untempered log-probabilities (with ``scores``).
        """
        n = CHUNK
        out = tf.TensorArray(tf.int32, size=n, element_shape=logits.shape[:1])
        parents = tf.TensorArray(tf.int32, size=n, element_shape=logits.shape[:1])
        scores = tf.TensorArray(tf.float32, size=n, element_shape=logits.shape[:1])

        def body(i, logits, state, recent, carry, out, parents, scores):
            context = Context(position + i, recent)
            token = select(self.strategy(logits, context), fold_seed(self.seed, offset + i), self.greedy)  # (batch,)
            out = out.write(i, token)
            if self.scores:
                scores = scores.write(i, tf.gather(tf.nn.log_softmax(tf.cast(logits, tf.float32)), token, batch_dims=1))
            if self.history:
                recent = tf.concat([recent[:, 1:], token[:, None]], axis=1)  # (batch, H)
            if self.weigh is not None:
                carry, parent = self.weigh.update(logits, token, context, carry, fold_seed(self.resample_seed, offset + i))
                token, recent, state = tf.gather(token, parent), tf.gather(recent, parent), gather_rows(state, parent)
                parents = parents.write(i, parent)
            logits, state = self.model.step(token, state)
            return i + 1, logits, state, recent, carry, out, parents, scores

        loop = (tf.constant(0), logits, state, recent, carry, out, parents, scores)
        _, logits, state, recent, carry, out, parents, scores = tf.while_loop(lambda i, *_: i < n, body, loop)
        chosen = parents.stack() if self.weigh is not None else None
        scored = tf.transpose(scores.stack()) if self.scores else None
        return tf.transpose(out.stack()), chosen, scored, logits, state, recent, carry  # tokens (batch, n)

    def _recent(self, primer: np.ndarray) -> tf.Tensor:
        """``(batch, H)``: the primer's last ``H`` tokens, BOS (its first column) repeated before it."""
        pad = np.repeat(primer[:, :1], self.history, axis=1)
        return tf.constant(np.concatenate([pad, primer[:, 1:]], axis=1)[:, primer.shape[1] - 1:])

    def _chunks(self, primer: np.ndarray, steps: int, progress: Progress | None = None):
        """Yield ``(tokens (batch, <=CHUNK), parents or None, scores or None, carry)`` chunk by chunk, ``steps`` in all."""
        primer = np.asarray(primer, np.int32)
        if primer.ndim != 2 or primer.shape[1] < 1:
            raise SeqgenError(f"primer must be (batch, length >= 1) tokens starting with BOS, got shape {primer.shape}")
        if steps < 1:
            raise SeqgenError(f"steps must be >= 1, got {steps}")
        check_length(steps, primer.shape[0])
        logits, state = self._prime(tf.constant(primer))
        recent = self._recent(primer)
        carry = self.weigh.start(primer.shape[0]) if self.weigh is not None else tf.zeros([0])
        done = 0
        while done < steps:
            start = tf.constant(primer.shape[1] - 1 + done)  # the position of the chunk's first token
            tokens, parents, scores, logits, state, recent, carry = self._sample(logits, state, recent, carry,
                                                                                 tf.constant(done), start)
            keep = steps - done
            yield (tokens.numpy()[:, :keep], None if parents is None else parents.numpy()[:keep],
                   None if scores is None else scores.numpy()[:, :keep], carry)
            done += CHUNK
            if progress is not None:
                progress(min(done, steps), steps)

    def stream(self, primer: np.ndarray, steps: int, progress: Progress | None = None) -> Iterator[np.ndarray]:
        """Yield the generated tokens ``(batch, <=CHUNK)`` chunk by chunk, ``steps`` in all.

        ``primer (batch, P)`` starts with BOS; the primer itself is not yielded. Every call of the
        compiled loop draws a full chunk (one shape, one compilation); the last is cut to size. Each
        token's random seed depends only on its position, so chunking never changes the output.
        ``progress(done, steps)`` is called after each chunk. More than :func:`max_tokens` tokens
        (``batch * steps``) are refused before any work.
        """
        for tokens, *_ in self._chunks(primer, steps, progress):
            yield tokens

    def weighed(self, primer: np.ndarray, steps: int):
        """With ``weigh``: ``(tokens (batch, steps), parents (steps, batch), the weigher's final carry)``."""
        chunks = list(self._chunks(primer, steps))
        return (np.concatenate([c[0] for c in chunks], axis=1), np.concatenate([c[1] for c in chunks]), chunks[-1][3])

    def scored(self, primer: np.ndarray, steps: int) -> tuple[np.ndarray, np.ndarray]:
        """With ``scores``: ``(tokens (batch, steps), their log-probabilities under the model (batch, steps))``,
        read in the loop (rescoring whole pieces through the model afterwards cost 3x the sampling)."""
        chunks = list(self._chunks(primer, steps))
        return np.concatenate([c[0] for c in chunks], axis=1), np.concatenate([c[2] for c in chunks], axis=1)

    def generate(self, primer: np.ndarray, steps: int, progress: Progress | str | None = None) -> np.ndarray:
        """``(batch, steps)`` generated tokens, in one compiled run.

        ``progress`` (default: the sampler's) is a callback, None, or ``"auto"``.
        """
        progress = self.progress if progress is None else progress
        if progress == "auto":
            batch = int(np.shape(primer)[0]) if np.ndim(primer) == 2 else 1
            long_run = steps * batch >= PROGRESS_FROM and sys.stderr.isatty()
            progress = tqdm_progress() if long_run and steps * batch <= max_tokens() else None
        return np.concatenate(list(self.stream(primer, steps, progress)), axis=1)


def gather_rows(state, index):
    """Pick batch rows ``index`` of every state tensor; scalars (a shared position) stay as they are."""
    return tf.nest.map_structure(lambda s: tf.gather(s, index) if len(s.shape) else s, state)


def sampler_for(model, sampling: SamplingConfig, forbidden: Iterable[int] = (), rules: Strategy | None = None,
                forced: Strategy | None = None, **options) -> Sampler:
    """The :class:`Sampler` every generate command uses: ``sampling``'s chain with ``forbidden`` ids masked,
    the part-writing ``rules`` and ``forced`` tokens (processors) in it when given.

    ``options`` go to :class:`Sampler` (``jit``, ``progress``, ``weigh``, ``scores``).
    """
    strategy = sampling.strategy(forbidden, rules, forced)
    return Sampler(model, strategy, seed=sampling.seed, greedy=sampling.greedy, **options)
