"""Benchmark: does `seqgen train midi` with its defaults learn in a 10-minute CPU run? (issue 20, item 3)

Runs the user's two commands as they would type them, with nothing but the model family and a time
budget chosen:

    seqgen train midi --corpus DIR --model gru --max-minutes 10 --out RUN
    seqgen generate midi --run RUN --seconds 20 --num 8 --seed 0 -o OUT/piece.mid

then reads the written pieces back as any MIDI file is read and compares them with the corpus: mean
polyphony (notes sounding on average while any sounds; goal within 1.5x of the corpus's), the share of
notes in each piece's own key (Krumhansl-Kessler; goal within 10 points of the corpus's), notes per
second, and what the decode bounds touched (printed by `generate midi`; goal at most 2% of notes).

    python benchmarks/midi_music21_corpus.py /tmp/m21f --folk 300 --piano 0   # once: 300 real folk tunes
    python benchmarks/midi_defaults.py /tmp/m21f/folk --minutes 10
"""

from __future__ import annotations

import argparse
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import table  # noqa: F401  (sets sys.path to the checkout)
from midi_generation_bounds import figures


def _seqgen(*args: str) -> tuple[str, float, float]:
    """Run one `seqgen` command; ``(its output, wall seconds, CPU seconds of the child)``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "seqgen", *args], capture_output=True, text=True)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"seqgen {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return done.stdout + done.stderr, wall, cpu


def _row(name: str, performances: list, p99: float, touched: str = "") -> list[str]:
    poly, long_share, notes, in_key = figures([p.notes for p in performances], p99)
    seconds = sum(p.duration for p in performances)
    return [name, str(len(performances)), f"{poly:.2f}", f"{100 * in_key:.1f}%", f"{notes / seconds:.1f}",
            f"{100 * long_share:.2f}%", touched]


def _bound_share(output: str, notes: int) -> str:
    """The notes the decode bounds touched, from `generate midi`'s lines ("N released ...", "N notes cut")."""
    touched = sum(int(n) for n in re.findall(r"(\d+) (?:released|notes cut)", output))
    return f"{touched} ({100 * touched / max(notes, 1):.2f}%)"


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--model", default="gru")
    parser.add_argument("--pieces", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--extra", default="", help="more `train midi` options, e.g. '--preset tiny'")
    parser.add_argument("--run", default=None, help="keep the run here (default: a temporary folder)")
    parser.add_argument("--reuse", action="store_true", help="--run is trained already: only generate and measure")
    parser.add_argument("--temperature", type=float, default=1.0, help="generate midi --temperature")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    from seqgen.data_prep.midi_folder import read_corpus
    from seqgen.data_prep.midi_stats import note_stats

    corpus = read_corpus([args.folder]).performances
    p99 = note_stats(corpus)["length_p99_s"]
    rows = [_row("corpus", corpus, p99)]
    with tempfile.TemporaryDirectory(prefix="seqgen-defaults-") as tmp:
        run = Path(args.run or Path(tmp) / "run")
        if not args.reuse:
            train_out, wall, cpu = _seqgen("train", "midi", "--corpus", args.folder, "--model", args.model,
                                           "--max-minutes", str(args.minutes), "--out", str(run), *args.extra.split())
            print(train_out.strip().splitlines()[-1], f"(train: {wall:.0f} s wall, {cpu:.0f} CPU s)", flush=True)
        (Path(tmp) / "out").mkdir()
        gen_out, gwall, _ = _seqgen("generate", "midi", "--run", str(run), "--seconds", str(args.seconds),
                                    "--num", str(args.pieces), "--seed", "0", "--temperature", str(args.temperature),
                                    "-o", str(Path(tmp) / "out" / "piece.mid"))
        print(gen_out.strip(), f"(generate: {gwall:.0f} s wall)", flush=True)
        pieces = read_corpus([str(Path(tmp) / "out")]).performances
        rows.append(_row(f"{args.model}, {args.minutes:g} min {args.extra}, T={args.temperature:g}".strip(), pieces, p99,
                         _bound_share(gen_out, sum(len(p.notes) for p in pieces))))
        log = (run / "log.csv").read_text().splitlines()
        print(f"epochs trained: {len(log) - 1}; last log row: {log[-1]}")
    head = ["pieces of", "files", "mean polyphony", "in key", "notes/s", "notes > corpus p99", "bounds touched"]
    print("| " + " | ".join(head) + " |\n|" + "---|" * len(head))
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
