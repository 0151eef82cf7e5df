"""Kill soak: many SIGKILLs of a real training process, at random replace events (inside checkpoint,
state, log and backup writes) and at random moments, each followed by a resume; then the final run
is checked as in tests/test_processes.py (each epoch once in log.csv, best.keras never worse, model.keras
equal to it, no temporary files left).

    python benchmarks/kill_soak.py --rounds 5 --kills 8 --epochs 8
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import common  # noqa: F401 - puts the checkout on sys.path

from tests.kill_run import Observer, check_final_run, kill_and_resume
from tests.zygote import Zygote


def soak_round(zygote: Zygote, seed: int, kills: int, epochs: int) -> int:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "run"
        run.mkdir()
        observer = Observer(run)
        # About 12 replace events per epoch; half the kills are events, half random moments.
        events = [rng.randint(1, 12 * epochs // 2) for _ in range(kills - kills // 2)]
        moments = [rng.uniform(0.0, 0.5) for _ in range(kills // 2)]
        done = kill_and_resume(zygote, run, epochs, events, moments, observer)
        check_final_run(run, epochs, observer)
        return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--kills", type=int, default=8, help="kill attempts per round")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    start, total = time.perf_counter(), 0
    with tempfile.TemporaryDirectory() as logs:
        zygote = Zygote(Path(logs) / "zygote.log")  # each training a fresh process forked from it
        try:
            for r in range(args.rounds):
                done = soak_round(zygote, args.seed + r, args.kills, args.epochs)
                total += done
                print(f"round {r}: {done} kills, run correct", flush=True)
        finally:
            zygote.close()
    print(f"{args.rounds} rounds, {total} kills, every run correct, {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
