"""greeting.py's tests, pytest style: ``python3 -m pytest test_greeting_pytest.py``.

Run from examples/testing_howto (docs/testing.md) with plait installed (its
pytest plugin is then on), or add ``-p plait.pytest_plugin``.  The same
checks as test_greeting.py, written with the plugin's fixtures:
``string_transport``, ``clock``, ``memory_reactor`` and ``connected_pair``
need no network and no time; ``reactor`` (the real one) runs the
``async def`` tests and the test that returns a Deferred, and
``logged_errors`` holds what the reactor logged.
"""

import pytest
from greeting import GreetingProtocol, fetchGreeting

from plait.defer import Deferred
from plait.error import ConnectionDone, ConnectionRefusedError, TimeoutError
from plait.failure import Failure
from plait.protocol import Factory, Protocol


class Greeter(Protocol):
    """A server that says one line, then hangs up."""

    line = b"Hello from the test\r\n"

    def connectionMade(self):
        self.transport.write(self.line)
        self.transport.loseConnection()


def result(d):
    """What a Deferred has already fired with (its exception raised if it failed)."""
    outcome = []
    d.addBoth(outcome.append)
    assert outcome, f"{d!r} has not fired"
    if isinstance(outcome[0], Failure):
        outcome[0].raiseException()
    return outcome[0]


# -- no network, no time ----------------------------------------------------------


@pytest.fixture
def done():
    return Deferred()


@pytest.fixture
def protocol(clock, string_transport, done):
    proto = GreetingProtocol(clock, 5, done)
    proto.makeConnection(string_transport)
    return proto


def test_greetingArrives(protocol, string_transport, done):
    protocol.dataReceived(b"Hello\r\n")
    assert string_transport.disconnecting
    assert not done.called  # it waits to be told that the connection is closed
    protocol.connectionLost(Failure(ConnectionDone()))
    assert result(done) == "Hello"


def test_tooSlow(protocol, clock, done):
    clock.advance(5)
    protocol.connectionLost(Failure(ConnectionDone()))
    with pytest.raises(TimeoutError):
        result(done)
    assert clock.getDelayedCalls() == []


def test_connectsWhereItIsTold(memory_reactor):
    d = fetchGreeting(memory_reactor, "127.0.0.1", 4321, timeout=3)
    [(host, port, factory, timeout, _)] = memory_reactor.tcpClients
    assert (host, port, timeout) == ("127.0.0.1", 4321, 3)
    factory.clientConnectionFailed(None, Failure(ConnectionRefusedError()))
    with pytest.raises(ConnectionRefusedError):
        result(d)


def test_againstAServerInMemory(connected_pair, clock, done):
    _, _, pump = connected_pair(Greeter, lambda: GreetingProtocol(clock, 5, done))
    pump.flush()
    assert result(done) == "Hello from the test"


# -- the real reactor, over 127.0.0.1 ---------------------------------------------


@pytest.fixture
async def listen(reactor):
    """A function starting servers on free loopback ports; all stopped after the test."""
    ports = []

    def listen(protocol):
        ports.append(reactor.listenTCP(0, Factory.forProtocol(protocol), interface="127.0.0.1"))
        return ports[-1].getHost().port

    yield listen
    for port in ports:
        await port.stopListening()  # an async fixture's teardown may wait too


def test_returningADeferred(reactor, listen):
    def check(greeting):
        assert greeting == "Hello from the test"

    return fetchGreeting(reactor, "127.0.0.1", listen(Greeter)).addCallback(check)  # waited for


async def test_asyncDef(reactor, listen):
    assert await fetchGreeting(reactor, "127.0.0.1", listen(Greeter)) == "Hello from the test"


@pytest.mark.plait_timeout(10)
async def test_undecodableGreetingIsLogged(reactor, listen, logged_errors):
    class Garbled(Greeter):
        line = b"\xff\xfe\r\n"

    with pytest.raises(UnicodeDecodeError):
        await fetchGreeting(reactor, "127.0.0.1", listen(Garbled))
    assert len(logged_errors.flush(UnicodeDecodeError)) == 1
