"""Sampling strategies on made-up logits: exact masks, validation, reproducible seeded draws."""

import math

import numpy as np
import pytest
import tensorflow as tf

from seqgen.data_prep.errors import SeqgenError
from seqgen.generate.sampling import compose, forbid, fold_seed, greedy, make_strategy, select, temperature, top_k, top_p

INF = math.inf


def kept(logits: tf.Tensor) -> np.ndarray:
    """Bool mask of the tokens a strategy left finite."""
    return np.isfinite(np.asarray(logits))


def probs_logits(rows) -> tf.Tensor:
    """Logits whose softmax is exactly ``rows`` (given as probabilities)."""
    return tf.math.log(tf.constant(rows, tf.float32))


def test_temperature_scales_exactly():
    x = tf.constant([[1.0, -2.0, 4.0], [0.0, 3.0, -0.5]])
    np.testing.assert_array_equal(temperature(0.5)(x).numpy(), x.numpy() / 0.5)
    np.testing.assert_array_equal(temperature(2)(x).numpy(), x.numpy() / 2)
    assert temperature(1.0)(x) is x


def test_temperature_keeps_minus_inf():
    x = tf.constant([[1.0, -INF]])
    np.testing.assert_array_equal(temperature(0.3)(x).numpy(), np.float32([[1.0, -INF]]) / np.float32(0.3))


def test_top_k_exact_mask_and_values():
    x = tf.constant([[0.1, 5.0, 3.0, -1.0, 4.0], [9.0, 8.0, 7.0, 6.0, 5.0]])
    out = top_k(2)(x).numpy()
    np.testing.assert_array_equal(out, [[-INF, 5.0, -INF, -INF, 4.0], [9.0, 8.0, -INF, -INF, -INF]])
    assert kept(top_k(1)(x)).sum(axis=1).tolist() == [1, 1]
    # k beyond the vocabulary keeps everything.
    np.testing.assert_array_equal(top_k(50)(x).numpy(), x.numpy())


def test_top_k_ties_keep_exactly_k_lower_ids_first():
    x = tf.constant([[2.0, 7.0, 7.0, 7.0, 1.0]])
    np.testing.assert_array_equal(kept(top_k(2)(x)), [[False, True, True, False, False]])
    uniform = tf.zeros((3, 6))
    np.testing.assert_array_equal(kept(top_k(3)(uniform)), np.tile([True] * 3 + [False] * 3, (3, 1)))


def test_top_p_exact_nucleus():
    x = probs_logits([[0.1, 0.5, 0.3, 0.1], [0.25, 0.25, 0.25, 0.25]])
    # Row 0 sorted: 0.5, 0.3, 0.1, 0.1 -> 0.7 needs two tokens (0.8 >= 0.7), 0.85 needs three.
    np.testing.assert_array_equal(kept(top_p(0.7)(x)), [[False, True, True, False], [True, True, True, False]])
    np.testing.assert_array_equal(kept(top_p(0.85)(x))[0], [True, True, True, False])
    np.testing.assert_array_equal(kept(top_p(0.5)(x))[0], [False, True, False, False])
    # Kept logits are untouched.
    np.testing.assert_allclose(top_p(0.7)(x).numpy()[0, 1:3], x.numpy()[0, 1:3])


def test_top_p_extremes_and_ties():
    x = probs_logits([[0.1, 0.5, 0.3, 0.1], [0.25, 0.25, 0.25, 0.25]])
    np.testing.assert_array_equal(top_p(1.0)(x).numpy(), x.numpy())  # p = 1 keeps all
    np.testing.assert_array_equal(kept(top_p(1e-6)(x)), [[False, True, False, False], [True, False, False, False]])
    # Ties at the edge: the smallest set, lower ids first (two of four equal tokens for p = 0.5).
    np.testing.assert_array_equal(kept(top_p(0.5)(x))[1], [True, True, False, False])


def test_top_p_ignores_already_masked_tokens():
    x = tf.constant([[0.0, 0.0, -INF, 0.0]])
    np.testing.assert_array_equal(kept(top_p(0.6)(x)), [[True, True, False, False]])


def test_forbid_masks_given_ids_only():
    x = tf.constant([[1.0, 2.0, 3.0, 4.0], [4.0, 3.0, 2.0, 1.0]])
    np.testing.assert_array_equal(forbid([0, 3])(x).numpy(), [[-INF, 2.0, 3.0, -INF], [-INF, 3.0, 2.0, -INF]])
    np.testing.assert_array_equal(forbid([1, 99])(x).numpy()[:, [0, 2, 3]], x.numpy()[:, [0, 2, 3]])
    assert forbid(())(x) is x


def test_compose_applies_left_to_right():
    x = tf.constant([[1.0, 2.0, 3.0, 4.0]])
    # forbid first: top-2 picks among the rest; top-2 first: forbidding 3 then leaves one token.
    np.testing.assert_array_equal(kept(compose(forbid([3]), top_k(2))(x)), [[False, True, True, False]])
    np.testing.assert_array_equal(kept(compose(top_k(2), forbid([3]))(x)), [[False, False, True, False]])
    assert compose()(x) is x


def test_make_strategy_chain():
    x = tf.constant([[1.0, 2.0, 3.0, 4.0, 0.0]])
    out = make_strategy(temperature=0.5, top_k=3, forbidden=(3,))(x).numpy()
    np.testing.assert_array_equal(out, [[2.0, 4.0, 6.0, -INF, -INF]])
    np.testing.assert_array_equal(make_strategy()(x).numpy(), x.numpy())
    # Temperature comes before top-p: a sharp distribution needs fewer tokens.
    assert kept(make_strategy(temperature=0.1, top_p=0.9)(x)).sum() == 1
    assert kept(make_strategy(temperature=10.0, top_p=0.9)(x)).sum() == 5


@pytest.mark.parametrize(
    "factory, value, text",
    [
        (temperature, 0, "temperature must be > 0, got 0"),
        (temperature, -1.5, "got -1.5"),
        (temperature, float("nan"), "got nan"),
        (temperature, "hot", "got 'hot'"),
        (top_k, 0, "top-k must be an integer >= 1, got 0"),
        (top_k, 2.5, "got 2.5"),
        (top_k, True, "got True"),
        (top_p, 0, "top-p must be in (0, 1], got 0"),
        (top_p, 1.2, "got 1.2"),
        (forbid, [-1], "got -1"),
        (forbid, ["a"], "got 'a'"),
        (compose, 3, "got 3"),
    ],
)
def test_bad_arguments_raise_with_the_value(factory, value, text):
    with pytest.raises(SeqgenError) as err:
        factory(value)
    assert text in str(err.value)


def test_make_strategy_validates():
    with pytest.raises(SeqgenError, match="top-p"):
        make_strategy(top_p=0.0)
    with pytest.raises(SeqgenError, match="temperature"):
        make_strategy(temperature=0)


def test_greedy_and_select_greedy():
    x = tf.constant([[0.0, 3.0, 1.0], [5.0, 5.0, -1.0]])
    assert greedy(x).numpy().tolist() == [1, 0]
    out = select(x, tf.constant([1, 2]), greedy=True)
    assert out.dtype == tf.int32 and out.numpy().tolist() == [1, 0]


def test_select_is_reproducible_and_never_draws_masked():
    x = top_k(3)(tf.random.stateless_normal((64, 20), seed=[3, 4]))
    a = select(x, tf.constant([7, 11]))
    b = select(x, tf.constant([7, 11]))
    c = select(x, tf.constant([8, 11]))
    assert a.shape == (64,) and a.dtype == tf.int32
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(a.numpy(), c.numpy())
    assert kept(x)[np.arange(64), a.numpy()].all()


def test_select_distribution_roughly_right():
    p = np.array([0.5, 0.3, 0.15, 0.05, 0.0])
    x = tf.tile(tf.math.log(tf.constant([p], tf.float32)), [8000, 1])
    counts = np.bincount(select(x, tf.constant([0, 1])).numpy(), minlength=5) / 8000
    np.testing.assert_allclose(counts, p, atol=0.02)
    assert counts[4] == 0


def test_fold_seed_distinct_per_step_and_reproducible():
    seed = tf.constant([5, 6])
    seeds = [tuple(fold_seed(seed, s).numpy()) for s in range(4)]
    assert len(set(seeds)) == 4
    assert seeds[2] == tuple(fold_seed(seed, tf.constant(2)).numpy())


@pytest.mark.parametrize("jit", [False, True])
def test_runs_compiled_in_a_while_loop_with_batch(jit):
    strategy = make_strategy(temperature=0.8, top_k=4, top_p=0.9, forbidden=(0,))

    @tf.function(jit_compile=jit)
    def draw(logits, seed):  # logits (batch, vocab); 5 reproducible draws per row
        def body(i, out):
            token = select(strategy(logits), fold_seed(seed, i))  # (batch,)
            return i + 1, out.write(i, token)

        _, out = tf.while_loop(lambda i, _: i < 5, body, (0, tf.TensorArray(tf.int32, size=5)))
        return out.stack()  # (5, batch)

    logits = tf.random.stateless_normal((3, 10), seed=[1, 2])
    first = draw(logits, tf.constant([9, 9])).numpy()
    assert first.shape == (5, 3)
    np.testing.assert_array_equal(first, draw(logits, tf.constant([9, 9])).numpy())
    allowed = kept(strategy(logits))  # (3, 10)
    assert all(allowed[b, t] for t_row in first for b, t in enumerate(t_row))
    assert (first != 0).all()

