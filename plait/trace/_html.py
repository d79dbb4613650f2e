"""The picture of a trace: one self-contained HTML page.

``writePage(path, records, title)`` embeds the records (the same objects the
JSON format writes) in ``view.html``, whose inline script draws them: one
row per lane (each connection and listening port, plus timers, threads and
the reactor's own triggers), one column per pass of the loop, with the
poll that began the pass on top (how long the loop waited, what became
ready).  Everything is inline, so the page opens without a network.

Rules: the records are embedded as JSON inside a ``<script
type="application/json">`` element, with ``<``, ``>`` and ``&`` escaped so
that no string in a trace (a protocol's name, a function's) can end the
element or inject markup; the script builds the page with ``textContent``
only.

Tests: tests/integration/test_trace_html.py (headless Chromium: the lanes
and counts on the page match the JSON trace of the same run),
tests/unit/test_trace.py (the embedding).
"""

from __future__ import annotations

import json
import os
import re
from importlib import resources

from plait.trace._tracer import Record

__all__ = ["renderPage", "writePage"]


def _embed(records: list[Record]) -> str:
    text = json.dumps(records, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _escapeHTML(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def renderPage(records: list[Record], title: str = "plait trace") -> str:
    """The HTML page drawing ``records``."""
    template = resources.files("plait.trace").joinpath("view.html").read_text(encoding="utf-8")
    values = {"__TITLE__": _escapeHTML(title), "__DATA__": _embed(records)}
    # One pass, so a title containing "__DATA__" stays text.
    return re.sub("__TITLE__|__DATA__", lambda m: values[m.group(0)], template)


def writePage(path: str | os.PathLike[str], records: list[Record], title: str = "plait trace") -> None:
    """Write the page drawing ``records`` to ``path``."""
    with open(path, "w", encoding="utf-8") as page:
        page.write(renderPage(records, title))
