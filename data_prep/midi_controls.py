"""Control tokens for the token-stream MIDI encodings (``events``, ``durations``): the key and the
note density of a training window, as Performance RNN conditions on them (Oore et al. 2018).

With ``controls=1`` in a codec's config its vocabulary grows by :data:`KEYS` key tokens and
:data:`DENSITY_BINS` density tokens after its own ids. Each training window then starts with two
control tokens, taken from the window's own notes: the key estimated from its duration-weighted
pitch classes (Krumhansl-Kessler, :func:`music_metrics.key_of_weights`) and its onsets per second.
Generation starts a piece with the two tokens asked for (``--key``, ``--density``); decoding ignores
control tokens. Transposing a window moves its key token with its notes.

Token ids from ``first`` (the codec's own vocabulary size)::

    first + tonic + 12 * minor       key (tonic 0 = C .. 11 = B)
    first + 24 + b                   density bin b: onsets per second below DENSITY_EDGES[b]
"""

from __future__ import annotations

import numpy as np

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.midi_notes import columns_of
from seqgen.data_prep.music_metrics import KEY_NAMES, key_of_weights, parse_key

KEYS = 24  # 12 tonics x (major, minor)
DENSITY_EDGES = (0.5, 1, 1.5, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 17, 20, 25, 32)  # onsets per second, upper edges
DENSITY_BINS = len(DENSITY_EDGES) + 1  # the last bin is open above
COUNT = KEYS + DENSITY_BINS


def key_index(tonic: int, mode: str) -> int:
    return tonic % 12 + 12 * (mode == "minor")


def key_text(index: int) -> str:
    return f"{KEY_NAMES[index % 12]} {'minor' if index >= 12 else 'major'}"


def density_bin(per_second: float) -> int:
    return int(np.searchsorted(DENSITY_EDGES, per_second, side="right"))


def density_text(b: int) -> str:
    low = DENSITY_EDGES[b - 1] if b > 0 else 0
    return f"{low:g}-{DENSITY_EDGES[b]:g}" if b < len(DENSITY_EDGES) else f"{low:g}+"


def notes_controls(notes, seconds: float) -> tuple[int, int]:
    """``(key index, density bin)`` of notes spanning ``seconds``."""
    cols = columns_of(notes)
    weights = np.bincount(cols["pitch"] % 12, weights=cols["end"] - cols["start"], minlength=12)
    return key_index(*key_of_weights(weights)), density_bin(len(cols["pitch"]) / max(seconds, 1e-3))


def window_controls(codec, windows: np.ndarray) -> np.ndarray:
    """``windows (n, w)`` with tokens 0 and 1 replaced by the key and density tokens of the rest of
    each window (the window's notes, onsets per second of its time shifts)."""
    out = np.array(windows, np.int32, copy=True)
    step_s = codec.config.time_step_ms / 1000
    for row in out:
        body = row[2:]
        seconds = float(codec.token_steps(body).sum()) * step_s
        key, density = notes_controls(codec.decode(body), seconds)
        row[0], row[1] = codec.first_control + key, codec.first_control + KEYS + density
    return out


def asked_controls(codec, key: str | None, density: float | None, defaults: dict) -> tuple[np.ndarray, str]:
    """The two control tokens a piece starts with, and a line naming them; ``defaults`` (run.json's
    ``controls``: the commonest key and density bin of the training windows) fill what is not asked."""
    if not codec.config.controls:
        if key is not None or density is not None:
            raise SeqgenError("this run was trained without controls, so --key and --density do nothing: "
                              "train with `seqgen train midi --controls` (events or durations)")
        return np.zeros(0, np.int32), ""
    index = key_index(*parse_key(key)) if key is not None else int(defaults.get("key", 0))
    if density is not None and not 0 < density <= 100:
        raise SeqgenError(f"--density must be in (0, 100] notes per second, got {density}")
    b = density_bin(density) if density is not None else int(defaults.get("density", 4))
    tokens = np.array([codec.first_control + index, codec.first_control + KEYS + b], np.int32)
    return tokens, f"controls: {key_text(index)}, {density_text(b)} notes per second"


def common_controls(windows: np.ndarray, first: int) -> dict:
    """The commonest key and density token of controlled windows ``(n, w)``, as indices (for run.json)."""
    keys = np.bincount(windows[:, 0] - first, minlength=KEYS)
    densities = np.bincount(windows[:, 1] - first - KEYS, minlength=DENSITY_BINS)
    return {"key": int(np.argmax(keys)), "density": int(np.argmax(densities))}


def transpose_controls(tokens, shift, first: int):
    """TF op: key tokens of ``tokens`` moved by ``shift`` semitones (mode kept); other tokens stay."""
    import tensorflow as tf

    k = tokens - first
    is_key = (k >= 0) & (k < KEYS)
    moved = first + (k // 12) * 12 + tf.math.floormod(k % 12 + tf.cast(shift, tokens.dtype), 12)
    return tf.where(is_key, moved, tokens)
