"""The few BER encodings of SNMP that the read fast path needs (RFC 3416 PDUs, X.690).

Only what a v1/v2c GET, GETNEXT or GETBULK request and its response use: definite lengths,
INTEGER, OCTET STRING, NULL, OBJECT IDENTIFIER, the SNMP application types and the SNMPv2
exception values. Decoding is strict: anything unexpected raises `BerError`, and the caller
hands the datagram to the full engine instead.
"""

from __future__ import annotations

from typing import Any

SEQUENCE = 0x30
INTEGER = 0x02
OCTET_STRING = 0x04
NULL = 0x05
OBJECT_IDENTIFIER = 0x06
GET, GET_NEXT, RESPONSE, SET, GET_BULK = 0xA0, 0xA1, 0xA2, 0xA3, 0xA5
NO_SUCH_OBJECT, NO_SUCH_INSTANCE, END_OF_MIB_VIEW = 0x80, 0x81, 0x82

TAGS = {
    "Integer32": INTEGER,
    "OctetString": OCTET_STRING,
    "ObjectIdentifier": OBJECT_IDENTIFIER,
    "IpAddress": 0x40,
    "Counter32": 0x41,
    "Gauge32": 0x42,
    "Unsigned32": 0x42,
    "TimeTicks": 0x43,
    "Counter64": 0x46,
}
_UNSIGNED_LIMIT = {
    "Counter32": 2**32,
    "Gauge32": 2**32,
    "Unsigned32": 2**32,
    "TimeTicks": 2**32,
    "Counter64": 2**64,
}


class BerError(ValueError):
    """Not a message the fast path understands."""


def length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def tlv(tag: int, body: bytes) -> bytes:
    n = len(body)
    if n < 0x80:
        return bytes((tag, n)) + body
    return bytes((tag,)) + length(n) + body


def encode_int(value: int, tag: int = INTEGER) -> bytes:
    body = value.to_bytes((value.bit_length() + 8) // 8 or 1, "big", signed=True)
    return bytes((tag, len(body))) + body


def encode_unsigned(value: int, tag: int) -> bytes:
    body = value.to_bytes(value.bit_length() // 8 + 1, "big")
    return bytes((tag, len(body))) + body


_SUBID_CACHE: dict[int, bytes] = {}


def _subid(value: int) -> bytes:
    if value < 0x80:
        return bytes((value,))
    parts = [value & 0x7F]
    value >>= 7
    while value:
        parts.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(parts))


def encode_subids(subids: tuple[int, ...] | list[int]) -> bytes:
    """Base-128 sub-identifiers (no first-pair folding): a suffix of an OID's body."""
    cache = _SUBID_CACHE
    out = bytearray()
    for s in subids:
        enc = cache.get(s)
        if enc is None:
            enc = _subid(s)
            if len(cache) < 65536:
                cache[s] = enc
        out += enc
    return bytes(out)


def oid_body(oid: tuple[int, ...]) -> bytes:
    if len(oid) < 2 or oid[0] > 2 or (oid[0] < 2 and oid[1] >= 40):
        raise BerError(f"cannot encode OID {oid}")
    return encode_subids((oid[0] * 40 + oid[1], *oid[2:]))


def encode_oid(oid: tuple[int, ...]) -> bytes:
    return tlv(OBJECT_IDENTIFIER, oid_body(oid))


def encode_value(base_type: str, value: Any) -> bytes:
    tag = TAGS[base_type]
    if tag == INTEGER:
        return encode_int(value)
    if tag == OCTET_STRING:
        return tlv(tag, value)
    if tag == 0x40:
        return b"\x40\x04" + (value.to_bytes(4, "big") if isinstance(value, int) else value)
    if tag == OBJECT_IDENTIFIER:
        return encode_oid(value)
    limit = _UNSIGNED_LIMIT[base_type]
    if base_type == "Gauge32":
        value = min(max(value, 0), limit - 1)
    else:
        value %= limit
    return encode_unsigned(value, tag)


# ---------------------------------------------------------------- decoding
def read_tlv(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """(tag, start of contents, end of contents) of the element at `pos`."""
    if pos + 2 > end:
        raise BerError("truncated")
    tag = data[pos]
    n = data[pos + 1]
    pos += 2
    if n & 0x80:
        count = n & 0x7F
        if count == 0 or count > 4 or pos + count > end:
            raise BerError("bad length")
        n = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    if pos + n > end:
        raise BerError("length past the end")
    return tag, pos, pos + n


def decode_int(data: bytes, start: int, stop: int) -> int:
    if stop - start < 1 or stop - start > 9:
        raise BerError("bad INTEGER")
    return int.from_bytes(data[start:stop], "big", signed=True)


def decode_oid(data: bytes, start: int, stop: int) -> tuple[int, ...]:
    if stop <= start or data[stop - 1] & 0x80:
        raise BerError("bad OBJECT IDENTIFIER")
    subids: list[int] = []
    value = 0
    for i in range(start, stop):
        b = data[i]
        value = (value << 7) | (b & 0x7F)
        if not b & 0x80:
            subids.append(value)
            value = 0
    first = subids[0]
    head = (first // 40, first % 40) if first < 80 else (2, first - 80)
    if len(subids) > 128:
        raise BerError("OID too long")
    return (*head, *subids[1:])
