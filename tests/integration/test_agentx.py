"""mipmib as an AgentX subagent of a real net-snmp snmpd (cases X01, X02, X03).

One `mipmib run` serves both front ends over one core: the standalone agent and, through
snmpd, the subagent. What a manager reads or writes must not depend on which one it asks.
"""

from __future__ import annotations

import dataclasses
import time

import pytest

from mipmib.mib.schema import Schema
from tests.integration.conftest import Agent, start_agent, stop_agent, wait_for_bindings
from tests.integration.netsnmp import ADMIN, ADMIN_TOML, Snmpd

SNMPD = "127.0.0.1:11661"
SNMP_PORT, METRICS_PORT = 11663, 19463
HA, FA = "127.0.0.42", "127.0.0.43"
MIP = "1.3.6.1.2.1.44"
MIP_ENABLE = f"{MIP}.1.1.2.0"
DEMO_MNS = 5


@pytest.fixture(scope="module")
def master(tmp_path_factory):
    snmpd = Snmpd(tmp_path_factory.mktemp("snmpd"), SNMPD)
    snmpd.start()
    yield snmpd
    snmpd.stop()


@pytest.fixture(scope="module")
def both(master, tmp_path_factory):
    """(standalone, through snmpd): two ways into one `mipmib run --agentx`."""
    agent = start_agent(
        tmp_path_factory.mktemp("agentx"),
        DEMO_MNS,
        SNMP_PORT,
        METRICS_PORT,
        ha=HA,
        fa=FA,
        extra_config=ADMIN_TOML,
        args=("--agentx", master.agentx),
    )
    via_master = dataclasses.replace(agent, snmp=SNMPD)
    try:
        wait_for_bindings(agent, DEMO_MNS)
        wait_registered(via_master)
        yield agent, via_master
    finally:
        stop_agent(agent)


def wait_registered(agent: Agent, timeout: float = 10.0) -> float:
    """Seconds until a GET through the master reaches the subagent."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        quick = ("-t", "0.3", "-r", "0")
        out = agent.run("snmpget", MIP_ENABLE, mib=False, options=quick, check=False)
        if "INTEGER: 1" in out:
            return time.monotonic() - start
        time.sleep(0.05)
    raise AssertionError(f"the subagent did not answer through snmpd:\n{agent.log.read_text()}")


def walk(agent: Agent) -> list[tuple[str, str]]:
    out = agent.run("snmpbulkwalk", MIP, mib=False, options=("-On", "-Cr25"))
    rows = [tuple(line.split(" = ", 1)) for line in out.splitlines()]
    # Past the last object of its view, the standalone agent answers endOfMibView inside
    # mib-2.44, which net-snmp's walk prints; snmpd has more MIB after it and stops quietly.
    while rows and rows[-1][1].startswith("No more variables left"):
        rows.pop()
    return rows  # type: ignore[return-value]


def _ticking() -> tuple[str, ...]:
    """Columns whose values move with the clock: seconds remaining, seconds of service."""
    names = ("TimeRemaining", "ServiceTime")
    schema = Schema.load()
    oids = [o.oid for o in schema.objects() if o.kind == "column" and o.name.endswith(names)]
    return tuple("." + ".".join(map(str, oid)) + "." for oid in oids)


def same_walk(before: list, through: list, after: list) -> None:
    """`through` equals the walks taken just before and after it, ticking values in between."""
    assert [o for o, _ in through] == [o for o, _ in before] == [o for o, _ in after]
    ticking = _ticking()
    for (oid, value), (_, first), (_, last) in zip(through, before, after, strict=True):
        if oid.startswith(ticking):
            low, high = sorted(int(v.split(": ")[1]) for v in (first, last))
            assert low <= int(value.split(": ")[1]) <= high, (oid, first, value, last)
        else:
            assert value == first == last, (oid, first, value, last)


def test_walk_through_snmpd_prints_the_same_lines_as_the_standalone_agent(both):
    standalone, via_master = both
    before = walk(standalone)
    through = walk(via_master)
    after = walk(standalone)
    same_walk(before, through, after)
    bindings = [o for o, _ in through if o.startswith(f".{MIP}.1.6.3.1.1.")]
    assert len(bindings) == 16 * DEMO_MNS


def test_case_x02_ipaddress_values_through_the_master(both):
    _, via_master = both
    out = via_master.run("snmpbulkwalk", "MIP-MIB::haMobilityBindingTable", options=("-Cr25",))
    coa = [line for line in out.splitlines() if "haMobilityBindingCOA." in line]
    assert len(coa) == DEMO_MNS
    assert all(line.endswith(f"= IpAddress: {FA}") for line in coa), coa
    assert f"MIP-MIB::haMobilityBindingSourceAddress.127.1.0.1.{FA} = IpAddress: {FA}" in out
    assert f"MIP-MIB::haMobilityBindingHA.127.1.0.1.{FA} = IpAddress: {HA}" in out


SETS = [
    # S05: two varbinds, the second read-only: nothing changes, error index 2
    (MIP_ENABLE, "i", "2", f"{MIP}.1.6.3.3.0", "u", "5"),
    # S03: no such object, and a read-only one
    (f"{MIP}.1.1.9.0", "i", "1"),
    (f"{MIP}.1.6.3.3.0", "u", "5"),
    # a value out of range, a value of the wrong type
    (MIP_ENABLE, "i", "7"),
    (MIP_ENABLE, "s", "x"),
]


@pytest.mark.parametrize("request_", SETS, ids=["atomic", "absent", "read-only", "range", "type"])
def test_sets_through_snmpd_fail_as_in_the_standalone_agent(both, request_):
    standalone, via_master = both
    direct = standalone.run("snmpset", *request_, mib=False, options=(*ADMIN, "-On"), check=False)
    through = via_master.run("snmpset", *request_, mib=False, options=(*ADMIN, "-On"), check=False)
    assert "Error in packet" in direct
    assert through == direct
    assert read_enable(standalone) == "1"


def test_sets_through_snmpd_change_the_one_core(both):
    standalone, via_master = both
    admin = (*ADMIN, "-Oqv")
    try:
        assert via_master.run("snmpset", MIP_ENABLE, "i", "2", mib=False, options=admin) == "2\n"
        assert read_enable(standalone) == "2"
        assert standalone.run("snmpset", MIP_ENABLE, "i", "1", mib=False, options=admin) == "1\n"
        assert read_enable(via_master) == "1"
    finally:
        standalone.run("snmpset", MIP_ENABLE, "i", "1", mib=False, options=admin)


def read_enable(agent: Agent) -> str:
    return agent.run("snmpget", MIP_ENABLE, mib=False, options=("-Oqv",)).strip()


def test_case_x03_a_set_answers_within_agentx_timeout_1(both, master):
    _, via_master = both
    assert "agentXTimeout 1" in master.conf.read_text()
    for value in ("2", "1", "7"):  # two changes of the core, one refused
        start = time.monotonic()
        out = via_master.run(
            "snmpset", MIP_ENABLE, "i", value, mib=False, options=ADMIN, check=False
        )
        elapsed = time.monotonic() - start
        assert "Timeout" not in out and elapsed < 1.0, (out, elapsed)
        assert ("wrongValue" in out) == (value == "7"), out


def test_case_x01_snmpd_restarts_and_the_subagent_comes_back(both, master):
    standalone, via_master = both
    pid = standalone.process.pid
    before = walk(standalone)
    master.stop()
    time.sleep(0.5)  # snmpd is away for a while: the subagent keeps retrying
    started = time.monotonic()
    master.start()
    answering = time.monotonic() - started
    seconds = answering + wait_registered(via_master)
    print(f"\nX01: after snmpd's start: it answers in {answering:.2f} s, ", end="")
    print(f"the subagent's objects in {seconds:.2f} s")
    assert seconds < 5
    same_walk(before, walk(via_master), walk(standalone))
    assert standalone.process.poll() is None and standalone.process.pid == pid
    log = standalone.log.read_text()
    assert "lost the master" in log and log.count("registered 1.3.6.1.2.1.44") == 2
