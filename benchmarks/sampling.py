"""Sampling speed: milliseconds per time step for each family, 64/512/2048 steps, one piece and a
batch of 32, beside the textbook method that re-runs the model over the whole growing sequence
for every note.

Goals on a 2-core CPU: at least 100x faster than re-running at 512 steps; the time per step at
2048 steps within 1.3x that at 64 steps (the state-carrying step costs the same at any length).

Rules: ms per time step with the part-writing rules on (strict, soft) beside off, the same model
and batch (goal: within 1.3x of off; ``--rules-only`` prints just that table).

Text: characters per second for one stream and for 32 at once (goal: 3,000 per second for one
stream with a 512-unit GRU).

    python benchmarks/sampling.py --presets lstm:small,gru:small,wavenet:small
"""

from __future__ import annotations

import argparse

import numpy as np
from common import Timer, table

VOCAB, VOICES = 94, 4  # the music21 chorale vocabulary


def rerun_ms_per_step(model, steps: int, batch: int) -> float:
    """The textbook method: every note re-runs the model over everything generated so far."""
    import tensorflow as tf

    call = tf.function(lambda x: model(x)[:, -1], reduce_retracing=True)
    seq = np.zeros((batch, 1), np.int32)
    call(seq)
    with Timer() as t:
        for _ in range(steps * VOICES):
            logits = call(seq).numpy()
            seq = np.concatenate([seq, logits.argmax(-1)[:, None].astype(np.int32)], axis=1)
    return t.seconds * 1000 / steps


def sampler_ms_per_step(model, steps: int, batch: int, rules: str = "off") -> float:
    from seqgen.data_prep.chorale_codec import ChoraleCodec
    from seqgen.generate.rules import RulesConfig, part_writing
    from seqgen.generate.sampler import sampler_for
    from seqgen.generate.sampling import SamplingConfig

    codec = ChoraleCodec(36, 36 + (VOCAB - 2) // 2 - 1)  # the chorale vocabulary's size
    processor = part_writing(codec, RulesConfig(rules))
    sampler = sampler_for(model, SamplingConfig(), (0,), rules=processor, progress=None)  # XLA on the model's hint only
    primer = np.zeros((batch, 1), np.int32)
    sampler.generate(primer, VOICES * 4)  # trace and compile once
    with Timer() as t:
        sampler.generate(primer, steps * VOICES)
    return t.seconds * 1000 / steps


TEXT_MODELS = {"gru 1x512": dict(units=512, layers=1), "gru 2x512": dict(units=512, layers=2),
               "gru small (2x256)": {}}


def text_rows(characters: int = 4096) -> list[dict]:
    """Characters per second of the text sampler, for a character vocabulary of 80."""
    from seqgen.models.config import make_config
    from seqgen.models.registry import build_model

    rows = []
    for name, overrides in TEXT_MODELS.items():
        model = build_model(make_config("gru", "small", 80, 1, **overrides))
        row = {"text model": name}
        for batch in (1, 32):
            ms_per_token = sampler_ms_per_step(model, characters // VOICES, batch) / VOICES
            row[f"chars/s x{batch}"] = round(batch * 1000 / ms_per_token)
        rows.append(row)
    return rows


def rules_rows(presets: str, steps: int = 512, repeats: int = 2) -> list[dict]:
    """ms per time step with the rules off, soft and strict (best of ``repeats``); ratios to off."""
    from seqgen.models.config import make_config
    from seqgen.models.registry import build_model

    rows = []
    for spec in presets.split(","):
        family, _, preset = spec.partition(":")
        model = build_model(make_config(family, preset, VOCAB, VOICES))
        for batch in (1, 32):
            row = {"preset": spec, "batch": batch}
            for mode in ("off", "soft", "strict"):
                row[f"ms/step {mode}"] = min(sampler_ms_per_step(model, steps, batch, mode) for _ in range(repeats))
            row["strict vs off"] = row["ms/step strict"] / row["ms/step off"]
            rows.append(row)
    return rows


def main() -> None:
    from seqgen.models.config import make_config
    from seqgen.models.registry import build_model

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", default="lstm:small,gru:small,wavenet:small")
    parser.add_argument("--rerun-steps", default="64,512", help="lengths to time the re-running method at")
    parser.add_argument("--text-only", action="store_true", help="only the characters-per-second rows")
    parser.add_argument("--rules-only", action="store_true", help="only the rules-on vs off rows")
    parser.add_argument("--repeats", type=int, default=2, help="rules rows: best of this many runs per cell")
    args = parser.parse_args()
    if args.rules_only:
        print(table(rules_rows(args.presets, repeats=args.repeats)))
        return
    if args.text_only:
        print(table(text_rows()))
        return
    rows = []
    for spec in args.presets.split(","):
        family, _, preset = spec.partition(":")
        model = build_model(make_config(family, preset, VOCAB, VOICES))
        for batch in (1, 32):
            row = {"preset": spec, "batch": batch}
            for steps in (64, 512, 2048):
                row[f"ms/step @{steps}"] = sampler_ms_per_step(model, steps, batch)
            row["2048 vs 64"] = row["ms/step @2048"] / row["ms/step @64"]
            if batch == 1:
                for steps in (int(s) for s in args.rerun_steps.split(",")):
                    rerun = rerun_ms_per_step(model, steps, batch)
                    row[f"re-run ms/step @{steps}"] = rerun
                    row[f"speed-up @{steps}"] = rerun / row[f"ms/step @{steps}"]
            rows.append(row)
    keys = sorted({k for r in rows for k in r}, key=lambda k: list(rows[0]).index(k) if k in rows[0] else 99)
    print(table([{k: r.get(k, "") for k in keys} for r in rows]))
    print()
    print(table(rules_rows(args.presets, repeats=args.repeats)))
    print()
    print(table(text_rows()))


if __name__ == "__main__":
    main()
