"""Security-violation notifications: mipAuthFailure (RFC 2006) and mipAuthFailure2.

Each violation the core records (`ViolationLog.listeners`) becomes both notifications, with
the OBJECTS the module lists, read through the MIB view at the offender's instance, so a
manager sees exactly what a GET would show. A token bucket limits how many violations per
second are reported. Notifications go as SNMPv2c traps or informs to the configured targets
(standalone mode) and as an agentx-Notify-PDU to the master (subagent mode).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from pyasn1.codec.ber import decoder, encoder
from pyasn1.error import PyAsn1Error
from pysnmp.proto.api import v2c

from mipmib.config import NotificationSettings, TrapTarget
from mipmib.core.security import Violation
from mipmib.mib.schema import Schema
from mipmib.mib.tree import MibView, Oid, Table
from mipmib.snmp.standalone import to_pysnmp

log = logging.getLogger(__name__)

NOTIFICATIONS = ("mipAuthFailure", "mipAuthFailure2")
SYS_UPTIME: Oid = tuple(v2c.apiTrapPDU.sysUpTime)
SNMP_TRAP_OID: Oid = tuple(v2c.apiTrapPDU.snmpTrapOID)

VarBinds = list[tuple[Oid, tuple[str, Any]]]


class ViolationNotifications:
    """Builds the notifications of one violation from the schema and the MIB view."""

    def __init__(self, schema: Schema, view: MibView, names: tuple[str, ...] = NOTIFICATIONS):
        tables = {node.oid: node for node in view.nodes() if isinstance(node, Table)}
        self.view = view
        self._plans: list[tuple[Oid, list[tuple[Oid, Table, str | None]]]] = []
        for name in names:
            objects = []
            for member in schema.object(name).objects:
                obj = schema.object(member)
                entry = schema.object(obj.parent or "")
                table = tables.get(entry.oid)
                if table is None:
                    raise ValueError(f"{name}: {member} is not in a table the view serves")
                # an accessible-for-notify index column is not served: its value is the index
                from_index = obj.base_type if not obj.readable and member in entry.index else None
                if not obj.readable and from_index != "IpAddress":
                    raise ValueError(f"{name}: cannot fill {member}")
                objects.append((obj.oid, table, from_index))
            self._plans.append((schema.oid(name), objects))

    def build(self, violation: Violation, now: float) -> list[tuple[Oid, VarBinds]]:
        """(notification OID, objects) for each notification, values as the view has them."""
        out = []
        for trap_oid, objects in self._plans:
            varbinds: VarBinds = []
            for oid, table, from_index in objects:
                instance = oid + table.encode(violation.address)
                if from_index is not None:
                    varbinds.append((instance, (from_index, violation.address)))
                    continue
                value = self.view.get(instance, now)
                if isinstance(value, tuple):
                    varbinds.append((instance, value))
            out.append((trap_oid, varbinds))
        return out


class RateLimiter:
    """Token bucket: `rate` per second on average, up to `burst` at once."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic):
        self.rate = rate
        self.burst = float(burst)
        self.clock = clock
        self._tokens = float(burst)
        self._last = clock()

    def allow(self) -> bool:
        now = self.clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False


class TrapSender(asyncio.DatagramProtocol):
    """SNMPv2c traps and informs over one UDP socket; informs are retried until answered."""

    def __init__(self) -> None:
        self.transport: asyncio.DatagramTransport | None = None
        self._waiting: dict[int, asyncio.Future] = {}
        self._tasks: set[asyncio.Task] = set()

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.create_datagram_endpoint(lambda: self, local_addr=("0.0.0.0", 0))

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: Any) -> None:
        try:
            message, _ = decoder.decode(data, asn1Spec=v2c.Message())
            pdu = v2c.apiMessage.get_pdu(message)
            request_id = int(v2c.apiPDU.get_request_id(pdu))
        except (PyAsn1Error, ValueError, TypeError):
            return
        future = self._waiting.pop(request_id, None)
        if future is not None and not future.done() and pdu.isSameTypeWith(v2c.ResponsePDU()):
            future.set_result(None)

    def send(self, target: TrapTarget, varbinds: VarBinds) -> None:
        inform = target.kind == "inform"
        pdu = v2c.InformRequestPDU() if inform else v2c.SNMPv2TrapPDU()
        v2c.apiPDU.set_defaults(pdu)
        v2c.apiPDU.set_varbinds(pdu, [(oid, to_pysnmp(*value)) for oid, value in varbinds])
        message = v2c.Message()
        v2c.apiMessage.set_defaults(message)
        v2c.apiMessage.set_community(message, target.community)
        v2c.apiMessage.set_pdu(message, pdu)
        data = encoder.encode(message)
        if not inform:
            self._sendto(data, target)
            return
        task = asyncio.get_running_loop().create_task(
            self._inform(data, int(v2c.apiPDU.get_request_id(pdu)), target)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _sendto(self, data: bytes, target: TrapTarget) -> None:
        if self.transport is not None:
            self.transport.sendto(data, (target.address, target.port))

    async def _inform(self, data: bytes, request_id: int, target: TrapTarget) -> None:
        for _ in range(target.retries + 1):
            future = asyncio.get_running_loop().create_future()
            self._waiting[request_id] = future
            self._sendto(data, target)
            try:
                await asyncio.wait_for(future, target.timeout)
                return
            except TimeoutError:
                continue
            finally:
                self._waiting.pop(request_id, None)
        log.warning("inform to %s:%d not acknowledged", target.address, target.port)

    def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self.transport is not None:
            self.transport.close()


class Notifier:
    """The violation listener: rate limit, build, send to every sink."""

    def __init__(
        self,
        notifications: ViolationNotifications,
        limiter: RateLimiter,
        uptime: Callable[[], int],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.notifications = notifications
        self.limiter = limiter
        self.uptime = uptime
        self.clock = clock
        self.sender: TrapSender | None = None
        self.targets: list[TrapTarget] = []
        self.subagent: Any = None  # a mipmib.snmp.agentx.session.Subagent
        self.sent = 0
        self.suppressed = 0

    def __call__(self, violation: Violation) -> None:
        try:
            self._notify(violation)
        except Exception:  # a notification must never break registration processing
            log.exception("could not send the notifications of a security violation")

    def _notify(self, violation: Violation) -> None:
        if not self.limiter.allow():
            self.suppressed += 1
            log.debug("security violation not notified (rate limit)")
            return
        for trap_oid, objects in self.notifications.build(violation, self.clock()):
            if self.sender is not None and self.targets:
                head = _head(self.uptime(), trap_oid)
                for target in self.targets:
                    self.sender.send(target, head + objects)
            if self.subagent is not None:
                uptime = self.subagent.uptime()
                if uptime is not None:
                    self.subagent.notify(_head(uptime, trap_oid) + objects)
            self.sent += 1

    def close(self) -> None:
        if self.sender is not None:
            self.sender.close()


def _head(uptime: int, trap_oid: Oid) -> VarBinds:
    return [(SYS_UPTIME, ("TimeTicks", uptime)), (SNMP_TRAP_OID, ("ObjectIdentifier", trap_oid))]


async def start_notifier(
    settings: NotificationSettings,
    schema: Schema,
    view: MibView,
    uptime: Callable[[], int],
    standalone: bool,
    subagent: Any = None,
) -> Notifier:
    """A notifier sending to the targets (when the standalone agent runs) and the master."""
    notifier = Notifier(
        ViolationNotifications(schema, view), RateLimiter(settings.rate, settings.burst), uptime
    )
    if standalone and settings.targets:
        notifier.sender = TrapSender()
        await notifier.sender.open()
        notifier.targets = list(settings.targets)
    notifier.subagent = subagent
    return notifier
