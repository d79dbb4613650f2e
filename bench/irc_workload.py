"""The IRC parsing workload: a busy channel's transcript through IRCClient.

Written as a Twisted user would write it (``twisted.words.protocols.irc``,
``twisted.internet.testing.StringTransport``), so ``impl_plait`` runs this
same code on plait through the compatibility mode.  The transcript
(``bench/data/busy-channel.irc``, made by ``bench.irc_transcript``) is cut
into 4 KiB reads, as a socket would deliver it, and fed to a fresh client
``repeat`` times; the rate is messages (lines) parsed and dispatched per
second, from ``dataReceived`` to the callbacks.  The callbacks count what
they see and the counts are checked against ``busy-channel.json``, so a
parser that skipped work would fail rather than look fast.
"""

from __future__ import annotations

import gc
import json
from pathlib import Path
from typing import Any

from twisted.internet.testing import StringTransport
from twisted.words.protocols import irc

from bench.common import BenchFailure, now

DATA = Path(__file__).resolve().parent / "data"
READ_SIZE = 4096


class CountingClient(irc.IRCClient):
    """Counts the callbacks (plain integers: the callbacks should cost next
    to nothing, so the parser dominates); sends nothing but the PONGs the
    server asks for."""

    nickname = "benchbot"
    performLogin = 0
    heartbeatInterval = None
    privmsgs = actions = notices = joins = parts = quits = renames = kicks = topics = modes = 0

    def privmsg(self, user: str, channel: str, message: str) -> None:
        self.privmsgs += 1

    def action(self, user: str, channel: str, data: str) -> None:
        self.actions += 1

    def noticed(self, user: str, channel: str, message: str) -> None:
        self.notices += 1

    def joined(self, channel: str) -> None:
        self.joins += 1

    def userJoined(self, user: str, channel: str) -> None:
        self.joins += 1

    def userLeft(self, user: str, channel: str) -> None:
        self.parts += 1

    def userQuit(self, user: str, quitMessage: str) -> None:
        self.quits += 1

    def userRenamed(self, oldname: str, newname: str) -> None:
        self.renames += 1

    def userKicked(self, kickee: str, channel: str, kicker: str, message: str) -> None:
        self.kicks += 1

    def topicUpdated(self, user: str, channel: str, newTopic: str) -> None:
        self.topics += 1

    def modeChanged(self, user: str, channel: str, set: bool, modes: str, args: Any) -> None:
        self.modes += 1


def _check(client: CountingClient, transport: Any, expected: dict[str, int]) -> None:
    got = {
        "privmsg": client.privmsgs, "action": client.actions, "NOTICE": client.notices,
        "JOIN": client.joins, "PART": client.parts, "QUIT": client.quits, "NICK": client.renames,
        "KICK": client.kicks, "MODE": client.modes,
        "TOPIC": client.topics - 1,  # the RPL_TOPIC (332) of the welcome burst also reports a topic
        "PING": transport.value().count(b"PONG "),
    }
    want = {key: value for key, value in expected.items() if key != "lines"}
    if got != want:
        raise BenchFailure(f"callbacks {got} != expected {want}")


def ircParse(spec: dict[str, Any]) -> dict[str, Any]:
    data = (DATA / "busy-channel.irc").read_bytes()
    expected = json.loads((DATA / "busy-channel.json").read_text())
    reads = [data[i : i + READ_SIZE] for i in range(0, len(data), READ_SIZE)]
    repeat = spec["repeat"]
    gc.collect()
    start = now()
    for _ in range(repeat):
        client = CountingClient()
        transport = StringTransport()
        client.makeConnection(transport)
        for chunk in reads:
            client.dataReceived(chunk)
    elapsed = now() - start
    _check(client, transport, expected)
    return {"elapsed": elapsed, "ops": expected["lines"] * repeat}
