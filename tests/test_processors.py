"""The one sampling loop and its history-aware processors: same tokens as the old loop with no rule on,
forced tokens kept, a region untouched, bad arguments refused."""

import math

import numpy as np
import pytest
import tensorflow as tf

from seqgen.data_prep.errors import SeqgenError
from seqgen.generate.processors import Context, force, region
from seqgen.generate.sampler import Sampler
from seqgen.generate.sampling import compose, fold_seed, make_strategy, select, temperature
from seqgen.models.config import make_config
from seqgen.models.registry import build_model

VOCAB = 23


def old_loop(model, strategy, primer: np.ndarray, steps: int, seed: int, greedy: bool) -> np.ndarray:
    """Today's sampler before processors saw a context: strategy(logits) only, the same seeds."""
    seed_t = tf.constant([seed & 0x7FFFFFFF, 0x5EC], tf.int32)
    state = model.initial_state(primer.shape[0])
    for t in range(primer.shape[1]):
        logits, state = model.step(tf.constant(primer[:, t]), state)
    out = []
    for i in range(steps):
        token = select(strategy(logits), fold_seed(seed_t, i), greedy)
        out.append(token.numpy())
        logits, state = model.step(token, state)
    return np.stack(out, axis=1)


@pytest.mark.parametrize("greedy", [True, False])
def test_one_loop_gives_the_old_tokens_with_no_rule_on(greedy):
    model = build_model(make_config("lstm", "tiny", VOCAB, 4))
    strategy = make_strategy(temperature=1.3, top_p=0.95, forbidden=(0,))
    primer = np.array([[0, 5, 6], [0, 7, 8]], np.int32)
    new = Sampler(model, strategy, seed=11, greedy=greedy, progress=None).generate(primer, 20)
    np.testing.assert_array_equal(new, old_loop(model, strategy, primer, 20, 11, greedy))


def test_scored_gives_each_drawn_tokens_log_probability_under_the_model():
    model = build_model(make_config("lstm", "tiny", VOCAB, 4))
    primer = np.array([[0, 5, 6], [0, 7, 8]], np.int32)
    strategy = make_strategy(temperature=1.5, forbidden=(0,))
    sampler = Sampler(model, strategy, seed=4, progress=None, scores=True)
    tokens, scores = sampler.scored(primer, 20)
    np.testing.assert_array_equal(tokens, sampler.generate(primer, 20))  # the same draws
    rows = np.concatenate([primer, tokens], axis=1)
    logp = tf.nn.log_softmax(model(tf.constant(rows[:, :-1]), training=False)).numpy()  # untempered
    expected = np.take_along_axis(logp[:, primer.shape[1] - 1:], tokens[..., None], axis=-1)[..., 0]
    np.testing.assert_allclose(scores, expected, atol=1e-4)


def context(position: int, recent=((0, 0),)) -> Context:
    return Context(tf.constant(position), tf.constant(recent, tf.int32))


def test_a_forced_token_is_kept_whatever_the_logits():
    logits = tf.constant([[5.0, 1.0, -math.inf, 2.0]] * 2)
    pin = force(np.array([3, 2, 1]), np.array([True, True, False]))
    out = pin(logits, context(1)).numpy()
    assert np.isinf(out[:, [0, 1, 3]]).all() and (out[:, 2] == 0).all()  # kept even where masked before
    np.testing.assert_array_equal(pin(logits, context(2)).numpy(), logits.numpy())  # a free position
    np.testing.assert_array_equal(pin(logits, context(7)).numpy(), logits.numpy())  # past the end: free
    assert select(pin(logits, context(0)), tf.constant([1, 2]), greedy=False).numpy().tolist() == [3, 3]


def test_a_region_is_untouched_and_the_rest_kept():
    logits = tf.constant([[0.5, 1.0, 2.0, 3.0]])
    keep = region(np.array([1, 2, 3]), np.array([False, True, False]))
    np.testing.assert_array_equal(keep(logits, context(1)).numpy(), logits.numpy())
    assert int(tf.argmax(keep(logits, context(2)), -1)[0]) == 3 and np.isinf(keep(logits, context(0)).numpy()[0, 2:]).all()


def test_forced_tokens_through_the_loop():
    model = build_model(make_config("lstm", "tiny", VOCAB, 4))
    given = np.arange(2, 14, dtype=np.int32)
    mask = np.arange(12) % 4 == 0
    out = Sampler(model, compose(make_strategy(forbidden=(0,)), force(given, mask)), seed=3, progress=None
                  ).generate(np.zeros((3, 1), np.int32), 12)
    np.testing.assert_array_equal(out[:, mask], np.broadcast_to(given[mask], (3, 3)))
    assert (out[:, ~mask] != 0).all()


@pytest.mark.parametrize("args", [(np.array([[1, 2]]), np.array([[True, False]])), (np.array([1, 2]), np.array([1, 0])),
                                  (np.array([1, -2]), np.array([True, True])), (np.array([], int), np.array([], bool))])
def test_force_validates_its_arguments(args):
    with pytest.raises(SeqgenError, match="forced tokens"):
        force(*args)


def test_compose_keeps_the_longest_history():
    reader = lambda logits, context=None: logits  # noqa: E731
    reader.history = 8
    assert compose(temperature(0.5), reader).history == 8 and compose(temperature(0.5)).history == 0


def test_trace_back_follows_the_parents_and_systematic_resampling_keeps_heavy_rows():
    from seqgen.generate.particles import systematic, trace_back

    tokens = np.array([[1, 2, 3], [4, 5, 6]])  # (rows, steps): what each row drew
    parents = np.array([[0, 1], [1, 1], [0, 1]])  # after step 1 both rows continue row 1
    assert trace_back(tokens, parents, 0).tolist() == [4, 5, 3]
    picked = systematic(tf.constant([0.0, 1.0, 0.0]), tf.constant([1, 2])).numpy()
    assert picked.tolist() == [1, 1, 1]
