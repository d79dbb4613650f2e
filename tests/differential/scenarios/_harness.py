"""The harness every differential scenario file uses.

A scenario file is an ordinary Twisted program: it imports ``twisted.*``
names only, so it runs unchanged on the real Twisted (``python file.py``)
and on plait (``python -m plait.compat file.py``).  Each scenario is a
function decorated with ``@scenario`` that returns what a user could
observe (plain JSON data: strings, numbers, lists, dicts), or a Deferred
of it.  ``main()`` runs them all in order inside one reactor run
(``task.react``) and prints one JSON object: scenario name -> result, or
``{"exception": "module.Class: message"}`` if the scenario itself raised.

Helpers normalise what legitimately differs between two runs: ports,
object addresses, times, file paths (``normalise``).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from typing import Any

_SCENARIOS: list[tuple[str, Callable[..., Any]]] = []


def scenario(function: Callable[..., Any]) -> Callable[..., Any]:
    _SCENARIOS.append((function.__name__, function))
    return function


def qual(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def describe(reason: Any) -> str:
    """A failure or exception as ``Class: message``, Twisted's and plait's alike.

    The module is left out: plait's classes live in plait's modules.
    """
    value = getattr(reason, "value", reason)
    return f"{type(value).__name__}: {value}"


_PORT = re.compile(r"(?<=[ :(,'])\d{4,5}\b")
_ADDRESS = re.compile(r"0x[0-9a-f]+")
_AT = re.compile(r" at [0-9a-f]{6,}")


def normalise(text: str, *ports: int) -> str:
    """``text`` with the given port numbers as ``<port>`` and object addresses as ``0x?``."""
    for port in ports:
        text = text.replace(str(port), "<port>")
    text = _ADDRESS.sub("0x?", text)
    return _AT.sub(" at ?", text)


def main() -> None:
    from twisted.internet import defer, task

    results: dict[str, Any] = {}

    @defer.inlineCallbacks
    def runAll(reactor: Any) -> Any:
        for name, function in _SCENARIOS:
            try:
                outcome = function(reactor) if _takesReactor(function) else function()
                if isinstance(outcome, defer.Deferred):
                    outcome = yield outcome
            except BaseException as e:  # noqa: BLE001 - reported as the scenario's result
                outcome = {"exception": f"{type(e).__name__}: {e}"}
            results[name] = outcome
        dump(results)

    task.react(lambda reactor: runAll(reactor))


def mainWithoutReactor() -> None:
    """Run scenarios that must not run the reactor (they install one, say)."""
    results: dict[str, Any] = {}
    for name, function in _SCENARIOS:
        try:
            results[name] = function()
        except BaseException as e:  # noqa: BLE001 - reported as the scenario's result
            results[name] = {"exception": f"{type(e).__name__}: {e}"}
    dump(results)


def _takesReactor(function: Callable[..., Any]) -> bool:
    return function.__code__.co_argcount == 1


def dump(results: dict[str, Any]) -> None:
    # The real stdout: a scenario may have redirected sys.stdout into the log.
    sys.__stdout__.write(json.dumps(results, sort_keys=True, default=repr) + "\n")
    sys.__stdout__.flush()
