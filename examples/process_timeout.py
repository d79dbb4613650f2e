"""Stop a child that runs too long: ``signalProcess``, and how a process's end is reported.

Usage: python3 examples/process_timeout.py [TIMEOUT [DURATION]]

Needs nothing running.  Starts ``sleep DURATION`` (default 30 seconds) and
gives it TIMEOUT seconds (default 0.5): if it is still running then, the
protocol sends it SIGTERM with ``transport.signalProcess("TERM")``.
``processEnded`` prints how it ended: ``ProcessDone`` (exit code 0) or
``ProcessTerminated`` (an exit code, or the signal that killed it), then
the program stops.  ``python3 examples/process_timeout.py 5 0.1`` shows a
child that ends in time.
"""

import sys

from plait import reactor
from plait.protocol import ProcessProtocol


class Limited(ProcessProtocol):
    def __init__(self, timeout):
        self.timeout = timeout

    def connectionMade(self):
        print("started", self.transport.pid)
        self.timer = reactor.callLater(self.timeout, self.tooLong)

    def tooLong(self):
        print(f"still running after {self.timeout} s: sending SIGTERM")
        self.transport.signalProcess("TERM")

    def processEnded(self, reason):
        if self.timer.active():
            self.timer.cancel()
        ended = reason.value
        print(f"processEnded: {type(ended).__name__}, exitCode={ended.exitCode}, signal={ended.signal}")
        print(" ", reason.getErrorMessage())
        reactor.stop()


timeout = float(sys.argv[1]) if len(sys.argv) > 1 else 0.5
duration = sys.argv[2] if len(sys.argv) > 2 else "30"
reactor.spawnProcess(Limited(timeout), "sleep", ["sleep", duration])
reactor.run()
