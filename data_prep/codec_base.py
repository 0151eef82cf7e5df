"""The codec contract: one encoder/decoder per representation, kept outside the models.

A codec turns one kind of data (a chorale grid, a text, a MIDI performance, a sketch) into a 1-D
integer token array and back. Models only ever see the tokens. Every codec is saved beside the
weights of a run as a JSON dict (``to_config``) and rebuilt with :func:`codec_from_config`.

Token conventions shared by all autoregressive codecs:

* ``bos_id`` is the start-of-sequence token: a sequence fed to a model starts with it, so the
  first real token is predicted too, and generation without a primer starts from it;
* ``period`` is the number of tokens per time step (4 for a four-voice chorale, 1 for text); models
  may use ``position % period`` to know which voice they are predicting;
* ``forbidden_ids`` are tokens a sampler must never produce (BOS, padding).
"""

from __future__ import annotations

import importlib
from typing import Any, Protocol, runtime_checkable

import numpy as np

from seqgen.data_prep.errors import SeqgenError

# type name in config -> "module:Class". Lazy, so importing one codec never imports the others.
CODEC_TYPES: dict[str, str] = {
    "chorale": "seqgen.data_prep.chorale_codec:ChoraleCodec",
    "char": "seqgen.data_prep.text_codec:CharCodec",
    "word": "seqgen.data_prep.text_codec:WordCodec",
    "midi_events": "seqgen.data_prep.midi_events:EventCodec",
}


@runtime_checkable
class Codec(Protocol):
    """What every token codec offers (see the module docstring)."""

    type_name: str
    vocab_size: int
    bos_id: int
    period: int
    forbidden_ids: tuple[int, ...]

    def encode(self, item: Any) -> np.ndarray:
        """One item -> int32 tokens ``(n,)``, without BOS."""

    def decode(self, tokens: np.ndarray) -> Any:
        """Tokens ``(n,)`` (no BOS) -> one item."""

    def to_config(self) -> dict:
        """A JSON-able dict that :func:`codec_from_config` turns back into an equal codec."""


def codec_from_config(config: dict) -> Codec:
    """Rebuild a codec saved with ``to_config`` (its ``type`` key picks the class)."""
    type_name = config.get("type")
    if type_name not in CODEC_TYPES:
        raise SeqgenError(
            f"unknown codec type {type_name!r} in a saved run; known: {', '.join(sorted(CODEC_TYPES))}"
        )
    module_name, class_name = CODEC_TYPES[type_name].split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    return cls.from_config(config)
