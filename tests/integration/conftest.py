"""Fixtures shared by the integration tests that run example programs.

``server`` and ``droppingServer`` start examples/howto_server.py
(``tests.integration.test_examples.Server``) on a free loopback port and
stop it after the test.  A module that means something else by
``server`` (test_irc_servers.py) defines its own, which takes precedence.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.test_examples import Server


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.stop()


@pytest.fixture
def droppingServer() -> Iterator[Server]:
    """The same server, dropping every connection after 0.2 s."""
    s = Server("--drop", "0.2")
    yield s
    s.stop()
