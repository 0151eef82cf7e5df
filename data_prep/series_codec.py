"""The normaliser of a series run, saved as JSON beside the weights like the token codecs.

Each column is standardised with the mean and standard deviation of the TRAINING part only, so
nothing of the validation or test part leaks into what the model sees while training. Models see
normalised values; forecasts are turned back into the target's units with :meth:`decode_target`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from seqgen.data_prep.errors import SeqgenError


@dataclass(frozen=True)
class SeriesCodec:
    """Per-column ``(x - mean) / std``; column 0 is the target."""

    columns: tuple[str, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    type_name = "series"

    @classmethod
    def fit(cls, train_values: np.ndarray, columns: Sequence[str]) -> "SeriesCodec":
        """Statistics of ``train_values (n, columns)``: the training part, nothing later."""
        train_values = np.asarray(train_values, np.float64).reshape(len(train_values), -1)
        mean, std = train_values.mean(0), train_values.std(0)
        flat = np.flatnonzero(~(std > 1e-12 * np.maximum(np.abs(mean), 1.0)))
        if len(flat):
            name = columns[int(flat[0])]
            raise SeqgenError(f"column {name!r} is constant ({mean[flat[0]]:.6g}) over the training part: "
                              "there is nothing to learn from it; choose another --target or drop it from --features")
        return cls(tuple(columns), tuple(float(m) for m in mean), tuple(float(s) for s in std))

    @property
    def n_features(self) -> int:
        return len(self.columns)

    def encode(self, values: np.ndarray) -> np.ndarray:
        """``(n, columns)`` in the data's units -> float32 standardised values."""
        values = np.asarray(values, np.float64)
        if values.shape[-1] != self.n_features:
            raise SeqgenError(f"the data has {values.shape[-1]} columns; this run was trained on {self.n_features} "
                              f"({', '.join(self.columns)})")
        return ((values - np.array(self.mean)) / np.array(self.std)).astype(np.float32)

    def decode_target(self, values: np.ndarray) -> np.ndarray:
        """Standardised target values (any shape) -> the target's units (float64)."""
        return np.asarray(values, np.float64) * self.std[0] + self.mean[0]

    def to_config(self) -> dict:
        return {"type": self.type_name, "columns": list(self.columns), "mean": list(self.mean), "std": list(self.std)}

    @classmethod
    def from_config(cls, config: dict) -> "SeriesCodec":
        if config.get("type") != cls.type_name:
            raise SeqgenError(f"not a series normaliser: type {config.get('type')!r}")
        return cls(tuple(config["columns"]), tuple(config["mean"]), tuple(config["std"]))
