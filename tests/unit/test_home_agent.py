"""Home agent registration processing through the sans-I/O core."""

from __future__ import annotations

from mipmib.core import auth
from mipmib.core import messages as m
from tests.factories import HA_ADDR, KEY, NOW, home_agent, ip, request

SRC = (ip("127.0.0.3"), 5000)


def reply_of(out) -> m.RegistrationReply:
    assert len(out) == 1
    rep = m.decode_reply(out[0].payload)
    mhae = m.find_extension(rep.extensions, m.EXT_MHAE)
    assert mhae is not None and auth.verify_auth_extension(
        rep.raw, mhae, KEY, auth.Algorithm.HMAC_MD5
    )
    return rep


def test_accepts_and_binds():
    ha = home_agent("10.0.0.1")
    rep = reply_of(ha.handle(request(lifetime=300), SRC, NOW))
    assert rep.code == 0 and rep.lifetime == 300 and rep.home_agent == HA_ADDR
    binding = ha.bindings[(ip("10.0.0.1"), ip("127.0.0.3"))]
    assert binding.source_address == SRC[0] and binding.remaining(NOW + 100) == 200
    assert ha.counters["haRegistrationAccepted"] == 1
    assert ha.counters["haRegRequestsReceived"] == 1 and ha.counters["haRegRepliesSent"] == 1


def test_lifetime_capped_and_expiry():
    ha = home_agent("10.0.0.1", max_lifetime=100)
    rep = reply_of(ha.handle(request(lifetime=1000), SRC, NOW))
    assert rep.lifetime == 100
    assert ha.next_deadline() == NOW + 100
    ha.expire(NOW + 99)
    assert len(ha.bindings) == 1
    ha.expire(NOW + 100)
    assert len(ha.bindings) == 0
    assert ha.nodes[ip("10.0.0.1")].overall_service_time(NOW + 500) == 100


def test_case_m01_simultaneous_bindings_not_supported():
    ha = home_agent("10.0.0.1", simultaneous_bindings=False)
    reply_of(ha.handle(request(coa="192.0.2.1"), SRC, NOW))
    rep = reply_of(ha.handle(request(coa="192.0.2.2", flags=m.FLAG_S, now=NOW + 1), SRC, NOW + 1))
    assert rep.code == 1
    assert list(ha.bindings) == [(ip("10.0.0.1"), ip("192.0.2.2"))]
    assert ha.counters["haMultiBindingUnsupported"] == 1


def test_simultaneous_bindings_kept_and_limited():
    ha = home_agent("10.0.0.1", max_bindings_per_node=2)
    for i, coa in enumerate(("192.0.2.1", "192.0.2.2", "192.0.2.3")):
        out = ha.handle(request(coa=coa, flags=m.FLAG_S, now=NOW + i), SRC, NOW + i)
    assert reply_of(out).code == 135
    assert len(ha.bindings) == 2


def test_deregistration_all_and_one():
    ha = home_agent("10.0.0.1")
    for i, coa in enumerate(("192.0.2.1", "192.0.2.2")):
        ha.handle(request(coa=coa, flags=m.FLAG_S, now=NOW + i), SRC, NOW + i)
    reply_of(ha.handle(request(coa="192.0.2.1", lifetime=0, now=NOW + 2), SRC, NOW + 2))
    assert len(ha.bindings) == 1
    rep = reply_of(ha.handle(request(coa="10.0.0.1", lifetime=0, now=NOW + 3), SRC, NOW + 3))
    assert rep.code == 0 and len(ha.bindings) == 0
    assert ha.counters["haDeRegRequestsReceived"] == 2 and ha.counters["haDeRegRepliesSent"] == 2


def test_case_m02_identification_mismatch_helps_resync():
    ha = home_agent("10.0.0.1")
    stale = auth.timestamp_identification(NOW - 60)
    rep = reply_of(ha.handle(request(identification=stale), SRC, NOW))
    assert rep.code == 133
    assert rep.identification >> 32 == auth.ntp_seconds(NOW)
    assert rep.identification & 0xFFFFFFFF == stale & 0xFFFFFFFF
    assert ha.counters["haIDMismatch"] == 1 and ha.violations.total == 1


def test_replayed_request_is_denied():
    ha = home_agent("10.0.0.1")
    payload = request()
    assert reply_of(ha.handle(payload, SRC, NOW)).code == 0
    assert reply_of(ha.handle(payload, SRC, NOW + 1)).code == 133


def test_bad_authenticator_131_and_violation():
    ha = home_agent("10.0.0.1")
    rep = reply_of(ha.handle(request(key=b"x" * 16), SRC, NOW))
    assert rep.code == 131
    violation = ha.violations.by_address[SRC[0]]
    assert violation.reason == 2 and violation.reply_code == 131
    assert ha.nodes[ip("10.0.0.1")].recent_denied_code == 131


def test_unauthenticated_dropped_silently_and_counted():
    ha = home_agent("10.0.0.1")
    assert ha.handle(request(sign=False), SRC, NOW) == []
    assert ha.counters["droppedUnauthenticated"] == 1
    assert ha.counters["haRegRequestsReceived"] == 1
    assert ha.violations.total == 1


def test_unknown_association_denied_131_unsigned():
    ha = home_agent("10.0.0.1")
    out = ha.handle(request(home="10.9.9.9"), SRC, NOW)
    rep = m.decode_reply(out[0].payload)
    assert rep.code == 131 and rep.extensions == []
    assert ha.counters["haMNAuthenticationFailure"] == 1
    assert ha.violations.by_address[SRC[0]].reason == 1  # noMobilitySecurityAssociation
    assert ip("10.9.9.9") not in ha.nodes  # no per-node row for strangers


def test_unknown_home_agent_136():
    ha = home_agent("10.0.0.1")
    rep = reply_of(ha.handle(request(home_agent_addr=ip("127.0.0.9")), SRC, NOW))
    assert rep.code == 136 and rep.home_agent == HA_ADDR


def test_encapsulation_and_reverse_tunnel_denials():
    ha = home_agent("10.0.0.1", reverse_tunnel=False)
    assert reply_of(ha.handle(request(flags=m.FLAG_M), SRC, NOW)).code == 139
    assert reply_of(ha.handle(request(flags=m.FLAG_T, now=NOW + 1), SRC, NOW + 1)).code == 137
    assert ha.counters["haEncapsulationUnavailable"] == 1
    assert ha.counters["haReverseTunnelUnavailable"] == 1


def test_home_address_outside_home_network_129():
    import ipaddress

    ha = home_agent("10.0.0.1", home_network=ipaddress.IPv4Network("10.1.0.0/16"))
    assert reply_of(ha.handle(request(), SRC, NOW)).code == 129


def test_poorly_formed_answered_134_when_sender_known():
    ha = home_agent("10.0.0.1")
    broken = request(sign=False) + bytes([32, 40, 0, 0])  # MHAE length runs past the end
    rep = reply_of(ha.handle(broken, SRC, NOW))
    assert rep.code == 134
    assert ha.handle(b"\x01\x00\x00", SRC, NOW) == []
    assert ha.counters["droppedMalformed"] == 1


def test_disabled_agent_processes_nothing():
    ha = home_agent("10.0.0.1")
    ha.enabled = False
    assert ha.handle(request(), SRC, NOW) == []
    assert ha.counters["haRegRequestsReceived"] == 0
