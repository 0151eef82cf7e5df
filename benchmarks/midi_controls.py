"""Benchmark: do pieces follow the key and density asked for? A run trained with ``--controls``.

Trains a model with key and density control tokens on a MIDI folder (or takes ``--run``), then for
each asked key and density writes ``--pieces`` pieces of ``--seconds`` s and reports the share whose
analysed key (Krumhansl-Kessler on the duration-weighted pitch classes, as the controls are taken)
equals the asked one, and the share whose notes per second are within 25% of the asked density.
Pieces are steered as ``generate midi`` steers them (``--key-strength``, ``--density-gain``; 0 turns
either off, to measure what the control tokens alone do).

    python benchmarks/midi_controls.py /tmp/m21/piano --epochs 4 --preset small
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from common import table  # (sets sys.path to the checkout)

from seqgen.generate.midi_steering import DENSITY_GAIN, KEY_STRENGTH

KEYS = ("C major", "E minor", "Bb major", "F# minor")
DENSITIES = (3.0, 6.0, 12.0)


def train(args: argparse.Namespace, tmp: str) -> Path:
    from seqgen.models import driver
    from seqgen.models.midi_task import MidiDataConfig
    from seqgen.models.train import TrainConfig

    data = MidiDataConfig(encoding=args.encoding, controls=True)
    request = driver.TrainRequest(args.model, args.preset, {"corpus": args.paths}, data,
                                  TrainConfig(epochs=args.epochs, learning_rate=3e-3, seed=args.seed))
    return driver.train("midi", Path(tmp) / "run", request, verbose=0).run


def asked_and_got(run: Path, key: str, density: float, args: argparse.Namespace) -> tuple[float, float, float]:
    """``(share with the asked key, share within 25% of the density, mean notes per second)``."""
    from seqgen.data_prep.midi_controls import asked_controls, key_index, notes_controls
    from seqgen.data_prep.music_metrics import parse_key
    from seqgen.generate.midi_gen import generate_events
    from seqgen.generate.midi_steering import steering
    from seqgen.generate.runs import open_run
    from seqgen.generate.sampling import SamplingConfig

    loaded = open_run(run, "midi")
    codec = loaded.codec
    prime, _ = asked_controls(codec, key, density, {})
    steer = steering(codec, key, density, args.key_strength, args.density_gain)
    rows, _ = generate_events(loaded.model, codec, prime, args.pieces, SamplingConfig(seed=args.seed),
                              seconds=args.seconds, steer=steer)
    want = key_index(*parse_key(key))
    keys, rates = [], []
    for row in rows:
        notes = [n for n in codec.decode(row) if n.start < args.seconds]
        keys.append(notes_controls(notes, args.seconds)[0] == want if notes else False)
        rates.append(len(notes) / args.seconds)
    rates = np.array(rates)
    return float(np.mean(keys)), float(np.mean(np.abs(rates - density) <= 0.25 * density)), float(rates.mean())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--run", type=Path, default=None, help="a run trained with --controls (skips training)")
    parser.add_argument("--encoding", default="durations", choices=("events", "durations"))
    parser.add_argument("--model", default="gru")
    parser.add_argument("--preset", default="tiny")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--pieces", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--key-strength", type=float, default=KEY_STRENGTH, help="0: no key steering")
    parser.add_argument("--density-gain", type=float, default=DENSITY_GAIN, help="0: no density steering")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="seqgen-controls-") as tmp:
        run = args.run or train(args, tmp)
        for key in KEYS:
            for density in DENSITIES:
                key_share, density_share, mean = asked_and_got(run, key, density, args)
                rows.append({"asked key": key, "asked notes/s": density, "key as asked": f"{key_share:.0%}",
                             "density within 25%": f"{density_share:.0%}", "got notes/s": f"{mean:.1f}"})
                print(rows[-1], flush=True)
    print(table(rows))
    print(f"key as asked: {np.mean([float(r['key as asked'][:-1]) for r in rows]):.0f}% of pieces; density within "
          f"25%: {np.mean([float(r['density within 25%'][:-1]) for r in rows]):.0f}%")


if __name__ == "__main__":
    main()
