"""linecount's tests, pytest style (plait's pytest plugin).

Run with ``pytest`` from the project directory: the plugin comes with
plait (``-p plait.pytest_plugin`` where plait is only on the path).  The
same checks as ``tests_trial/``, written with the plugin's fixtures:
``string_transport``, ``clock`` and ``connected_pair`` for the sans-IO
tests, ``reactor`` (the global reactor, run by ``async def`` tests and
tests that return a Deferred) for the loopback TCP ones.
"""

import pytest
from linecount.client import LineCounter, LineCountProtocol, ProtocolError
from linecount.server import Counting, CountingFactory
from linecount.testing import MemoryEndpoint

from plait.defer import gatherResults
from plait.endpoints import TCP4ClientEndpoint
from plait.error import ConnectionDone, ConnectionLost
from plait.task import deferLater


def resultOf(d):
    """The result a Deferred already has (its exception raised for a failure)."""
    results = []
    d.addBoth(results.append)
    assert results, f"{d!r} has no result yet"
    if hasattr(results[0], "raiseException"):
        results[0].raiseException()
    return results[0]


def hasNoResult(d):
    results = []
    d.addBoth(lambda r: results.append(r) or r)
    return not results


# -- the protocol, on a StringTransport -------------------------------------------


@pytest.fixture
def protocol(string_transport):
    proto = LineCountProtocol()
    proto.makeConnection(string_transport)
    return proto


def test_sendsTheLineAndGetsTheCount(protocol, string_transport):
    d = protocol.count(b"hello")
    assert string_transport.value() == b"hello\r\n"
    assert hasNoResult(d)
    protocol.dataReceived(b"7\r\n")
    assert resultOf(d) == 7


def test_badReplyFailsAndDisconnects(protocol, string_transport):
    d = protocol.count(b"a")
    protocol.dataReceived(b"seven\r\n")
    with pytest.raises(ProtocolError):
        resultOf(d)
    assert string_transport.disconnecting


def test_connectionLostFailsWhatIsPending(protocol):
    d = protocol.count(b"a")
    protocol.connectionLost(ConnectionLost())
    with pytest.raises(ConnectionLost):
        resultOf(d)
    with pytest.raises(ConnectionDone):
        resultOf(protocol.count(b"late"))


def test_lineBreaksAreRefused(protocol):
    with pytest.raises(ValueError, match="line break"):
        protocol.count(b"two\nlines")


def test_protocolAgainstTheServerInMemory(connected_pair):
    client, _server, pump = connected_pair(lambda: _served(CountingFactory()), LineCountProtocol)
    first, second = client.count(b"a"), client.count(b"b")
    pump.flush()
    assert (resultOf(first), resultOf(second)) == (1, 2)


def _served(factory):
    protocol = Counting()
    protocol.factory = factory
    return protocol


# -- reconnection, on a fake clock ------------------------------------------------


@pytest.fixture
def server():
    return CountingFactory()


@pytest.fixture
def endpoint(server, clock):
    return MemoryEndpoint(server, clock)


@pytest.fixture
def counter(endpoint, clock):
    counter = LineCounter(endpoint, clock=clock, retryPolicy=lambda failures: 2.0)
    counter.start()
    return counter


def test_reconnectsAfterTheServerDropsIt(counter, server, endpoint, clock):
    d = counter.count(b"a")
    endpoint.flush()
    assert resultOf(d) == 1
    server.connections[0].transport.loseConnection()
    endpoint.flush()
    d = counter.count(b"waits for the next connection")
    clock.advance(1.9)
    assert hasNoResult(d)
    clock.advance(0.1)
    endpoint.flush()
    assert resultOf(d) == 2
    assert endpoint.attempts == 2


def test_keepsRetryingWhileRefused(counter, server, endpoint, clock):
    d = counter.count(b"a")
    endpoint.flush()
    resultOf(d)
    endpoint.refuse = True
    server.connections[0].transport.loseConnection()
    endpoint.flush()
    d = counter.count(b"b")
    clock.pump([2.0, 2.0, 2.0])
    assert hasNoResult(d)
    endpoint.refuse = False
    clock.advance(2.0)
    endpoint.flush()
    assert resultOf(d) == 2


# -- the real thing, over 127.0.0.1 -----------------------------------------------


@pytest.fixture
async def tcp(reactor):
    """A server on a free loopback port and a started LineCounter; both closed after."""
    server = CountingFactory()
    port = reactor.listenTCP(0, server, interface="127.0.0.1")
    endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port)
    counter = LineCounter(endpoint, clock=reactor, retryPolicy=lambda failures: 0.01)
    counter.start()
    yield server, counter
    # An async fixture's teardown runs on the reactor too: it may wait.
    await counter.stop()
    await port.stopListening()


def test_countsReturningADeferred(tcp):
    _, counter = tcp

    def check(total):
        assert total == 1

    return counter.count(b"first").addCallback(check)


@pytest.mark.plait_timeout(10)
async def test_reconnects(tcp, reactor):
    server, counter = tcp
    assert await counter.count(b"a") == 1
    protocol = await counter.whenConnected()
    server.connections[0].transport.loseConnection()
    await protocol.whenLost()
    await deferLater(reactor, 0, lambda: None)  # the service hears of it
    assert await counter.count(b"b") == 2
    assert await counter.count(b"c") == 3


async def test_manyRequestsAtOnce(tcp):
    _, counter = tcp
    results = await gatherResults([counter.count(b"%d" % i) for i in range(50)])
    assert results == list(range(1, 51))
