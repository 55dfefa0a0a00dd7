"""AgentX wire codec: header, framing, every PDU type, both byte orders.

`decode(frame)` reads one whole PDU (header and payload) and raises `ParseError` for anything
RFC 2741 does not allow, never another exception. `encode(header, pdu)` writes one.
`Framer` cuts a byte stream into frames by the header's payload length, however the stream
was split into reads. `view_varbind` encodes a value straight from the MIB view's
`(base_type, value)` form, for the per-request path.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from mipmib.snmp.agentx.pdu import (
    HEADER_SIZE,
    MAX_SUBIDS,
    PDU_TYPES,
    VERSION,
    AddAgentCaps,
    CleanupSet,
    Close,
    CommitSet,
    Flag,
    Get,
    GetBulk,
    GetNext,
    Header,
    IndexAllocate,
    IndexDeallocate,
    Notify,
    Oid,
    Open,
    Pdu,
    PduType,
    Ping,
    Register,
    RemoveAgentCaps,
    Response,
    SearchRange,
    TestSet,
    UndoSet,
    Unregister,
    ValueType,
    VarBind,
)

MAX_PAYLOAD = 1 << 20  # far above any PDU a master sends a subagent; more means a broken peer

_HEADER = {True: struct.Struct(">BBBBIIII"), False: struct.Struct("<BBBBIIII")}
_U32 = {True: struct.Struct(">I"), False: struct.Struct("<I")}
_I32 = {True: struct.Struct(">i"), False: struct.Struct("<i")}
_U64 = {True: struct.Struct(">Q"), False: struct.Struct("<Q")}
_U16X2 = {True: struct.Struct(">HH"), False: struct.Struct("<HH")}
_VB_HEAD = {True: struct.Struct(">HH"), False: struct.Struct("<HH")}
_RESPONSE = {True: struct.Struct(">IHH"), False: struct.Struct("<IHH")}
_OID_STRUCTS: dict[tuple[bool, int], struct.Struct] = {}
_INTERNET = (1, 3, 6, 1)
_U32_MAX = 0xFFFFFFFF
# plain ints on the per-request path (enum operators cost more than the rest of a lookup)
_NETWORK = int(Flag.NETWORK_BYTE_ORDER)
_CONTEXT = int(Flag.NON_DEFAULT_CONTEXT)


class ParseError(Exception):
    """A PDU that breaks the protocol; `header` is set when the header itself was readable."""

    def __init__(self, message: str, header: Header | None = None) -> None:
        super().__init__(message)
        self.header = header


class FramingError(ParseError):
    """The stream cannot be cut into PDUs any more (the session must be closed)."""


# ------------------------------------------------------------------ primitives
def _oid_struct(big: bool, count: int) -> struct.Struct:
    s = _OID_STRUCTS.get((big, count))
    if s is None:
        s = _OID_STRUCTS[(big, count)] = struct.Struct(f"{'>' if big else '<'}BBBB{count}I")
    return s


def encode_oid(oid: Oid, big: bool = True, include: bool = False) -> bytes:
    """An Object Identifier, using the 1.3.6.1.<prefix> short form where it applies."""
    if len(oid) >= 5 and oid[:4] == _INTERNET and 0 < oid[4] < 256:
        sub = oid[5:]
        return _oid_struct(big, len(sub)).pack(len(sub), oid[4], int(include), 0, *sub)
    return _oid_struct(big, len(oid)).pack(len(oid), 0, int(include), 0, *oid)


def encode_octets(data: bytes, big: bool = True) -> bytes:
    pad = -len(data) % 4
    return _U32[big].pack(len(data)) + data + b"\0" * pad


def _decode_oid(buf: bytes, off: int, end: int, big: bool) -> tuple[Oid, bool, int]:
    if off + 4 > end:
        raise ParseError("truncated object identifier")
    count, prefix, include = buf[off], buf[off + 1], buf[off + 2]
    if count > MAX_SUBIDS:
        raise ParseError(f"object identifier of {count} sub-identifiers")
    if include > 1:
        raise ParseError(f"include field {include}")
    stop = off + 4 + 4 * count
    if stop > end:
        raise ParseError("truncated object identifier")
    subids = _oid_struct(big, count).unpack_from(buf, off)[4:]
    if prefix:
        return (1, 3, 6, 1, prefix, *subids), bool(include), stop
    return subids, bool(include), stop


def _decode_octets(buf: bytes, off: int, end: int, big: bool) -> tuple[bytes, int]:
    if off + 4 > end:
        raise ParseError("truncated octet string")
    (length,) = _U32[big].unpack_from(buf, off)
    start = off + 4
    stop = start + length + (-length % 4)
    if length > end - start or stop > end:
        raise ParseError("octet string longer than the PDU")
    return bytes(buf[start : start + length]), stop


def _number(buf: bytes, off: int, end: int, layout: struct.Struct) -> tuple[int, int]:
    stop = off + layout.size
    if stop > end:
        raise ParseError("truncated number")
    return layout.unpack_from(buf, off)[0], stop


def _u32(buf: bytes, off: int, end: int, big: bool) -> tuple[int, int]:
    return _number(buf, off, end, _U32[big])


# ------------------------------------------------------------------ values
def _check_u32(value: int) -> int:
    if not 0 <= value <= _U32_MAX:
        raise ValueError(f"{value} does not fit an unsigned 32-bit value")
    return value


def _encode_value(vtype: int, value: Any, big: bool) -> bytes:
    if vtype == ValueType.INTEGER:
        return _I32[big].pack(value)
    if vtype in (ValueType.COUNTER32, ValueType.GAUGE32, ValueType.TIME_TICKS):
        return _U32[big].pack(_check_u32(value))
    if vtype == ValueType.COUNTER64:
        return _U64[big].pack(value)
    if vtype in (ValueType.OCTET_STRING, ValueType.OPAQUE):
        return encode_octets(value, big)
    if vtype == ValueType.IP_ADDRESS:
        if len(value) != 4:
            raise ValueError("an IpAddress is 4 octets")
        return encode_octets(value, big)
    if vtype == ValueType.OBJECT_IDENTIFIER:
        return encode_oid(value, big)
    if vtype in (
        ValueType.NULL,
        ValueType.NO_SUCH_OBJECT,
        ValueType.NO_SUCH_INSTANCE,
        ValueType.END_OF_MIB_VIEW,
    ):
        return b""
    raise ValueError(f"unknown value type {vtype}")


def encode_varbind(vb: VarBind, big: bool = True) -> bytes:
    return (
        _VB_HEAD[big].pack(vb.type, 0)
        + encode_oid(vb.name, big)
        + _encode_value(vb.type, vb.value, big)
    )


def _decode_varbind(buf: bytes, off: int, end: int, big: bool) -> tuple[VarBind, int]:
    if off + 4 > end:
        raise ParseError("truncated varbind")
    vtype = _VB_HEAD[big].unpack_from(buf, off)[0]
    name, _, off = _decode_oid(buf, off + 4, end, big)
    value: Any = None
    if vtype == ValueType.INTEGER:
        value, off = _number(buf, off, end, _I32[big])
    elif vtype in (ValueType.COUNTER32, ValueType.GAUGE32, ValueType.TIME_TICKS):
        value, off = _u32(buf, off, end, big)
    elif vtype == ValueType.COUNTER64:
        value, off = _number(buf, off, end, _U64[big])
    elif vtype in (ValueType.OCTET_STRING, ValueType.OPAQUE, ValueType.IP_ADDRESS):
        value, off = _decode_octets(buf, off, end, big)
        if vtype == ValueType.IP_ADDRESS and len(value) != 4:
            raise ParseError(f"IpAddress of {len(value)} octets")
    elif vtype == ValueType.OBJECT_IDENTIFIER:
        value, _, off = _decode_oid(buf, off, end, big)
    elif vtype not in (
        ValueType.NULL,
        ValueType.NO_SUCH_OBJECT,
        ValueType.NO_SUCH_INSTANCE,
        ValueType.END_OF_MIB_VIEW,
    ):
        raise ParseError(f"unknown varbind type {vtype}")
    return VarBind(vtype, name, value), off


def _decode_varbinds(buf: bytes, off: int, end: int, big: bool) -> tuple[list[VarBind], int]:
    out = []
    while off < end:
        vb, off = _decode_varbind(buf, off, end, big)
        out.append(vb)
    return out, off


# ------------------------------------------------------------------ view values (hot path)
def _view_encoders(big: bool) -> dict[str, tuple[int, Callable[[Any], bytes]]]:
    u32, i32, u64 = _U32[big].pack, _I32[big].pack, _U64[big].pack
    return {
        "Integer32": (ValueType.INTEGER, i32),
        "OctetString": (ValueType.OCTET_STRING, lambda v: encode_octets(v, big)),
        "IpAddress": (
            ValueType.IP_ADDRESS,
            lambda v: encode_octets(v if isinstance(v, bytes) else v.to_bytes(4, "big"), big),
        ),
        "Counter32": (ValueType.COUNTER32, lambda v: u32(v & _U32_MAX)),
        "Gauge32": (ValueType.GAUGE32, lambda v: u32(min(max(v, 0), _U32_MAX))),
        "TimeTicks": (ValueType.TIME_TICKS, lambda v: u32(v & _U32_MAX)),
        "Unsigned32": (ValueType.GAUGE32, lambda v: u32(v & _U32_MAX)),
        "ObjectIdentifier": (ValueType.OBJECT_IDENTIFIER, lambda v: encode_oid(tuple(v), big)),
        "Counter64": (ValueType.COUNTER64, u64),
    }


_VIEW = {True: _view_encoders(True), False: _view_encoders(False)}


def view_varbind(name: Oid, base_type: str, value: Any, big: bool = True) -> bytes:
    """A varbind from the MIB view's `(base_type, value)` form (IpAddress as an int)."""
    vtype, pack = _VIEW[big][base_type]
    return _VB_HEAD[big].pack(vtype, 0) + encode_oid(name, big) + pack(value)


def exception_varbind(name: Oid, vtype: int, big: bool = True) -> bytes:
    """noSuchObject, noSuchInstance or endOfMibView (no data)."""
    return _VB_HEAD[big].pack(vtype, 0) + encode_oid(name, big)


def varbind_to_view(vb: VarBind) -> tuple[str, Any] | None:
    """The MIB view's form of a received value, or None for a type no object can take."""
    vtype = vb.type
    if vtype == ValueType.IP_ADDRESS:
        return "IpAddress", int.from_bytes(vb.value, "big")
    name = _VIEW_NAMES.get(vtype)
    return None if name is None else (name, vb.value)


_VIEW_NAMES = {
    ValueType.INTEGER: "Integer32",
    ValueType.OCTET_STRING: "OctetString",
    ValueType.COUNTER32: "Counter32",
    ValueType.GAUGE32: "Gauge32",
    ValueType.TIME_TICKS: "TimeTicks",
    ValueType.OBJECT_IDENTIFIER: "ObjectIdentifier",
    ValueType.COUNTER64: "Counter64",
}


# ------------------------------------------------------------------ header and framing
def payload_length(buf: bytes | bytearray, off: int = 0) -> int:
    big = bool(buf[off + 2] & _NETWORK)
    return _U32[big].unpack_from(buf, off + 16)[0]


class Framer:
    """Cuts a byte stream into whole PDUs, however it was split into reads."""

    def __init__(self, max_payload: int = MAX_PAYLOAD) -> None:
        self.max_payload = max_payload
        self._pending = bytearray()

    def _frame_size(self, buf: bytes | bytearray, off: int) -> int:
        length = payload_length(buf, off)
        if length > self.max_payload or length % 4:
            raise FramingError(f"payload length {length}")
        return HEADER_SIZE + length

    def feed(self, data: bytes) -> list[bytes]:
        if self._pending:
            self._pending += data
            pending = self._pending
            if len(pending) < HEADER_SIZE or len(pending) < self._frame_size(pending, 0):
                return []
            data = bytes(pending)
            self._pending = bytearray()
        frames = []
        off, size = 0, len(data)
        while size - off >= HEADER_SIZE:
            stop = off + self._frame_size(data, off)
            if stop > size:
                break
            frames.append(data[off:stop])
            off = stop
        if off < size:
            self._pending = bytearray(data[off:])
        return frames

    @property
    def buffered(self) -> int:
        return len(self._pending)


_KNOWN_TYPES = frozenset(int(t) for t in PduType)


def decode_header(frame: bytes) -> tuple[Header, bool, int]:
    """The header, whether it is in network byte order, and the payload length."""
    if len(frame) < HEADER_SIZE:
        raise ParseError("truncated header")
    big = bool(frame[2] & _NETWORK)
    version, ptype, flags, _, session, transaction, packet, length = _HEADER[big].unpack_from(frame)
    header = Header(ptype, flags, session, transaction, packet)
    if version != VERSION:
        raise ParseError(f"AgentX version {version}", header)
    if ptype not in _KNOWN_TYPES:
        raise ParseError(f"unknown PDU type {ptype}", header)
    if length % 4 or HEADER_SIZE + length != len(frame):
        raise ParseError(f"payload length {length} for {len(frame) - HEADER_SIZE} bytes", header)
    return header, big, length


def encode_header(
    header: Header, ptype: int, payload_size: int, big: bool, context: bool = False
) -> bytes:
    flags = header.flags & ~(Flag.NETWORK_BYTE_ORDER | Flag.NON_DEFAULT_CONTEXT)
    if big:
        flags |= Flag.NETWORK_BYTE_ORDER
    if context:
        flags |= Flag.NON_DEFAULT_CONTEXT
    return _HEADER[big].pack(
        VERSION,
        ptype,
        flags,
        0,
        header.session_id,
        header.transaction_id,
        header.packet_id,
        payload_size,
    )


# ------------------------------------------------------------------ payloads
def _ranges(buf: bytes, off: int, end: int, big: bool) -> list[SearchRange]:
    out = []
    while off < end:
        start, include, off = _decode_oid(buf, off, end, big)
        stop, _, off = _decode_oid(buf, off, end, big)
        out.append(SearchRange(start, stop, include))
    return out


def _encode_ranges(ranges: list[SearchRange], big: bool) -> bytes:
    return b"".join(encode_oid(r.start, big, r.include) + encode_oid(r.end, big) for r in ranges)


def _registration_tail(
    buf: bytes, off: int, end: int, big: bool
) -> tuple[int, int, int, Oid, int | None, int]:
    if off + 4 > end:
        raise ParseError("truncated registration")
    timeout, priority, range_subid = buf[off], buf[off + 1], buf[off + 2]
    subtree, _, off = _decode_oid(buf, off + 4, end, big)
    upper: int | None = None
    if range_subid:
        if range_subid > len(subtree):
            raise ParseError(f"range_subid {range_subid} beyond the subtree")
        upper, off = _u32(buf, off, end, big)
    return timeout, priority, range_subid, subtree, upper, off


def _decode_payload(kind: int, buf: bytes, off: int, end: int, big: bool, ctx: bool) -> Pdu:
    context: bytes | None = None
    if ctx and kind not in _NO_CONTEXT:
        context, off = _decode_octets(buf, off, end, big)
    pdu: Pdu
    if kind == PduType.GET_NEXT:
        pdu = GetNext(_ranges(buf, off, end, big), context)
        off = end
    elif kind == PduType.GET:
        pdu = Get(_ranges(buf, off, end, big), context)
        off = end
    elif kind == PduType.GET_BULK:
        if off + 4 > end:
            raise ParseError("truncated GetBulk")
        non_rep, max_rep = _U16X2[big].unpack_from(buf, off)
        pdu = GetBulk(non_rep, max_rep, _ranges(buf, off + 4, end, big), context)
        off = end
    elif kind == PduType.RESPONSE:
        if off + 8 > end:
            raise ParseError("truncated Response")
        uptime, error, index = _RESPONSE[big].unpack_from(buf, off)
        varbinds, off = _decode_varbinds(buf, off + 8, end, big)
        pdu = Response(uptime, error, index, varbinds)
    elif kind in _VARBIND_PDUS:
        varbinds, off = _decode_varbinds(buf, off, end, big)
        pdu = _VARBIND_PDUS[kind](varbinds, context)
    elif kind in _EMPTY_PDUS:
        pdu = _EMPTY_PDUS[kind]()
    elif kind == PduType.PING:
        pdu = Ping(context)
    elif kind == PduType.OPEN:
        if off + 4 > end:
            raise ParseError("truncated Open")
        timeout = buf[off]
        ident, _, off = _decode_oid(buf, off + 4, end, big)
        descr, off = _decode_octets(buf, off, end, big)
        pdu = Open(timeout, ident, descr)
    elif kind == PduType.CLOSE:
        if off + 4 > end:
            raise ParseError("truncated Close")
        pdu = Close(buf[off])
        off += 4
    elif kind == PduType.REGISTER:
        timeout, priority, range_subid, subtree, upper, off = _registration_tail(buf, off, end, big)
        pdu = Register(subtree, timeout, priority, range_subid, upper, context)
    elif kind == PduType.UNREGISTER:
        _, priority, range_subid, subtree, upper, off = _registration_tail(buf, off, end, big)
        pdu = Unregister(subtree, priority, range_subid, upper, context)
    elif kind == PduType.ADD_AGENT_CAPS:
        ident, _, off = _decode_oid(buf, off, end, big)
        descr, off = _decode_octets(buf, off, end, big)
        pdu = AddAgentCaps(ident, descr, context)
    else:  # REMOVE_AGENT_CAPS
        ident, _, off = _decode_oid(buf, off, end, big)
        pdu = RemoveAgentCaps(ident, context)
    if off != end:
        raise ParseError(f"{end - off} bytes after the {PduType(kind).name} payload")
    return pdu


_NO_CONTEXT = frozenset(
    {
        PduType.OPEN,
        PduType.CLOSE,
        PduType.COMMIT_SET,
        PduType.UNDO_SET,
        PduType.CLEANUP_SET,
        PduType.RESPONSE,
    }
)
_VARBIND_PDUS: dict[PduType, Callable[..., Pdu]] = {
    PduType.TEST_SET: TestSet,
    PduType.NOTIFY: Notify,
    PduType.INDEX_ALLOCATE: IndexAllocate,
    PduType.INDEX_DEALLOCATE: IndexDeallocate,
}
_EMPTY_PDUS: dict[PduType, Callable[[], Pdu]] = {
    PduType.COMMIT_SET: CommitSet,
    PduType.UNDO_SET: UndoSet,
    PduType.CLEANUP_SET: CleanupSet,
}


def decode(frame: bytes) -> tuple[Header, Pdu]:
    """One whole PDU. Raises ParseError (with the header when it was readable)."""
    header, big, length = decode_header(frame)
    try:
        pdu = _decode_payload(
            header.type,
            frame,
            HEADER_SIZE,
            HEADER_SIZE + length,
            big,
            bool(header.flags & _CONTEXT),
        )
    except ParseError as exc:
        exc.header = header
        raise
    except (struct.error, ValueError, IndexError) as exc:  # defensive: never crash the session
        raise ParseError(str(exc), header) from None
    return header, pdu


def _payload(pdu: Pdu, big: bool) -> bytes:
    if isinstance(pdu, GetNext | Get):
        return _encode_ranges(pdu.ranges, big)
    if isinstance(pdu, GetBulk):
        return _U16X2[big].pack(pdu.non_repeaters, pdu.max_repetitions) + _encode_ranges(
            pdu.ranges, big
        )
    if isinstance(pdu, Response):
        return _RESPONSE[big].pack(pdu.sys_uptime, pdu.error, pdu.index) + b"".join(
            encode_varbind(vb, big) for vb in pdu.varbinds
        )
    if isinstance(pdu, TestSet | Notify | IndexAllocate | IndexDeallocate):
        return b"".join(encode_varbind(vb, big) for vb in pdu.varbinds)
    if isinstance(pdu, CommitSet | UndoSet | CleanupSet | Ping):
        return b""
    if isinstance(pdu, Open):
        return (
            bytes([pdu.timeout, 0, 0, 0]) + encode_oid(pdu.id, big) + encode_octets(pdu.descr, big)
        )
    if isinstance(pdu, Close):
        return bytes([pdu.reason, 0, 0, 0])
    if isinstance(pdu, Register | Unregister):
        timeout = pdu.timeout if isinstance(pdu, Register) else 0
        upper = b"" if not pdu.range_subid else _U32[big].pack(pdu.upper_bound or 0)
        return (
            bytes([timeout, pdu.priority, pdu.range_subid, 0])
            + encode_oid(pdu.subtree, big)
            + upper
        )
    if isinstance(pdu, AddAgentCaps):
        return encode_oid(pdu.id, big) + encode_octets(pdu.descr, big)
    if isinstance(pdu, RemoveAgentCaps):
        return encode_oid(pdu.id, big)
    raise TypeError(f"not an AgentX PDU: {pdu!r}")


def encode(header: Header, pdu: Pdu, big: bool = True) -> bytes:
    """One whole PDU; its type comes from the payload's class, not from `header.type`."""
    context = getattr(pdu, "context", None)
    body = _payload(pdu, big)
    if context is not None:
        body = encode_octets(context, big) + body
    return encode_header(header, PDU_TYPES[type(pdu)], len(body), big, context is not None) + body


def encode_response(
    request: Header, error: int, index: int, varbinds: list[bytes], big: bool
) -> bytes:
    """A Response to `request` from already encoded varbinds (the per-request path)."""
    body = _RESPONSE[big].pack(0, error, index) + b"".join(varbinds)
    head = _HEADER[big].pack(
        VERSION,
        PduType.RESPONSE,
        _NETWORK if big else 0,
        0,
        request.session_id,
        request.transaction_id,
        request.packet_id,
        len(body),
    )
    return head + body


def encode_varbind_pdu(
    header: Header, ptype: PduType, varbinds: list[bytes], context: bytes | None, big: bool
) -> bytes:
    """A TestSet, Notify or Index* PDU from already encoded varbinds."""
    body = b"".join(varbinds)
    if context is not None:
        body = encode_octets(context, big) + body
    return encode_header(header, ptype, len(body), big, context is not None) + body
