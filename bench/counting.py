"""Work per operation, counted rather than timed: CPU instructions or Python bytecodes.

Wall-clock and CPU-time figures move with the machine's load; counts do
not.  Both commands run the suite's own children (a server and a client,
as ``python -m bench`` does) twice, with N1 and N2 operations, and divide
the difference by N2 - N1, so start-up and imports cancel out:

* ``python -m bench.counting instructions FRAMEWORK WORKLOAD N1 N2`` runs
  both children under ``valgrind --tool=callgrind`` and prints the CPU
  instructions per operation on each side;
* ``python -m bench.counting bytecodes ROLE FRAMEWORK WORKLOAD N1 N2`` runs
  the ROLE child (``server`` or ``client``) under an opcode tracer and
  prints the Python bytecodes per operation, per function (the tracer
  slows the child down a lot, which can change how many loop passes the
  scheduling gives an operation).

WORKLOAD is ``churn`` (an operation is a connection), ``pingpong`` (a round
trip) or ``fanin`` (a round trip; 200 connections); FRAMEWORK is ``plait``,
``twisted`` or ``selectors`` (the bare loop).  bench/README.md ("Connection
churn and ping-pong, counted") has the figures.  Neither is part of the
suite's run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from bench.catalog import MODULES

ROOT = Path(__file__).resolve().parent.parent

_SHAPES: dict[str, dict[str, Any]] = {
    "churn": {"rounds": 1, "size": 32, "sequential": True, "count": "connections"},
    "pingpong": {"size": 64, "connections": 1, "sequential": True, "count": "rounds"},
    "fanin": {"size": 64, "connections": 200, "sequential": False, "count": "rounds"},
}

# Run in the traced child: count opcodes per code object, dump them at exit.
_TRACER = """
import atexit, json, runpy, sys
from collections import Counter
counts = Counter()
def local(frame, event, arg):
    if event == "opcode":
        counts[KEY(frame.f_code)] += 1
    return local
def KEY(code):
    return code.co_filename.rsplit("/", 1)[-1] + ":" + str(code.co_firstlineno) + ":" + code.co_name
def tracer(frame, event, arg):
    frame.f_trace_opcodes = True
    return local
def dump():
    sys.settrace(None)
    with open(OUT, "w") as f:
        json.dump(counts, f)
atexit.register(dump)
sys.argv = [MOD, SPEC]
sys.settrace(tracer)
runpy.run_module(MOD, run_name="__main__")
"""


def _spec(framework: str, workload: str, n: int) -> tuple[dict[str, Any], int]:
    shape = dict(_SHAPES[workload])
    key = shape.pop("count")
    spec = {"workload": workload, "framework": framework, "pin": False, "timeout": 600,
            "backlog": 2048, **shape, key: n}
    ops = n * (spec["connections"] if key == "rounds" else 1)
    return spec, ops


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def _pair(spec: dict[str, Any], command: Any) -> None:
    """Run the server and the client children; ``command(role, specJSON)``
    says how each is started."""
    server = subprocess.Popen(command("server", json.dumps({**spec, "role": "server"})),
                              stdout=subprocess.PIPE, text=True, env=_env(), cwd=ROOT)
    assert server.stdout is not None
    port = json.loads(server.stdout.readline())["port"]
    client = json.dumps({**spec, "role": "client", "port": port, "ports": [port]})
    subprocess.run(command("client", client), check=True, capture_output=True, env=_env(), cwd=ROOT)
    server.wait()


def _callgrindTotal(path: str) -> int:
    with open(path) as f:
        for line in f:
            if line.startswith(("totals:", "summary:")):
                return int(line.split()[1])
    raise ValueError(f"no totals in {path}")


def instructions(framework: str, workload: str, n1: int, n2: int) -> dict[str, float]:
    """CPU instructions per operation, per side."""
    totals: list[dict[str, int]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in (n1, n2):
            spec, _ = _spec(framework, workload, n)
            outs = {role: f"{tmp}/{role}-{n}.cg" for role in ("server", "client")}

            def underCallgrind(role: str, child: str) -> list[str]:
                return ["valgrind", "-q", "--tool=callgrind", f"--callgrind-out-file={outs[role]}",  # noqa: B023
                        sys.executable, "-m", MODULES[framework], child]

            _pair(spec, underCallgrind)
            totals.append({role: _callgrindTotal(out) for role, out in outs.items()})
    ops = _spec(framework, workload, n2)[1] - _spec(framework, workload, n1)[1]
    return {role: (totals[1][role] - totals[0][role]) / ops for role in ("server", "client")}


def bytecodes(role: str, framework: str, workload: str, n1: int, n2: int) -> Counter[str]:
    """Python bytecodes per operation on ``role``'s side, per function."""
    counts: list[Counter[str]] = []
    module = MODULES[framework]
    with tempfile.TemporaryDirectory() as tmp:
        for n in (n1, n2):
            spec, _ = _spec(framework, workload, n)
            out = f"{tmp}/{role}-{n}.json"

            def traced(side: str, child: str) -> list[str]:
                if side != role:
                    return [sys.executable, "-m", module, child]
                head = f"OUT = {out!r}; MOD = {module!r}; SPEC = {child!r}\n"  # noqa: B023
                return [sys.executable, "-c", head + _TRACER]

            _pair(spec, traced)
            with open(out) as f:
                counts.append(Counter(json.load(f)))
    ops = _spec(framework, workload, n2)[1] - _spec(framework, workload, n1)[1]
    result: Counter[str] = Counter()
    for key in counts[0].keys() | counts[1].keys():
        result[key] = (counts[1][key] - counts[0][key]) / ops  # type: ignore[assignment]
    return result


def main(argv: list[str]) -> int:
    if len(argv) == 5 and argv[0] == "instructions":
        framework, workload, n1, n2 = argv[1], argv[2], int(argv[3]), int(argv[4])
        per = instructions(framework, workload, n1, n2)
        print(f"{framework} {workload}: {per['server']:,.0f} instructions per operation "
              f"on the server, {per['client']:,.0f} on the client")
        return 0
    if len(argv) == 6 and argv[0] == "bytecodes":
        role, framework, workload, n1, n2 = argv[1], argv[2], argv[3], int(argv[4]), int(argv[5])
        counts = bytecodes(role, framework, workload, n1, n2)
        print(f"{framework} {workload} {role}: {sum(counts.values()):,.0f} bytecodes per operation")
        for name, count in counts.most_common(30):
            if count >= 0.5:
                print(f"{count:8.1f}  {name}")
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
