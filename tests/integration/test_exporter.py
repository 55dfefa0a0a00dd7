"""The Prometheus exporter against the running agent, checked by promtool."""

from __future__ import annotations

import re
import shutil
import subprocess
import urllib.request

import pytest

# snmp_exporter names metrics after MIB objects (camelCase, counters without `_total`), so
# promtool's naming lints always fire on them; anything else it reports is a real problem.
NAMING_LINTS = re.compile(
    r"(should be written in 'snake_case' not 'camelCase'|should have \"_total\" suffix)$"
)


def scrape(agent) -> str:
    with urllib.request.urlopen(agent.metrics_url, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return response.read().decode()


def test_promtool_accepts_the_exposition(agent):
    if shutil.which("promtool") is None:
        pytest.skip("needs promtool (make test installs it)")
    text = scrape(agent)
    done = subprocess.run(
        ["promtool", "check", "metrics"], input=text, capture_output=True, text=True, timeout=60
    )
    problems = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        if line.strip() and not NAMING_LINTS.search(line)
    ]
    assert done.returncode in (0, 3) and not problems, problems


def test_binding_count_agrees_with_snmp(agent):
    text = scrape(agent)
    snmp = int(agent.run("snmpget", "-Oqv", "MIP-MIB::haRegMobilityBindingCount.0").strip())
    metric = re.search(r"^haRegMobilityBindingCount (\d+)$", text, re.M)
    assert metric and int(metric.group(1)) == snmp
    rows = re.findall(
        r'^haMobilityBindingTimeRemaining\{haMobilityBindingMN="([\d.]+)",'
        r'haMobilityBindingCOA="([\d.]+)"\} (\d+)$',
        text,
        re.M,
    )
    assert len(rows) == snmp


def test_counters_are_exposed_under_mib_names(agent):
    text = scrape(agent)
    assert "# TYPE haRegistrationAccepted counter" in text
    accepted = int(re.search(r"^haRegistrationAccepted (\d+)$", text, re.M).group(1))
    assert accepted >= 15
    assert "# TYPE faRegVisitorCount gauge" in text
    assert "mipSecKey" not in text and "integration-test-key" not in text
