"""TLS endpoints: one client, three ways to say "TLS, and trust this CA".

Usage: python3 examples/tls_endpoints.py HOST PORT [DIRECTORY]

Start a TLS server first (examples/tls_server.py, see docs/tls.md), with
the certificates ``python3 examples/tls_certificates.py DIRECTORY`` made:
DIRECTORY's ``ca.pem`` is the authority to trust.  Without DIRECTORY the
client trusts the platform's authorities, as it would for a public server
(``SSL_CERT_FILE=DIRECTORY/ca.pem`` adds one there).  The client asks the
server to echo a line three times, through

* a ``tls:`` description string (``trustRoots=`` names a directory of CA
  certificates),
* an ``ssl:`` description string (``caCertsDir=``, the same thing under
  its older name), and
* ``wrapClientTLS``, which adds TLS to any stream endpoint (here a
  ``HostnameEndpoint``) with the ``optionsForClientTLS`` you give it.

Each endpoint's Deferred fires only once the handshake *and* the check of
the server's certificate succeeded; a failure (nothing listening, a
certificate the CA did not sign, a wrong host name) is printed and the
program ends.
"""

import os
import sys

from plait import reactor, ssl
from plait.defer import Deferred, ensureDeferred
from plait.endpoints import (
    HostnameEndpoint,
    clientFromString,
    connectProtocol,
    wrapClientTLS,
)
from plait.protocols.basic import LineReceiver


class AskOnce(LineReceiver):
    delimiter = b"\n"

    def __init__(self, question):
        self.question = question
        self.answer = Deferred()

    def connectionMade(self):
        self.sendLine(self.question)

    def lineReceived(self, line):
        if line.startswith(b"echo: "):
            self.answer.callback(line.decode())
            self.transport.loseConnection()

    def connectionLost(self, reason):
        self.failed(reason)

    def failed(self, reason):
        if not self.answer.called:
            self.answer.errback(reason)


async def ask(endpoint, question):
    """The server's echo of ``question``, or the reason there is none."""
    protocol = AskOnce(question)
    # A failed connection fails the answer; so does a failed handshake,
    # which reaches the protocol first, as its connectionLost.
    connectProtocol(endpoint, protocol).addErrback(protocol.failed)
    return await protocol.answer


def tlsEndpoints(host, port, directory):
    """Three endpoints trusting DIRECTORY's ca.pem (None: the platform's authorities)."""
    authority = None  # optionsForClientTLS's default: platformTrust()
    tlsTrust = sslTrust = ""
    if directory is not None:
        with open(os.path.join(directory, "ca.pem"), "rb") as f:
            authority = ssl.Certificate.loadPEM(f.read())
        tlsTrust, sslTrust = f":trustRoots={directory}", f":caCertsDir={directory}"
    return {
        "tls:": clientFromString(reactor, f"tls:{host}:{port}{tlsTrust}"),
        "ssl:": clientFromString(reactor, f"ssl:{host}:{port}{sslTrust}"),
        "wrapClientTLS": wrapClientTLS(
            ssl.optionsForClientTLS(host, trustRoot=authority),
            HostnameEndpoint(reactor, host, port),
        ),
    }


async def main(endpoints):
    for name, endpoint in endpoints.items():
        print(f"{name} {await ask(endpoint, name.encode())}")


def run(host, port, directory=None):
    d = ensureDeferred(main(tlsEndpoints(host, port, directory)))
    d.addErrback(lambda failure: print("failed:", failure.getErrorMessage()))
    d.addBoth(lambda _: reactor.stop())
    reactor.run()


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: python3 examples/tls_endpoints.py HOST PORT [DIRECTORY]")
    run(sys.argv[1], int(sys.argv[2]), *sys.argv[3:])
