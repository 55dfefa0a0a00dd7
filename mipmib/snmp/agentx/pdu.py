"""AgentX (RFC 2741) protocol numbers and the PDUs as plain values.

The codec (`mipmib.snmp.agentx.codec`) turns these into bytes and back. Values inside
varbinds keep their wire meaning: integers for the numeric types, bytes for OCTET STRING,
Opaque and IpAddress (4 octets, network order), a tuple of sub-ids for OBJECT IDENTIFIER and
None for NULL and the three SNMPv2 exceptions.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, NamedTuple

Oid = tuple[int, ...]

VERSION = 1
HEADER_SIZE = 20
MAX_SUBIDS = 128  # RFC 2741 5.1: an OID in a PDU has at most 128 sub-identifiers


class PduType(enum.IntEnum):
    OPEN = 1
    CLOSE = 2
    REGISTER = 3
    UNREGISTER = 4
    GET = 5
    GET_NEXT = 6
    GET_BULK = 7
    TEST_SET = 8
    COMMIT_SET = 9
    UNDO_SET = 10
    CLEANUP_SET = 11
    NOTIFY = 12
    PING = 13
    INDEX_ALLOCATE = 14
    INDEX_DEALLOCATE = 15
    ADD_AGENT_CAPS = 16
    REMOVE_AGENT_CAPS = 17
    RESPONSE = 18


class Flag(enum.IntFlag):
    INSTANCE_REGISTRATION = 0x01
    NEW_INDEX = 0x02
    ANY_INDEX = 0x04
    NON_DEFAULT_CONTEXT = 0x08
    NETWORK_BYTE_ORDER = 0x10


class ValueType(enum.IntEnum):
    INTEGER = 2
    OCTET_STRING = 4
    NULL = 5
    OBJECT_IDENTIFIER = 6
    IP_ADDRESS = 64
    COUNTER32 = 65
    GAUGE32 = 66
    TIME_TICKS = 67
    OPAQUE = 68
    COUNTER64 = 70
    NO_SUCH_OBJECT = 128
    NO_SUCH_INSTANCE = 129
    END_OF_MIB_VIEW = 130


class CloseReason(enum.IntEnum):
    OTHER = 1
    PARSE_ERROR = 2
    PROTOCOL_ERROR = 3
    TIMEOUTS = 4
    SHUTDOWN = 5
    BY_MANAGER = 6


class Error(enum.IntEnum):
    """res.error values that are AgentX's own (the SNMP ones are in `SNMP_ERRORS`)."""

    NO_ERROR = 0
    OPEN_FAILED = 256
    NOT_OPEN = 257
    INDEX_WRONG_TYPE = 258
    INDEX_ALREADY_ALLOCATED = 259
    INDEX_NONE_AVAILABLE = 260
    INDEX_NOT_ALLOCATED = 261
    UNSUPPORTED_CONTEXT = 262
    DUPLICATE_REGISTRATION = 263
    UNKNOWN_REGISTRATION = 264
    UNKNOWN_AGENT_CAPS = 265
    PARSE_ERROR = 266
    REQUEST_DENIED = 267
    PROCESSING_ERROR = 268


# SNMP error-status values a Response may carry, by their RFC 3416 names.
SNMP_ERRORS: dict[str, int] = {
    "tooBig": 1,
    "noSuchName": 2,
    "badValue": 3,
    "readOnly": 4,
    "genErr": 5,
    "noAccess": 6,
    "wrongType": 7,
    "wrongLength": 8,
    "wrongEncoding": 9,
    "wrongValue": 10,
    "noCreation": 11,
    "inconsistentValue": 12,
    "resourceUnavailable": 13,
    "commitFailed": 14,
    "undoFailed": 15,
    "authorizationError": 16,
    "notWritable": 17,
    "inconsistentName": 18,
}


class VarBind(NamedTuple):
    type: int  # a ValueType
    name: Oid
    value: Any = None


class SearchRange(NamedTuple):
    start: Oid
    end: Oid = ()  # () is the null OID: no upper bound
    include: bool = False


@dataclass(slots=True)
class Header:
    """The fields of a PDU header that are not derived from its payload."""

    type: int  # a PduType (kept as received when it is not one, to answer parseError)
    flags: int = 0  # INSTANCE_REGISTRATION, NEW_INDEX, ANY_INDEX as sent or received
    session_id: int = 0
    transaction_id: int = 0
    packet_id: int = 0

    @property
    def network_order(self) -> bool:
        return bool(self.flags & 0x10)  # Flag.NETWORK_BYTE_ORDER, without the enum's cost


# ------------------------------------------------------------------ PDU payloads
@dataclass(slots=True)
class Open:
    timeout: int = 0  # seconds; 0 lets the master pick
    id: Oid = ()
    descr: bytes = b""


@dataclass(slots=True)
class Close:
    reason: int = CloseReason.SHUTDOWN


@dataclass(slots=True)
class Register:
    subtree: Oid
    timeout: int = 0
    priority: int = 127
    range_subid: int = 0
    upper_bound: int | None = None  # present exactly when range_subid != 0
    context: bytes | None = None


@dataclass(slots=True)
class Unregister:
    subtree: Oid
    priority: int = 127
    range_subid: int = 0
    upper_bound: int | None = None
    context: bytes | None = None


@dataclass(slots=True)
class Get:
    ranges: list[SearchRange] = field(default_factory=list)
    context: bytes | None = None


@dataclass(slots=True)
class GetNext:
    ranges: list[SearchRange] = field(default_factory=list)
    context: bytes | None = None


@dataclass(slots=True)
class GetBulk:
    non_repeaters: int = 0
    max_repetitions: int = 0
    ranges: list[SearchRange] = field(default_factory=list)
    context: bytes | None = None


@dataclass(slots=True)
class TestSet:
    __test__ = False  # not a pytest class, whatever its name says

    varbinds: list[VarBind] = field(default_factory=list)
    context: bytes | None = None


@dataclass(slots=True)
class CommitSet:
    pass


@dataclass(slots=True)
class UndoSet:
    pass


@dataclass(slots=True)
class CleanupSet:
    pass


@dataclass(slots=True)
class Notify:
    varbinds: list[VarBind] = field(default_factory=list)
    context: bytes | None = None


@dataclass(slots=True)
class Ping:
    context: bytes | None = None


@dataclass(slots=True)
class IndexAllocate:
    varbinds: list[VarBind] = field(default_factory=list)
    context: bytes | None = None


@dataclass(slots=True)
class IndexDeallocate:
    varbinds: list[VarBind] = field(default_factory=list)
    context: bytes | None = None


@dataclass(slots=True)
class AddAgentCaps:
    id: Oid
    descr: bytes = b""
    context: bytes | None = None


@dataclass(slots=True)
class RemoveAgentCaps:
    id: Oid
    context: bytes | None = None


@dataclass(slots=True)
class Response:
    sys_uptime: int = 0
    error: int = 0
    index: int = 0
    varbinds: list[VarBind] = field(default_factory=list)


Pdu = (
    Open
    | Close
    | Register
    | Unregister
    | Get
    | GetNext
    | GetBulk
    | TestSet
    | CommitSet
    | UndoSet
    | CleanupSet
    | Notify
    | Ping
    | IndexAllocate
    | IndexDeallocate
    | AddAgentCaps
    | RemoveAgentCaps
    | Response
)

PDU_TYPES: dict[type, PduType] = {
    Open: PduType.OPEN,
    Close: PduType.CLOSE,
    Register: PduType.REGISTER,
    Unregister: PduType.UNREGISTER,
    Get: PduType.GET,
    GetNext: PduType.GET_NEXT,
    GetBulk: PduType.GET_BULK,
    TestSet: PduType.TEST_SET,
    CommitSet: PduType.COMMIT_SET,
    UndoSet: PduType.UNDO_SET,
    CleanupSet: PduType.CLEANUP_SET,
    Notify: PduType.NOTIFY,
    Ping: PduType.PING,
    IndexAllocate: PduType.INDEX_ALLOCATE,
    IndexDeallocate: PduType.INDEX_DEALLOCATE,
    AddAgentCaps: PduType.ADD_AGENT_CAPS,
    RemoveAgentCaps: PduType.REMOVE_AGENT_CAPS,
    Response: PduType.RESPONSE,
}
