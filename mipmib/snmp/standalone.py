"""Standalone SNMP agent: pysnmp's engine (v1/v2c, VACM) reading from the MIB view.

pysnmp's own MIB instrumentation walks its object tree per variable; instead we register an
instrumentation controller that answers from `mipmib.mib.tree.MibView` (sorted indexes,
O(log n) per GETNEXT). pysnmp keeps doing message processing, community and VACM checks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from pysnmp.carrier.asyncio.dgram import udp
from pysnmp.entity import config, engine
from pysnmp.entity.rfc3413 import cmdrsp, context
from pysnmp.proto import rfc1902, rfc1905
from pysnmp.proto.api import v2c
from pysnmp.smi import error as smi_error
from pysnmp.smi.instrum import AbstractMibInstrumController

from mipmib.config import SnmpSettings
from mipmib.mib.tree import END_OF_MIB_VIEW, NO_SUCH_INSTANCE, NO_SUCH_OBJECT, MibView, SetError
from mipmib.snmp.access import MIP_MIB, CommunitySources, new_engine
from mipmib.snmp.fastpath import ReadFastPath

log = logging.getLogger(__name__)


MAX_SKIPS = 10_000  # GETNEXT skips over instances outside the caller's view, bounded

_U32 = 0xFFFFFFFF


def _ip(value: int | bytes) -> rfc1902.IpAddress:
    if isinstance(value, int):
        value = value.to_bytes(4, "big")
    return rfc1902.IpAddress(value)


_CONVERT: dict[str, Callable[[Any], Any]] = {
    "Integer32": rfc1902.Integer32,
    "OctetString": rfc1902.OctetString,
    "IpAddress": _ip,
    "Counter32": lambda v: rfc1902.Counter32(v & _U32),
    "Gauge32": lambda v: rfc1902.Gauge32(min(max(v, 0), _U32)),
    "TimeTicks": lambda v: rfc1902.TimeTicks(v & _U32),
    "Unsigned32": lambda v: rfc1902.Unsigned32(v & _U32),
    "ObjectIdentifier": rfc1902.ObjectName,
    "Counter64": rfc1902.Counter64,
}


def to_pysnmp(base_type: str, value: Any) -> Any:
    return _CONVERT[base_type](value)


class ViewInstrumentation(AbstractMibInstrumController):
    """Answers pysnmp's responders from the MIB view."""

    def __init__(self, view: MibView) -> None:
        self.view = view

    @staticmethod
    def _outside_view(name: Any, idx: int, context: dict) -> bool:
        ac = context.get("acFun")
        if ac is None:
            return False
        return bool(ac("read", (name, None), **{**context, "idx": idx}))

    def read_variables(self, *var_binds: Any, **context: Any) -> list:
        now = self.view.clock()
        out = []
        for idx, (name, _) in enumerate(var_binds):
            if self._outside_view(name, idx, context):
                out.append((name, rfc1905.noSuchObject))
                continue
            result = self.view.get(tuple(name), now)
            if result is NO_SUCH_OBJECT:
                out.append((name, rfc1905.noSuchObject))
            elif result is NO_SUCH_INSTANCE:
                out.append((name, rfc1905.noSuchInstance))
            else:
                out.append((name, to_pysnmp(*result)))
        return out

    def read_next_variables(self, *var_binds: Any, **context: Any) -> list:
        now = self.view.clock()
        out = []
        for idx, (name, _) in enumerate(var_binds):
            oid = tuple(name)
            for _ in range(MAX_SKIPS):
                found = self.view.get_next(oid, now)
                if found is END_OF_MIB_VIEW:
                    out.append((name, rfc1905.endOfMibView))
                    break
                oid, value = found  # type: ignore[misc]
                object_name = rfc1902.ObjectName(oid)
                if not self._outside_view(object_name, idx, context):
                    out.append((object_name, to_pysnmp(*value)))
                    break
            else:
                out.append((name, rfc1905.endOfMibView))
        return out


_FROM_TAG: dict[Any, tuple[str, Callable[[Any], Any]]] = {
    rfc1902.Integer32.tagSet: ("Integer32", int),
    rfc1902.OctetString.tagSet: ("OctetString", lambda v: v.asOctets()),
    rfc1902.IpAddress.tagSet: ("IpAddress", lambda v: int.from_bytes(v.asOctets(), "big")),
    rfc1902.Counter32.tagSet: ("Counter32", int),
    rfc1902.Gauge32.tagSet: ("Gauge32", int),
    rfc1902.TimeTicks.tagSet: ("TimeTicks", int),
    rfc1902.Counter64.tagSet: ("Counter64", int),
    rfc1902.ObjectName.tagSet: ("ObjectIdentifier", tuple),
}


def from_pysnmp(value: Any) -> tuple[str, Any]:
    """A decoded SET value in the view's representation; unknown types as ("", None)."""
    found = _FROM_TAG.get(value.tagSet)
    if found is None:
        return "", None
    base_type, convert = found
    return base_type, convert(value)


class ViewSetResponder(cmdrsp.SetCommandResponder):
    """SET through the view's transaction, with the error index RFC 3416 asks for.

    pysnmp's own responder resets the error index to 1 whenever the request has more
    varbinds than the index, so the PDU is answered here instead.
    """

    def __init__(self, snmp_engine: Any, snmp_context: Any, view: MibView) -> None:
        super().__init__(snmp_engine, snmp_context)
        self.view = view

    def handle_management_operation(
        self, snmpEngine: Any, stateReference: Any, contextName: Any, PDU: Any
    ) -> None:
        var_binds = v2c.apiPDU.get_varbinds(PDU)
        status, index = self._apply(snmpEngine, var_binds)
        self.send_varbinds(snmpEngine, stateReference, status, index, var_binds)
        self.release_state_information(stateReference)

    def _apply(self, engine: Any, var_binds: list) -> tuple[str | int, int]:
        requested = []
        for idx, (name, value) in enumerate(var_binds):
            try:
                if self.verify_access("write", (name, value), snmpEngine=engine, idx=idx):
                    return "noAccess", idx + 1
            except smi_error.AuthorizationError:
                return "authorizationError", idx + 1
            requested.append((tuple(name), from_pysnmp(value)))
        try:
            tx = self.view.begin_set(requested)
            tx.commit()
            tx.cleanup()
        except SetError as exc:
            return exc.status, exc.index
        return 0, 0


class FastPathTransport(udp.UdpTransport):
    """pysnmp's UDP transport, with v1/v2c reads answered by the fast path first.

    The fast path only ever answers the read community, and only from the sources that
    community may use; everything else goes on to pysnmp as before.
    """

    def __init__(self, fast_path: ReadFastPath, sources: CommunitySources) -> None:
        super().__init__()
        self.fast_path = fast_path
        self.sources = sources

    def datagram_received(self, datagram: bytes, transportAddress: Any) -> None:
        if self.transport is not None and self.sources.allowed((None, transportAddress)):
            response = self.fast_path.handle(datagram)
            if response is not None:
                self.transport.sendto(response, transportAddress)
                return
        super().datagram_received(datagram, transportAddress)


class StandaloneAgent:
    """A pysnmp engine on one UDP address, serving the MIB view."""

    def __init__(
        self,
        view: MibView,
        snmp: SnmpSettings,
        snmp_engine: engine.SnmpEngine | None = None,
    ) -> None:
        """`snmp_engine` comes from `mipmib.snmp.access.new_engine` (communities, USM users,
        VACM, persistent engine ID and boots); without one, the community alone reads."""
        self.view = view
        self.address = snmp.address
        self.port = snmp.port
        if snmp_engine is None:
            snmp_engine = new_engine(snmp, None)
        self.engine = snmp_engine
        transport = FastPathTransport(
            ReadFastPath(view, {snmp.community.encode(): MIP_MIB}),
            CommunitySources(snmp.community_sources),
        )
        config.add_transport(
            self.engine, udp.DOMAIN_NAME, transport.open_server_mode((self.address, self.port))
        )
        self.context = context.SnmpContext(self.engine)
        # the default context answers from our view instead of pysnmp's own MIB tree
        self.context.unregister_context_name(b"")
        self.context.register_context_name(b"", ViewInstrumentation(view))
        cmdrsp.GetCommandResponder(self.engine, self.context)
        cmdrsp.NextCommandResponder(self.engine, self.context)
        cmdrsp.BulkCommandResponder(self.engine, self.context)
        ViewSetResponder(self.engine, self.context, view)
        log.info("SNMP agent listening on %s:%d", self.address, self.port)

    def close(self) -> None:
        self.engine.close_dispatcher()
