"""AgentX codec: every PDU type both ways, both byte orders, framing, hostile input."""

from __future__ import annotations

import contextlib
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mipmib.snmp.agentx import codec
from mipmib.snmp.agentx.pdu import (
    AddAgentCaps,
    CleanupSet,
    Close,
    CloseReason,
    CommitSet,
    Flag,
    Get,
    GetBulk,
    GetNext,
    Header,
    IndexAllocate,
    IndexDeallocate,
    Notify,
    Open,
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

MIP = (1, 3, 6, 1, 2, 1, 44)
VARBINDS = [
    VarBind(ValueType.INTEGER, (*MIP, 1, 1, 2, 0), -5),
    VarBind(ValueType.OCTET_STRING, (*MIP, 1, 1, 1, 0), b"\x60"),
    VarBind(ValueType.OCTET_STRING, (1, 2), b"abcde"),
    VarBind(ValueType.NULL, (1, 3, 6, 1, 4, 1, 9)),
    VarBind(ValueType.OBJECT_IDENTIFIER, (*MIP, 2, 0, 2), (*MIP, 2, 0, 1)),
    VarBind(ValueType.IP_ADDRESS, (*MIP, 1, 6, 3, 1, 1, 2, 10, 0, 0, 1), bytes([192, 168, 1, 2])),
    VarBind(ValueType.COUNTER32, (1, 3, 6, 1, 2, 1, 44, 9), 0xFFFFFFFF),
    VarBind(ValueType.GAUGE32, (1, 3, 6, 1, 2, 1, 44, 9), 7),
    VarBind(ValueType.TIME_TICKS, (1, 3, 6, 1, 2, 1, 1, 3, 0), 123456),
    VarBind(ValueType.OPAQUE, (0, 0), b"\x9f\x78\x04"),
    VarBind(ValueType.COUNTER64, (1, 3, 6, 1, 2, 1, 44, 9), 2**64 - 1),
    VarBind(ValueType.NO_SUCH_OBJECT, (*MIP, 1, 9, 0)),
    VarBind(ValueType.NO_SUCH_INSTANCE, (*MIP, 1, 1, 2, 1)),
    VarBind(ValueType.END_OF_MIB_VIEW, (*MIP, 9)),
]
RANGES = [
    SearchRange((*MIP,), (*MIP[:-1], 45), True),
    SearchRange((*MIP, 1, 6, 3, 1, 1, 2), (), False),
    SearchRange((), (), False),
]
EVERY_PDU = [
    Open(5, (1, 3, 6, 1, 4, 1, 8072), b"mipmib"),
    Open(0, (), b""),
    Close(CloseReason.SHUTDOWN),
    Register((*MIP,), 0, 127),
    Register((*MIP, 1, 6, 3, 1, 1, 2), 3, 1, range_subid=12, upper_bound=16, context=b"ctx"),
    Unregister((*MIP,), 127),
    Unregister((1, 3, 6, 1, 2, 1, 44, 1, 1), 9, range_subid=9, upper_bound=3, context=b""),
    Get(RANGES[:2]),
    Get([], context=b"other"),
    GetNext(RANGES),
    GetNext(RANGES[:1], context=b"c"),
    GetBulk(1, 25, RANGES),
    TestSet(VARBINDS[:3]),
    TestSet([], context=b"x"),
    CommitSet(),
    UndoSet(),
    CleanupSet(),
    Notify(VARBINDS),
    Ping(),
    Ping(context=b"pingctx"),
    IndexAllocate(VARBINDS[:1]),
    IndexDeallocate(VARBINDS[1:2], context=b"idx"),
    AddAgentCaps((*MIP, 3, 2, 2), b"MIP-MIB compliance"),
    RemoveAgentCaps((*MIP, 3, 2, 2), context=b"r"),
    Response(12345, 0, 0, VARBINDS),
    Response(0, 266, 2, []),
]


def _header(flags: int = 0) -> Header:
    return Header(PduType.PING, flags, 17, 0x01020304, 99)


@pytest.mark.parametrize("big", [True, False], ids=["network", "little"])
@pytest.mark.parametrize("pdu", EVERY_PDU, ids=lambda p: type(p).__name__)
def test_round_trip_every_pdu_type(pdu, big):
    frame = codec.encode(_header(Flag.INSTANCE_REGISTRATION), pdu, big)
    assert len(frame) % 4 == 0
    header, decoded = codec.decode(frame)
    assert decoded == pdu
    assert header.type == RFC_TYPES[type(pdu).__name__] and frame[1] == header.type
    assert (header.session_id, header.transaction_id, header.packet_id) == (17, 0x01020304, 99)
    assert header.network_order is big
    assert header.flags & Flag.INSTANCE_REGISTRATION
    assert bool(header.flags & Flag.NON_DEFAULT_CONTEXT) == (
        getattr(pdu, "context", None) is not None
    )


# h.type numbers as RFC 2741 section 6.1 gives them
RFC_TYPES = {
    "Open": 1, "Close": 2, "Register": 3, "Unregister": 4, "Get": 5, "GetNext": 6,
    "GetBulk": 7, "TestSet": 8, "CommitSet": 9, "UndoSet": 10, "CleanupSet": 11, "Notify": 12,
    "Ping": 13, "IndexAllocate": 14, "IndexDeallocate": 15, "AddAgentCaps": 16,
    "RemoveAgentCaps": 17, "Response": 18,
}  # fmt: skip


def test_every_pdu_type_is_covered():
    assert {RFC_TYPES[type(p).__name__] for p in EVERY_PDU} == set(range(1, 19))


def test_bytes_on_the_wire_follow_rfc_2741():
    """A GetNext in network byte order, laid out by hand from the RFC's figures."""
    start = struct.pack(">BBBB3I", 3, 2, 1, 0, 1, 44, 1)  # 1.3.6.1.2.1.44.1, include
    end = struct.pack(">BBBB", 0, 0, 0, 0)  # null OID
    payload = start + end
    head = struct.pack(">BBBBIIII", 1, 6, 0x10, 0, 7, 8, 9, len(payload))
    header, pdu = codec.decode(head + payload)
    assert header == Header(PduType.GET_NEXT, 0x10, 7, 8, 9)
    assert pdu == GetNext([SearchRange((1, 3, 6, 1, 2, 1, 44, 1), (), True)])
    assert codec.encode(Header(PduType.GET_NEXT, 0, 7, 8, 9), pdu) == head + payload
    little = struct.pack("<BBBBIIII", 1, 6, 0, 0, 7, 8, 9, len(payload))
    little_payload = struct.pack("<BBBB3I", 3, 2, 1, 0, 1, 44, 1) + end
    assert codec.decode(little + little_payload)[1] == pdu


def test_octet_strings_are_padded_and_oids_use_the_internet_prefix():
    assert codec.encode_octets(b"abcde") == b"\0\0\0\x05abcde\0\0\0"
    assert codec.encode_oid((1, 3, 6, 1, 2, 1, 44)) == bytes([2, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0, 44])
    assert codec.encode_oid((1, 3, 6, 1, 300, 1))[:4] == bytes([6, 0, 0, 0])  # no prefix form
    assert codec.encode_oid((1, 3, 6, 1, 4), include=True) == bytes([0, 4, 1, 0])


def test_view_values_encode_like_their_agentx_types():
    big = True
    cases = [
        ("Integer32", -3, VarBind(ValueType.INTEGER, (1, 1), -3)),
        ("OctetString", b"ab", VarBind(ValueType.OCTET_STRING, (1, 1), b"ab")),
        ("IpAddress", 0x0A000001, VarBind(ValueType.IP_ADDRESS, (1, 1), b"\x0a\0\0\x01")),
        ("Counter32", 2**32 + 5, VarBind(ValueType.COUNTER32, (1, 1), 5)),
        ("Gauge32", -1, VarBind(ValueType.GAUGE32, (1, 1), 0)),
        ("Gauge32", 2**40, VarBind(ValueType.GAUGE32, (1, 1), 2**32 - 1)),
        ("TimeTicks", 100, VarBind(ValueType.TIME_TICKS, (1, 1), 100)),
        ("Unsigned32", 9, VarBind(ValueType.GAUGE32, (1, 1), 9)),
        ("ObjectIdentifier", (1, 3, 6), VarBind(ValueType.OBJECT_IDENTIFIER, (1, 1), (1, 3, 6))),
        ("Counter64", 2**63, VarBind(ValueType.COUNTER64, (1, 1), 2**63)),
    ]
    for base_type, value, expected in cases:
        assert codec.view_varbind((1, 1), base_type, value, big) == codec.encode_varbind(expected)
        assert codec.view_varbind((1, 1), base_type, value, False) == codec.encode_varbind(
            expected, False
        )


def test_received_values_come_back_in_the_views_form():
    assert codec.varbind_to_view(VarBind(ValueType.IP_ADDRESS, (1,), b"\x7f\0\0\x01")) == (
        "IpAddress",
        0x7F000001,
    )
    assert codec.varbind_to_view(VarBind(ValueType.INTEGER, (1,), 2)) == ("Integer32", 2)
    assert codec.varbind_to_view(VarBind(ValueType.GAUGE32, (1,), 2)) == ("Gauge32", 2)
    assert codec.varbind_to_view(VarBind(ValueType.NULL, (1,))) is None
    assert codec.varbind_to_view(VarBind(ValueType.OPAQUE, (1,), b"")) is None


# ------------------------------------------------------------------ framing
@pytest.mark.parametrize("big", [True, False])
def test_framer_joins_partial_reads_and_splits_joined_ones(big):
    frames = [codec.encode(_header(), pdu, big) for pdu in EVERY_PDU]
    stream = b"".join(frames)
    framer = codec.Framer()
    out = []
    for i in range(0, len(stream), 7):
        out += framer.feed(stream[i : i + 7])
    assert out == frames and framer.buffered == 0
    assert codec.Framer().feed(stream) == frames


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=64), min_size=1, max_size=40), st.booleans())
def test_framer_any_split(cuts, big):
    frames = [codec.encode(_header(), pdu, big) for pdu in EVERY_PDU[:8]]
    stream = b"".join(frames)
    framer, out, pos = codec.Framer(), [], 0
    for cut in cuts:
        out += framer.feed(stream[pos : pos + cut])
        pos += cut
    out += framer.feed(stream[pos:])
    assert out == frames


def test_framer_refuses_a_length_that_cannot_be_a_pdu():
    head = struct.pack(">BBBBIIII", 1, 6, 0x10, 0, 1, 1, 1, 6)  # not a multiple of 4
    with pytest.raises(codec.FramingError):
        codec.Framer().feed(head)
    huge = struct.pack(">BBBBIIII", 1, 6, 0x10, 0, 1, 1, 1, 1 << 30)
    with pytest.raises(codec.FramingError):
        codec.Framer().feed(huge)


# ------------------------------------------------------------------ hostile input
def test_strict_checks_raise_parse_error_with_the_header():
    good = codec.encode(_header(), GetNext(RANGES))
    bad_version = b"\x02" + good[1:]
    with pytest.raises(codec.ParseError) as info:
        codec.decode(bad_version)
    assert info.value.header is not None and info.value.header.packet_id == 99
    with pytest.raises(codec.ParseError, match="unknown PDU type"):
        codec.decode(good[:1] + b"\x63" + good[2:])
    # the payload length says one thing, the frame another
    with pytest.raises(codec.ParseError):
        codec.decode(good + b"\0\0\0\0")
    # trailing bytes after a complete payload
    close = codec.encode(_header(), Close(1))
    longer = close[:16] + struct.pack(">I", 8) + close[20:] + b"\0\0\0\0"
    with pytest.raises(codec.ParseError, match="after the CLOSE payload"):
        codec.decode(longer)
    # an OID of 129 sub-identifiers
    oid = struct.pack(">BBBB", 129, 0, 0, 0) + b"\0" * 4 * 129
    frame = struct.pack(">BBBBIIII", 1, 5, 0x10, 0, 1, 1, 1, len(oid) + 4) + oid + b"\0" * 4
    with pytest.raises(codec.ParseError, match="129"):
        codec.decode(frame)
    # an IpAddress that is not 4 octets
    vb = struct.pack(">HH", 64, 0) + codec.encode_oid((1, 1)) + codec.encode_octets(b"\1\2\3")
    frame = struct.pack(">BBBBIIII", 1, 8, 0x10, 0, 1, 1, 1, len(vb)) + vb
    with pytest.raises(codec.ParseError, match="IpAddress"):
        codec.decode(frame)
    # an unknown value type
    vb = struct.pack(">HH", 99, 0) + codec.encode_oid((1, 1))
    frame = struct.pack(">BBBBIIII", 1, 8, 0x10, 0, 1, 1, 1, len(vb)) + vb
    with pytest.raises(codec.ParseError, match="unknown varbind type"):
        codec.decode(frame)


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=200))
def test_garbage_is_a_parse_error_never_a_crash(data):
    with contextlib.suppress(codec.ParseError):
        codec.decode(data)
    with contextlib.suppress(codec.ParseError):
        for frame in codec.Framer().feed(data):
            codec.decode(frame)


@settings(max_examples=500, deadline=None)
@given(
    st.sampled_from(EVERY_PDU),
    st.booleans(),
    st.integers(min_value=0, max_value=10_000),
    st.integers(min_value=0, max_value=255),
)
def test_damaged_frames_are_parse_errors_never_crashes(pdu, big, position, byte):
    frame = bytearray(codec.encode(_header(), pdu, big))
    frame[position % len(frame)] = byte
    try:
        header, decoded = codec.decode(bytes(frame))
    except codec.ParseError:
        return
    # whatever still decodes must encode again to a frame that decodes the same way
    again = codec.encode(header, decoded, header.network_order)
    assert codec.decode(again)[1] == decoded


oids = st.lists(st.integers(min_value=0, max_value=2**32 - 1), max_size=20).map(tuple)
values = st.one_of(
    st.builds(VarBind, st.just(ValueType.INTEGER), oids, st.integers(-(2**31), 2**31 - 1)),
    st.builds(VarBind, st.just(ValueType.OCTET_STRING), oids, st.binary(max_size=40)),
    st.builds(VarBind, st.just(ValueType.IP_ADDRESS), oids, st.binary(min_size=4, max_size=4)),
    st.builds(VarBind, st.just(ValueType.COUNTER64), oids, st.integers(0, 2**64 - 1)),
    st.builds(VarBind, st.just(ValueType.OBJECT_IDENTIFIER), oids, oids),
    st.builds(VarBind, st.sampled_from([65, 66, 67]), oids, st.integers(0, 2**32 - 1)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(values, max_size=8), st.booleans(), st.one_of(st.none(), st.binary(max_size=9)))
def test_varbind_lists_round_trip(varbinds, big, context):
    frame = codec.encode(_header(), Notify(varbinds, context), big)
    assert codec.decode(frame)[1] == Notify(varbinds, context)
