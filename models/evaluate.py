"""Scoring whole sequences: cross-entropy per token and accuracy, optionally over token groups.

Every token of every sequence is predicted from everything before it (sequences start with BOS,
which itself is never scored). With ``groups`` (token id -> group id), probabilities are summed
within each group first: for chorales that merges the held and struck token of a pitch, giving the
figure comparable with models that predict pitches only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import tensorflow as tf


@dataclass
class Score:
    """Totals over all scored tokens."""

    nats: float = 0.0  # summed negative log-likelihood
    correct: int = 0  # argmax predictions equal to the target
    count: int = 0  # scored tokens

    @property
    def nats_per_token(self) -> float:
        return self.nats / max(self.count, 1)

    @property
    def bits_per_token(self) -> float:
        return self.nats_per_token / np.log(2)

    @property
    def accuracy(self) -> float:
        return self.correct / max(self.count, 1)


def _scorer(model):
    """A compiled scorer for ``model`` that accepts any batch and width without retracing."""
    spec = tf.TensorSpec([None, None], tf.int32)
    signature = [spec, spec, tf.TensorSpec([None, None], tf.float32), tf.TensorSpec([None, None], tf.float32)]
    return tf.function(lambda *args: _batch_scores(model, *args), input_signature=signature)


def _batch_scores(model, inputs, targets, mask, group_matrix):
    logits = tf.cast(model(inputs, training=False), tf.float32)  # (batch, time, vocab)
    log_probs = tf.nn.log_softmax(logits)
    # log of the probability summed per group: (batch, time, groups)
    grouped = tf.math.log(tf.linalg.matmul(tf.exp(log_probs), group_matrix) + 1e-30)
    target_groups = tf.argmax(tf.gather(group_matrix, targets), axis=-1, output_type=tf.int32)
    out = []
    for lp, tgt in ((log_probs, targets), (grouped, target_groups)):
        nll = -tf.gather(lp, tgt, batch_dims=2)  # (batch, time)
        hit = tf.cast(tf.argmax(lp, axis=-1, output_type=tf.int32) == tgt, tf.float32)
        out += [tf.reduce_sum(nll * mask), tf.reduce_sum(hit * mask)]
    return out


def score_sequences(model, sequences: list[np.ndarray], groups: np.ndarray | None = None,
                    batch_size: int = 16) -> tuple[Score, Score]:
    """``(per-token score, per-group score)`` of ``model`` over whole ``sequences`` (each BOS-first).

    Without ``groups`` both scores are the same.
    """
    vocab = int(model.config.vocab_size)
    groups = np.arange(vocab) if groups is None else np.asarray(groups)
    group_matrix = tf.constant(np.eye(groups.max() + 1, dtype=np.float32)[groups])  # (vocab, groups)
    token_score, group_score = Score(), Score()
    scorer = _scorer(model)
    order = np.argsort([len(s) for s in sequences])  # similar lengths together: less padding
    for start in range(0, len(order), batch_size):
        batch = [sequences[i] for i in order[start : start + batch_size]]
        width = max(len(s) for s in batch) - 1
        inputs = np.zeros((len(batch), width), np.int32)
        targets = np.zeros((len(batch), width), np.int32)
        mask = np.zeros((len(batch), width), np.float32)
        for row, seq in enumerate(batch):
            inputs[row, : len(seq) - 1], targets[row, : len(seq) - 1] = seq[:-1], seq[1:]
            mask[row, : len(seq) - 1] = 1.0
        t_nats, t_hits, g_nats, g_hits = (float(v) for v in scorer(inputs, targets, mask, group_matrix))
        n = int(mask.sum())
        for score, nats, hits in ((token_score, t_nats, t_hits), (group_score, g_nats, g_hits)):
            score.nats += nats
            score.correct += int(round(hits))
            score.count += n
    return token_score, group_score
