"""Sans-I/O wire codec for Mobile IPv4 registration messages (RFC 5944).

Decoding is strict: a message whose fixed part is short, whose extension lengths run past
the end, or whose authentication extension cannot hold an SPI raises :class:`PoorlyFormed`
(the FA answers 70, the HA 134).  An unknown extension type in 1..127 raises
:class:`UnknownNonSkippable` (the receiver drops the message silently).  Unknown types in
128..255 are kept in the extension list and decoding carries on past them.

Addresses are 32-bit ints whose big-endian bytes are the address, so 10.0.0.1 is
0x0A000001.  The 64-bit Identification keeps bytes 0-3 in its high half.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = [
    "EXT_CVSE",
    "EXT_DYNAMIC_HA",
    "EXT_FA_ERROR",
    "EXT_FHAE",
    "EXT_GEN_AUTH",
    "EXT_MFAE",
    "EXT_MHAE",
    "EXT_MN_FA_CHALLENGE",
    "EXT_NAI",
    "EXT_NVSE",
    "EXT_PAD",
    "FLAG_B",
    "FLAG_D",
    "FLAG_G",
    "FLAG_M",
    "FLAG_R",
    "FLAG_S",
    "FLAG_T",
    "FLAG_X",
    "KNOWN_TYPES",
    "LIFETIME_INFINITE",
    "LONG_FORMAT_TYPES",
    "REGISTRATION_REPLY",
    "REGISTRATION_REQUEST",
    "REPLY_FIXED_LEN",
    "REQUEST_FIXED_LEN",
    "UINT32",
    "Extension",
    "PoorlyFormed",
    "RegistrationReply",
    "RegistrationRequest",
    "UnknownNonSkippable",
    "auth_spi",
    "auth_value",
    "decode_fixed_reply",
    "decode_fixed_request",
    "decode_reply",
    "decode_request",
    "encode_extension",
    "encode_long_extension",
    "encode_reply",
    "encode_request",
    "find_extension",
    "int_to_ip",
    "ip_to_int",
    "is_known",
    "known_types",
    "message_type",
]

# --- message types and field values -------------------------------------------------------

REGISTRATION_REQUEST = 1
REGISTRATION_REPLY = 3

UINT32 = 0xFFFFFFFF
LIFETIME_INFINITE = 0xFFFF

# Request flag byte (offset 1).
FLAG_S = 0x80
FLAG_B = 0x40
FLAG_D = 0x20
FLAG_M = 0x10
FLAG_G = 0x08
FLAG_R = 0x04  # reserved "r" (was V in RFC 2002)
FLAG_T = 0x02
FLAG_X = 0x01  # reserved "x"

# --- extension types (port-434 space) -----------------------------------------------------

EXT_PAD = 0
EXT_MHAE = 32
EXT_MFAE = 33
EXT_FHAE = 34
EXT_GEN_AUTH = 36  # RFC 4721 generalized authentication (subtype 1 = MN-AAA)
EXT_CVSE = 38
EXT_UDP_TUNNEL_REPLY = 44
EXT_FA_ERROR = 45
EXT_ENCAP_DELIVERY = 130
EXT_NAI = 131
EXT_MN_FA_CHALLENGE = 132
EXT_NVSE = 134
EXT_NAI_CARRYING = 136
EXT_REVOCATION_SUPPORT = 137
EXT_DYNAMIC_HA = 139
EXT_UDP_TUNNEL_REQUEST = 144
EXT_MESSAGE_STRING = 145

#: Types laid out as ``type, subtype, length(2), data``.
LONG_FORMAT_TYPES: frozenset[int] = frozenset({36, 38, 40, 41, 42, 43, 47})

#: Types this codec accepts without raising UnknownNonSkippable.  Only non-skippable types
#: the agents actually act on belong here: a non-skippable type that is listed but then
#: ignored would break the "drop what you do not understand" rule.  The RFC 3957 key
#: generation (40-43) and PMIPv4 (47) layouts are parsed, but those types are left out by
#: default; pass a wider ``known_types`` to the decoders to accept them.
KNOWN_TYPES: frozenset[int] = frozenset(
    {
        EXT_PAD,
        EXT_MHAE,
        EXT_MFAE,
        EXT_FHAE,
        EXT_GEN_AUTH,
        EXT_CVSE,
        EXT_UDP_TUNNEL_REPLY,
        EXT_FA_ERROR,
        EXT_ENCAP_DELIVERY,
        EXT_NAI,
        EXT_MN_FA_CHALLENGE,
        EXT_NVSE,
        EXT_NAI_CARRYING,
        EXT_REVOCATION_SUPPORT,
        EXT_DYNAMIC_HA,
        EXT_UDP_TUNNEL_REQUEST,
        EXT_MESSAGE_STRING,
    }
)
known_types = KNOWN_TYPES  # lower-case alias

# Extensions whose body starts with a 4-byte SPI.
_AUTH_TYPES = frozenset({EXT_MHAE, EXT_MFAE, EXT_FHAE, EXT_GEN_AUTH})


def is_known(ext_type: int) -> bool:
    """True if the default decoder tables recognise ``ext_type``."""
    return ext_type in KNOWN_TYPES


# --- exceptions ---------------------------------------------------------------------------


class PoorlyFormed(ValueError):
    """The bytes cannot be a well-formed message of the expected type."""


class UnknownNonSkippable(ValueError):
    """An extension type 1..127 we do not understand: drop the whole message silently."""

    def __init__(self, ext_type: int, offset: int | None = None) -> None:
        super().__init__(f"unknown non-skippable extension type {ext_type}")
        self.ext_type = ext_type
        self.offset = offset


# --- data classes -------------------------------------------------------------------------


@dataclass(slots=True)
class Extension:
    """One extension as found on the wire.

    ``offset`` is the index of its type byte in the message.  ``body`` is everything after
    the length field: for the long format that excludes the subtype, which is kept in
    ``subtype``; for TLV and the short format it includes the subtype byte, if any.
    ``subtype`` is None for TLV/short extensions and an int for long-format ones.
    """

    type: int
    offset: int
    body: bytes
    subtype: int | None = None

    @property
    def known(self) -> bool:
        return self.type in KNOWN_TYPES

    @property
    def skippable(self) -> bool:
        return self.type >= 128

    @property
    def is_long(self) -> bool:
        return self.subtype is not None or self.type in LONG_FORMAT_TYPES

    @property
    def header_len(self) -> int:
        """Bytes before ``body``: 1 for padding, 4 for long format, 2 otherwise."""
        if self.type == EXT_PAD:
            return 1
        return 4 if self.is_long else 2

    @property
    def wire_len(self) -> int:
        return self.header_len + len(self.body)

    def to_bytes(self) -> bytes:
        """Encode in the extension's own format (pad, long or TLV)."""
        if self.type == EXT_PAD:
            return b"\x00"
        if self.is_long:
            return encode_long_extension(self.type, self.subtype or 0, self.body)
        return encode_extension(self.type, self.body)


@dataclass(slots=True)
class RegistrationRequest:
    flags: int
    lifetime: int
    home_address: int
    home_agent: int
    care_of_address: int
    identification: int
    extensions: list[Extension] = field(default_factory=list)
    raw: bytes = b""


@dataclass(slots=True)
class RegistrationReply:
    code: int
    lifetime: int
    home_address: int
    home_agent: int
    identification: int
    extensions: list[Extension] = field(default_factory=list)
    raw: bytes = b""


# --- struct layouts -----------------------------------------------------------------------

_REQUEST = struct.Struct(">BBHIIIQ")
_REPLY = struct.Struct(">BBHIIQ")
_U16 = struct.Struct(">H")
_TLV_HDR = struct.Struct(">BB")
_LONG_HDR = struct.Struct(">BBH")

REQUEST_FIXED_LEN = _REQUEST.size  # 24
REPLY_FIXED_LEN = _REPLY.size  # 20


# --- extensions ---------------------------------------------------------------------------


def _decode_extensions(data: bytes, pos: int, known: frozenset[int]) -> list[Extension]:
    exts: list[Extension] = []
    end = len(data)
    while pos < end:
        t = data[pos]
        if t == EXT_PAD:
            exts.append(Extension(0, pos, b""))
            pos += 1
            continue
        if t < 128 and t not in known:
            raise UnknownNonSkippable(t, pos)
        if t in LONG_FORMAT_TYPES or (
            # RFC 4433 draws 139 in the long format, Wireshark reads it as short: accept both.
            t == EXT_DYNAMIC_HA
            and pos + 4 <= end
            and data[pos + 1] in (1, 2)
            and data[pos + 2] == 0
            and data[pos + 3] == 4
        ):
            if pos + 4 > end:
                raise PoorlyFormed(f"extension {t} at {pos}: long header truncated")
            _, sub, length = _LONG_HDR.unpack_from(data, pos)
            start = pos + 4
            stop = start + length
            if stop > end:
                raise PoorlyFormed(f"extension {t} at {pos}: length {length} runs past end")
            ext = Extension(t, pos, data[start:stop], sub)
        else:
            if pos + 2 > end:
                raise PoorlyFormed(f"extension {t} at {pos}: length byte missing")
            length = data[pos + 1]
            start = pos + 2
            stop = start + length
            if stop > end:
                raise PoorlyFormed(f"extension {t} at {pos}: length {length} runs past end")
            ext = Extension(t, pos, data[start:stop])
        if t in _AUTH_TYPES and length < 4:
            raise PoorlyFormed(f"authentication extension {t} at {pos}: no room for SPI")
        exts.append(ext)
        pos = stop
    return exts


def encode_extension(ext_type: int, body: bytes) -> bytes:
    """Encode a TLV (or short-format) extension; ``body`` includes any subtype byte."""
    n = len(body)
    if n > 255:
        raise ValueError(f"extension {ext_type}: body of {n} bytes does not fit a TLV")
    if not 0 < ext_type <= 255:
        raise ValueError(f"bad extension type {ext_type}")
    return _TLV_HDR.pack(ext_type, n) + body


def encode_long_extension(ext_type: int, subtype: int, body: bytes) -> bytes:
    """Encode ``type, subtype, length(2), body``."""
    n = len(body)
    if n > 0xFFFF:
        raise ValueError(f"extension {ext_type}: body of {n} bytes does not fit")
    try:
        return _LONG_HDR.pack(ext_type, subtype, n) + body
    except struct.error as exc:
        raise ValueError(str(exc)) from None


def find_extension(exts: Iterable[Extension], ext_type: int) -> Extension | None:
    """First extension of ``ext_type``, or None."""
    for ext in exts:
        if ext.type == ext_type:
            return ext
    return None


def auth_spi(ext: Extension) -> int:
    """SPI of an authentication extension (first 4 bytes of the body)."""
    if len(ext.body) < 4:
        raise PoorlyFormed(f"extension {ext.type}: body too short for an SPI")
    return int.from_bytes(ext.body[:4], "big")


def auth_value(ext: Extension) -> bytes:
    """Authenticator bytes of an authentication extension (body after the SPI)."""
    return ext.body[4:]


# --- messages -----------------------------------------------------------------------------


def message_type(data: bytes) -> int | None:
    """Type byte of a datagram, or None if it is empty."""
    return data[0] if data else None


def decode_request(data: bytes, known_types: frozenset[int] = KNOWN_TYPES) -> RegistrationRequest:
    """Parse a Registration Request (type 1)."""
    if not isinstance(data, bytes):
        data = bytes(data)
    if len(data) < REQUEST_FIXED_LEN:
        raise PoorlyFormed(f"request of {len(data)} bytes is shorter than the fixed part")
    mtype, flags, lifetime, home, ha, coa, ident = _REQUEST.unpack_from(data)
    if mtype != REGISTRATION_REQUEST:
        raise PoorlyFormed(f"type {mtype} is not a registration request")
    exts = (
        _decode_extensions(data, REQUEST_FIXED_LEN, known_types)
        if len(data) > REQUEST_FIXED_LEN
        else []
    )
    return RegistrationRequest(flags, lifetime, home, ha, coa, ident, exts, data)


def decode_reply(data: bytes, known_types: frozenset[int] = KNOWN_TYPES) -> RegistrationReply:
    """Parse a Registration Reply (type 3)."""
    if not isinstance(data, bytes):
        data = bytes(data)
    if len(data) < REPLY_FIXED_LEN:
        raise PoorlyFormed(f"reply of {len(data)} bytes is shorter than the fixed part")
    mtype, code, lifetime, home, ha, ident = _REPLY.unpack_from(data)
    if mtype != REGISTRATION_REPLY:
        raise PoorlyFormed(f"type {mtype} is not a registration reply")
    exts = (
        _decode_extensions(data, REPLY_FIXED_LEN, known_types)
        if len(data) > REPLY_FIXED_LEN
        else []
    )
    return RegistrationReply(code, lifetime, home, ha, ident, exts, data)


def decode_fixed_request(data: bytes) -> RegistrationRequest | None:
    """Fixed part only (no extensions), or None if it is short or not a request.

    For answering a request whose extensions are malformed (codes 70/134).
    """
    if len(data) < REQUEST_FIXED_LEN or data[0] != REGISTRATION_REQUEST:
        return None
    _, flags, lifetime, home, ha, coa, ident = _REQUEST.unpack_from(data)
    return RegistrationRequest(flags, lifetime, home, ha, coa, ident, [], bytes(data))


def decode_fixed_reply(data: bytes) -> RegistrationReply | None:
    """Fixed part only (no extensions), or None if it is short or not a reply."""
    if len(data) < REPLY_FIXED_LEN or data[0] != REGISTRATION_REPLY:
        return None
    _, code, lifetime, home, ha, ident = _REPLY.unpack_from(data)
    return RegistrationReply(code, lifetime, home, ha, ident, [], bytes(data))


def _encode_extensions(exts: list[Extension]) -> bytes:
    return b"".join([ext.to_bytes() for ext in exts]) if exts else b""


def encode_request(req: RegistrationRequest) -> bytes:
    """Fixed part followed by each extension re-encoded in order (``raw`` is ignored)."""
    try:
        fixed = _REQUEST.pack(
            REGISTRATION_REQUEST,
            req.flags,
            req.lifetime,
            req.home_address,
            req.home_agent,
            req.care_of_address,
            req.identification,
        )
    except struct.error as exc:
        raise ValueError(f"request field out of range: {exc}") from None
    return fixed + _encode_extensions(req.extensions)


def encode_reply(rep: RegistrationReply) -> bytes:
    """Fixed part followed by each extension re-encoded in order (``raw`` is ignored)."""
    try:
        fixed = _REPLY.pack(
            REGISTRATION_REPLY,
            rep.code,
            rep.lifetime,
            rep.home_address,
            rep.home_agent,
            rep.identification,
        )
    except struct.error as exc:
        raise ValueError(f"reply field out of range: {exc}") from None
    return fixed + _encode_extensions(rep.extensions)


# --- addresses ----------------------------------------------------------------------------


def ip_to_int(address: str) -> int:
    """Dotted quad to 32-bit int (strict: no short forms)."""
    try:
        return int.from_bytes(socket.inet_pton(socket.AF_INET, address), "big")
    except (OSError, TypeError):
        raise ValueError(f"not an IPv4 address: {address!r}") from None


def int_to_ip(value: int) -> str:
    """32-bit int to dotted quad."""
    if not 0 <= value <= UINT32:
        raise ValueError(f"not a 32-bit address: {value}")
    return socket.inet_ntoa(value.to_bytes(4, "big"))
