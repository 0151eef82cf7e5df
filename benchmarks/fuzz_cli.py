"""Bad-input harness for the whole command line: absurd numbers, nan/inf, empty, huge, truncated and
wrong-format files, bad paths and run folders, each ``python -m seqgen ...`` run as a subprocess
under a timeout and an address-space limit, with the fixture folder hashed before and after.

Each case is classified (first match wins):

- hang: still running at ``--timeout``
- blow-up: killed by a signal, or out of memory (MemoryError, std::bad_alloc, ResourceExhausted)
- traceback: a Python traceback reached the user
- file lost: a fixture (shared input) or a user's file set up for the case changed or vanished
- wrote on refusal: the command failed but changed its case folder ("a refused command writes nothing")
- accepted nonsense: a bad input the command should refuse, and it exited 0
- unclear error: it failed without exactly one ``Error:`` line
- refused good input: a case that must work failed
- clean: otherwise

    nice -n 10 python benchmarks/fuzz_cli.py --work /tmp/fuzz_cli > fuzz.log
    python benchmarks/fuzz_cli.py --only "infill" --timeout 60
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import common  # noqa: F401 - puts the checkout on sys.path
from fuzz_cases import ROOT, Case, all_cases, make_fixtures

KINDS = ("clean", "traceback", "hang", "blow-up", "file lost", "wrote on refusal", "accepted nonsense",
         "unclear error", "refused good input")
OOM_SIGNS = ("MemoryError", "std::bad_alloc", "ResourceExhausted", "Cannot allocate memory", "OOM")


def tree_hash(folder: Path) -> dict[str, str]:
    """``{relative path: digest}`` of every file under ``folder`` (big files by size and mtime)."""
    digests = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            stat = path.stat()
            if stat.st_size > 8 << 20:
                digests[str(path.relative_to(folder))] = f"{stat.st_size}:{stat.st_mtime_ns}"
            else:
                digests[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def _limits(memory_bytes: int):
    def apply():
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        os.nice(10)
    return apply


def run_command(args: list[str], cwd: Path, env: dict, timeout: float, memory_bytes: int) -> dict:
    """Run ``python -m seqgen ARGS``; rc, output, seconds, peak RSS (MiB), and whether it timed out."""
    out_path, err_path = cwd / ".stdout", cwd / ".stderr"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        child = subprocess.Popen([sys.executable, "-m", "seqgen", *args], cwd=cwd, env=env, stdout=out, stderr=err,
                                 stdin=subprocess.DEVNULL, preexec_fn=_limits(memory_bytes), start_new_session=True)
    waited = {}
    thread = threading.Thread(target=lambda: waited.update(result=os.wait4(child.pid, 0)), daemon=True)
    begin = time.perf_counter()
    thread.start()
    thread.join(timeout)
    hung = thread.is_alive()
    if hung:
        os.killpg(child.pid, signal.SIGKILL)
        thread.join()
    seconds = time.perf_counter() - begin
    _, status, usage = waited["result"]
    child.returncode = 0  # reaped by wait4 above; keep Popen from waiting again
    rc = os.waitstatus_to_exitcode(status)
    output = out_path.read_text(errors="replace") + err_path.read_text(errors="replace")
    out_path.unlink()
    err_path.unlink()
    return {"rc": rc, "output": output, "seconds": seconds, "peak_mib": usage.ru_maxrss / 1024, "hung": hung}


def classify(case: Case, result: dict, fixtures_changed: bool, user_changed: bool, wrote: bool) -> str:
    output = result["output"]
    if result["hung"]:
        return "hang"
    if result["rc"] < 0 or any(sign in output for sign in OOM_SIGNS):
        return "blow-up"
    if "Traceback (most recent call last)" in output:
        return "traceback"
    if fixtures_changed or user_changed:
        return "file lost"
    if result["rc"] != 0 and wrote:
        return "wrote on refusal"
    if result["rc"] == 0:
        return "accepted nonsense" if case.expect == "refuse" else "clean"
    if case.expect == "ok":
        return "refused good input"
    errors = [line for line in output.splitlines() if line.startswith("Error")]
    return "clean" if len(errors) == 1 else "unclear error"


def run_case(case: Case, index: int, work: Path, fixtures: Path, env: dict, args) -> dict:
    case_dir = work / "cases" / f"{index:03d}"
    shutil.rmtree(case_dir, ignore_errors=True)
    case_dir.mkdir(parents=True)
    protected = case.setup(case_dir) if case.setup else []
    before_fixtures, before_case = tree_hash(fixtures), tree_hash(case_dir)
    argv = [a.replace("{F}", str(fixtures)).replace("{C}", str(case_dir)) for a in case.args]
    result = run_command(argv, case_dir, {**env, **case.env}, args.timeout, args.memory_gib << 30)
    after_case = tree_hash(case_dir)
    user_changed = any(after_case.get(p) != before_case.get(p) for p in protected)
    kind = classify(case, result, tree_hash(fixtures) != before_fixtures, user_changed, after_case != before_case)
    last = [line for line in result["output"].strip().splitlines() if line.strip()][-1:] or [""]
    if not args.keep:
        shutil.rmtree(case_dir, ignore_errors=True)
    return {"case": case.name, "kind": kind, "rc": result["rc"], "seconds": result["seconds"],
            "peak_mib": result["peak_mib"], "last": last[0][:160]}


def train_master(work: Path, env: dict) -> Path:
    """A finished 2-epoch tiny chorale run for the --resume and --force cases (trained once, kept)."""
    master = work / "master_run"
    if (master / "model.keras").exists():
        return master
    shutil.rmtree(master, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "seqgen", "train", "chorales", "--model", "lstm", "--preset", "tiny",
                    "--epochs", "2", "--out", str(master)], env=env, check=True, stdout=subprocess.DEVNULL)
    return master


def table(rows: list[dict]) -> str:
    counts = collections.Counter(row["kind"] for row in rows)
    lines = ["| " + " | ".join(KINDS) + " | cases |", "|" + "---|" * (len(KINDS) + 1),
             "| " + " | ".join(str(counts.get(k, 0)) for k in KINDS) + f" | {len(rows)} |", ""]
    bad = [row for row in rows if row["kind"] != "clean"]
    if bad:
        lines += ["| case | result | rc | s | peak MiB | last line |", "|---|---|---|---|---|---|"]
        lines += [f"| {r['case']} | {r['kind']} | {r['rc']} | {r['seconds']:.0f} | {r['peak_mib']:.0f} | "
                  f"{r['last'].replace('|', '/')} |" for r in bad]
    slowest = sorted(rows, key=lambda r: -r["seconds"])[:5]
    lines += ["", "slowest: " + "; ".join(f"{r['case']} {r['seconds']:.0f} s" for r in slowest)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/seqgen_fuzz_cli"), help="fixtures, cases, data cache")
    parser.add_argument("--only", default=None, help="run the cases whose name contains this")
    parser.add_argument("--timeout", type=float, default=120, help="seconds before a case counts as a hang")
    parser.add_argument("--memory-gib", type=int, default=6, help="address-space limit per case")
    parser.add_argument("--keep", action="store_true", help="keep each case's folder")
    args = parser.parse_args()
    fixtures = args.work / "fixtures"
    shutil.rmtree(fixtures, ignore_errors=True)
    make_fixtures(fixtures)
    env = {**os.environ, "PYTHONPATH": str(ROOT.parent), "SEQGEN_DATA_DIR": str(args.work / "data"),
           "TF_CPP_MIN_LOG_LEVEL": "3", "COLUMNS": "200"}
    cases = [c for c in all_cases(args.work / "master_run") if args.only is None or args.only in c.name]
    if any("finished" in c.name or "--force keeps" in c.name for c in cases):
        train_master(args.work, env)
    rows = []
    for i, case in enumerate(cases):
        rows.append(run_case(case, i, args.work, fixtures, env, args))
        r = rows[-1]
        print(f"{i + 1}/{len(cases)} {r['kind']:<18} {r['seconds']:5.1f}s {r['peak_mib']:6.0f}MiB {r['case']} :: {r['last']}",
              flush=True)
    print(f"\n{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, python {sys.version.split()[0]}, "
          f"timeout {args.timeout:.0f} s, {args.memory_gib} GiB address space\n")
    print(table(rows))


if __name__ == "__main__":
    main()
