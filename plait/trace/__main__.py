"""``python -m plait.trace``: run a program and trace its reactor.

Usage::

    python -m plait.trace [options] program.py [args...]
    python -m plait.trace [options] -m package.module [args...]
    python -m plait.trace --compat [options] twisted_program.py [args...]

``--compat`` runs an unchanged Twisted program through plait's compatibility
mode (``plait.compat``), so Twisted's own examples can be traced; ``-m
plait.compat program.py`` does the same.  The program's exit status is
kept.  Tests: tests/integration/test_trace_real.py.
"""

from __future__ import annotations

import argparse
import os
import runpy
import sys

from plait import trace
from plait.trace._tracer import KINDS


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m plait.trace",
        description="Run a plait (or, with --compat, Twisted) program and write a "
        "timeline of what its reactor does.",
        epilog="kinds: " + "; ".join(f"{k}: {v}" for k, v in KINDS.items()),
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write the trace here (default: stderr)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or json: one JSON object a line")
    parser.add_argument("--html", metavar="FILE", help="also draw the timeline as one self-contained HTML page")
    parser.add_argument("--kind", metavar="K,K", help=f"only these kinds ({','.join(KINDS)})")
    parser.add_argument("--conn", metavar="N,N", help="only these connections (numbers, or lane names such as 'listen 1', 'timers')")
    parser.add_argument("--compat", action="store_true", help="run a Twisted program through plait.compat")
    parser.add_argument("-m", dest="module", metavar="MODULE", help="run a module as a script (like python -m)")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="the program and its arguments")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv``, trace the program, return its exit status."""
    parser = _parser()
    options = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if options.module is None and not options.args:
        parser.error("give a program to run (program.py or -m module)")
    if options.module is None and not os.path.exists(options.args[0]):
        parser.error(f"no such program: {options.args[0]}")
    if options.compat:
        from plait import compat

        compat.install()
    target = options.module or options.args[0]
    try:
        trace.enable(
            options.output, format=options.format, kinds=options.kind,
            connections=options.conn, html=options.html, title=f"plait trace of {target}",
        )
    except (ValueError, OSError) as e:
        parser.error(str(e))
    status = 0
    try:
        if options.module is not None:
            sys.argv = [options.module, *options.args]
            runpy.run_module(options.module, run_name="__main__", alter_sys=True)
        else:
            sys.argv = list(options.args)
            sys.path[0] = os.path.dirname(os.path.abspath(options.args[0]))
            runpy.run_path(options.args[0], run_name="__main__")
    except SystemExit as e:
        status = _exitStatus(e.code)
    finally:
        trace.disable()
    return status


def _exitStatus(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
