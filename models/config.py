"""Frozen configs for the autoregressive families, with named presets.

``vocab_size`` and ``period`` come from the codec, not from a preset; everything else has a
commented default. Configs are validated on construction with the bad value in the message, and
saved as JSON in every run directory (``config_to_dict`` / ``config_from_dict``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from seqgen.data_prep.errors import SeqgenError

FAMILIES = ("lstm", "gru", "wavenet")


def _check_positive(config, *names: str) -> None:
    for name in names:
        value = getattr(config, name)
        if not isinstance(value, int) or value < 1:
            raise SeqgenError(f"{type(config).__name__}.{name} must be an integer >= 1, got {value!r}")


def _check_dropout(config) -> None:
    if not 0.0 <= config.dropout < 1.0:
        raise SeqgenError(f"{type(config).__name__}.dropout must be in [0, 1), got {config.dropout!r}")


@dataclass(frozen=True)
class RNNConfig:
    """An embedding, a stack of LSTM or GRU layers, a dense softmax head."""

    cell: str = "lstm"  # "lstm" or "gru"
    vocab_size: int = 2  # from the codec
    period: int = 1  # tokens per time step (codec); >1 adds an embedding of position % period
    embedding_dim: int = 64  # token embedding width
    units: int = 256  # recurrent units per layer
    layers: int = 2  # stacked recurrent layers
    dropout: float = 0.0  # between layers only: recurrent dropout would rule out the cuDNN kernels

    def __post_init__(self) -> None:
        if self.cell not in ("lstm", "gru"):
            raise SeqgenError(f"RNNConfig.cell must be 'lstm' or 'gru', got {self.cell!r}")
        _check_positive(self, "vocab_size", "period", "embedding_dim", "units", "layers")
        _check_dropout(self)


@dataclass(frozen=True)
class WaveNetConfig:
    """Causal dilated convolutions with gated residual blocks and skip connections."""

    vocab_size: int = 2  # from the codec
    period: int = 1  # tokens per time step (codec); >1 adds an embedding of position % period
    embedding_dim: int = 64  # token embedding width
    channels: int = 64  # residual stream width
    skip_channels: int = 128  # width of the summed skip connections
    kernel_size: int = 2  # taps per dilated convolution
    layers_per_block: int = 8  # dilations 1, 2, 4, ... 2**(layers_per_block - 1)
    blocks: int = 2  # the dilation cycle is repeated this many times
    dropout: float = 0.0  # on the skip sum, before the output head

    def __post_init__(self) -> None:
        _check_positive(self, "vocab_size", "period", "embedding_dim", "channels", "skip_channels",
                        "kernel_size", "layers_per_block", "blocks")
        _check_dropout(self)

    @property
    def dilations(self) -> list[int]:
        return [2**i for i in range(self.layers_per_block)] * self.blocks

    @property
    def receptive_field(self) -> int:
        """Tokens of history one prediction sees."""
        return 1 + (self.kernel_size - 1) * sum(self.dilations)


@dataclass(frozen=True)
class TextbookConfig:
    """The textbook's chorale model (see :mod:`models.textbook`), for comparisons."""

    vocab_size: int = 2  # from the codec
    period: int = 1  # kept for the common interface; the textbook model does not use it
    embedding_dim: int = 5  # as published
    filters: tuple = (32, 48, 64, 96)  # causal Conv1D widths, dilations 1, 2, 4, 8
    units: int = 256  # LSTM units

    def __post_init__(self) -> None:
        _check_positive(self, "vocab_size", "period", "embedding_dim", "units")
        object.__setattr__(self, "filters", tuple(self.filters))


# Named presets per family: keyword overrides of the defaults above.
PRESETS: dict[str, dict[str, dict]] = {
    "lstm": {
        "tiny": dict(embedding_dim=8, units=16, layers=1),
        "small": dict(embedding_dim=32, units=256, layers=2, dropout=0.1),
        "medium": dict(embedding_dim=64, units=512, layers=3, dropout=0.2),
    },
    "gru": {
        "tiny": dict(embedding_dim=8, units=16, layers=1),
        "small": dict(embedding_dim=32, units=256, layers=2, dropout=0.1),
        "medium": dict(embedding_dim=64, units=512, layers=3, dropout=0.2),
    },
    "wavenet": {
        "tiny": dict(embedding_dim=8, channels=8, skip_channels=16, layers_per_block=3, blocks=1),
        "small": dict(embedding_dim=32, channels=64, skip_channels=128, layers_per_block=8, blocks=2, dropout=0.1),
        "medium": dict(embedding_dim=64, channels=128, skip_channels=256, layers_per_block=9, blocks=3, dropout=0.2),
    },
    "textbook": {"textbook": {}},  # benchmarks only: not offered by the CLI
}

ModelConfig = RNNConfig | WaveNetConfig | TextbookConfig
_CLASSES = {"wavenet": WaveNetConfig, "textbook": TextbookConfig, "lstm": RNNConfig, "gru": RNNConfig}


def make_config(family: str, preset: str, vocab_size: int, period: int = 1, **overrides) -> ModelConfig:
    """The config of ``family`` at ``preset`` for a codec's vocabulary and period."""
    if family not in PRESETS:
        raise SeqgenError(f"unknown model family {family!r}; choose one of {', '.join(FAMILIES)}")
    if preset not in PRESETS[family]:
        raise SeqgenError(f"unknown preset {preset!r} for {family}; choose one of {', '.join(PRESETS[family])}")
    values = {**PRESETS[family][preset], **overrides, "vocab_size": vocab_size, "period": period}
    if _CLASSES[family] is RNNConfig:
        values["cell"] = family
    return _CLASSES[family](**values)


def family_of(config: ModelConfig) -> str:
    if isinstance(config, RNNConfig):
        return config.cell
    return "wavenet" if isinstance(config, WaveNetConfig) else "textbook"


def config_to_dict(config: ModelConfig) -> dict:
    return {"family": family_of(config), **asdict(config)}


def config_from_dict(values: dict) -> ModelConfig:
    values = dict(values)
    family = values.pop("family")
    if family not in _CLASSES:
        raise SeqgenError(f"unknown model family {family!r} in a saved run; this seqgen knows {', '.join(_CLASSES)}")
    cls = _CLASSES[family]
    known = {f.name for f in fields(cls)}
    unknown = set(values) - known
    if unknown:
        raise SeqgenError(f"unknown {family} config keys {sorted(unknown)}; the run was saved by another version")
    return cls(**values)


__all__ = ["RNNConfig", "WaveNetConfig", "TextbookConfig", "ModelConfig", "PRESETS", "FAMILIES", "make_config",
           "family_of", "config_to_dict", "config_from_dict"]
