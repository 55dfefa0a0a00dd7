"""Foreign agent and mobile node through the sans-I/O core, wired back to back."""

from __future__ import annotations

from mipmib.core import messages as m
from mipmib.core.common import Datagram
from mipmib.core.mobile_node import MobileNode, MobileNodeSettings, MobileNodeState
from tests.factories import FA_ADDR, HA_ADDR, KEY, NOW, SPI, foreign_agent, home_agent, ip, request

MN_SRC = (ip("10.0.0.1"), 40000)
HA_PORT = 4434


class Link:
    """Delivers datagrams between one MN, one FA and one HA, synchronously."""

    def __init__(self, fa, ha, node):
        self.fa, self.ha, self.node = fa, ha, node

    def deliver(self, out: list[Datagram], now: float, source=None) -> None:
        for d in out:
            if d.destination == (FA_ADDR, 4434):
                self.deliver(self.fa.handle(d.payload, source or MN_SRC, now), now, (FA_ADDR, 4434))
            elif d.destination == (HA_ADDR, HA_PORT):
                self.deliver(
                    self.ha.handle(d.payload, (FA_ADDR, 4434), now), now, (HA_ADDR, HA_PORT)
                )
            elif d.destination == MN_SRC:
                self.deliver(self.node.handle(d.payload, now), now)


def make(max_lifetime=600, node_lifetime=300):
    fa = foreign_agent(max_lifetime=max_lifetime)
    ha = home_agent("10.0.0.1")
    node = MobileNode(
        MobileNodeSettings(
            home_address=ip("10.0.0.1"),
            home_agent=HA_ADDR,
            care_of_address=FA_ADDR,
            agent=(FA_ADDR, 4434),
            spi=SPI,
            key=KEY,
            lifetime=node_lifetime,
        )
    )
    return fa, ha, node, Link(fa, ha, node)


def test_registration_through_fa():
    fa, ha, node, link = make()
    link.deliver(node.start(NOW), NOW)
    assert node.state == MobileNodeState.REGISTERED and node.granted == 300
    visitor = fa.visitors[ip("10.0.0.1")]
    assert visitor.accepted and visitor.remaining(NOW + 10) == 290
    assert fa.by_source[MN_SRC[0]] is visitor
    assert (ip("10.0.0.1"), FA_ADDR) in ha.bindings
    assert ha.bindings[(ip("10.0.0.1"), FA_ADDR)].source_address == FA_ADDR
    c = fa.counters
    assert (
        c["faRegRequestsReceived"],
        c["faRegRequestsRelayed"],
        c["faRegRepliesRecieved"],
        c["faRegRepliesRelayed"],
    ) == (1, 1, 1, 1)


def test_lifetime_too_long_69_then_retry_with_fa_maximum():
    fa, _ha, node, link = make(max_lifetime=100, node_lifetime=300)
    link.deliver(node.start(NOW), NOW)
    assert fa.counters["faRegLifetimeTooLong"] == 1
    assert node.state == MobileNodeState.REGISTERED and node.granted == 100


def test_fa_denial_copies_fields_and_puts_maximum_in_69():
    fa = foreign_agent(max_lifetime=100)
    out = fa.handle(request(lifetime=500), MN_SRC, NOW)
    rep = m.decode_reply(out[0].payload)
    assert out[0].destination == MN_SRC
    assert (rep.code, rep.lifetime, rep.home_address) == (69, 100, ip("10.0.0.1"))


def test_invalid_care_of_77_and_encapsulation_72():
    fa = foreign_agent()
    assert m.decode_reply(fa.handle(request(coa="192.0.2.99"), MN_SRC, NOW)[0].payload).code == 77
    out = fa.handle(request(flags=m.FLAG_M, now=NOW + 1), MN_SRC, NOW + 1)
    assert m.decode_reply(out[0].payload).code == 72
    assert fa.counters["faEncapsulationUnavailable"] == 1


def test_poorly_formed_request_70():
    fa = foreign_agent()
    broken = request(sign=False) + bytes([32, 40, 0])
    assert m.decode_reply(fa.handle(broken, MN_SRC, NOW)[0].payload).code == 70
    assert fa.counters["faPoorlyFormedRequests"] == 1


def test_home_agent_silent_then_88_after_timeout():
    fa = foreign_agent()
    out = fa.handle(request(), MN_SRC, NOW)
    assert out[0].destination == (HA_ADDR, 4434)
    assert not fa.visitors[ip("10.0.0.1")].accepted
    assert fa.expire(NOW + 6) == []
    out = fa.expire(NOW + 7)
    assert m.decode_reply(out[0].payload).code == 88
    assert fa.counters["faHAUnreachable"] == 1 and not fa.visitors


def test_case_m03_time_remaining_counts_down():
    fa, ha, node, link = make()
    link.deliver(node.start(NOW), NOW)
    visitor = fa.visitors[ip("10.0.0.1")]
    binding = ha.bindings[(ip("10.0.0.1"), FA_ADDR)]
    previous = None
    for t in (NOW, NOW + 1, NOW + 2, NOW + 299, NOW + 300, NOW + 400):
        for item, granted in ((visitor, visitor.lifetime), (binding, binding.lifetime)):
            left = item.remaining(t)
            assert 0 <= left <= granted
        if previous is not None and t < NOW + 300:
            assert binding.remaining(t) < previous
        previous = binding.remaining(t)


def test_node_renews_before_expiry_and_deregisters():
    fa, ha, node, link = make()
    link.deliver(node.start(NOW), NOW)
    assert node.deadline == NOW + 300 * 0.75
    link.deliver(node.on_timer(NOW + 226), NOW + 226)
    assert node.state == MobileNodeState.REGISTERED
    assert ha.bindings[(ip("10.0.0.1"), FA_ADDR)].remaining(NOW + 300) > 0
    link.deliver(node.stop(NOW + 230), NOW + 230)
    assert not ha.bindings and not fa.visitors and node.state == MobileNodeState.HOME


def test_node_resynchronises_after_133():
    _fa, ha, node, link = make()
    node.clock_offset = -60  # the node's clock is a minute slow
    link.deliver(node.start(NOW), NOW)
    assert ha.counters["haIDMismatch"] == 1
    assert node.state == MobileNodeState.REGISTERED


def test_visitor_row_moves_with_its_source_address():
    fa, ha, node, link = make()
    link.deliver(node.start(NOW), NOW)
    assert set(fa.by_source) == {MN_SRC[0]}
    new_source = (ip("10.0.0.99"), 40001)

    def from_new_source(payload: bytes, now: float) -> None:
        relayed = fa.handle(payload, new_source, now)
        for reply in ha.handle(relayed[0].payload, (FA_ADDR, 4434), now):
            fa.handle(reply.payload, (HA_ADDR, HA_PORT), now)

    from_new_source(node.start(NOW + 1)[0].payload, NOW + 1)
    assert set(fa.by_source) == {new_source[0]}
    from_new_source(node.stop(NOW + 2)[0].payload, NOW + 2)
    assert not fa.by_source and not fa.visitors
