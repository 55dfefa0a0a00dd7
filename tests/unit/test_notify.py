"""Notification contents (from the schema and the view), the rate limit, the sinks."""

from __future__ import annotations

from mipmib.core.security import ViolationReason
from mipmib.mib.schema import Schema
from mipmib.snmp.notify import (
    SNMP_TRAP_OID,
    SYS_UPTIME,
    Notifier,
    RateLimiter,
    ViolationNotifications,
)
from tests.unit.test_mib_view import make_view

OFFENDER = 0x0A000001  # 10.0.0.1


def _violation(entity, now: float):
    return entity.violations.record(
        OFFENDER, ViolationReason.BAD_AUTHENTICATOR, now, spi=300, identification=(5 << 32) | 7
    )


def test_objects_are_those_the_module_lists_at_the_offenders_instance():
    schema = Schema.load()
    entity, view = make_view(schema)
    violation = _violation(entity, entity.start_time + 2)
    built = dict(ViolationNotifications(schema, view).build(violation, entity.start_time + 3))
    assert set(built) == {schema.oid("mipAuthFailure"), schema.oid("mipAuthFailure2")}
    for name in ("mipAuthFailure", "mipAuthFailure2"):
        objects = built[schema.oid(name)]
        names = [schema.lookup(oid)[0].name for oid, _ in objects]
        assert names == list(schema.object(name).objects)
    v1 = {schema.lookup(o)[0].name: (o, v) for o, v in built[schema.oid("mipAuthFailure")]}
    assert v1["mipSecViolatorAddress"] == (
        (*schema.oid("mipSecViolatorAddress"), 10, 0, 0, 1),
        ("IpAddress", OFFENDER),
    )
    assert v1["mipSecRecentViolationReason"][1] == ("Integer32", 2)
    v2 = {schema.lookup(o)[0].name: (o, v) for o, v in built[schema.oid("mipAuthFailure2")]}
    oid, value = v2["mipSecurityRecentViolationIDHigh"]
    assert oid == (*schema.oid("mipSecurityRecentViolationIDHigh"), 2, 4, 10, 0, 0, 1)
    assert value == ("Unsigned32", 5)
    assert v2["mipSecurityRecentViolationTime"][1] == ("TimeTicks", 200)
    # every readable object carries what a GET of it returns
    for oid, value in [*built[schema.oid("mipAuthFailure2")], *list(v1.values())[1:]]:
        assert view.get(oid) == value


def test_rate_limiter_bursts_then_keeps_the_rate():
    now = [0.0]
    limiter = RateLimiter(2.0, 3, clock=lambda: now[0])
    assert [limiter.allow() for _ in range(5)] == [True, True, True, False, False]
    now[0] += 0.5  # one token back
    assert [limiter.allow() for _ in range(2)] == [True, False]
    now[0] += 100  # never more than the burst
    assert sum(limiter.allow() for _ in range(10)) == 3


class _Sender:
    def __init__(self) -> None:
        self.sent: list = []

    def send(self, target, varbinds) -> None:
        self.sent.append((target, varbinds))


class _Subagent:
    def __init__(self, uptime) -> None:
        self._uptime = uptime
        self.sent: list = []

    def uptime(self):
        return self._uptime

    def notify(self, varbinds) -> bool:
        self.sent.append(varbinds)
        return True


def test_notifier_sends_to_targets_and_master_within_the_rate():
    schema = Schema.load()
    entity, view = make_view(schema)
    now = [0.0]
    notifier = Notifier(
        ViolationNotifications(schema, view), RateLimiter(1.0, 2, lambda: now[0]), lambda: 777
    )
    notifier.sender, notifier.targets = _Sender(), ["target-a", "target-b"]  # type: ignore[list-item]
    notifier.subagent = _Subagent(12345)
    entity.violations.listeners.append(notifier)
    for _ in range(5):
        _violation(entity, entity.start_time + 1)
    assert notifier.sent == 4 and notifier.suppressed == 3  # two violations, two notifications
    assert len(notifier.sender.sent) == 8 and len(notifier.subagent.sent) == 4
    target, varbinds = notifier.sender.sent[0]
    assert target == "target-a"
    assert varbinds[0] == (SYS_UPTIME, ("TimeTicks", 777))
    assert varbinds[1] == (SNMP_TRAP_OID, ("ObjectIdentifier", schema.oid("mipAuthFailure")))
    assert notifier.subagent.sent[1][0] == (SYS_UPTIME, ("TimeTicks", 12345))
    assert notifier.subagent.sent[1][1][1][1] == schema.oid("mipAuthFailure2")
    # without a session to the master, only the targets get it; errors never reach the core
    notifier.subagent = _Subagent(None)
    notifier.sender = None
    now[0] += 10
    _violation(entity, entity.start_time + 1)
    assert notifier.subagent.sent == []
    notifier.notifications = None  # type: ignore[assignment]
    now[0] += 10
    _violation(entity, entity.start_time + 1)  # logged, not raised
