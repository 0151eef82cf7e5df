"""Long fuzz run: thousands of deterministic mutations per public reader, each reader in a child
process under a 2 GiB address-space limit; prints a Markdown table of inputs tried and survived.

A mutation "survives" when the reader returns a result or raises the project's one-line
SeqgenError; anything else (another exception, a several-line message, a call over 3 s, a crash of
the child process such as a MemoryError at the limit) is listed.

    python benchmarks/fuzz.py --count 2000
    python benchmarks/fuzz.py --count 200 --readers midi,chorale-tgz
"""

from __future__ import annotations

import argparse
import collections
import time

import common  # noqa: F401 - puts the checkout on sys.path

from tests.test_fuzz import READER_NAMES, run_child

ALL_READERS = READER_NAMES + ["midi-grid", "primer-musicxml"]
WHAT = {
    "chorale-tgz": "jsb_chorales .tgz (compressed bytes)",
    "chorale-tar": "jsb_chorales .tgz (tar and CSV inside)",
    "chorale-csv": "jsb_chorales CSV file",
    "text-utf8": "text corpus, UTF-8",
    "text-utf16": "text corpus, UTF-16 with BOM",
    "midi": "MIDI file",
    "midi-grid": "MIDI file to voice grid",
    "sketch-ndjson": "QuickDraw .ndjson",
    "sketch-npz": "sketch-rnn .npz",
    "codec-config": "codec config (JSON types)",
    "run-json": "run.json (JSON types)",
    "state-json": "state.json (JSON types)",
    "primer-musicxml": "MusicXML primer",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="mutations per reader")
    parser.add_argument("--readers", default=",".join(ALL_READERS))
    parser.add_argument("--start", type=int, default=0, help="first mutation index (the suite uses 0..299)")
    args = parser.parse_args()
    rows = []
    for name in args.readers.split(","):
        begin = time.perf_counter()
        report = run_child(name, args.count, args.start, timeout=3600)
        seconds = time.perf_counter() - begin
        if "crashed" in report:
            rows.append(f"| {WHAT.get(name, name)} | {args.count} | - | - | child crashed ({report['crashed']}) | - | - |")
            print(report["stderr"][-600:], flush=True)
        else:
            kinds = collections.Counter(p.split(": ", 1)[1].split(":")[0] for p in report["problems"])
            escaped = ", ".join(f"{k} x{v}" for k, v in kinds.most_common(4)) or "0"
            survived = report["count"] - len(report["problems"])
            rows.append(f"| {WHAT.get(name, name)} | {report['count']} | {report['refused']} | {survived} | {escaped} "
                        f"| {report['peak_mib']:.0f} | {seconds:.0f} |")
        print(rows[-1], flush=True)
    print("\n| reader | mutations | refused (one-line SeqgenError) | survived | escaped | peak MiB | seconds |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
