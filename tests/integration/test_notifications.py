"""Security violations become mipAuthFailure and mipAuthFailure2 at a real snmptrapd.

Standalone mode: mipmib sends SNMPv2c traps and informs itself. Subagent mode: mipmib sends
an agentx-Notify-PDU and snmpd forwards it to its trap2sink.
"""

from __future__ import annotations

import socket
import subprocess
import time

import pytest

from mipmib.mib.schema import Schema
from tests.integration.conftest import start_agent, stop_agent
from tests.integration.netsnmp import Snmpd, Trapd
from tests.integration.scapy_requests import build

TRAPD_PORT = 11662
TRAPD = f"127.0.0.1:{TRAPD_PORT}"
SNMPD = "127.0.0.1:11664"
SYS_UPTIME, TRAP_OID = ".1.3.6.1.2.1.1.3.0", ".1.3.6.1.6.3.1.1.4.1.0"


def oid(name: str, *instance: int) -> str:
    return "." + ".".join(map(str, (*Schema.load().oid(name), *instance)))


AUTH_FAILURE, AUTH_FAILURE2 = oid("mipAuthFailure"), oid("mipAuthFailure2")


@pytest.fixture(scope="module")
def trapd(tmp_path_factory):
    receiver = Trapd(tmp_path_factory.mktemp("snmptrapd"), TRAPD)
    receiver.start()
    yield receiver
    receiver.stop()


def send_unauthenticated(home_agent: tuple[str, int], source: str) -> None:
    """A Registration Request with no authentication extension: a security violation."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((source, 0))
        sock.sendto(build("10.0.0.1", "192.168.1.2", home_agent[0], key=None), home_agent)


def from_offender(trapd: Trapd, trap_oid: str, offender: str, count: int) -> list:
    """The notifications of type `trap_oid` about `offender`, once there are `count`."""
    marker = f"IpAddress: {offender}"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = [n for n in trapd.notifications() if n.trap_oid == trap_oid]
        found = [n for n in found if marker in n.varbinds.values()]
        if len(found) >= count:
            return found
        time.sleep(0.05)
    raise AssertionError(f"{count} x {trap_oid} about {offender}:\n{trapd.log.read_text()}")


def check_contents(note, offender: str) -> None:
    """sysUpTime.0 and snmpTrapOID.0 first, then the objects the module lists."""
    a, b, c, d = map(int, offender.split("."))
    names = list(note.varbinds)
    assert names[:2] == [SYS_UPTIME, TRAP_OID]
    if note.trap_oid == AUTH_FAILURE:
        assert note.varbinds[oid("mipSecViolatorAddress", a, b, c, d)] == f"IpAddress: {offender}"
        assert note.varbinds[oid("mipSecRecentViolationReason", a, b, c, d)] == "INTEGER: 5"
        assert len(names) == 2 + len(Schema.load().object("mipAuthFailure").objects)
    else:
        index = (2, 4, a, b, c, d)
        address = oid("mipSecurityViolatorIpAddress", *index)
        assert note.varbinds[address] == f"IpAddress: {offender}"
        assert note.varbinds[oid("mipSecurityRecentViolationReason", *index)] == "INTEGER: 5"
        assert note.varbinds[oid("mipSecurityViolationCounter", *index)].startswith("Counter32: ")
        assert len(names) == 2 + len(Schema.load().object("mipAuthFailure2").objects)


TARGETS = f"""
[notifications]
rate = 0.2
burst = 2
[[notifications.targets]]
address = "127.0.0.1"
port = {TRAPD_PORT}
community = "mipmib-trap"
[[notifications.targets]]
address = "127.0.0.1"
port = {TRAPD_PORT}
community = "mipmib-inform"
kind = "inform"
"""


def test_standalone_mode_sends_traps_and_informs_within_the_rate(trapd, tmp_path):
    offender = "127.0.0.66"
    agent = start_agent(
        tmp_path, 0, 11665, 19465, ha="127.0.0.62", fa="127.0.0.63", extra_config=TARGETS
    )
    try:
        for _ in range(5):
            send_unauthenticated(agent.ha, offender)
        # burst 2: two of the five violations are reported, to each target, both ways
        second = from_offender(trapd, AUTH_FAILURE2, offender, 4)
        first = from_offender(trapd, AUTH_FAILURE, offender, 4)
        time.sleep(0.5)  # the next token is 5 s away: nothing more may come
        assert len(from_offender(trapd, AUTH_FAILURE2, offender, 4)) == 4
        for notes in (first, second):
            headers = sorted(n.header for n in notes)
            assert (
                headers
                == ["INFORM, SNMP v2c, community mipmib-inform"] * 2
                + ["TRAP2, SNMP v2c, community mipmib-trap"] * 2
            )  # and each inform once: acknowledged, not retried
            for note in notes:
                check_contents(note, offender)
        counters = sorted(
            n.varbinds[oid("mipSecurityViolationCounter", 2, 4, 127, 0, 0, 66)] for n in second
        )
        assert counters == ["Counter32: 1"] * 2 + ["Counter32: 2"] * 2
        assert "not acknowledged" not in agent.log.read_text()
    finally:
        stop_agent(agent)


def test_subagent_mode_notifies_through_snmpd(trapd, tmp_path_factory):
    offender = "127.0.0.76"
    master = Snmpd(tmp_path_factory.mktemp("snmpd-notify"), SNMPD, trap_sink=TRAPD)
    master.start()
    try:
        agent = start_agent(
            tmp_path_factory.mktemp("subagent"),
            0,
            11667,
            19467,
            ha="127.0.0.72",
            fa="127.0.0.73",
            extra_config=TARGETS,  # targets belong to the standalone agent: unused here
            args=("--agentx", master.agentx, "--no-standalone"),
            snmp=SNMPD,
        )
        try:
            send_unauthenticated(agent.ha, offender)
            for trap_oid in (AUTH_FAILURE, AUTH_FAILURE2):
                (note,) = from_offender(trapd, trap_oid, offender, 1)
                assert note.header == "TRAP2, SNMP v2c, community public"  # sent by snmpd
                check_contents(note, offender)
            no_standalone = subprocess.run(
                [
                    "snmpget",
                    "-v2c",
                    "-c",
                    "public",
                    "-t",
                    "0.3",
                    "-r",
                    "0",
                    "127.0.0.1:11667",
                    "1.3.6.1.2.1.44.1.1.2.0",
                ],
                capture_output=True,
                text=True,
            )
            assert "Timeout" in no_standalone.stderr
        finally:
            stop_agent(agent)
    finally:
        master.stop()
