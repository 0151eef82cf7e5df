"""Build a model of any family from its config."""

from __future__ import annotations

from seqgen.models.base import AutoregressiveModel
from seqgen.models.config import ModelConfig, TextbookConfig, WaveNetConfig


def build_model(config: ModelConfig) -> AutoregressiveModel:
    """A freshly initialised model for ``config`` (weights created eagerly)."""
    if isinstance(config, WaveNetConfig):
        from seqgen.models.wavenet import WaveNetModel

        return WaveNetModel(config, name="wavenet")
    if isinstance(config, TextbookConfig):
        from seqgen.models.textbook import TextbookModel

        return TextbookModel(config, name="textbook")
    from seqgen.models.rnn import RNNModel

    return RNNModel(config, name=config.cell)
