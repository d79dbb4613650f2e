"""What every benchmark child process shares: its command line and its report.

A child is started by ``bench.run`` as ``python -m bench.impl_X '<spec>'``
where ``<spec>`` is one JSON object:

* ``role``: ``"server"``, ``"client"`` or ``"local"`` (single-process work);
* ``workload``: ``pingpong``, ``stream``, ``churn``, ``fanin``, ``timers``,
  ``deferred``, ``irc``, ``bulk``, ``spawn``, ``procstream``, ``multicore``,
  ``scale``, ``udp`` (``bench/catalog.py`` has their sizes);
* ``tls`` (network workloads over TLS): ``{"ca", "server", "hostname"}``,
  PEM files the runner made (``server`` holds the key and the chain);
* ``unix`` (network workloads over a UNIX stream socket): the path the
  server listens on and the client connects to (the server announces
  port 0);
* ``fd`` (``multicore`` servers): an inherited listening socket to adopt;
* ``fds``: descriptors the child needs (its soft limit is raised to it);
* ``framework``: which framework the child runs (``uvloop`` shares the
  asyncio module);
* ``pin``: pin this process to CPU 0 before doing anything;
* ``timeout``: seconds after which the child gives up by itself;
* the sizes (``rounds``, ``size``, ``total``, ``chunk``, ``cycles``, ``repeat``,
  ``conns``, ``count``, ``seed``, ``gc``...) and, for a client, ``port``.

A server prints ``{"port": N, "ports": [N, ...]}`` on one line as soon as
it listens.  Every child prints its report, one JSON object, as its last
stdout line and exits 0 (a report may carry ``metrics``: extra figures the
runner copies into the sample); on failure it exits non-zero with the reason on stderr.  Nothing here may
import a framework: this module is loaded by every child, and the import
workload must not pay for it.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
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
    raiseDescriptorLimit(spec.get("fds", 4096))


def raiseDescriptorLimit(want: int) -> int:
    """Raise this process's soft RLIMIT_NOFILE to ``want`` if it is lower.

    Up to the hard limit; beyond it only where the process may raise the
    hard limit too (root, up to ``fs.nr_open``).  fanin opens 1,000 sockets
    per process, the scale workload up to 50,000.  Returns the soft limit
    now in force (the runner skips a scale size it knows cannot fit).
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= want:
        return want
    if hard != resource.RLIM_INFINITY and hard < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))
            return want
        except (ValueError, OSError):
            want = hard
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return want


def _emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


class ServerContext:
    """Handed to a server: ``announce(port)`` once listening, then serve."""

    def __init__(self) -> None:
        self.rssBeforeKiB = 0

    def announce(self, port: int, ports: list[int] | None = None) -> None:
        """Say where to connect (``ports``: every port, when there are several)."""
        # "RSS before accepting": everything is imported and the port listens.
        self.rssBeforeKiB = currentRSSKiB()
        _cpuAtStart[:] = [time.process_time()]  # a server's work starts here
        _emit({"port": port, "ports": ports or [port]})


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
    usage = resource.getrusage(resource.RUSAGE_SELF)
    report["cpu_s"] = usage.ru_utime + usage.ru_stime  # the whole process, start-up too
    if _cpuAtStart:  # from the start of the work (see startClock) to here
        report["cpu_work_s"] = time.process_time() - _cpuAtStart[0]
    report["role"] = role
    _emit(report)


def delaysFor(spec: dict[str, Any]) -> list[float]:
    """The timer workload's delays: seeded, uniform in [0, max_delay]."""
    import random

    rng = random.Random(spec["seed"])
    top = spec["max_delay"]
    return [rng.uniform(0.0, top) for _ in range(spec["count"])]


_cpuAtStart: list[float] = []


def startClock() -> float:
    """``now()``, marking the start of the timed work: the report's
    ``cpu_work_s`` is the CPU time this process used from here on."""
    _cpuAtStart[:] = [time.process_time()]
    return now()


def now() -> float:
    """A clock every process reads alike (CLOCK_MONOTONIC on Linux), so that
    the multicore runner can compare its load generators' start and end."""
    return time.perf_counter()


def bulkBlock(spec: dict[str, Any]) -> bytes:
    """The bulk workload's payload: ``total`` seeded random bytes."""
    import random

    return random.Random(spec["seed"]).randbytes(spec["total"])


def bulkPieces(spec: dict[str, Any], index: int) -> list[tuple[int, int]]:
    """Connection ``index``'s cut of the payload: (start, end) of pieces of
    1 to ``max_piece`` bytes, seeded per connection, covering it all.

    The clients slice the pieces out of the payload as they write them, so
    every write hands the transport a fresh ``bytes`` of its own, as an
    application producing its data would (the slicing, one copy of the
    payload per client, is inside the timed part, the same for everyone).
    """
    import random

    rng = random.Random(spec["seed"] * 100_003 + index)
    pieces, start, total, top = [], 0, spec["total"], spec["max_piece"]
    while start < total:
        end = min(total, start + rng.randint(1, top))
        pieces.append((start, end))
        start = end
    return pieces


def scaleReport(spec: dict[str, Any], times: dict[str, float]) -> dict[str, Any]:
    """The client's report from its phase times (every framework's)."""
    n = spec["connections"]
    probes = min(spec["probe_connections"], n)
    return {"elapsed": times["end"] - times["active"], "ops": n * spec["rounds"],
            "metrics": {
                "connect_s": times["connected"] - times["start"],
                "connect_rate": n / (times["connected"] - times["start"]),
                "probe_rate": probes * spec["probe_rounds"] / (times["probed"] - times["probe"]),
            }}


def producerCommand(total: int) -> list[str]:
    """A child writing ``total`` zero bytes to its stdout, in 64 KiB writes."""
    dd = shutil.which("dd")
    if dd is None:
        raise BenchFailure("no dd on PATH")
    if total % 65536:
        raise BenchFailure("procstream total must be a multiple of 64 KiB")
    return [dd, "if=/dev/zero", "bs=65536", f"count={total // 65536}", "status=none"]
