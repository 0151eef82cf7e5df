"""Chorale quality: test nats per note over whole chorales, accuracy and wall time, per preset.

Trains each preset on the jsb_chorales CSV split when ``../shared/data/jsb_chorales.tgz`` is there
(else on the music21 split), the ``textbook`` model beside ours, each within a time budget.

Reference (this 2-core CPU): the textbook model trained as published (Nadam 1e-3, 20 epochs)
measured 0.684 nats per note and 0.816 accuracy in 309 s. Goal: 0.55 or lower within 15 minutes.

    python benchmarks/chorale_quality.py --presets textbook:textbook,lstm:small,wavenet:small --minutes 15
"""

from __future__ import annotations

import argparse
import tempfile

from common import Timer, shared_file, table

# family:preset -> (data config kwargs, train config kwargs) where they differ from ours.
TEXTBOOK = (dict(window_steps=32, stride_steps=16, batch_size=32, max_transpose=0),
            dict(optimizer="nadam", learning_rate=1e-3, epochs=20, patience=20, clipnorm=1e6))


def run_preset(spec: str, source: str, minutes: float, epochs: int, workdir: str) -> dict:
    from seqgen.models import driver
    from seqgen.models.chorale_task import ChoraleDataConfig
    from seqgen.models.train import TrainConfig

    family, _, preset = spec.partition(":")
    data_kw, train_kw = TEXTBOOK if family == "textbook" else ({}, dict(epochs=epochs))
    train = TrainConfig(**{**train_kw, "time_budget_s": minutes * 60})
    out = f"{workdir}/{family}-{preset}"
    with Timer() as t:
        request = driver.TrainRequest(family, preset, {"source": source}, ChoraleDataConfig(**data_kw), train)
        driver.train("chorale", out, request, verbose=2)
    s = driver.evaluate(out, "test").scores
    return {"preset": spec, "test nats/note": s["nats"], "accuracy": s["accuracy"],
            "baseline acc.": s["baseline_accuracy"], "train s": round(t.seconds)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", default="textbook:textbook,lstm:small,gru:small,wavenet:small")
    parser.add_argument("--minutes", type=float, default=15.0, help="training budget per preset")
    parser.add_argument("--epochs", type=int, default=100, help="epoch cap for our presets")
    parser.add_argument("--source", default=None, help="chorale source (default: shared jsb_chorales.tgz)")
    args = parser.parse_args()
    source = args.source or str(shared_file("jsb_chorales.tgz") or "music21")
    with tempfile.TemporaryDirectory() as workdir:
        rows = [run_preset(spec, source, args.minutes, args.epochs, workdir) for spec in args.presets.split(",")]
    print(f"\nsource: {source}\n" + table(rows))


if __name__ == "__main__":
    main()
