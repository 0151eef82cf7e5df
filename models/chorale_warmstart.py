"""Warm-start a phrase-and-mode chorale model from one trained on the plain chorale codec.

The phrase codec keeps every plain token id (BOS, silence, pitches) and appends two blocks (phrase-end
soprano tokens, mode start tokens; see :mod:`data_prep.chorale_codec`). So the new model takes every
weight of the old one; only the rows of the token embedding and the columns of the output head that
belong to new ids are made up:

- a phrase-end token starts as a copy of its plain pitch token (same embedding, same head column),
  with its bias lowered by ``log(1 / FERMATA_SHARE)``: the model first predicts "no phrase end" with
  the old probabilities and learns the rest in fine-tuning;
- a mode token starts as BOS's embedding plus a small random offset per mode (so the two differ);
  its head column is zero with a very low bias (a start token is never a target).

    python -m seqgen.models.chorale_warmstart generate/pretrained/chorale runs/phrases --epochs 12
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np

from seqgen.data_prep.chorale_codec import BOS, FIRST_PITCH, ChoraleCodec
from seqgen.models.chorale_task import ChoraleDataConfig, ChoraleTask

FERMATA_SHARE = 0.03  # about 6 phrase-end soprano steps in ~250 steps of a chorale
START_BIAS = -20.0  # logit bias of the start tokens: never predicted


def _weight(model, suffix: str):
    """The one variable of ``model`` whose path ends with ``suffix``."""
    found = [w for w in model.weights if w.path.endswith(suffix)]
    if len(found) != 1:
        raise ValueError(f"warm start: expected one weight ending {suffix!r}, found {[w.path for w in found]}")
    return found[0]


def new_token_sources(old: ChoraleCodec, new: ChoraleCodec) -> np.ndarray:
    """``(new vocab,)``: the old id each new token copies (the plain pitch for a phrase end, BOS for a mode)."""
    if (old.low, old.high, old.voices) != (new.low, new.high, new.voices) or old.phrases or not new.phrases:
        raise ValueError("warm start needs a plain codec and a phrase codec over the same pitches and voices")
    ids = np.arange(new.vocab_size)
    source = np.where(ids >= new.fermata_start, ids - new.fermata_start + FIRST_PITCH, ids)
    source[list(new.mode_ids)] = BOS
    return source


def transplant(old_model, new_model, old: ChoraleCodec, new: ChoraleCodec, seed: int = 0) -> None:
    """Copy ``old_model``'s weights into ``new_model`` (built for ``new``), filling the new ids as above."""
    source = new_token_sources(old, new)
    rng = np.random.default_rng(seed)
    for w_new in new_model.weights:
        w_old = _weight(old_model, w_new.path.split("/", 1)[1])
        value = np.asarray(w_old.numpy())
        if w_new.path.endswith("embed/tokens/embeddings"):
            value = value[source].copy()  # (new vocab, embedding)
            for mode_id in new.mode_ids:
                value[mode_id] += rng.normal(0.0, 0.1 * value.std(), value.shape[1])
        elif w_new.path.endswith("head/kernel"):
            value = value[:, source].copy()  # (units, new vocab)
            value[:, list(new.mode_ids)] = 0.0
        elif w_new.path.endswith("head/bias"):
            value = value[source].copy()  # (new vocab,)
            value[new.fermata_start:] += np.log(FERMATA_SHARE)
            value[list(new.mode_ids)] = START_BIAS
        w_new.assign(value.astype(np.asarray(w_new.numpy()).dtype))


class WarmChoraleTask(ChoraleTask):
    """The chorale task whose new model starts from ``old_run``'s weights."""

    def __init__(self, old_run: str):
        from seqgen.models.driver import load_run

        self.old = load_run(old_run, "chorale")

    def build_model(self, config, codec):
        model = super().build_model(config, codec)
        model(np.zeros((1, codec.period), np.int32))  # build the weights
        transplant(self.old.model, model, self.old.codec, codec)
        return model


def main(argv: list[str] | None = None) -> None:
    from seqgen.models.driver import TrainRequest, train
    from seqgen.models.train import TrainConfig

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old_run")
    parser.add_argument("out")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--learning-rate", type=float, default=5e-4)
    parser.add_argument("--time-budget", type=float, default=None, help="seconds")
    args = parser.parse_args(argv)
    task = WarmChoraleTask(args.old_run)
    info = task.old.info
    data = replace(ChoraleDataConfig(**{k: v for k, v in info.data.items() if k != "mode_dropout"}))
    config = TrainConfig(**{**info.train, "epochs": args.epochs, "learning_rate": args.learning_rate,
                            "time_budget_s": args.time_budget})
    request = TrainRequest(family=info.model["family"], preset=info.preset, source=info.source, data=data,
                           train=config)
    trained = train(task, args.out, request, verbose=2)
    print("\n".join(trained.report))


if __name__ == "__main__":
    main()
