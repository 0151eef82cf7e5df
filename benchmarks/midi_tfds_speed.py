"""Benchmark: preparing a MIDI folder as the TFDS dataset midi_folder, without Beam and with it.

Wall seconds of ``midi_tfds.prepare_midi_tfds`` into a fresh data dir each time (best of
``--repeats``), TensorFlow and Beam already imported: TFDS's plain path (one process), Beam's
in-process runner, and Beam with each ``--workers`` count of local processes. The Beam rows need
``pip install "seqgen[beam]"``.

    python benchmarks/midi_tfds_speed.py /tmp/m21/folk --workers 2 4
"""

from __future__ import annotations

import argparse
import tempfile
import time

from common import table  # (sets sys.path to the checkout)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("--workers", type=int, nargs="*", default=[], help="Beam worker processes to try (> 1)")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args(argv)
    from seqgen.data_prep import midi_tfds
    from seqgen.data_prep.midi_folder import find_midi_files

    files = len(find_midi_files([args.folder]))
    modes = [("plain (no Beam)", dict(use_beam=False))]
    if midi_tfds.beam_available():
        import apache_beam  # noqa: F401  (its import is not the preparation's cost)

        modes += [(f"Beam, {n} process{'es' * (n > 1)}", dict(use_beam=True, workers=n)) for n in [1, *args.workers]]
    rows = []
    for name, kwargs in modes:
        best = float("inf")
        for _ in range(args.repeats):
            with tempfile.TemporaryDirectory(prefix="seqgen-tfds-") as tmp, midi_tfds.quiet_tfds():
                start = time.perf_counter()
                built = midi_tfds.prepare_midi_tfds(args.folder, tmp, **kwargs)
                best = min(best, time.perf_counter() - start)
        rows.append({"path": name, "files": files, "examples": sum(built.examples.values()),
                     "skipped": sum(built.skipped.values()), "wall s": f"{best:.1f}",
                     "ms per file": f"{1000 * best / files:.1f}"})
    print(table(rows))


if __name__ == "__main__":
    main()
