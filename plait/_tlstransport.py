"""What the TLS layer, as a transport, hands to the transport below it.

What it owns: ``_TransportBelow``, the base class of
``plait._tlsprotocol.TLSMemoryBIOProtocol`` for what an application asks of
its transport that TLS plays no part in: the addresses, the TCP options,
and the attributes of the TCP transport that Twisted programs reach through
a TLS transport (``connector``, ``socket``, ``fileno``).

Rules: everything here reads ``self.transport`` (the transport carrying the
ciphertext) and nothing else; an attribute that transport lacks raises
``AttributeError``, as it would there.

Discussion: why not ``__getattr__``.  Twisted's TLS transport (what
``connectSSL``, ``listenSSL`` and the TLS endpoints give a protocol) is a
``ProtocolWrapper``, whose ``__getattr__`` hands whatever it lacks to the
transport below, so ``self.transport.connector`` works there.  But a class with
``__getattr__`` loses CPython's fast attribute reads on every instance --
every ``self._...`` on the TLS data path (measured here: attribute reads
about 1.6 times slower).  So the attributes Twisted programs use are
forwarded one by one, by a descriptor that costs nothing until read.

Tests: tests/unit/test_tls.py, tests/integration/test_tls.py.
"""

from __future__ import annotations

from typing import Any

from plait.protocol import Protocol

__all__: list[str] = []


class _Below:
    """A read-only attribute of ``self.transport``, of the same name."""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        return getattr(instance.transport, self._name)


class _TransportBelow(Protocol):
    """A protocol that is also a transport: what it passes to ``self.transport``."""

    #: The connector of a ``connectSSL`` connection (its TCP transport's).
    connector = _Below()
    #: The ``socket.socket`` under a TLS connection over TCP.
    socket = _Below()
    #: The descriptor of the transport below.
    fileno = _Below()

    def getHost(self) -> Any:
        return self.transport.getHost()

    def getPeer(self) -> Any:
        return self.transport.getPeer()

    def getTcpNoDelay(self) -> bool:
        return bool(self.transport.getTcpNoDelay())

    def setTcpNoDelay(self, enabled: bool) -> None:
        self.transport.setTcpNoDelay(enabled)

    def getTcpKeepAlive(self) -> bool:
        return bool(self.transport.getTcpKeepAlive())

    def setTcpKeepAlive(self, enabled: bool) -> None:
        self.transport.setTcpKeepAlive(enabled)
