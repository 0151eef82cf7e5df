"""``run.json`` held against the model it describes, before either is used.

A run folder is the user's to copy and edit; a ``run.json`` from another run beside a
``model.keras``, or a vocabulary edited by hand, would otherwise give a shape error deep in Keras
(``evaluate``) or, worse, quietly decode tokens with the wrong vocabulary (``generate``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seqgen.data_prep.errors import SeqgenError

FIX = "the run.json does not belong to this model; put back the run's own run.json or train the run again"


def check_codec(run: str | Path, model_config: dict, codec: Any) -> None:
    """The codec's vocabulary against the model config recorded beside it (no weights read yet)."""
    recorded, actual = model_config.get("vocab_size"), getattr(codec, "vocab_size", None)
    if isinstance(recorded, int) and isinstance(actual, int) and recorded != actual:
        raise SeqgenError(f"{Path(run) / 'run.json'}: its codec has {actual} tokens but its model config "
                          f"{recorded}; {FIX}")


def check_model(run: str | Path, model_config: dict, codec: Any, model: Any) -> None:
    """The loaded model's own config (family, vocabulary) against ``run.json``'s."""
    own = getattr(model, "config", None)
    if own is None:  # classifiers and forecasters carry no token config
        return
    where = Path(run) / "run.json"
    family, own_family = model_config.get("family"), _family(own)
    if family is not None and own_family is not None and family != own_family:
        raise SeqgenError(f"{where} says the model is {family!r} but model.keras holds a {own_family!r} model; {FIX}")
    vocab, own_vocab = getattr(codec, "vocab_size", None), getattr(own, "vocab_size", None)
    if isinstance(vocab, int) and isinstance(own_vocab, int) and vocab != own_vocab:
        raise SeqgenError(f"{where} has a vocabulary of {vocab} tokens but model.keras was trained on {own_vocab}; {FIX}")


def _family(config: Any) -> str | None:
    from seqgen.models.config import ModelConfig, family_of

    # Only the token models' configs name a family this way (a forecaster's config is of another kind).
    return family_of(config) if isinstance(config, ModelConfig) else None
