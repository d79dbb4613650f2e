"""The trace's HTML view, opened in a real headless Chromium (Selenium).

One run of ``python -m plait.trace --format json -o trace.jsonl --html
page.html`` on the howto's Greeter (a connection, timers, a Deferred, a
thread call, triggers) writes both files; the page's own script must draw
exactly what the JSON says: one row per lane, each lane's events counted per
kind, one column per poll plus the start.  Needs the Debian packages
``chromium`` and ``chromium-driver`` (``.ci/run`` installs them) and
``selenium`` (the ``[test]`` extra); without them the test fails, saying so.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_examples import Server
from tests.integration.test_trace_real import _trace

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

PROGRAM = """\
import sys
from plait import reactor
from plait.endpoints import TCP4ClientEndpoint, connectProtocol
from plait.protocol import Protocol
from plait.threads import deferToThread


class Greeter(Protocol):
    def dataReceived(self, data):
        deferToThread(len, data).addCallback(print)

    def connectionLost(self, reason):
        reactor.stop()


def gotProtocol(p):
    p.transport.write(b"MESSAGE hi\\n")
    reactor.callLater(0.2, p.transport.loseConnection)


d = connectProtocol(TCP4ClientEndpoint(reactor, "127.0.0.1", int(sys.argv[1])), Greeter())
d.addCallback(gotProtocol)
reactor.run()
"""


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail("selenium is missing: pip install -e '.[test]'")
    for path in (CHROMIUM, CHROMEDRIVER):
        if shutil.which(path) is None:
            pytest.fail(f"{path} is missing: apt-get install chromium chromium-driver (see .ci/run)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def test_pageDrawsWhatTheJSONTraceSays(server: Server, tmp_path: Path, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    program = tmp_path / "greeter_threads.py"
    program.write_text(PROGRAM)
    jsonPath, pagePath = tmp_path / "trace.jsonl", tmp_path / "page.html"
    result = _trace("--format", "json", "-o", str(jsonPath), "--html", str(pagePath), str(program), server.port)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in jsonPath.read_text().splitlines()]
    events = [r for r in records if r["kind"] != "lane"]
    perLane = Counter(r["lane"] for r in events)
    perLaneKind = Counter((r["lane"], r["kind"]) for r in events)
    polls = sum(1 for r in events if r["kind"] == "poll")
    assert {"poll", "reactor", "threads", "conn 1"} <= set(perLane) and polls >= 2

    browser.get(pagePath.as_uri())
    WebDriverWait(browser, 20).until(
        lambda b: b.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true"
    )
    # No network: everything the page needs is inline.
    assert browser.execute_script(
        "return document.querySelectorAll('script[src], link[href], img[src]').length"
    ) == 0

    rows = browser.find_elements(By.CSS_SELECTOR, "#timeline tr.lane")
    lanes = [row.get_attribute("data-lane") for row in rows]
    assert sorted(lanes) == sorted(perLane)
    assert lanes[0] == "poll"  # the time axis comes first
    for row in rows:
        lane = row.get_attribute("data-lane")
        chips = row.find_elements(By.CSS_SELECTOR, ".ev")
        assert len(chips) == perLane[lane], lane
        assert len(row.find_elements(By.TAG_NAME, "td")) == polls + 1, lane
        kinds = Counter(chip.get_attribute("data-kind") for chip in chips)
        assert kinds == Counter({k: n for (ln, k), n in perLaneKind.items() if ln == lane}), lane
    labels = {r["lane"]: r["label"] for r in records if r["kind"] == "lane"}
    conn = browser.find_element(By.CSS_SELECTOR, '#timeline tr.lane[data-lane="conn 1"] th')
    assert labels["conn 1"] in conn.text and "Greeter" in conn.text

    # The summary table counts the same events.
    for lane, total in perLane.items():
        cell = browser.find_element(By.CSS_SELECTOR, f'#summary tr[data-lane="{lane}"] td.total')
        assert int(cell.text) == total

    # Each chip is one record, by sequence number.
    seqs = browser.execute_script(
        "return Array.from(document.querySelectorAll('#timeline .ev')).map(e => +e.dataset.seq)"
    )
    assert sorted(seqs) == sorted(r["seq"] for r in events)

    # Unticking a kind hides its events.
    browser.find_element(By.CSS_SELECTOR, '#filters input[data-kind="timer"]').click()
    hidden = browser.execute_script("return document.querySelectorAll('#timeline .ev.k-timer.hidden').length")
    assert hidden == sum(1 for r in events if r["kind"] == "timer") > 0
    errors = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
    assert errors == []
