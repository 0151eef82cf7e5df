"""Benchmark: reading a MIDI folder without the cache, with a cold cache, with a warm one, and with workers.

Seconds of ``midi_folder.read_corpus`` (best of ``--repeats``; a cold read gets a fresh cache
folder each time): CPU seconds of this process with one worker (a shared machine's load does not
count), wall seconds with more; and the peak Python memory of a warm read (tracemalloc).

    python benchmarks/midi_cache_speed.py /tmp/m21/folk --workers 1 2
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
from pathlib import Path

from common import table  # (sets sys.path to the checkout)


def timed(read, repeats: int, clock=time.perf_counter) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = clock()
        read()
        best = min(best, clock() - start)
    return best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--workers", type=int, nargs="+", default=[1])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    from seqgen.data_prep.midi_folder import find_midi_files, read_corpus

    files = len(find_midi_files(args.paths))
    rows = []
    with tempfile.TemporaryDirectory(prefix="seqgen-midi-cache-") as tmp:
        for workers in args.workers:
            clock = time.process_time if workers == 1 else time.perf_counter
            plain = timed(lambda: read_corpus(args.paths, workers=workers), args.repeats, clock)
            counter = iter(range(10**6))
            cold = timed(lambda: read_corpus(args.paths, workers=workers, cache=Path(tmp) / f"c{next(counter)}"),
                         args.repeats, clock)
            warm_dir = Path(tmp) / "warm"
            read_corpus(args.paths, workers=workers, cache=warm_dir)
            warm = timed(lambda: read_corpus(args.paths, workers=workers, cache=warm_dir), args.repeats, clock)
            rows.append({"files": files, "workers": workers, "clock": "CPU" if workers == 1 else "wall", "no cache s": f"{plain:.2f}", "cold cache s": f"{cold:.2f}",
                         "warm cache s": f"{warm:.2f}", "warm / cold": f"{warm / cold:.0%}",
                         "warm / no cache": f"{warm / plain:.0%}",
                         "ms per file (no cache)": f"{1000 * plain / files:.3f}",
                         "ms per file (warm)": f"{1000 * warm / files:.3f}"})
        tracemalloc.start()
        read_corpus(args.paths, workers=1, cache=warm_dir)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    print(table(rows))
    print(f"peak Python memory of a warm one-worker read: {peak / 2**20:.1f} MB")


if __name__ == "__main__":
    main()
