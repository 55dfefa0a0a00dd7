"""Registration over real UDP sockets: scapy-built requests and a foreign capture replayed."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from scapy.all import UDP, rdpcap

from tests.integration.scapy_requests import build, exchange, ntp_id, register_via_scapy

PCAP_NAME = Path("shared/data/pcaps/course-foreign-agent.pcap")


def find_pcap() -> Path:
    """The capture lives in the project's shared folder, beside the checkout (not in git)."""
    for folder in Path(__file__).resolve().parents:
        if (folder / PCAP_NAME).is_file():
            return folder / PCAP_NAME
    pytest.skip(f"{PCAP_NAME} not found beside the checkout")
DEMO_KEY = b"integration-test-key-0123"


def counter(agent, name: str) -> int:
    return int(agent.run("snmpget", "-Oqv", f"MIP-MIB::{name}.0").strip())


def test_scapy_request_to_home_agent_accepted_then_deregistered(agent):
    reply = register_via_scapy(agent.ha, "10.0.0.1", "192.168.1.7", "127.0.0.12", lifetime=100)
    assert (reply.code, reply.lifetime, reply.homeaddr, reply.haaddr) == (
        0,
        100,
        "10.0.0.1",
        "127.0.0.12",
    )
    reply = register_via_scapy(agent.ha, "10.0.0.1", "192.168.1.7", "127.0.0.12", lifetime=0)
    assert reply.code == 0


def test_scapy_request_with_wrong_key_gets_131(agent):
    before = counter(agent, "haMNAuthenticationFailure")
    reply = register_via_scapy(agent.ha, "10.0.0.1", "192.168.1.7", "127.0.0.12", key=b"k" * 16)
    assert reply.code == 131
    assert counter(agent, "haMNAuthenticationFailure") == before + 1


def test_case_m02_over_udp_stale_timestamp_gets_133(agent):
    stale = ntp_id(-60)
    reply = register_via_scapy(
        agent.ha, "10.0.0.1", "192.168.1.7", "127.0.0.12", identification=stale
    )
    assert reply.code == 133
    assert reply.id & 0xFFFFFFFF == stale & 0xFFFFFFFF
    assert abs((reply.id >> 32) - (ntp_id() >> 32)) <= 2


def test_case_m01_over_udp_simultaneous_bindings_code_1(agent):
    reply = register_via_scapy(agent.ha, "10.0.0.1", "192.168.1.8", "127.0.0.12", flags=0x80)
    assert reply.code == 1


def test_scapy_request_through_foreign_agent(agent):
    payload = build("127.1.0.200", "127.0.0.13", "127.0.0.12", lifetime=100, key=DEMO_KEY)
    reply = exchange(agent.fa, payload)
    assert reply is not None and reply.code == 0 and reply.lifetime == 100
    out = agent.run("snmpget", "MIP-MIB::faVisitorHomeAddress.127.0.0.1")
    assert "IpAddress: 127.1.0.200" in out
    too_long = build("127.1.0.201", "127.0.0.13", "127.0.0.12", lifetime=700, key=DEMO_KEY)
    reply = exchange(agent.fa, too_long)
    assert reply is not None and (reply.code, reply.lifetime) == (69, 600)


def test_unauthenticated_request_dropped_silently_and_counted(agent):
    before = counter(agent, "haRegRequestsReceived"), counter(agent, "mipSecTotalViolations")
    assert exchange(agent.ha, build("10.0.0.1", "192.168.1.7", "127.0.0.12", key=None), 1.0) is None
    after = counter(agent, "haRegRequestsReceived"), counter(agent, "mipSecTotalViolations")
    assert after == (before[0] + 1, before[1] + 1)


def test_captured_traffic_replayed_into_both_agents(agent):
    packets = rdpcap(str(find_pcap()))
    packets = [p for p in packets if UDP in p and 434 in (p[UDP].sport, p[UDP].dport)]
    payloads = [bytes(p[UDP].payload) for p in packets]
    requests = sum(1 for p in payloads if p[0] == 1)
    replies = sum(1 for p in payloads if p[0] == 3)
    assert requests == 7 and replies == 7
    names = (
        "haRegRequestsReceived",
        "mipSecTotalViolations",
        "faRegRequestsReceived",
        "faRegRepliesRecieved",
    )
    before = {n: counter(agent, n) for n in names}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(0.5)
        for payload in payloads:
            sock.sendto(payload, agent.ha)
            sock.sendto(payload, agent.fa)
        answers = []
        try:
            while True:
                answers.append(sock.recvfrom(2048)[0])
        except TimeoutError:
            pass
    after = {n: counter(agent, n) for n in names}
    assert after["haRegRequestsReceived"] - before["haRegRequestsReceived"] == requests
    assert after["mipSecTotalViolations"] - before["mipSecTotalViolations"] == requests
    assert after["faRegRequestsReceived"] - before["faRegRequestsReceived"] == requests
    assert after["faRegRepliesRecieved"] - before["faRegRepliesRecieved"] == replies
    # the FA denies the captured requests: their care-of address is not one it offers (77)
    assert len(answers) == requests and {a[1] for a in answers} == {77}
    # still serving
    assert counter(agent, "haRegMobilityBindingCount") >= 15
