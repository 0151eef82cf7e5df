"""``seqgen infill``: regenerate a region (bars x voices) of a four-voice piece, keeping everything else.

An autoregressive model gives ``p(cell | past)`` only, but a new note must also fit what follows it.
So each cell of the region is resampled from

    p(cell = c | past) x p(next W tokens | past, c)

over the ``candidates`` most likely values of ``c`` (and the current one), the future window being
the tokens of the next ``window`` steps as they stand (region cells included). The region is first
drawn left to right from ``p(cell | past)`` alone, by the one sampling loop (:class:`Sampler`, the
cells outside the region forced by :func:`processors.region`, the part-writing rules of
``rules`` applied), then swept ``sweeps`` times in Gibbs fashion
(each sweep visits every cell in time order). Cells outside the region are never written: only
indices of the region are assigned.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

from seqgen.data_prep.chorale_codec import ChoraleCodec
from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.grid import VOICE_NAMES
from seqgen.generate.chorale_io import OutputConfig, apply_key, load_piece, write_grid
from seqgen.generate.input_checks import check_infill_work, check_parts_sound
from seqgen.generate.harmonize import _log_softmax, compiled_step
from seqgen.generate.outputs import music_paths
from seqgen.generate.rules import RulesConfig

STEPS_PER_BAR = 16  # 4/4 on a 16th-note grid
JIT_MIN_CELLS = 96  # cell visits (cells x sweeps) from which compiling the scorer with XLA pays off


@dataclass(frozen=True)
class InfillConfig:
    """How the region is resampled; validated in ``__post_init__``."""

    window: int = 8  # steps after each cell whose tokens score it (p(future | cell, past))
    sweeps: int = 3  # Gibbs sweeps over the region after the first left-to-right draw
    candidates: int = 8  # values tried per cell: the most likely under p(cell | past), plus the current one
    temperature: float = 1.0  # of the combined distribution over candidates
    seed: int = 0  # same seed, same result
    greedy: bool = False  # always the best candidate (deterministic)
    rules: RulesConfig = RulesConfig()  # part-writing rules in the first left-to-right draw

    def __post_init__(self):
        for name in ("window", "candidates"):
            if getattr(self, name) < 1:
                raise SeqgenError(f"--{name} must be >= 1, got {getattr(self, name)}")
        if self.sweeps < 0:
            raise SeqgenError(f"--sweeps must be >= 0, got {self.sweeps}")
        if not self.temperature > 0:
            raise SeqgenError(f"--temperature must be > 0, got {self.temperature}")


def parse_bars(text: str | None, steps: int) -> range:
    """``"5-6"`` or ``"5"`` (1-based bars of 16 steps) -> the range of steps; None -> the whole piece."""
    if text is None:
        return range(steps)
    first, dash, last = text.partition("-")
    if not first.strip().isdigit() or not (last if dash else first).strip().isdigit():  # "5-" names no last bar
        raise SeqgenError(f"--bars {text!r}: write a bar or a range of bars, e.g. 5 or 5-6")
    a, b = int(first), int(last or first)
    bars = -(-steps // STEPS_PER_BAR)
    if not 1 <= a <= b <= bars:
        raise SeqgenError(f"--bars {text!r}: the piece has bars 1-{bars} (16th-note steps, 4/4)")
    return range((a - 1) * STEPS_PER_BAR, min(b * STEPS_PER_BAR, steps))


def parse_voices(text: str | None) -> list[int]:
    """``"alto,tenor"`` (or ``a,t``) -> voice indices; None -> all four."""
    if text is None:
        return list(range(len(VOICE_NAMES)))
    out = []
    for word in text.lower().replace(" ", "").split(","):
        match = [i for i, name in enumerate(VOICE_NAMES) if word and name.startswith(word)]
        if len(match) != 1:
            raise SeqgenError(f"--voices {text!r}: use names from {', '.join(VOICE_NAMES)} (e.g. alto,tenor)")
        out.append(match[0])
    return sorted(set(out))


def region_mask(steps: int, voices: int, bars: range, chosen: list[int]) -> np.ndarray:
    """``(steps * voices,)`` bool over the interleaved tokens: True inside the region."""
    mask = np.zeros((steps, voices), bool)
    mask[bars.start:bars.stop, chosen] = True
    return mask.reshape(-1)


_calls: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def log_likelihood(model, codec: ChoraleCodec, tokens: np.ndarray) -> float:
    """``log p(tokens)`` in nats under the model (BOS first), over the whole sequence in one call."""
    import tensorflow as tf

    if model not in _calls:  # eager Keras RNNs loop in Python: ~50x slower than a traced call
        _calls[model] = tf.function(lambda x: model(x, training=False), reduce_retracing=True)
    seq = np.concatenate([[codec.bos_id], tokens]).astype(np.int32)[None]  # (1, 1 + length)
    log_p = _log_softmax(np.asarray(_calls[model](tf.constant(seq[:, :-1])), np.float64)[0])  # (length, vocab)
    return float(log_p[np.arange(len(tokens)), tokens].sum())


class _Cursor:
    """The model's state after BOS and ``tokens[:pos]`` (batch 1), moved forward on demand."""

    def __init__(self, model, codec: ChoraleCodec, jit: bool = False):
        import tensorflow as tf

        self.tf, self.step, self.jit = tf, compiled_step(model), jit
        self.logits, self.state = self.step(tf.constant([codec.bos_id], tf.int32), model.initial_state(1))
        self.pos = 0

    def advance(self, tokens: np.ndarray, to: int) -> None:
        while self.pos < to:
            self.logits, self.state = self.step(self.tf.constant(tokens[self.pos: self.pos + 1]), self.state)
            self.pos += 1

    def snapshot(self):
        return self.logits, self.state, self.pos

    def restore(self, saved) -> None:
        self.logits, self.state, self.pos = saved

    def future_scores(self, candidates: np.ndarray, future: np.ndarray, width: int) -> np.ndarray:
        """``(K,)`` log p(future tokens | past, cell = candidate) for each candidate, as one batch.

        ``future`` is padded to ``width`` tokens (padding scores nothing), so every call has one
        shape and XLA compiles the loop once (a few seconds; then about 5x faster than uncompiled on
        a CPU), when ``jit``.
        """
        tf = self.tf
        if (self.step, self.jit) not in _scorers:
            _scorers[self.step, self.jit] = tf.function(lambda *a: _score(self.step, *a), jit_compile=self.jit)
        padded = np.zeros(width, np.int32)
        padded[: len(future)] = future
        weight = (np.arange(width) < len(future)).astype(np.float32)
        return _scorers[self.step, self.jit](self.state, tf.constant(candidates, tf.int32), tf.constant(padded),
                                   tf.constant(weight)).numpy()


_scorers: dict = {}  # compiled scorer per compiled model step


def _score(step, state, candidates, future, weight):
    """Compiled: ``state`` (batch 1), ``candidates (K,)``, ``future (W,)``, ``weight (W,)`` -> ``(K,)`` log-probabilities."""
    import tensorflow as tf

    n = tf.shape(candidates)[0]
    state = tf.nest.map_structure(lambda s: tf.repeat(s, n, axis=0) if len(s.shape) else s, state)  # (K, ...)
    logits, state = step(candidates, state)

    def body(j, logits, state, total):
        token = tf.fill([n], future[j])
        total += weight[j] * tf.gather(tf.nn.log_softmax(tf.cast(logits, tf.float32)), future[j], axis=1)  # (K,)
        logits, state = step(token, state)
        return j + 1, logits, state, total

    _, _, _, total = tf.while_loop(lambda j, *_: j < tf.shape(future)[0], body,
                                   (tf.constant(0), logits, state, tf.zeros([n], tf.float32)))
    return total


def _resample_cell(cursor: _Cursor, tokens: np.ndarray, p: int, codec: ChoraleCodec, config: InfillConfig,
                   rng: np.random.Generator, with_future: bool) -> None:
    """Draw ``tokens[p]`` from p(cell | past), times p(future window | cell, past) when ``with_future``."""
    cursor.advance(tokens, p)
    log_prior = _log_softmax(cursor.logits.numpy()[0].astype(np.float64))  # (vocab,)
    log_prior[list(codec.forbidden_ids)] = -np.inf
    if with_future:
        ranked = np.argsort(-log_prior, kind="stable")
        candidates = np.concatenate([[tokens[p]], ranked[ranked != tokens[p]][: config.candidates]]).astype(np.int32)
        width = config.window * codec.voices
        score = log_prior[candidates] + cursor.future_scores(candidates, tokens[p + 1: p + 1 + width], width)
    else:
        candidates, score = np.arange(len(log_prior), dtype=np.int32), log_prior
    noise = 0 if config.greedy else rng.gumbel(size=len(score))
    tokens[p] = candidates[int(np.argmax(score / config.temperature + noise))]


def first_draw(model, codec: ChoraleCodec, tokens: np.ndarray, mask: np.ndarray, config: InfillConfig) -> np.ndarray:
    """The region drawn left to right from p(cell | past) through the one sampling loop; the rest as given."""
    from seqgen.generate.processors import region
    from seqgen.generate.rules import steering
    from seqgen.generate.sampler import sampler_for
    from seqgen.generate.sampling import SamplingConfig

    positions = np.flatnonzero(mask)
    first, last = int(positions[0]), int(positions[-1])
    sampling = SamplingConfig(config.temperature, seed=config.seed, greedy=config.greedy)
    sampler = sampler_for(model, sampling, codec.forbidden_ids, rules=steering(codec, config.rules),
                          forced=region(tokens, mask), progress=None)
    primer = np.concatenate([[codec.bos_id], tokens[:first]]).astype(np.int32)[None]  # (1, 1 + first)
    drawn = sampler.generate(primer, last + 1 - first)[0]  # (last + 1 - first,)
    out = np.asarray(tokens, np.int32).copy()
    out[positions] = drawn[positions - first]  # only region cells are ever assigned
    return out


def resample_region(model, codec: ChoraleCodec, tokens: np.ndarray, mask: np.ndarray, config: InfillConfig) -> np.ndarray:
    """New tokens: those where ``mask`` is False exactly as given, the region drawn as the module doc says."""
    out = np.asarray(tokens, np.int32).copy()
    positions = np.flatnonzero(mask)
    if positions.size == 0:
        raise SeqgenError("the region is empty: check --bars and --voices")
    rng = np.random.default_rng(config.seed)
    out = first_draw(model, codec, out, mask, config)
    if not config.sweeps:
        return out
    cursor = _Cursor(model, codec, jit=positions.size * config.sweeps >= JIT_MIN_CELLS)
    cursor.advance(out, int(positions[0]))  # nothing before the region ever changes
    start = cursor.snapshot()
    for _ in range(config.sweeps):
        cursor.restore(start)
        for p in positions:
            _resample_cell(cursor, out, int(p), codec, config, rng, with_future=True)
    return out


def infill(run: str | None, chorale: str, out: str, config: InfillConfig, *, bars: str | None = None,
           voices: str | None = None, num: int = 1, key: str | None = None,
           output: OutputConfig = OutputConfig(), data_dir: str | None = None) -> list[str]:
    """Everything ``seqgen infill`` does; returns the lines to print."""
    from dataclasses import replace

    from seqgen.data_prep.music_metrics import parse_key
    from seqgen.generate.runs import open_run

    paths = music_paths(out, num, output.force)
    chosen = parse_voices(voices)
    if key is not None:
        parse_key(key)
    parse_bars(bars, 1 << 30)  # the spelling of --bars refused before the model loads; its range once the piece is read
    loaded = open_run(run, "chorale")
    model, codec, info = loaded.model, loaded.codec, loaded.info
    piece = load_piece(chorale, info.source.get("source", "music21"), data_dir)
    if piece.voices != codec.voices:
        raise SeqgenError(f"{chorale} has {piece.voices} voices; infill needs a piece of {codec.voices} voices, one per part")
    check_parts_sound(piece, chorale, "infill")
    piece, key_name, lines = apply_key(piece, key)
    piece, moved = codec.fit_into_range(piece)
    if moved:
        lines.append(f"{moved} notes outside the model's range {codec.low}-{codec.high} moved by octaves")
    steps = parse_bars(bars, piece.steps)
    tokens, mask = codec.encode(piece), region_mask(piece.steps, codec.voices, steps, chosen)
    check_infill_work(int(mask.sum()), piece.steps, codec.voices, config.window, config.sweeps, config.candidates)
    lines.append(f"region: steps {steps.start}-{steps.stop - 1} ({bars or 'all bars'}), "
                 f"{', '.join(VOICE_NAMES[v] for v in chosen)}: {int(mask.sum())} cells; each scored with the next "
                 f"{config.window} steps, {config.candidates} candidates, 1 draw + {config.sweeps} Gibbs sweeps")
    before = log_likelihood(model, codec, tokens)
    for i, path in enumerate(paths):
        new = resample_region(model, codec, tokens, mask, replace(config, seed=config.seed + i))
        grid = codec.decode(new, name=f"{piece.name}-infilled")
        lines.append(write_grid(grid, path, bpm=output.bpm, instrument=output.instrument, force=output.force,
                                key=key_name, soundfont=output.soundfont))
        lines.append(f"  {int((new != tokens).sum())} of {int(mask.sum())} cells changed; log-likelihood "
                     f"{before:.1f} -> {log_likelihood(model, codec, new):.1f} nats")
    return lines
