"""Benchmark: reading a MIDI folder without the cache, with a cold cache, with a warm one, and with workers.

Seconds of ``midi_folder.read_corpus`` (best of ``--repeats``; a cold read gets a fresh cache
folder each time): CPU seconds of this process with one worker (a shared machine's load does not
count), wall seconds with more; and the peak Python memory of a warm read (tracemalloc).

With ``--report``, also ``seqgen data midi``'s report (``midi_report.describe_corpus``: reading plus
the figures and the notes each encoding leaves out), one worker: CPU ms per file without the cache
and with a warm one, and its peak Python memory (streamed: it should not grow with the folder).

    python benchmarks/midi_cache_speed.py /tmp/m21/folk --workers 1 2 --report
    python benchmarks/midi_cache_speed.py /tmp/synth1000 --make-synthetic 1000 --report

``--make-synthetic N`` first writes N two-part tunes into the (empty or absent) folder given: a
melody of 200 sixteenth notes and a bass of 12 whole notes, seeded, written with mido.
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
    parser.add_argument("--report", action="store_true", help="also time and measure the data midi report")
    parser.add_argument("--make-synthetic", type=int, metavar="N", help="write N synthetic tunes into the folder first")
    args = parser.parse_args(argv)
    if args.make_synthetic:
        write_synthetic(Path(args.paths[0]), args.make_synthetic)
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
            rows.append({"files": files, "workers": workers, "clock": "CPU" if workers == 1 else "wall",
                         "no cache s": f"{plain:.2f}", "cold cache s": f"{cold:.2f}",
                         "warm cache s": f"{warm:.2f}", "warm / cold": f"{warm / cold:.0%}",
                         "warm / no cache": f"{warm / plain:.0%}",
                         "ms per file (no cache)": f"{1000 * plain / files:.3f}",
                         "ms per file (warm)": f"{1000 * warm / files:.3f}"})
        tracemalloc.start()
        read_corpus(args.paths, workers=1, cache=warm_dir)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        if args.report:
            report_rows = report_figures(args.paths, files, warm_dir, args.repeats)
    print(table(rows))
    print(f"peak Python memory of a warm one-worker read: {peak / 2**20:.1f} MB")
    if args.report:
        print(table(report_rows))


def write_synthetic(folder: Path, count: int) -> None:
    """``count`` seeded two-part tunes (200 melody notes, 12 bass notes) in ``folder``, unless it holds files."""
    import sys

    import numpy as np

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    import midi_factory as mf

    if folder.exists() and any(folder.iterdir()):
        return  # never overwrite: reuse what is there
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(count):
        melody = [(int(rng.integers(55, 84)), b / 4, 0.25, int(rng.integers(30, 120))) for b in range(200)]
        mf.write_notes(folder / f"t{i:05d}.mid", melody, [(int(rng.integers(36, 52)), 4 * b, 4) for b in range(12)])


def report_figures(paths: list[str], files: int, warm_dir: Path, repeats: int) -> list[dict]:
    """CPU ms per file and peak Python memory of the data midi report, without a cache and warm."""
    from seqgen.data_prep.midi_report import describe_corpus

    rows = []
    for name, cache in (("no cache", None), ("warm cache", warm_dir)):
        seconds = timed(lambda: describe_corpus(paths, workers=1, cache=cache), repeats, time.process_time)
        tracemalloc.start()
        describe_corpus(paths, workers=1, cache=cache)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        rows.append({"report": name, "files": files, "CPU ms per file": f"{1000 * seconds / files:.3f}",
                     "peak Python MB": f"{peak / 2**20:.1f}"})
    return rows


if __name__ == "__main__":
    main()
