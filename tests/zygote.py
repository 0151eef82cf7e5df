"""Real worker processes for tests, forked from one process that imported TensorFlow once.

The kill and several-worker tests need separate processes (one is SIGKILLed anywhere; each worker
reads its own ``TF_CONFIG``). Importing TensorFlow, Keras and the trainer costs each one about 8
CPU-seconds; the zygote pays it once and forks a fresh child per worker. Nothing has run a TensorFlow
op in the zygote, so each child starts its own runtime (threads, devices, servers) after the fork.
One JSON line in per request, one line out: ``start`` answers the child's pid, ``wait`` its exit code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CODE = """
import importlib, json, os, sys, traceback
import keras, tensorflow
import seqgen.models.train
for line in sys.stdin:
    request = json.loads(line)
    if request["op"] == "wait":
        print(os.waitstatus_to_exitcode(os.waitpid(request["pid"], 0)[1]), flush=True)
        continue
    pid = os.fork()
    if pid == 0:
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # the child's prints must not reach the protocol
        code = 0
        try:
            os.environ.update(request["env"])
            getattr(importlib.import_module(request["module"]), request["function"])(*request["args"])
        except BaseException:
            traceback.print_exc()
            code = 1
        sys.stderr.flush()
        os._exit(code)
    print(pid, flush=True)
"""


class Zygote:
    """Forks workers on request (see the module's doc); its and their stderr go to ``log``."""

    def __init__(self, log: Path):
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "-1"}
        env.pop("TF_CONFIG", None)
        self.log = log
        with log.open("w") as err:
            self.proc = subprocess.Popen([sys.executable, "-c", CODE], cwd=ROOT, env=env, text=True,
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err)

    def start(self, module: str, function: str, *args, env: dict | None = None) -> int:
        """Fork a child that runs ``module.function(*args)`` (JSON-able args) with ``env`` added; its pid."""
        return int(self._ask({"op": "start", "module": module, "function": function, "args": list(args),
                              "env": env or {}}))

    def wait(self, pid: int) -> int:
        """The child's exit code (negative: the signal that killed it)."""
        return int(self._ask({"op": "wait", "pid": pid}))

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)

    def _ask(self, request: dict) -> str:
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, f"the zygote died: {self.log.read_text()[-2000:]}"
        return line


def running(pid: int) -> bool:
    """Whether child ``pid`` still runs (an exited child the zygote has not yet reaped is a zombie)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")
