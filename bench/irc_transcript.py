"""Make the IRC benchmark's busy-channel transcript (``bench/data/``).

Usage (from the repository root; the output is committed, so this only
needs running again to change the transcript)::

    python -m bench.irc_transcript

writes ``bench/data/busy-channel.irc``: what a client sees on a busy
channel, as a server sends it (CRLF lines): a welcome burst (001-005,
LUSERS, MOTD), the JOIN with topic and NAMES, then 6,000 lines of traffic,
mostly PRIVMSGs of every length (ASCII and UTF-8 text, mIRC colours,
CTCP ACTIONs), with JOIN/PART/QUIT/NICK/MODE/NOTICE/KICK/TOPIC and server
PINGs mixed in at rates seen on real networks.  A seeded ``random.Random``
makes it byte-for-byte reproducible.  ``busy-channel.json`` beside it holds
the line count and how many callbacks a client must see (the benchmark
checks them, so a parser that skips work cannot look fast).

Every host is 127.0.0.1 and the server is irc.test.local: no real address.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
TRANSCRIPT = DATA / "busy-channel.irc"
COUNTS = DATA / "busy-channel.json"
SEED = 20261204
TRAFFIC_LINES = 6_000
SERVER = "irc.test.local"
CHANNEL = "#busy"
ME = "benchbot"

_WORDS = (
    "the a to and of is it that you in for on this with be was have are not but what "
    "just like so can about if get all my one do there will your out how up when now "
    "reactor deferred callback protocol transport factory connect latency socket epoll "
    "twisted plait python release build test merge review patch bug fix thanks lol yes no "
    "caf\u00e9 na\u00efve \u00fcber stra\u00dfe \u0436\u0443\u0440\u043d\u0430\u043b "
    "\u65e5\u672c\u8a9e \U0001f600 \U0001f44d \u2603"
)
WORDS = _WORDS.split()


def _nicks(rng: random.Random, count: int) -> list[str]:
    stems = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan",
             "judy", "mallory", "oscar", "peggy", "trent", "victor", "walter"]
    return [f"{rng.choice(stems)}{i}" for i in range(count)]


def _text(rng: random.Random) -> str:
    # Lengths as on real channels: mostly short, a long tail up to ~400 octets.
    count = min(int(rng.expovariate(1 / 9)) + 1, 70)
    words = [rng.choice(WORDS) for _ in range(count)]
    if rng.random() < 0.04:  # some mIRC colour/bold
        i = rng.randrange(len(words))
        words[i] = f"\x03{rng.randrange(16):02d}\x02{words[i]}\x02\x03"
    return " ".join(words)


def _prefix(nick: str) -> str:
    return f":{nick}!~{nick[:8]}@127.0.0.1"


def welcome(nicks: list[str]) -> list[str]:
    lines = [
        f":{SERVER} 001 {ME} :Welcome to the PlaitTest IRC Network {ME}!~bench@127.0.0.1",
        f":{SERVER} 002 {ME} :Your host is {SERVER}, running version bench-1.0",
        f":{SERVER} 003 {ME} :This server was created 04:00:00 Dec 04 2026",
        f":{SERVER} 004 {ME} {SERVER} bench-1.0 iosw biklmnopstv :bklov",
        (
            f":{SERVER} 005 {ME} AWAYLEN=200 CASEMAPPING=rfc1459 CHANLIMIT=#:20 CHANMODES=b,k,l,imnpst "
            "CHANNELLEN=64 CHANTYPES=# KICKLEN=255 MAXLIST=b:100 :are supported by this server"
        ),
        (
            f":{SERVER} 005 {ME} MODES=20 NETWORK=PlaitTest NICKLEN=30 PREFIX=(ov)@+ SAFELIST "
            "STATUSMSG=@+ TOPICLEN=307 :are supported by this server"
        ),
        f":{SERVER} 251 {ME} :There are {len(nicks)} users and 0 invisible on 1 servers",
        f":{SERVER} 254 {ME} 1 :channels formed",
        f":{SERVER} 255 {ME} :I have {len(nicks)} clients and 0 servers",
        f":{SERVER} 375 {ME} :- {SERVER} Message of the day - ",
    ]
    lines += [f":{SERVER} 372 {ME} :- line {i} of a message of the day" for i in range(20)]
    lines += [
        f":{SERVER} 376 {ME} :End of message of the day.",
        f":{ME}!~bench@127.0.0.1 JOIN :{CHANNEL}",
        f":{SERVER} 332 {ME} {CHANNEL} :Busy channel for the IRC parsing benchmark",
        f":{SERVER} 333 {ME} {CHANNEL} alice0 1764820800",
    ]
    for start in range(0, len(nicks), 40):
        lines.append(f":{SERVER} 353 {ME} = {CHANNEL} :" + " ".join(nicks[start : start + 40]))
    lines.append(f":{SERVER} 366 {ME} {CHANNEL} :End of /NAMES list.")
    return lines


def traffic(rng: random.Random, nicks: list[str]) -> list[str]:
    present = list(nicks)
    lines = []
    for _ in range(TRAFFIC_LINES):
        roll = rng.random()
        nick = rng.choice(present)
        if roll < 0.80:
            lines.append(f"{_prefix(nick)} PRIVMSG {CHANNEL} :{_text(rng)}")
        elif roll < 0.83:
            lines.append(f"{_prefix(nick)} PRIVMSG {CHANNEL} :\x01ACTION {_text(rng)}\x01")
        elif roll < 0.85:
            lines.append(f"{_prefix(nick)} NOTICE {CHANNEL} :{_text(rng)}")
        elif roll < 0.875:
            newcomer = f"guest{rng.randrange(10_000)}"
            present.append(newcomer)
            lines.append(f"{_prefix(newcomer)} JOIN :{CHANNEL}")
        elif roll < 0.89 and len(present) > 50:
            present.remove(nick)
            lines.append(f"{_prefix(nick)} PART {CHANNEL} :{_text(rng)}")
        elif roll < 0.91 and len(present) > 50:
            present.remove(nick)
            lines.append(f"{_prefix(nick)} QUIT :Quit: {_text(rng)}")
        elif roll < 0.92:
            new = nick + "_"
            present[present.index(nick)] = new
            lines.append(f"{_prefix(nick)} NICK :{new}")
        elif roll < 0.93:
            target = rng.choice(present)
            lines.append(f"{_prefix(nicks[0])} MODE {CHANNEL} {rng.choice(['+o', '-o', '+v', '-v'])} {target}")
        elif roll < 0.932:
            lines.append(f"{_prefix(nicks[0])} TOPIC {CHANNEL} :{_text(rng)}")
        elif roll < 0.933 and len(present) > 50:
            victim = rng.choice(present[1:])
            present.remove(victim)
            lines.append(f"{_prefix(nicks[0])} KICK {CHANNEL} {victim} :{_text(rng)}")
        elif roll < 0.935:
            lines.append(f"PING :{SERVER}")
        else:
            lines.append(f"{_prefix(nick)} PRIVMSG {CHANNEL} :{_text(rng)}")
    return lines


def expectedCounts(lines: list[str]) -> dict[str, int]:
    """What a client's callbacks must report for these lines."""
    counts: Counter[str] = Counter()
    for line in lines:
        words = line.split(" ", 3)
        command = words[1] if line.startswith(":") else words[0]
        if command == "PRIVMSG":
            counts["action" if "\x01ACTION " in line else "privmsg"] += 1
        elif command in ("NOTICE", "JOIN", "PART", "QUIT", "NICK", "MODE", "TOPIC", "KICK", "PING"):
            counts[command] += 1
    return {"lines": len(lines), **dict(sorted(counts.items()))}


def main() -> None:
    rng = random.Random(SEED)
    nicks = _nicks(rng, 120)
    lines = welcome(nicks) + traffic(rng, nicks)
    DATA.mkdir(exist_ok=True)
    TRANSCRIPT.write_bytes("".join(line + "\r\n" for line in lines).encode("utf-8"))
    COUNTS.write_text(json.dumps(expectedCounts(lines), indent=1) + "\n")
    print(f"wrote {TRANSCRIPT} ({TRANSCRIPT.stat().st_size} bytes, {len(lines)} lines)")


if __name__ == "__main__":
    main()
