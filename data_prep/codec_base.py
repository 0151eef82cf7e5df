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
    "midi_durations": "seqgen.data_prep.midi_durations:DurationCodec",
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
    """Rebuild a codec saved with ``to_config`` (its ``type`` key picks the class).

    The config comes from a ``run.json`` a user may have edited or damaged: anything wrong in it
    is one :class:`SeqgenError` line naming the field, never a traceback.
    """
    if not isinstance(config, dict):
        raise SeqgenError(f"the saved codec in run.json should be an object, got {type(config).__name__}; "
                          "the run is damaged, train it again")
    type_name = config.get("type")
    if not isinstance(type_name, str) or type_name not in CODEC_TYPES:
        raise SeqgenError(
            f"unknown codec type {type_name!r:.60} in a saved run; known: {', '.join(sorted(CODEC_TYPES))}"
        )
    module_name, class_name = CODEC_TYPES[type_name].split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    try:
        return cls.from_config(config)
    except KeyError as e:
        raise SeqgenError(f"the saved {type_name} codec in run.json has no field {e.args[0]!r:.60}; "
                          "the run is damaged, train it again") from None
    except (TypeError, ValueError, OverflowError, AttributeError, IndexError, RecursionError) as e:
        raise SeqgenError(f"the saved {type_name} codec in run.json is damaged ({type(e).__name__}: "
                          f"{str(e)[:100]}); train the run again") from None


_MISSING = object()
_KIND_NAMES = {int: "an integer", str: "a string", list: "a list", float: "a number"}


def config_value(config: dict, name: str, kind: type, codec: str, *, default: Any = _MISSING,
                 low: float | None = None, high: float | None = None) -> Any:
    """Field ``name`` of a saved codec ``config``, checked to be a ``kind`` within ``low..high``.

    ``True`` is not an integer here, though Python says it is.
    """
    if name not in config:
        if default is _MISSING:
            raise SeqgenError(f"the saved {codec} codec in run.json has no field {name!r}; the run is damaged, train it again")
        return default
    value = config[name]
    wrong_type = not isinstance(value, kind) or (kind in (int, float) and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        wrong_type = False
    if wrong_type:
        raise SeqgenError(f"the saved {codec} codec in run.json: field {name!r} should be {_KIND_NAMES.get(kind, kind.__name__)}, "
                          f"got {value!r:.60}; the run is damaged, train it again")
    size = len(value) if kind in (str, list) else value
    if (low is not None and size < low) or (high is not None and size > high):
        what = "length" if kind in (str, list) else "value"
        raise SeqgenError(f"the saved {codec} codec in run.json: field {name!r} has {what} {size}, outside "
                          f"{low}..{high}; the run is damaged, train it again")
    return value
