"""plait's benchmark suite: plait, Twisted, asyncio and uvloop side by side.

Run ``python -m bench`` from the repository root; see ``bench/README.md``.
"""
