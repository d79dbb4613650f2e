# examples/deferreds/testing_with_clock.py
from plait import task


def remindLater(clock, seconds, note):
    # Takes the clock as an argument, as plait's own code does: the real
    # reactor in a program, a task.Clock in a test.
    return task.deferLater(clock, seconds, lambda: f"reminder: {note}")


clock = task.Clock()
results = []
remindLater(clock, 3600, "stretch").addCallback(results.append)
clock.advance(3599)
print("after 3599 s:", results)
clock.advance(1)
print("after 3600 s:", results)
