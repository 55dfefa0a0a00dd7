"""The MIP-MIB objects of this agent, bound to the core.

Every OID and base type comes from the compiled module (`mipmib.mib.schema`); this file only
says how each object's value is read from the core. `NOT_SERVED` lists the module's objects
this agent does not instantiate, with the reason; a test checks that served + not served
covers the whole module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mipmib.core.advertisement import AdvertisementSettings
from mipmib.core.auth import Algorithm
from mipmib.core.entity import MobilityEntity
from mipmib.core.foreign_agent import FA_COUNTERS, ForeignAgent, Visitor
from mipmib.core.home_agent import HA_COUNTERS, Binding, HomeAgent, NodeCounters
from mipmib.core.security import SecurityAssociation
from mipmib.mib.schema import Schema
from mipmib.mib.settable import register_writers
from mipmib.mib.tree import Column, MibView, Oid, Scalar, Table

TRUE, FALSE = 1, 2
STORAGE_VOLATILE = 2
ID_TYPE_IPADDRESS = 2

NOT_SERVED: dict[str, str] = {
    "mipMN": "the agent process serves the home and foreign agent roles; mobile nodes are "
    "simulated by `mipmib mn`, which has no SNMP agent",
    "mipSecViolatorAddress": "accessible-for-notify: only sent in mipAuthFailure",
}


# ---------------------------------------------------------------- index encodings
def _ip_suffix(value: int) -> Oid:
    return ((value >> 24) & 255, (value >> 16) & 255, (value >> 8) & 255, value & 255)


def _ip_from(suffix: Oid) -> int | None:
    if len(suffix) != 4 or max(suffix) > 255:
        return None
    return (suffix[0] << 24) | (suffix[1] << 16) | (suffix[2] << 8) | suffix[3]


def _encode_ip(key: int) -> Oid:
    return _ip_suffix(key)


def _decode_ip(suffix: Oid) -> int | None:
    return _ip_from(suffix)


def _encode_ip_pair(key: tuple[int, int]) -> Oid:
    return _ip_suffix(key[0]) + _ip_suffix(key[1])


def _decode_ip_pair(suffix: Oid) -> tuple[int, int] | None:
    if len(suffix) != 8:
        return None
    first, second = _ip_from(suffix[:4]), _ip_from(suffix[4:])
    return None if first is None or second is None else (first, second)


def _encode_ip_spi(key: tuple[int, int]) -> Oid:
    return (*_ip_suffix(key[0]), key[1])


def _decode_ip_spi(suffix: Oid) -> tuple[int, int] | None:
    if len(suffix) != 5 or suffix[4] > 0xFFFFFFFF:
        return None
    peer = _ip_from(suffix[:4])
    return None if peer is None else (peer, suffix[4])


# Revision identifiers (MipEntityIdentifierType, MipEntityIdentifier): every identifier this
# agent holds is an IPv4 address, so the index is ipaddress(2), length 4, the four octets.
def _encode_id(key: int) -> Oid:
    return (ID_TYPE_IPADDRESS, 4, *_ip_suffix(key))


def _decode_id(suffix: Oid) -> int | None:
    if len(suffix) != 6 or suffix[0] != ID_TYPE_IPADDRESS or suffix[1] != 4:
        return None
    return _ip_from(suffix[2:])


def _encode_id_spi(key: tuple[int, int]) -> Oid:
    return (*_encode_id(key[0]), key[1])


def _decode_id_spi(suffix: Oid) -> tuple[int, int] | None:
    if len(suffix) != 7 or suffix[6] > 0xFFFFFFFF:
        return None
    peer = _decode_id(suffix[:6])
    return None if peer is None else (peer, suffix[6])


def _encode_if_index(key: int) -> Oid:
    return (key,)


def _decode_if_index(suffix: Oid) -> int | None:
    return suffix[0] if len(suffix) == 1 and 0 < suffix[0] < 2**31 else None


# ---------------------------------------------------------------- value helpers
def truth(flag: bool) -> int:
    return TRUE if flag else FALSE


def signed32(value: int) -> int:
    """An unsigned 32-bit quantity in an Integer32 object (RFC 2006 ID halves, SPI)."""
    value &= 0xFFFFFFFF
    return value - 2**32 if value >= 2**31 else value


def id_high(identification: int) -> int:
    return (identification >> 32) & 0xFFFFFFFF


def id_low(identification: int) -> int:
    return identification & 0xFFFFFFFF


# wire flag mask -> RegistrationFlags BITS position (mip4-02 numbering; see mibs/README.md)
_REG_FLAG_BITS = ((0x80, 5), (0x40, 4), (0x20, 3), (0x10, 2), (0x08, 1), (0x04, 0), (0x02, 6))


def registration_flags(wire: int) -> bytes:
    """Turn a request's flag byte into the one-octet RegistrationFlags BITS value."""
    octet = 0
    for mask, position in _REG_FLAG_BITS:
        if wire & mask:
            octet |= 0x80 >> position
    return bytes([octet])


def ip_bytes(value: int) -> bytes:
    return value.to_bytes(4, "big")


class MibBuilder:
    """Registers scalars and tables by MIB name, taking OIDs and types from the schema."""

    def __init__(self, schema: Schema, view: MibView) -> None:
        self.schema = schema
        self.view = view
        self.served: set[str] = set()

    def scalar(self, name: str, read: Callable[[float], Any]) -> None:
        obj = self.schema.object(name)
        self.view.register(Scalar(obj.oid, obj.base_type, read))
        self.served.add(name)

    def table(
        self,
        entry: str,
        rows: Callable[[], Any],
        encode: Callable[[Any], Oid],
        decode: Callable[[Oid], Any],
        columns: dict[str, Callable[[Any, float], Any]],
    ) -> None:
        entry_obj = self.schema.object(entry)
        cols = []
        for name, read in columns.items():
            obj = self.schema.object(name)
            if obj.oid[:-1] != entry_obj.oid:
                raise ValueError(f"{name} is not a column of {entry}")
            cols.append(Column(obj.oid[-1], obj.base_type, read))
            self.served.add(name)
        self.view.register(Table(entry_obj.oid, cols, rows, encode, decode))
        self.served.add(entry)


def build_view(entity: MobilityEntity, schema: Schema, clock: Callable[[], float]) -> MibView:
    """The MIB view of one entity."""
    view = MibView(clock)
    b = MibBuilder(schema, view)
    _system(b, entity)
    _security(b, entity)
    _advertisement(b, entity)
    if entity.foreign_agent is not None:
        _foreign_agent(b, entity, entity.foreign_agent)
    if entity.home_agent is not None:
        _home_agent(b, entity, entity.home_agent)
    register_writers(view, schema, entity)
    view.served = b.served  # type: ignore[attr-defined]
    return view


# ---------------------------------------------------------------- groups
def _system(b: MibBuilder, entity: MobilityEntity) -> None:
    roles = (0x40 if entity.foreign_agent else 0) | (0x20 if entity.home_agent else 0)
    b.scalar("mipEntities", lambda now: bytes([roles]))
    b.scalar("mipEnable", lambda now: 1 if entity.enabled else 2)
    encaps = entity.home_agent.settings.encapsulations if entity.home_agent else frozenset({"ipip"})
    if entity.foreign_agent is not None:
        encaps = encaps | entity.foreign_agent.settings.encapsulations
    octet = 0x80 | (0x40 if "gre" in encaps else 0) | (0x20 if "minimal" in encaps else 0)
    b.scalar("mipEncapsulationSupported", lambda now: bytes([octet]))


def _algorithm_mode_2006(sa: SecurityAssociation) -> int:
    return 2 if sa.algorithm is Algorithm.PREFIX_SUFFIX_MD5 else 1  # prefixSuffix / other


def _algorithm_mode(sa: SecurityAssociation) -> int:
    return 2 if sa.algorithm is Algorithm.PREFIX_SUFFIX_MD5 else 3  # prefixSuffix / hmac


def _security(b: MibBuilder, entity: MobilityEntity) -> None:
    sas = entity.associations
    violations = entity.violations
    uptime = entity.uptime_ticks
    b.table(
        "mipSecAssocEntry",
        lambda: sas.by_index,
        _encode_ip_spi,
        _decode_ip_spi,
        {
            "mipSecAlgorithmType": lambda sa, now: 2,
            "mipSecAlgorithmMode": lambda sa, now: _algorithm_mode_2006(sa),
            "mipSecKey": lambda sa, now: b"",
            "mipSecReplayMethod": lambda sa, now: int(sa.replay),
        },
    )
    b.scalar("mipSecTotalViolations", lambda now: violations.total)
    b.table(
        "mipSecViolationEntry",
        lambda: violations.by_address,
        _encode_ip,
        _decode_ip,
        {
            "mipSecViolationCounter": lambda v, now: v.count,
            "mipSecRecentViolationSPI": lambda v, now: signed32(v.spi),
            "mipSecRecentViolationTime": lambda v, now: uptime(v.time),
            "mipSecRecentViolationIDLow": lambda v, now: signed32(id_low(v.identification)),
            "mipSecRecentViolationIDHigh": lambda v, now: signed32(id_high(v.identification)),
            "mipSecRecentViolationReason": lambda v, now: int(v.reason),
        },
    )
    b.scalar("mipSecurityAssocsCount", lambda now: len(sas))
    b.table(
        "mipSecurityAssocEntry",
        lambda: sas.by_index,
        _encode_id_spi,
        _decode_id_spi,
        {
            "mipSecurityAlgorithmType": lambda sa, now: 2,
            "mipSecurityAlgorithmMode": lambda sa, now: _algorithm_mode(sa),
            "mipSecurityKey": lambda sa, now: b"",
            "mipSecurityReplayMethod": lambda sa, now: int(sa.replay),
            "mipSecurityReplayTime": lambda sa, now: sa.replay_window,
            "mipSecurityPeerNAI": lambda sa, now: sa.peer_nai,
            "mipSecurityPeerIpAddress": lambda sa, now: sa.peer,
            "mipSecurityStatus": lambda sa, now: sa.status,
            "mipSecurityStorageType": lambda sa, now: sa.storage,
        },
    )
    b.table(
        "mipSecurityViolationEntry",
        lambda: violations.by_address,
        _encode_id,
        _decode_id,
        _violation_columns(uptime),
    )


def _violation_columns(uptime: Callable[[float | None], int]) -> dict:
    return {
        "mipSecurityViolationCounter": lambda v, now: v.count,
        "mipSecurityRecentViolationSPI": lambda v, now: v.spi,
        "mipSecurityRecentViolationTime": lambda v, now: uptime(v.time),
        "mipSecurityRecentViolationIDLow": lambda v, now: id_low(v.identification),
        "mipSecurityRecentViolationIDHigh": lambda v, now: id_high(v.identification),
        "mipSecurityRecentViolationReason": lambda v, now: int(v.reason),
        "mipSecurityViolatorNAI": lambda v, now: b"",
        "mipSecurityViolatorIpAddress": lambda v, now: v.address,
        "mipSecurityRecentViolationErrCode": lambda v, now: v.reply_code,
        "mipSecurityviolationStorageType": lambda v, now: STORAGE_VOLATILE,
    }


def _advertisement(b: MibBuilder, entity: MobilityEntity) -> None:
    common: dict[str, Callable[[AdvertisementSettings, float], Any]] = {
        "MaxRegLifetime": lambda a, now: a.max_reg_lifetime,
        "PrefixLengthInclusion": lambda a, now: truth(a.prefix_length_inclusion),
        "Address": lambda a, now: a.address,
        "MaxInterval": lambda a, now: a.max_interval,
        "MinInterval": lambda a, now: a.min_interval,
        "MaxAdvLifetime": lambda a, now: a.max_adv_lifetime,
        "ResponseSolicitationOnly": lambda a, now: truth(a.response_solicitation_only),
    }
    b.table(
        "maAdvConfigEntry",
        entity.interfaces_by_address,
        _encode_ip,
        _decode_ip,
        {**{f"maAdv{k}": v for k, v in common.items()}, "maAdvStatus": lambda a, now: a.status},
    )
    b.scalar("maAdvertisementsSent", lambda now: 0)
    b.scalar("maAdvsSentForSolicitation", lambda now: 0)
    b.scalar("maSolicitationsReceived", lambda now: 0)
    b.table(
        "maAdvertConfEntry",
        entity.interfaces_by_if_index,
        _encode_if_index,
        _decode_if_index,
        {
            **{f"maAdvert{k}": v for k, v in common.items()},
            "maAdvertService": lambda a, now: bytes([a.service]),
            "maAdvertNetworkNAI": lambda a, now: a.network_nai,
            "maAdvertStatus": lambda a, now: a.status,
            "maAdvertStorageType": lambda a, now: a.storage,
        },
    )
    if entity.foreign_agent is not None:
        b.table(
            "faAdvertConfEntry",
            entity.foreign_agent_interfaces,
            _encode_if_index,
            _decode_if_index,
            {
                "faAdvertIsBusy": lambda a, now: truth(a.busy),
                "faAdvertRegRequired": lambda a, now: truth(a.registration_required),
                "faAdvertChallengeWindow": lambda a, now: a.challenge_window,
            },
        )


def _visitor_columns(prefix: str, signed: bool) -> dict[str, Callable[[Visitor, float], Any]]:
    half = signed32 if signed else (lambda v: v)
    return {
        f"{prefix}HomeAddress": lambda v, now: v.home_address,
        f"{prefix}HomeAgentAddress": lambda v, now: v.home_agent,
        f"{prefix}TimeGranted": lambda v, now: v.lifetime if v.accepted else 0,
        f"{prefix}TimeRemaining": lambda v, now: v.remaining(now),
        f"{prefix}RegFlags": lambda v, now: registration_flags(v.flags),
        f"{prefix}RegIDLow": lambda v, now: half(id_low(v.identification)),
        f"{prefix}RegIDHigh": lambda v, now: half(id_high(v.identification)),
        f"{prefix}RegIsAccepted": lambda v, now: truth(v.accepted),
    }


def _foreign_agent(b: MibBuilder, entity: MobilityEntity, fa: ForeignAgent) -> None:
    b.table(
        "faCOAEntry",
        lambda: fa.settings.care_of_addresses,
        _encode_ip,
        _decode_ip,
        {
            "faCOAStatus": lambda c, now: c.status,
            "faCOAStorageType": lambda c, now: c.storage,
        },
    )
    adv = fa.settings.advertisement
    assert adv is not None
    b.scalar("faIsBusy", lambda now: truth(adv.busy))
    b.scalar("faRegistrationRequired", lambda now: truth(adv.registration_required))
    b.table(
        "faVisitorEntry",
        lambda: fa.by_source,
        _encode_ip,
        _decode_ip,
        {
            "faVisitorIPAddress": lambda v, now: v.source[0],
            **_visitor_columns("faVisitor", signed=True),
        },
    )
    for name in FA_COUNTERS:
        b.scalar(name, lambda now, n=name: fa.counters[n])
    b.scalar("faRegVisitorCount", lambda now: len(fa.visitors))
    b.table(
        "faRegVisitorEntry",
        lambda: fa.visitors,
        _encode_id,
        _decode_id,
        {
            **_visitor_columns("faRegVisitor", signed=False),
            "faRegVisitorDeliveryStyle": lambda v, now: 1,
            "faRegVisitorNAI": lambda v, now: b"",
            "faRegVisitorInPkts": lambda v, now: 0,
            "faRegVisitorInOctets": lambda v, now: 0,
            "faRegVisitorOutPkts": lambda v, now: 0,
            "faRegVisitorOutOctets": lambda v, now: 0,
        },
    )


def _binding_columns(entity: MobilityEntity) -> dict[str, Callable[[Binding, float], Any]]:
    return {
        "haMobilityBindingMN": lambda x, now: x.home_address,
        "haMobilityBindingCOA": lambda x, now: x.care_of_address,
        "haMobilityBindingSourceAddress": lambda x, now: x.source_address,
        "haMobilityBindingRegFlags": lambda x, now: registration_flags(x.flags),
        "haMobilityBindingRegIDLow": lambda x, now: id_low(x.identification),
        "haMobilityBindingRegIDHigh": lambda x, now: id_high(x.identification),
        "haMobilityBindingTimeGranted": lambda x, now: x.lifetime,
        "haMobilityBindingTimeRemaining": lambda x, now: x.remaining(now),
        "haMobilityBindingMnIdType": lambda x, now: ID_TYPE_IPADDRESS,
        "haMobilityBindingMnId": lambda x, now: ip_bytes(x.home_address),
        "haMobilityBindingHA": lambda x, now: x.home_agent,
        "haMobilityBindingNAI": lambda x, now: b"",
        "haMobilityBindingInPkts": lambda x, now: 0,
        "haMobilityBindingInOctets": lambda x, now: 0,
        "haMobilityBindingOutPkts": lambda x, now: 0,
        "haMobilityBindingOutOctets": lambda x, now: 0,
    }


def _denied_code_2006(node: NodeCounters) -> int:
    """haRecentServiceDeniedCode can only hold 128..136; other codes show as 128."""
    code = node.recent_denied_code
    return code if 128 <= code <= 136 or code == 0 else 128


def _home_agent(b: MibBuilder, entity: MobilityEntity, ha: HomeAgent) -> None:
    uptime = entity.uptime_ticks
    b.table(
        "haMobilityBindingEntry",
        lambda: ha.bindings,
        _encode_ip_pair,
        _decode_ip_pair,
        _binding_columns(entity),
    )
    b.table(
        "haCounterEntry",
        lambda: ha.nodes,
        _encode_ip,
        _decode_ip,
        {
            "haServiceRequestsAccepted": lambda n, now: n.accepted,
            "haServiceRequestsDenied": lambda n, now: n.denied,
            "haOverallServiceTime": lambda n, now: n.overall_service_time(now),
            "haRecentServiceAcceptedTime": lambda n, now: uptime(n.recent_accepted),
            "haRecentServiceDeniedTime": lambda n, now: uptime(n.recent_denied),
            "haRecentServiceDeniedCode": lambda n, now: _denied_code_2006(n),
        },
    )
    for name in HA_COUNTERS:
        b.scalar(name, lambda now, n=name: ha.counters[n])
    b.scalar("haRegMobilityBindingCount", lambda now: len(ha.bindings))
    b.table(
        "haRegCounterEntry",
        lambda: ha.nodes,
        _encode_id,
        _decode_id,
        {
            "haRegServiceRequestsAccepted": lambda n, now: n.accepted,
            "haRegServiceRequestsDenied": lambda n, now: n.denied,
            "haRegOverallServiceTime": lambda n, now: n.overall_service_time(now),
            "haRegRecentServiceAcceptedTime": lambda n, now: uptime(n.recent_accepted),
            "haRegRecentServiceDeniedTime": lambda n, now: uptime(n.recent_denied),
            "haRegRecentServiceDeniedCode": lambda n, now: n.recent_denied_code,
        },
    )
