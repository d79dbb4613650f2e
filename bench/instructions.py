"""Machine instructions per operation, counted by valgrind's callgrind.

Usage (from the repository root, with valgrind installed)::

    python -m bench.instructions WORKLOAD [FRAMEWORK ...] [--n N] [--gc]

WORKLOAD is ``deferred`` (``Deferred()``, three ``addCallback(f)``,
``callback(x)``: the bench's deferred row), ``create`` and ``add3`` (its
first steps alone, to split the cost), ``timers`` (the bench's timers row:
``callLater`` with seeded random delays, every 4th cancelled, run to the
end), ``reset`` (``DelayedCall.reset()`` to a later time, what an idle
timeout does per packet) or ``irc`` (``bench/irc_workload.py``, per line).
FRAMEWORK is ``plait`` and/or ``twisted`` (both by default).

Why: on a machine shared with other jobs, wall-clock ratios move by ±0.3
from run to run, while instruction counts repeat to within a few
instructions.  Each figure is (count for 2N operations − count for N) / N,
so start-up and imports cancel out.  Instructions are not time (cache
misses and branch mispredictions are not in them), but a change that saves
instructions on these pure-Python paths saves time in proportion.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PER_LINE = 6038  # lines in bench/data/busy-channel.irc


def _child(framework: str, workload: str, n: int, gcOn: bool) -> None:
    """Run ``n`` operations of ``workload`` (in the process callgrind watches)."""
    import gc

    if framework == "plait":
        from plait import compat

        compat.install()
    from twisted.internet import reactor
    from twisted.internet.defer import Deferred

    def step(result: Any) -> Any:
        return result

    def last(result: Any) -> None:
        pass

    if not gcOn:
        gc.disable()
    if workload in ("deferred", "create", "add3"):
        for i in range(n):
            d: Any = Deferred()
            if workload != "create":
                d.addCallback(step)
                d.addCallback(step)
                d.addCallback(last)
                if workload == "deferred":
                    d.callback(i)
    elif workload == "timers":
        rnd = random.Random(1)
        delays = [rnd.random() * 0.05 for _ in range(n)]
        expected, fired = n - n // 4, [0]

        def tick() -> None:
            fired[0] += 1
            if fired[0] == expected:
                reactor.stop()

        def start() -> None:
            calls = [reactor.callLater(delay, tick) for delay in delays]
            for call in calls[3::4]:
                call.cancel()

        reactor.callWhenRunning(start)
        reactor.run(installSignalHandlers=False)
    elif workload == "reset":
        call = reactor.callLater(1000, last, None)
        for i in range(n):
            call.reset(500 + (i & 7))
        call.cancel()
    elif workload == "irc":
        from bench.irc_workload import ircParse

        ircParse({"repeat": n})


def _count(framework: str, workload: str, n: int, gcOn: bool) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            "valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/out",
            sys.executable, "-m", "bench.instructions", "--child", framework, workload, str(n),
        ] + (["--gc"] if gcOn else [])
        env = dict(os.environ, PYTHONHASHSEED="0", PYTHONPATH=str(ROOT))
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, check=True)
    match = re.search(r"Collected : (\d+)", done.stderr)
    if match is None:
        raise SystemExit(f"no callgrind total in:\n{done.stderr[-2000:]}")
    return int(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("args", nargs="+")
    parser.add_argument("--n", type=int, default=0, help="operations per run (default: per workload)")
    parser.add_argument("--gc", action="store_true", help="leave the garbage collector on")
    options = parser.parse_args()
    if options.child:
        framework, workload, n = options.args
        _child(framework, workload, int(n), options.gc)
        return
    workload, *frameworks = options.args
    n = options.n or {"irc": 1, "reset": 100_000}.get(workload, 20_000)
    for framework in frameworks or ["plait", "twisted"]:
        base = _count(framework, workload, n, options.gc)
        double = _count(framework, workload, 2 * n, options.gc)
        per = (double - base) / (n * PER_LINE if workload == "irc" else n)
        print(f"{workload} {framework}: {per:,.0f} instructions per {'line' if workload == 'irc' else 'op'}")


if __name__ == "__main__":
    main()
