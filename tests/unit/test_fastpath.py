"""The read fast path, checked against pysnmp's own BER encoder and decoder."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api, rfc1905

from mipmib.mib.schema import Schema
from mipmib.snmp import ber
from mipmib.snmp.fastpath import ReadFastPath, parse
from tests.unit.test_mib_view import MIP, make_view


@pytest.fixture(scope="module")
def fast():
    _, view = make_view(Schema.load())
    return ReadFastPath(view, {b"public": MIP}), view


def request(version: int, kind: str, oids, community=b"public", nr=0, mr=10) -> bytes:
    proto = api.PROTOCOL_MODULES[version]
    pdu = {
        "get": proto.GetRequestPDU,
        "next": proto.GetNextRequestPDU,
        "bulk": getattr(proto, "GetBulkRequestPDU", None),
        "set": proto.SetRequestPDU,
    }[kind]()
    proto.apiPDU.set_defaults(pdu)
    proto.apiPDU.set_request_id(pdu, 4242)
    if kind == "bulk":
        proto.apiBulkPDU.set_non_repeaters(pdu, nr)
        proto.apiBulkPDU.set_max_repetitions(pdu, mr)
    proto.apiPDU.set_varbinds(pdu, [(o, proto.Null("")) for o in oids])
    msg = proto.Message()
    proto.apiMessage.set_defaults(msg)
    proto.apiMessage.set_community(msg, community)
    proto.apiMessage.set_pdu(msg, pdu)
    return encoder.encode(msg)


def response(data: bytes, version: int):
    proto = api.PROTOCOL_MODULES[version]
    msg, rest = decoder.decode(data, asn1Spec=proto.Message())
    assert rest == b""
    pdu = proto.apiMessage.get_pdu(msg)
    return (
        int(proto.apiPDU.get_request_id(pdu)),
        int(proto.apiPDU.get_error_status(pdu)),
        int(proto.apiPDU.get_error_index(pdu)),
        [(tuple(o), v) for o, v in proto.apiPDU.get_varbinds(pdu)],
    )


def test_get_next_and_bulk_follow_the_view(fast):
    path, view = fast
    walk = list(view.walk(MIP))
    rid, status, index, vbs = response(path.handle(request(1, "bulk", [MIP], mr=30)), 1)
    assert (rid, status, index) == (4242, 0, 0)
    assert [o for o, _ in vbs] == [o for o, _ in walk[:30]]
    rid, status, _, vbs = response(path.handle(request(1, "next", [walk[5][0]])), 1)
    assert vbs[0][0] == walk[6][0]


def test_values_encode_like_pysnmp(fast):
    path, view = fast
    for oid, (base_type, value) in list(view.walk(MIP))[:400]:
        _, _, _, vbs = response(path.handle(request(1, "get", [oid])), 1)
        assert vbs[0][0] == oid
        got = vbs[0][1]
        if base_type == "IpAddress":
            assert got.asOctets() == value.to_bytes(4, "big")
        elif base_type == "OctetString":
            assert got.asOctets() == value
        else:
            assert int(got) == value


def test_v2c_exceptions_and_v1_errors(fast):
    path, _ = fast
    _, status, _, vbs = response(path.handle(request(1, "get", [(*MIP, 1, 1, 9, 0)])), 1)
    assert status == 0 and vbs[0][1].tagSet == rfc1905.NoSuchObject.tagSet
    _, status, index, _ = response(
        path.handle(request(0, "get", [(*MIP, 1, 1, 2, 0), (*MIP, 1, 1, 9, 0)])), 0
    )
    assert (status, index) == (2, 2)
    _, status, index, _ = response(path.handle(request(0, "next", [(*MIP, 9)])), 0)
    assert (status, index) == (2, 1)
    _, _, _, vbs = response(path.handle(request(1, "next", [(*MIP, 9)])), 1)
    assert vbs[0][1].tagSet == api.v2c.EndOfMibView.tagSet


def test_other_requests_go_to_the_engine(fast):
    path, _ = fast
    assert path.handle(request(1, "set", [(*MIP, 1, 1, 2, 0)])) is None
    assert path.handle(request(1, "get", [(*MIP, 1, 1, 2, 0)], community=b"secret")) is None
    assert path.handle(b"\x30\x03\x02\x01\x03") is None


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=200))
def test_garbage_is_never_an_exception(data):
    path = ReadFastPath(_VIEW, {b"public": MIP})
    assert path.handle(data) is None or path.handle(data)[0] == ber.SEQUENCE
    with contextlib.suppress(ber.BerError):
        parse(data)


_VIEW = make_view(Schema.load())[1]
