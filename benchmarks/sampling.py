"""Sampling speed: milliseconds per time step for each family, 64/512/2048 steps, one piece and a
batch of 32, beside the textbook method that re-runs the model over the whole growing sequence
for every note.

Goals on a 2-core CPU: at least 100x faster than re-running at 512 steps; the time per step at
2048 steps within 1.3x that at 64 steps (the state-carrying step costs the same at any length).

Rules: ms per time step with the part-writing rules on (strict, soft) beside off, the same model
and batch (goal: within 1.3x of off; ``--rules-only`` prints just that table); ``--shipped`` times the
shipped chorale model and its codec instead (vocabulary 188, phrase ends and modes), batch 1, 16 (one
piece's particles in the cadence search) and 32, with the whole chain ``generate chorale`` runs
(phrase ends on beats and the rules).

Text: characters per second for one stream and for 32 at once (goal: 3,000 per second for one
stream with a 512-unit GRU).

TensorFlow runs with the sampling commands' threads per op (one, ``generate.cli_common.SAMPLING_THREADS``)
unless ``--threads`` says otherwise (0: TensorFlow's default, a thread per core).

    python benchmarks/sampling.py --presets lstm:small,gru:small,wavenet:small
"""

from __future__ import annotations

import argparse
import os

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


def sampler_ms_per_step(model, steps: int, batch: int, rules: str = "off", codec=None, chain: bool = False) -> float:
    """ms per time step of the sampler on ``model``; ``codec`` (default: the music21 vocabulary without phrase
    ends) gives the rules their pitches; ``chain``: the CLI's whole steering (generate.rules.steering), whose
    ``rules="off"`` still puts phrase ends on beats; ``"bare"``: no processor at all (the sampler before issue 18)."""
    from seqgen.data_prep.chorale_codec import ChoraleCodec
    from seqgen.generate.rules import RulesConfig, part_writing, steering
    from seqgen.generate.sampler import sampler_for
    from seqgen.generate.sampling import SamplingConfig

    codec = codec or ChoraleCodec(36, 36 + (VOCAB - 2) // 2 - 1)  # the chorale vocabulary's size
    config = RulesConfig("off" if rules == "bare" else rules)
    processor = None if rules == "bare" else steering(codec, config) if chain else part_writing(codec, config)
    sampler = sampler_for(model, SamplingConfig(), codec.forbidden_ids if chain else (0,), rules=processor,
                          progress=None)  # XLA on the model's hint only
    primer = np.zeros((batch, 1), np.int32) + (codec.start_id(None) if chain else 0)
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


def rules_rows(presets: str, steps: int = 512, repeats: int = 2, shipped: bool = False) -> list[dict]:
    """ms per time step with the rules off, soft and strict (best of ``repeats``); ratios to off. ``shipped``:
    the shipped chorale model and codec, the CLI's whole chain, instead of ``presets``' random models."""
    from seqgen.models.config import make_config
    from seqgen.models.registry import build_model

    if shipped:
        from seqgen.generate.runs import open_run

        run = open_run(None, "chorale")
        models = [("shipped chorale", run.model, run.codec, (1, 16, 32))]
    else:
        models = [(spec, build_model(make_config(spec.partition(":")[0], spec.partition(":")[2], VOCAB, VOICES)),
                   None, (1, 32)) for spec in presets.split(",")]
    rows = []
    for name, model, codec, batches in models:
        for batch in batches:
            row = {"preset": name, "batch": batch}
            for mode in ("bare",) * shipped + ("off", "soft", "strict"):
                row[f"ms/step {mode}"] = min(sampler_ms_per_step(model, steps, batch, mode, codec, shipped)
                                             for _ in range(repeats))
            row["strict vs off"] = row["ms/step strict"] / row["ms/step off"]
            if shipped:
                row["strict vs bare"] = row["ms/step strict"] / row["ms/step bare"]
            rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", default="lstm:small,gru:small,wavenet:small")
    parser.add_argument("--rerun-steps", default="64,512", help="lengths to time the re-running method at")
    parser.add_argument("--text-only", action="store_true", help="only the characters-per-second rows")
    parser.add_argument("--rules-only", action="store_true", help="only the rules-on vs off rows")
    parser.add_argument("--repeats", type=int, default=2, help="rules rows: best of this many runs per cell")
    parser.add_argument("--shipped", action="store_true", help="rules rows: the shipped chorale model and codec")
    parser.add_argument("--threads", type=int, default=None,
                        help="TensorFlow threads per op [default: as the sampling commands; 0: TensorFlow's default]")
    args = parser.parse_args()
    from seqgen.generate.cli_common import SAMPLING_THREADS  # imports no TensorFlow

    if args.threads is None or args.threads > 0:  # before TensorFlow starts
        os.environ["TF_NUM_INTRAOP_THREADS"] = str(args.threads or SAMPLING_THREADS)
    from seqgen.models.config import make_config
    from seqgen.models.registry import build_model

    if args.rules_only or args.shipped:
        print(table(rules_rows(args.presets, repeats=args.repeats, shipped=args.shipped)))
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
