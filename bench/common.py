"""What every benchmark child process shares: its command line and its report.

A child is started by ``bench.run`` as ``python -m bench.impl_X '<spec>'``
where ``<spec>`` is one JSON object:

* ``role``: ``"server"``, ``"client"`` or ``"local"`` (single-process work);
* ``workload``: ``pingpong``, ``stream``, ``churn``, ``fanin``, ``timers``,
  ``deferred``, ``irc``;
* ``framework``: which framework the child runs (``uvloop`` shares the
  asyncio module);
* ``pin``: pin this process to CPU 0 before doing anything;
* ``timeout``: seconds after which the child gives up by itself;
* the sizes (``rounds``, ``size``, ``total``, ``chunk``, ``cycles``, ``repeat``,
  ``conns``, ``count``, ``seed``, ``gc``...) and, for a client, ``port``.

A server prints ``{"port": N}`` on one line as soon as it listens.  Every
child prints its report, one JSON object, as its last stdout line and exits
0; on failure it exits non-zero with the reason on stderr.  Nothing here may
import a framework: this module is loaded by every child, and the import
workload must not pay for it.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections.abc import Callable
from typing import Any

HOST = "127.0.0.1"


class BenchFailure(Exception):
    """The workload did not do what it should (lost data, timed out...)."""


def peakRSSKiB() -> int:
    """Peak resident set size of this process so far, in KiB.

    ``VmHWM`` from ``/proc/self/status``, not ``ru_maxrss``: on Linux a
    child started by ``subprocess`` reports at least its *parent's* peak in
    ``ru_maxrss`` (it survives fork and exec), which hid the frameworks'
    own figures behind the benchmark runner's.  ``ru_maxrss`` remains the
    fallback where ``/proc`` is missing.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def currentRSSKiB() -> int:
    """Resident set size of this process right now, in KiB."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") // 1024
    except (OSError, ValueError, IndexError):
        return peakRSSKiB()


def _prepare(spec: dict[str, Any]) -> None:
    if spec.get("pin"):
        os.sched_setaffinity(0, {0})
    # fanin opens 1,000 sockets per process: make sure the soft limit allows it.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 4096 if hard == resource.RLIM_INFINITY else min(hard, 4096)
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def _emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


class ServerContext:
    """Handed to a server: ``announce(port)`` once listening, then serve."""

    def __init__(self) -> None:
        self.rssBeforeKiB = 0

    def announce(self, port: int) -> None:
        # "RSS before accepting": everything is imported and the port listens.
        self.rssBeforeKiB = currentRSSKiB()
        _emit({"port": port})


def childMain(
    serve: Callable[[dict[str, Any], ServerContext], dict[str, Any]],
    client: Callable[[dict[str, Any]], dict[str, Any]],
    local: Callable[[dict[str, Any]], dict[str, Any]],
) -> None:
    """Parse the spec, run the role, print the report; the exit status says
    whether it worked."""
    spec = json.loads(sys.argv[1])
    _prepare(spec)
    role = spec["role"]
    try:
        if role == "server":
            ctx = ServerContext()
            report = serve(spec, ctx)
            report["rss_before_kib"] = ctx.rssBeforeKiB
        elif role == "client":
            report = client(spec)
        elif role == "local":
            report = local(spec)
        else:
            raise BenchFailure(f"unknown role {role!r}")
    except BenchFailure as e:
        sys.stderr.write(f"bench {role} {spec.get('workload')}: {e}\n")
        sys.exit(2)
    report["rss_peak_kib"] = peakRSSKiB()
    report["role"] = role
    _emit(report)


def delaysFor(spec: dict[str, Any]) -> list[float]:
    """The timer workload's delays: seeded, uniform in [0, max_delay]."""
    import random

    rng = random.Random(spec["seed"])
    top = spec["max_delay"]
    return [rng.uniform(0.0, top) for _ in range(spec["count"])]


def now() -> float:
    return time.perf_counter()
