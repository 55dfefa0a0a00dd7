"""Wire codec: round trips, scapy cross-checks, malformed input, fuzzing."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.layers.mobileip import MobileIP, MobileIPRRP, MobileIPRRQ
from scapy.packet import Raw

from mipmib.core import messages as m
from mipmib.core.messages import (
    EXT_FHAE,
    EXT_MFAE,
    EXT_MHAE,
    FLAG_D,
    FLAG_S,
    FLAG_T,
    LIFETIME_INFINITE,
    UINT32,
    Extension,
    PoorlyFormed,
    RegistrationReply,
    RegistrationRequest,
    UnknownNonSkippable,
    auth_spi,
    auth_value,
    decode_reply,
    decode_request,
    encode_extension,
    encode_long_extension,
    encode_reply,
    encode_request,
    find_extension,
    int_to_ip,
    ip_to_int,
    is_known,
    message_type,
)

# Vector A of protocol.md §4.5: fixed part, then an MHAE with SPI 256.
VECTOR_A_FIXED = bytes.fromhex("010007080a0000050a000001c000020a0123456789abcdef")
VECTOR_A_AUTH = bytes.fromhex("94d88b6ac2da5baecdff99a09480a9ff")
VECTOR_A_WIRE = VECTOR_A_FIXED + bytes.fromhex("201400000100") + VECTOR_A_AUTH


def _mhae(spi: int = 0x100, auth: bytes = bytes(16)) -> bytes:
    return encode_extension(EXT_MHAE, spi.to_bytes(4, "big") + auth)


def _request(*exts: bytes, **fields: int) -> bytes:
    req = RegistrationRequest(
        flags=fields.get("flags", 0),
        lifetime=fields.get("lifetime", 1800),
        home_address=ip_to_int("10.0.0.5"),
        home_agent=ip_to_int("10.0.0.1"),
        care_of_address=ip_to_int("192.0.2.10"),
        identification=0x0123456789ABCDEF,
    )
    return encode_request(req) + b"".join(exts)


def _reply(*exts: bytes) -> bytes:
    rep = RegistrationReply(0, 1800, ip_to_int("10.0.0.5"), ip_to_int("10.0.0.1"), 7)
    return encode_reply(rep) + b"".join(exts)


# --- constants and helpers ----------------------------------------------------------------


def test_constants() -> None:
    assert (m.REGISTRATION_REQUEST, m.REGISTRATION_REPLY) == (1, 3)
    assert (EXT_MHAE, EXT_MFAE, EXT_FHAE) == (32, 33, 34)
    assert (m.FLAG_S, m.FLAG_B, m.FLAG_D, m.FLAG_M) == (0x80, 0x40, 0x20, 0x10)
    assert (m.FLAG_G, m.FLAG_R, m.FLAG_T, m.FLAG_X) == (0x08, 0x04, 0x02, 0x01)
    assert UINT32 == 0xFFFFFFFF and LIFETIME_INFINITE == 0xFFFF
    assert m.REQUEST_FIXED_LEN == 24 and m.REPLY_FIXED_LEN == 20


def test_known_types() -> None:
    for t in (0, 32, 33, 34, 36, 38, 131, 132, 134):
        assert is_known(t)
        assert t in m.known_types
    assert not is_known(200)
    assert not is_known(5)
    assert Extension(131, 24, b"x").known
    assert not Extension(200, 24, b"").known


def test_ip_helpers() -> None:
    assert ip_to_int("10.0.0.1") == 0x0A000001
    assert ip_to_int("255.255.255.255") == UINT32
    assert int_to_ip(0xC000020A) == "192.0.2.10"
    assert int_to_ip(0) == "0.0.0.0"
    for bad in ("10.0.0", "1.2.3.256", "", "::1"):
        with pytest.raises(ValueError):
            ip_to_int(bad)
    with pytest.raises(ValueError):
        int_to_ip(1 << 32)
    with pytest.raises(ValueError):
        int_to_ip(-1)


def test_message_type() -> None:
    assert message_type(b"") is None
    assert message_type(b"\x01") == 1
    assert message_type(_reply()) == 3


# --- decoding -----------------------------------------------------------------------------


def test_decode_vector_a() -> None:
    req = decode_request(VECTOR_A_WIRE)
    assert req.flags == 0
    assert req.lifetime == 1800
    assert int_to_ip(req.home_address) == "10.0.0.5"
    assert int_to_ip(req.home_agent) == "10.0.0.1"
    assert int_to_ip(req.care_of_address) == "192.0.2.10"
    assert req.identification == 0x0123456789ABCDEF
    assert req.identification >> 32 == 0x01234567  # high half = bytes 0-3
    assert req.raw == VECTOR_A_WIRE
    (ext,) = req.extensions
    assert ext == Extension(EXT_MHAE, 24, bytes.fromhex("00000100") + VECTOR_A_AUTH)
    assert ext.header_len == 2 and ext.wire_len == 22
    assert auth_spi(ext) == 256
    assert auth_value(ext) == VECTOR_A_AUTH
    assert find_extension(req.extensions, EXT_MHAE) is ext
    assert find_extension(req.extensions, EXT_MFAE) is None


def test_decode_accepts_memoryview() -> None:
    assert decode_request(memoryview(VECTOR_A_WIRE)).raw == VECTOR_A_WIRE


def test_decode_no_extensions() -> None:
    req = decode_request(VECTOR_A_FIXED)
    assert req.extensions == []
    rep = decode_reply(_reply())
    assert rep.extensions == [] and rep.identification == 7


def test_decode_extension_offsets_and_formats() -> None:
    nai = encode_extension(131, b"mn@example.org")
    pad = b"\x00"
    mn_aaa = encode_long_extension(36, 1, (2).to_bytes(4, "big") + bytes(16))
    cvse = encode_long_extension(38, 0, bytes.fromhex("00000009000e") + b"v")
    short = encode_extension(145, b"\x01hello")  # short format: subtype inside the body
    skip = encode_extension(200, b"\xde\xad")
    data = _request(nai, pad, _mhae(), mn_aaa, cvse, short, skip)
    exts = decode_request(data).extensions
    assert [e.type for e in exts] == [131, 0, 32, 36, 38, 145, 200]
    offsets = [24]
    for e in exts[:-1]:
        offsets.append(offsets[-1] + e.wire_len)
    assert [e.offset for e in exts] == offsets
    for e in exts:
        assert data[e.offset] == e.type
    assert exts[0].body == b"mn@example.org" and exts[0].subtype is None
    assert exts[1].body == b"" and exts[1].header_len == 1
    assert exts[3].subtype == 1 and exts[3].header_len == 4 and auth_spi(exts[3]) == 2
    assert exts[4].subtype == 0 and exts[4].body.endswith(b"v")
    assert exts[5].body == b"\x01hello"
    assert exts[6].body == b"\xde\xad" and not exts[6].known and exts[6].skippable


def test_unknown_skippable_kept_and_decoding_continues() -> None:
    data = _request(encode_extension(250, b"abc"), _mhae(), encode_extension(129, b""))
    exts = decode_request(data).extensions
    assert [(e.type, e.known) for e in exts] == [(250, False), (32, True), (129, False)]


@pytest.mark.parametrize("ext_type", [1, 5, 31, 35, 40, 43, 46, 47, 48, 127])
def test_unknown_non_skippable_raises(ext_type: int) -> None:
    data = _request(_mhae(), bytes([ext_type, 2, 0, 0]))
    with pytest.raises(UnknownNonSkippable) as info:
        decode_request(data)
    assert info.value.ext_type == ext_type
    assert info.value.offset == 24 + 22
    assert isinstance(info.value, ValueError)
    with pytest.raises(UnknownNonSkippable):
        decode_reply(_reply(bytes([ext_type, 0])))


def test_known_types_can_be_widened() -> None:
    keygen = encode_long_extension(42, 1, (0x100).to_bytes(4, "big"))
    data = _request(keygen, _mhae())
    with pytest.raises(UnknownNonSkippable):
        decode_request(data)
    exts = decode_request(data, m.KNOWN_TYPES | {42}).extensions
    assert exts[0].type == 42 and exts[0].subtype == 1 and exts[1].offset == 24 + 8


def test_dynamic_ha_extension_both_layouts() -> None:
    ha = bytes([192, 0, 2, 7])
    long_form = bytes([139, 1, 0, 4]) + ha  # RFC 4433 drawing
    short_form = bytes([139, 5, 2]) + ha  # Wireshark reading
    exts = decode_request(_request(long_form, short_form, _mhae())).extensions
    assert (exts[0].subtype, exts[0].body, exts[0].wire_len) == (1, ha, 8)
    assert (exts[1].subtype, exts[1].body, exts[1].wire_len) == (None, b"\x02" + ha, 7)
    assert exts[2].type == EXT_MHAE and exts[2].offset == 24 + 8 + 7
    assert b"".join(e.to_bytes() for e in exts[:2]) == long_form + short_form


def test_reply_decode() -> None:
    data = bytes.fromhex("03 85 0000 0a000005 0a000001 e1a2b3c4 55667788") + _mhae(0x1234)
    rep = decode_reply(data)
    assert rep.code == 133 and rep.lifetime == 0
    assert rep.home_address == 0x0A000005 and rep.home_agent == 0x0A000001
    assert rep.identification == 0xE1A2B3C455667788
    assert rep.extensions[0].offset == 20 and auth_spi(rep.extensions[0]) == 0x1234


def test_decode_fixed_part_only() -> None:
    """For answering 70/134: the fixed part of a message whose extensions are broken."""
    broken = VECTOR_A_WIRE[:30]
    with pytest.raises(PoorlyFormed):
        decode_request(broken)
    fixed = m.decode_fixed_request(broken)
    assert fixed is not None
    assert (fixed.home_address, fixed.identification) == (0x0A000005, 0x0123456789ABCDEF)
    assert fixed.extensions == [] and fixed.raw == broken
    assert m.decode_fixed_request(VECTOR_A_WIRE[:23]) is None
    assert m.decode_fixed_request(_reply() + bytes(4)) is None
    rep = m.decode_fixed_reply(_reply(b"\x20\x30"))
    assert rep is not None and rep.identification == 7
    assert m.decode_fixed_reply(_reply()[:19]) is None
    assert m.decode_fixed_reply(VECTOR_A_WIRE) is None


# --- malformed input ----------------------------------------------------------------------


@pytest.mark.parametrize("n", range(24))
def test_truncated_request(n: int) -> None:
    with pytest.raises(PoorlyFormed):
        decode_request(VECTOR_A_WIRE[:n])


@pytest.mark.parametrize("n", range(20))
def test_truncated_reply(n: int) -> None:
    with pytest.raises(PoorlyFormed):
        decode_reply(_reply()[:n])


def test_wrong_type_byte() -> None:
    with pytest.raises(PoorlyFormed):
        decode_request(_reply() + bytes(4))
    with pytest.raises(PoorlyFormed):
        decode_reply(VECTOR_A_WIRE)
    with pytest.raises(PoorlyFormed):
        decode_request(b"\x04" + VECTOR_A_WIRE[1:])


@pytest.mark.parametrize("cut", range(1, 22))
def test_extension_cut_short(cut: int) -> None:
    """Every cut inside the MHAE leaves a length running past the end (or no length)."""
    with pytest.raises(PoorlyFormed):
        decode_request(VECTOR_A_WIRE[: 24 + cut])


def test_tlv_length_past_end() -> None:
    with pytest.raises(PoorlyFormed):
        decode_request(_request(bytes([131, 10]) + b"short"))
    with pytest.raises(PoorlyFormed):
        decode_reply(_reply(bytes([200, 1])))
    with pytest.raises(PoorlyFormed):
        decode_request(_request(bytes([131])))  # type byte, no length


@pytest.mark.parametrize(
    "tail",
    [
        bytes([36]),
        bytes([36, 1]),
        bytes([36, 1, 0]),  # long header cut inside the length field
        bytes([36, 1, 0, 20]) + bytes(19),  # data one byte short
        bytes([38, 0, 1, 0]) + bytes(255),  # 256 announced, 255 present
    ],
)
def test_long_format_truncated(tail: bytes) -> None:
    with pytest.raises(PoorlyFormed):
        decode_request(_request(_mhae(), tail))


@pytest.mark.parametrize("ext_type", [32, 33, 34])
@pytest.mark.parametrize("length", [0, 1, 3])
def test_auth_extension_without_room_for_spi(ext_type: int, length: int) -> None:
    with pytest.raises(PoorlyFormed):
        decode_request(_request(bytes([ext_type, length]) + bytes(length)))
    with pytest.raises(PoorlyFormed):
        decode_reply(_reply(bytes([ext_type, length]) + bytes(length)))


def test_generalized_auth_without_room_for_spi() -> None:
    with pytest.raises(PoorlyFormed):
        decode_request(_request(encode_long_extension(36, 1, b"\x00\x00\x02")))


def test_spi_only_auth_extension_is_well_formed() -> None:
    (ext,) = decode_request(_request(bytes([32, 4, 0, 0, 1, 0]))).extensions
    assert auth_spi(ext) == 256 and auth_value(ext) == b""


def test_pad_at_the_very_end() -> None:
    exts = decode_request(_request(_mhae(), b"\x00\x00")).extensions
    assert [e.type for e in exts] == [32, 0, 0]


@settings(max_examples=600, deadline=None)
@given(st.binary(max_size=120))
def test_fuzz_arbitrary_bytes(data: bytes) -> None:
    for decode in (decode_request, decode_reply):
        with contextlib.suppress(PoorlyFormed, UnknownNonSkippable):
            decode(data)


_ext_bytes = st.one_of(
    st.just(b"\x00"),
    st.builds(
        lambda t, b: bytes([t, len(b)]) + b,
        st.integers(0, 255),
        st.binary(max_size=30),
    ),
    st.builds(
        lambda t, s, b: bytes([t, s]) + len(b).to_bytes(2, "big") + b,
        st.sampled_from(sorted(m.LONG_FORMAT_TYPES)),
        st.integers(0, 255),
        st.binary(max_size=30),
    ),
    st.binary(min_size=1, max_size=6),
)


@settings(max_examples=600, deadline=None)
@given(st.integers(0, 255), st.lists(_ext_bytes, max_size=6))
def test_fuzz_plausible_messages(flags: int, exts: list[bytes]) -> None:
    """Near-valid messages: well-formed fixed parts with extension-shaped tails."""
    tail = b"".join(exts)
    for data in (_request(tail, flags=flags), _reply(tail)):
        decode = decode_request if data[0] == 1 else decode_reply
        try:
            msg = decode(data)
        except (PoorlyFormed, UnknownNonSkippable):
            continue
        # Whatever decodes cleanly must re-encode to the very same bytes.
        encode = encode_request if data[0] == 1 else encode_reply
        assert encode(msg) == data  # type: ignore[arg-type]
        for e in msg.extensions:
            assert data[e.offset] == e.type
            assert data[e.offset + e.header_len : e.offset + e.wire_len] == e.body


# --- encoding and round trips -------------------------------------------------------------


def test_encode_extension() -> None:
    assert encode_extension(131, b"ab") == b"\x83\x02ab"
    assert encode_extension(130, b"") == b"\x82\x00"
    assert len(encode_extension(131, bytes(255))) == 257
    with pytest.raises(ValueError):
        encode_extension(131, bytes(256))
    assert encode_long_extension(36, 1, b"xyz") == b"\x24\x01\x00\x03xyz"
    with pytest.raises(ValueError):
        encode_long_extension(36, 1, bytes(0x10000))


def test_extension_to_bytes_uses_its_format() -> None:
    assert Extension(0, 0, b"").to_bytes() == b"\x00"
    assert Extension(131, 0, b"ab").to_bytes() == b"\x83\x02ab"
    assert Extension(36, 0, b"ab", 1).to_bytes() == b"\x24\x01\x00\x02ab"
    assert Extension(38, 0, b"ab").to_bytes() == b"\x26\x00\x00\x02ab"  # long even without subtype


def test_round_trip_request() -> None:
    req = RegistrationRequest(
        flags=FLAG_S | FLAG_D | FLAG_T,
        lifetime=LIFETIME_INFINITE,
        home_address=ip_to_int("0.0.0.0"),
        home_agent=UINT32,
        care_of_address=ip_to_int("198.51.100.1"),
        identification=(1 << 64) - 1,
        extensions=[
            Extension(131, 0, b"alice@example.net"),
            Extension(0, 0, b""),
            Extension(36, 0, bytes(20), 1),
            Extension(EXT_MHAE, 0, bytes(20)),
            Extension(255, 0, bytes(300 // 2)),
        ],
    )
    data = encode_request(req)
    back = decode_request(data)
    assert back.raw == data
    assert (back.flags, back.lifetime, back.home_address, back.home_agent) == (
        req.flags,
        req.lifetime,
        req.home_address,
        req.home_agent,
    )
    assert (back.care_of_address, back.identification) == (
        req.care_of_address,
        req.identification,
    )
    assert [(e.type, e.body, e.subtype) for e in back.extensions] == [
        (e.type, e.body, e.subtype) for e in req.extensions
    ]
    assert encode_request(back) == data
    assert encode_request(decode_request(VECTOR_A_WIRE)) == VECTOR_A_WIRE


def test_round_trip_reply() -> None:
    rep = RegistrationReply(1, 300, 0x0A000005, 0x0A000001, 0x1122334455667788)
    rep.extensions.append(Extension(EXT_MHAE, 0, bytes(range(20))))
    rep.extensions.append(Extension(45, 0, b"\x00\x44"))  # FA error, short format
    data = encode_reply(rep)
    back = decode_reply(data)
    assert (back.code, back.lifetime, back.identification) == (1, 300, 0x1122334455667788)
    assert [e.offset for e in back.extensions] == [20, 42]
    assert encode_reply(back) == data


def test_default_extension_lists_are_independent() -> None:
    a = RegistrationReply(0, 0, 0, 0, 0)
    b = RegistrationReply(0, 0, 0, 0, 0)
    a.extensions.append(Extension(131, 0, b""))
    assert b.extensions == []


def test_encode_rejects_out_of_range_fields() -> None:
    with pytest.raises(ValueError):
        encode_request(RegistrationRequest(256, 0, 0, 0, 0, 0))
    with pytest.raises(ValueError):
        encode_request(RegistrationRequest(0, 0x10000, 0, 0, 0, 0))
    with pytest.raises(ValueError):
        encode_reply(RegistrationReply(0, 0, 0, 0, 1 << 64))


# --- scapy cross-check --------------------------------------------------------------------


def test_scapy_is_a_fixed_64_bit_id_version() -> None:
    # An old scapy declared id as a 64-byte string; with it this length would be 86.
    assert len(bytes(MobileIPRRQ())) == 23


_addr = st.integers(0, UINT32)


@settings(max_examples=100, deadline=None)
@given(
    st.integers(0, 255),
    st.integers(0, 0xFFFF),
    _addr,
    _addr,
    _addr,
    st.integers(0, (1 << 64) - 1),
)
def test_scapy_request_to_ours(
    flags: int, lifetime: int, home: int, ha: int, coa: int, ident: int
) -> None:
    pkt = MobileIP() / MobileIPRRQ(
        flags=flags,
        lifetime=lifetime,
        homeaddr=int_to_ip(home),
        haaddr=int_to_ip(ha),
        coaddr=int_to_ip(coa),
        id=ident,
    )
    data = bytes(pkt / Raw(_mhae(0x100, bytes(range(16)))))
    req = decode_request(data)
    assert (req.flags, req.lifetime, req.identification) == (flags, lifetime, ident)
    assert (req.home_address, req.home_agent, req.care_of_address) == (home, ha, coa)
    assert req.extensions[0].offset == 24 and auth_spi(req.extensions[0]) == 0x100


@settings(max_examples=100, deadline=None)
@given(
    st.integers(0, 255),
    st.integers(0, 0xFFFF),
    _addr,
    _addr,
    _addr,
    st.integers(0, (1 << 64) - 1),
)
def test_ours_request_to_scapy(
    flags: int, lifetime: int, home: int, ha: int, coa: int, ident: int
) -> None:
    req = RegistrationRequest(flags, lifetime, home, ha, coa, ident, [Extension(131, 0, b"n")])
    pkt = MobileIP(encode_request(req))
    rrq = pkt[MobileIPRRQ]
    assert pkt.type == 1
    assert (rrq.flags, rrq.lifetime, rrq.id) == (flags, lifetime, ident)
    assert (rrq.homeaddr, rrq.haaddr, rrq.coaddr) == (
        int_to_ip(home),
        int_to_ip(ha),
        int_to_ip(coa),
    )
    assert pkt[Raw].load == b"\x83\x01n"  # scapy leaves extensions as raw bytes


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 255), st.integers(0, 0xFFFF), _addr, _addr, st.integers(0, (1 << 64) - 1))
def test_scapy_reply_round_trips(code: int, lifetime: int, home: int, ha: int, ident: int) -> None:
    theirs = bytes(
        MobileIP(type=3)
        / MobileIPRRP(
            code=code, lifetime=lifetime, homeaddr=int_to_ip(home), haaddr=int_to_ip(ha), id=ident
        )
    )
    rep = decode_reply(theirs)
    assert (rep.code, rep.lifetime, rep.home_address, rep.home_agent, rep.identification) == (
        code,
        lifetime,
        home,
        ha,
        ident,
    )
    ours = encode_reply(RegistrationReply(code, lifetime, home, ha, ident))
    assert ours == theirs
    rrp = MobileIP(ours)[MobileIPRRP]
    assert (rrp.code, rrp.lifetime, rrp.id) == (code, lifetime, ident)
    assert (rrp.homeaddr, rrp.haaddr) == (int_to_ip(home), int_to_ip(ha))


def test_scapy_vector_d_bytes() -> None:
    pkt = MobileIP() / MobileIPRRQ(
        flags=0x20, lifetime=60, homeaddr="192.0.2.1", haaddr="192.0.2.2", coaddr="192.0.2.1", id=1
    )
    assert bytes(pkt).hex() == "0120003cc0000201c0000202c00002010000000000000001"
