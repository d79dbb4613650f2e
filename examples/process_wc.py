"""Using Processes: a ``ProcessProtocol`` that feeds ``wc`` and reads its answer.

Usage: python3 examples/process_wc.py [VERSES]

Twisted's "Using Processes" howto writes a song to ``wc`` through its stdin
and prints every event the protocol sees.  This version does the same and
then, to show the shortcut for "run it and give me the output", asks
``utils.getProcessOutput`` for ``wc --version``'s first line.  Every
callback prints its name, so the order of events is visible: data and
pipe losses in whatever order the child causes them, ``processExited``
when ``wc`` is reaped, ``processEnded`` last.
"""

import sys

from plait import reactor, utils
from plait.protocol import ProcessProtocol

VERSE = b"%d bottles of beer on the wall, %d bottles of beer,\ntake one down, pass it around\n"


class CountingProtocol(ProcessProtocol):
    def __init__(self, verses):
        self.verses = verses
        self.output = b""

    def connectionMade(self):
        print("connectionMade: wc is running as pid", self.transport.pid)
        for n in range(self.verses, 0, -1):
            self.transport.write(VERSE % (n, n))
        self.transport.closeStdin()  # wc counts until end-of-file

    def outReceived(self, data):
        print(f"outReceived: {len(data)} bytes")
        self.output += data

    def errReceived(self, data):
        print("errReceived:", data)

    def inConnectionLost(self):
        print("inConnectionLost: stdin is closed (we did it)")

    def outConnectionLost(self):
        print("outConnectionLost: wc closed its stdout")
        lines, words, chars = self.output.split()
        print(f"wc counted {int(lines)} lines, {int(words)} words, {int(chars)} bytes")

    def errConnectionLost(self):
        print("errConnectionLost: wc closed its stderr")

    def processExited(self, reason):
        print("processExited: exit code", reason.value.exitCode)

    def processEnded(self, reason):
        print("processEnded:", reason.getErrorMessage())
        d = utils.getProcessOutput("wc", ["--version"], env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"})
        d.addCallback(lambda out: print("getProcessOutput: " + out.decode().splitlines()[0]))
        d.addErrback(lambda failure: print("getProcessOutput failed:", failure.getErrorMessage()))
        d.addBoth(lambda _: reactor.stop())


verses = int(sys.argv[1]) if len(sys.argv) > 1 else 10
reactor.spawnProcess(CountingProtocol(verses), "wc", ["wc"], {})
reactor.run()
