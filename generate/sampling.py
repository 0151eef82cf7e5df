"""Sampling strategies: small composable logits processors, then one selection step.

Every strategy is a processor ``(logits, context=None) -> logits``: it takes and returns float
logits of shape ``(batch, vocab)`` and uses only TensorFlow ops, so a whole chain runs inside a
compiled ``tf.function`` / ``tf.while_loop`` (XLA too). The context (:class:`processors.Context`:
the position and the recent tokens) is what history-aware processors (forced tokens, part-writing
rules) read; the strategies here ignore it, so they also work on logits alone. A processor that
reads the last ``H`` tokens says so with a ``history = H`` attribute; :func:`compose` keeps the largest.
Masked tokens get ``-inf``, which :func:`select` never draws. The factories validate their
argument in Python, once, and raise :class:`SeqgenError` with the bad value.

Ties: :func:`top_k` and :func:`top_p` rank tokens with ``tf.math.top_k``, which orders equal logits
by index (lower index first), so they keep exactly ``k`` tokens / exactly the smallest nucleus,
breaking ties in favour of the lower token id.

Typical use in a step loop::

    strategy = make_strategy(temperature=0.9, top_p=0.95, forbidden=codec.forbidden_ids)
    token = select(strategy(logits), fold_seed(seed, step), greedy=False)  # (batch,) int32
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Callable, Iterable

import numpy as np
import tensorflow as tf

from seqgen.data_prep.errors import SeqgenError

Strategy = Callable[..., tf.Tensor]  # (logits (batch, vocab), context=None) -> same shape


@dataclass(frozen=True)
class SamplingConfig:
    """How tokens are picked, for every task (chorale, text, MIDI); validated in ``__post_init__``."""

    temperature: float = 1.0  # <1 safer, >1 wilder
    top_k: int | None = None  # keep the k most likely tokens
    top_p: float | None = None  # keep the smallest set reaching probability p
    seed: int = 0  # same seed, same output
    greedy: bool = False  # always the most likely token (deterministic)

    def __post_init__(self):
        self.strategy()  # the factories check each value and name it; no TensorFlow work without forbidden ids

    def strategy(self, forbidden: Iterable[int] = (), rules: "Strategy | None" = None,
                 forced: "Strategy | None" = None) -> "Strategy":
        """The chain :func:`make_strategy` builds from these settings (``forbidden`` ids, ``rules``, ``forced``)."""
        return make_strategy(self.temperature, self.top_k, self.top_p, forbidden, rules, forced)


def _identity(logits: tf.Tensor, context=None) -> tf.Tensor:
    return logits


def history_of(processor) -> int:
    """How many recent tokens ``processor`` reads (0: it looks at the logits only)."""
    return int(getattr(processor, "history", 0))


def _is_real(value: object) -> bool:
    # bool is an Integral; "temperature=True" is a caller bug worth reporting, not 1.0.
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(float(value))


def _masked(logits: tf.Tensor, keep: tf.Tensor) -> tf.Tensor:
    """``logits`` where ``keep`` (broadcastable bool), ``-inf`` elsewhere."""
    return tf.where(keep, logits, tf.constant(-math.inf, logits.dtype))


def _vocab_size(logits: tf.Tensor) -> int | tf.Tensor:
    # A static size keeps top_k's k a compile-time constant, which XLA requires.
    static = logits.shape[-1]
    return int(static) if static is not None else tf.shape(logits)[-1]


def _scatter_keep(indices: tf.Tensor, keep: tf.Tensor, like: tf.Tensor) -> tf.Tensor:
    """Bool mask shaped like ``like`` (batch, vocab): True at ``indices[b, j]`` where ``keep[b, j]``.

    ``indices`` (batch, n) int32 are distinct per row (they come from ``tf.math.top_k``).
    """
    batch_ids = tf.broadcast_to(tf.range(tf.shape(indices)[0])[:, None], tf.shape(indices))  # (batch, n)
    coords = tf.stack([batch_ids, indices], axis=-1)  # (batch, n, 2)
    hits = tf.scatter_nd(coords, tf.cast(keep, tf.float32), tf.shape(like))  # (batch, vocab)
    return hits > 0.5


def temperature(t: float) -> Strategy:
    """Divide logits by ``t`` (> 0): below 1 sharpens the distribution, above 1 flattens it."""
    if not _is_real(t) or t <= 0:
        raise SeqgenError(f"temperature must be > 0, got {t!r}: use e.g. 1.0 (lower is more conservative)")
    if t == 1:
        return _identity
    scale = float(t)

    def apply(logits: tf.Tensor, context=None) -> tf.Tensor:
        return logits / tf.cast(scale, logits.dtype)

    return apply


def top_k(k: int) -> Strategy:
    """Keep the ``k`` (>= 1) largest logits per row, ``-inf`` elsewhere (ties: lower id first)."""
    if not isinstance(k, Integral) or isinstance(k, bool) or k < 1:
        raise SeqgenError(f"top-k must be an integer >= 1, got {k!r}: use e.g. 40, or leave it unset")
    k = int(k)

    def apply(logits: tf.Tensor, context=None) -> tf.Tensor:
        vocab = _vocab_size(logits)
        kept = min(k, vocab) if isinstance(vocab, int) else tf.minimum(k, vocab)
        _, indices = tf.math.top_k(logits, k=kept)  # (batch, k)
        keep = _scatter_keep(indices, tf.ones_like(indices, dtype=tf.bool), logits)
        return _masked(logits, keep)

    return apply


def top_p(p: float) -> Strategy:
    """Nucleus sampling: keep the fewest most probable tokens whose total probability reaches ``p``.

    ``0 < p <= 1``; the most probable token is always kept, and ``p == 1`` keeps every token.
    """
    if not _is_real(p) or not 0 < p <= 1:
        raise SeqgenError(f"top-p must be in (0, 1], got {p!r}: use e.g. 0.9, or 1 to keep every token")
    if p == 1:
        # Exact: a float cumulative sum may pass 1.0 early and drop the least likely tokens.
        return _identity
    nucleus = float(p)

    def apply(logits: tf.Tensor, context=None) -> tf.Tensor:
        ordered, indices = tf.math.top_k(logits, k=_vocab_size(logits))  # (batch, vocab), descending
        probs = tf.nn.softmax(tf.cast(ordered, tf.float32), axis=-1)
        before = tf.cumsum(probs, axis=-1, exclusive=True)  # mass of strictly better-ranked tokens
        keep_sorted = before < nucleus  # rank 0 always: 0 < p
        return _masked(logits, _scatter_keep(indices, keep_sorted, logits))

    return apply


def forbid(ids: Iterable[int]) -> Strategy:
    """Mask the given token ids (BOS, padding, ...) to ``-inf``; ids >= vocab size are ignored."""
    ids = tuple(ids)
    for i in ids:
        if not isinstance(i, Integral) or isinstance(i, bool) or i < 0:
            raise SeqgenError(f"forbidden token ids must be integers >= 0, got {i!r} in {ids!r}")
    if not ids:
        return _identity
    id_tensor = tf.constant(sorted(set(int(i) for i in ids)), dtype=tf.int32)

    def apply(logits: tf.Tensor, context=None) -> tf.Tensor:
        vocab = _vocab_size(logits)
        if isinstance(vocab, int):  # a constant mask: one op per token inside the loop, not three
            allowed = np.ones(vocab, bool)
            allowed[[i for i in ids if i < vocab]] = False
            return _masked(logits, allowed[None, :])
        # one_hot drops out-of-range ids instead of failing at run time.
        banned = tf.reduce_max(tf.one_hot(id_tensor, vocab, dtype=tf.float32), axis=0)  # (vocab,)
        return _masked(logits, banned[None, :] < 0.5)

    return apply


def compose(*fns: Strategy) -> Strategy:
    """Apply ``fns`` left to right: ``compose(f, g)(x) == g(f(x))``; no arguments is the identity."""
    for fn in fns:
        if not callable(fn):
            raise SeqgenError(f"compose() takes sampling strategies (callables), got {fn!r}")
    if not fns:
        return _identity

    def apply(logits: tf.Tensor, context=None) -> tf.Tensor:
        for fn in fns:
            logits = fn(logits, context)
        return logits

    apply.history = max(history_of(fn) for fn in fns)
    return apply


def make_strategy(
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    forbidden: Iterable[int] = (),
    rules: Strategy | None = None,
    forced: Strategy | None = None,
) -> Strategy:
    """The usual chain: forbid, rules, temperature, top-k, top-p, then forced tokens (each optional).

    Forbidden tokens go first so they never take a top-k slot or nucleus mass; the part-writing
    ``rules`` (:mod:`generate.rules`) next, so the nucleus is drawn from the notes they allow; top-p
    sees the tempered distribution, as in common practice; ``forced`` tokens (harmonize's given
    voice, the cells outside infill's region) last, so nothing can move them.
    """
    steps = [forbid(forbidden)] + ([rules] if rules is not None else []) + [_temperature(temperature)]
    if top_k is not None:
        steps.append(_top_k(top_k))
    if top_p is not None:
        steps.append(_top_p(top_p))
    chain = compose(*(s for s in steps if s is not _identity))
    if forced is None:
        return chain
    if not hasattr(forced, "pinned"):
        return compose(chain, forced)
    return _unless_pinned(chain, forced)


def _unless_pinned(chain: Strategy, forced) -> Strategy:
    """``forced(chain(logits))``, but where ``forced`` pins the token the chain is skipped: its output
    would be thrown away, and the rules' ops are most of a step's cost (harmonize: one token in four)."""

    def apply(logits: tf.Tensor, context=None) -> tf.Tensor:
        return tf.cond(forced.pinned(context), lambda: forced.pin(logits, context), lambda: chain(logits, context))

    apply.history = max(history_of(chain), history_of(forced))
    return apply


# make_strategy's keyword names shadow the factories; keep module-level handles to them.
_temperature, _top_k, _top_p = temperature, top_k, top_p


def greedy(logits: tf.Tensor) -> tf.Tensor:
    """The most likely token per row: ``(batch, vocab)`` -> ``(batch,)`` int32 (ties: lower id)."""
    return tf.argmax(logits, axis=-1, output_type=tf.int32)


def select(logits: tf.Tensor, seed: tf.Tensor, greedy: bool = False) -> tf.Tensor:
    """One token per row, ``(batch, vocab)`` -> ``(batch,)`` int32.

    Draws with ``tf.random.stateless_categorical`` under ``seed`` (a ``(2,)`` int tensor), so the
    same logits and seed always give the same tokens; ``greedy`` (a Python bool) takes the argmax.
    """
    if greedy:
        return _greedy(logits)
    draws = tf.random.stateless_categorical(logits, num_samples=1, seed=seed, dtype=tf.int32)  # (batch, 1)
    return draws[:, 0]


_greedy = greedy


def fold_seed(seed: tf.Tensor, step: int | tf.Tensor) -> tf.Tensor:
    """A distinct, reproducible ``(2,)`` seed for each ``step`` of a loop, derived from ``seed``."""
    return tf.random.experimental.stateless_fold_in(seed, tf.cast(step, tf.int32))
