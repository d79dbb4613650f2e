"""Run one benchmark child under cProfile, on the clock asked for.

Usage (``bench.run`` builds it for ``--profile DIR``)::

    python -m bench.profilechild OUT.prof cpu|wall MODULE SPEC

``cpu`` times with ``time.process_time``: the process's own CPU time, so a
busy machine (other processes taking the cores) does not inflate the
figures, and time spent blocked in ``epoll`` counts for nothing.  ``wall``
times with ``time.perf_counter``, as ``python -m cProfile`` does: blocking
shows, and so does every moment the process waited for a core.  The child's
exit status is kept; the profile is written however it ends.
"""

from __future__ import annotations

import cProfile
import runpy
import sys
import time


def main(argv: list[str]) -> int:
    out, clock, module, *rest = argv
    timer = {"cpu": time.process_time, "wall": time.perf_counter}[clock]
    sys.argv = [module, *rest]
    profiler = cProfile.Profile(timer)
    status: int | str | None = 0
    profiler.enable()
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as e:
        status = e.code
    finally:
        profiler.disable()
        profiler.dump_stats(out)
    if isinstance(status, str):
        sys.stderr.write(status + "\n")
        return 1
    return status or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
