"""clientFromString / serverFromString / quoteStringArgument (reference section 2.7)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plait._endpointgrammar import _clientParsers, _parse, _registerClientParser
from plait.endpoints import (
    TCP4ClientEndpoint,
    TCP4ServerEndpoint,
    TCP6ServerEndpoint,
    clientFromString,
    quoteStringArgument,
    serverFromString,
)
from plait.testing import MemoryReactor


@pytest.mark.parametrize(
    "description, expected",
    [
        ("a:b:d=1:c", (["a", "b", "c"], {"d": "1"})),
        ("tcp::80", (["tcp", "", "80"], {})),
        ("tcp:h:80:", (["tcp", "h", "80", ""], {})),
        (":", (["", ""], {})),
        ("", ([""], {})),
        ("a=b=c", ([], {"a": "b=c"})),
        (r"a\=b=c", ([], {"a=b": "c"})),
        (r"a\=b", (["a=b"], {})),
        ("x:=v", (["x"], {"": "v"})),
        ("x:k=", (["x"], {"k": ""})),
        (r"tcp:\:\:1:80", (["tcp", "::1", "80"], {})),
        (r"a:b\\c", (["a", "b\\c"], {})),
        (r"a:k=x\:y", (["a"], {"k": "x:y"})),
        (r"a:k=x\y", (["a"], {"k": "xy"})),
        ("=", ([], {"": ""})),
    ],
)
def test_parseTable(description: str, expected: Any) -> None:
    """The tokenizer matches Twisted's on these descriptions."""
    assert _parse(description) == expected


def test_parseRejectsATrailingBackslash() -> None:
    """A lone trailing backslash is named in a ValueError (Twisted leaks RuntimeError)."""
    with pytest.raises(ValueError, match=r"ends with a lone backslash"):
        _parse("tcp:h:80\\")


def test_parseRejectsDuplicateKeywords() -> None:
    """A repeated keyword is an error naming it (Twisted silently keeps the last)."""
    with pytest.raises(ValueError, match="Duplicate keyword argument 'a'"):
        _parse("x:a=1:a=2")


@pytest.mark.parametrize(
    "argument, quoted",
    [("C:\\foo:bar", "C\\:\\\\foo\\:bar"), ("a=b", "a=b"), ("", ""), ("\\", "\\\\")],
)
def test_quoteStringArgumentTable(argument: str, quoted: str) -> None:
    """quoteStringArgument escapes backslash then colon, and nothing else."""
    assert quoteStringArgument(argument) == quoted


@given(st.text())
def test_quoteStringArgumentRoundTrips(value: str) -> None:
    """Any text quoted as a keyword value parses back to itself."""
    assert _parse("x:key=" + quoteStringArgument(value)) == (["x"], {"key": value})


@given(st.text().filter(lambda s: "=" not in s))
def test_quotedPositionalWithoutEqualsRoundTrips(value: str) -> None:
    """Quoted text without '=' also survives as a positional argument."""
    assert _parse("x:" + quoteStringArgument(value)) == (["x", value], {})


def _attrs(endpoint: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(endpoint).items() if k != "_reactor"}


@pytest.mark.parametrize(
    "description, host, port, timeout, bindAddress",
    [
        ("tcp:127.0.0.1:80", "127.0.0.1", 80, 30, None),
        ("TCP:127.0.0.1:80", "127.0.0.1", 80, 30, None),
        ("tcp:host=127.0.0.1:80", "127.0.0.1", 80, 30, None),
        ("tcp:127.0.0.1:port=80", "127.0.0.1", 80, 30, None),
        ("tcp:port=80:host=localhost", "localhost", 80, 30, None),
        ("tcp:127.0.0.1:80:timeout=5", "127.0.0.1", 80, 5, None),
        ("tcp:127.0.0.1:80:bindAddress=127.0.0.2", "127.0.0.1", 80, 30, ("127.0.0.2", 0)),
        (r"tcp:\:\:1:80", "::1", 80, 30, None),
        ("tcp:127.0.0.1: 80", "127.0.0.1", 80, 30, None),
    ],
)
def test_clientTCPTable(description: str, host: str, port: int, timeout: int, bindAddress: Any) -> None:
    """tcp: client descriptions build TCP4ClientEndpoints with coerced values."""
    reactor = MemoryReactor()
    ep = clientFromString(reactor, description)
    assert type(ep) is TCP4ClientEndpoint and ep._reactor is reactor
    assert _attrs(ep) == {
        "_host": host, "_port": port, "_timeout": timeout, "_bindAddress": bindAddress,
    }


@pytest.mark.parametrize(
    "description, exception, message",
    [
        ("xyz:1", ValueError, "^Unknown endpoint type: 'xyz' \\(known types: "),
        ("XYZ:1", ValueError, "^Unknown endpoint type: 'xyz' \\(known types: "),
        ("", ValueError, "^Unknown endpoint type: '' \\(known types: "),
        ("tcp6:127.0.0.1:80", ValueError, "^Unknown endpoint type: 'tcp6' \\(known types: "),
        ("tcp:127.0.0.1", TypeError, "missing 1 required positional argument: 'port'"),
        ("tcp:port=80", TypeError, "missing 1 required positional argument: 'host'"),
        ("tcp:h:80:bogus=1", TypeError, "unexpected keyword argument 'bogus'"),
        ("tcp:h:abc", ValueError, r"invalid literal for int\(\) with base 10: 'abc' \(the port\)"),
        ("tcp:h:80:timeout=2.5", ValueError, r"'2.5' \(the timeout\)"),
        ("tcp:h:99999", ValueError, "port 99999 is out of range 0-65535"),
        ("tcp:h:-1", ValueError, "port -1 is out of range"),
        ("tcp:h:80:extra", TypeError, r"too many positional arguments \['h', '80', 'extra'\]"),
        ("tcp:h:80\\", ValueError, "lone backslash"),
        ("tcp:h:80:timeout=1:timeout=2", ValueError, "Duplicate keyword argument 'timeout'"),
    ],
)
def test_clientErrors(description: str, exception: type, message: str) -> None:
    """Malformed client descriptions raise errors that name the bad part."""
    with pytest.raises(exception, match=message) as info:
        clientFromString(MemoryReactor(), description)
    if "Unknown" not in message and "backslash" not in message and "Duplicate" not in message:
        assert str(info.value).endswith(f"in endpoint description {description!r}")


def test_bytesDescriptionIsATypeError() -> None:
    """A bytes description is rejected with a TypeError naming the type."""
    with pytest.raises(TypeError, match="must be str, not bytes"):
        clientFromString(MemoryReactor(), b"tcp:h:80")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be str, not bytes"):
        serverFromString(MemoryReactor(), b"tcp:80")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "description, cls, port, backlog, interface",
    [
        ("tcp:80", TCP4ServerEndpoint, 80, 50, ""),
        ("tcp:port=80", TCP4ServerEndpoint, 80, 50, ""),
        ("tcp:80:interface=127.0.0.1:backlog=5", TCP4ServerEndpoint, 80, 5, "127.0.0.1"),
        ("tcp:80:127.0.0.1", TCP4ServerEndpoint, 80, 50, "127.0.0.1"),
        ("tcp:80:127.0.0.1:7", TCP4ServerEndpoint, 80, 7, "127.0.0.1"),
        ("tcp6:80", TCP6ServerEndpoint, 80, 50, "::"),
        (r"tcp6:80:interface=\:\:1", TCP6ServerEndpoint, 80, 50, "::1"),
        ("TCP6:0:backlog=1", TCP6ServerEndpoint, 0, 1, "::"),
    ],
)
def test_serverTable(description: str, cls: type, port: int, backlog: int, interface: str) -> None:
    """tcp:/tcp6: server descriptions build the matching server endpoints."""
    ep = serverFromString(MemoryReactor(), description)
    assert type(ep) is cls
    assert _attrs(ep) == {"_port": port, "_backlog": backlog, "_interface": interface}


@pytest.mark.parametrize(
    "description, exception, message",
    [
        ("tcp", TypeError, "missing 1 required positional argument: 'port'"),
        ("tcp:abc", ValueError, r"'abc' \(the port\)"),
        ("tcp:80:bogus=1", TypeError, "unexpected keyword argument 'bogus'"),
        ("tcp:80:backlog=x", ValueError, r"'x' \(the backlog\)"),
        ("tcp:80:a:1:extra", TypeError, "too many positional arguments"),
        ("nope:80", ValueError, "^Unknown endpoint type: 'nope' \\(known types: "),
    ],
)
def test_serverErrors(description: str, exception: type, message: str) -> None:
    """Malformed server descriptions raise errors that name the bad part."""
    with pytest.raises(exception, match=message):
        serverFromString(MemoryReactor(), description)


def test_parsersCanBeRegistered(monkeypatch: pytest.MonkeyPatch) -> None:
    """A later issue (ssl:, unix:) plugs a parser in by prefix, case-insensitively."""
    monkeypatch.setattr("plait._endpointgrammar._clientParsers", dict(_clientParsers))

    class Parser:
        prefix = "Demo"

        def parseStreamClient(self, reactor: Any, *args: Any, **kwargs: Any) -> Any:
            return (reactor, args, kwargs)

    _registerClientParser(Parser())
    reactor = MemoryReactor()
    assert clientFromString(reactor, "DEMO:a:b=c") == (reactor, ("a",), {"b": "c"})
