"""A TLS client written with Twisted's imports only: it runs on Twisted, and unchanged on plait.

Usage:
    python3 -m plait.compat examples/twisted_tls/tls_echo_client.py HOST PORT CA_FILE   # on plait
    python3 examples/twisted_tls/tls_echo_client.py HOST PORT CA_FILE                   # on Twisted

Start a TLS server first: examples/tls_server.py with the certificates of
examples/tls_certificates.py (docs/tls.md, "Twisted's TLS programs on
plait"); CA_FILE is that directory's ``ca.pem``.  The client checks the
server against CA_FILE and HOST, sends one line, prints what the server
says, and ends; a refused connection or a failed check is printed and the
exit status is 1.  On Twisted it needs pyOpenSSL and service_identity.
"""

import sys

from twisted.internet import defer, endpoints, protocol, ssl, task
from twisted.protocols.basic import LineReceiver


class EchoOnce(LineReceiver):
    delimiter = b"\n"

    def connectionMade(self):
        self.finished = defer.Deferred()
        self.sendLine(b"hello from a Twisted program")

    def lineReceived(self, line):
        print("server:", line.decode().rstrip("\r"))
        if line.startswith(b"echo: "):
            self.transport.loseConnection()

    def connectionLost(self, reason):
        self.finished.callback(reason.getErrorMessage())


def loadAuthority(caFile):
    with open(caFile, "rb") as f:
        return ssl.Certificate.loadPEM(f.read())


async def main(reactor, host, port, caFile):
    authority = loadAuthority(caFile)
    options = ssl.optionsForClientTLS(host, trustRoot=authority)
    endpoint = endpoints.SSL4ClientEndpoint(reactor, host, int(port), options)
    try:
        client = await endpoint.connect(protocol.Factory.forProtocol(EchoOnce))
    except Exception as e:  # noqa: BLE001 - any reason: reported, then exit 1
        print("could not connect:", e)
        raise SystemExit(1) from None
    # plait's endpoint fires after the handshake; Twisted's fires at TCP
    # connect, so there a failed check arrives here, as the closing reason.
    reason = await client.finished
    print("connection closed:", reason)
    if reason != "Connection was closed cleanly.":
        raise SystemExit(1)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: tls_echo_client.py HOST PORT CA_FILE")
    task.react(lambda reactor, *argv: defer.ensureDeferred(main(reactor, *argv)), sys.argv[1:])
