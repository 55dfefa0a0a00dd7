"""Answer SNMPv1/v2c reads straight from the MIB view, before pysnmp sees them.

pysnmp spends most of a request in its generic message pipeline and its ASN.1 objects; a
walk of 100,000 bindings through it crawls. GET, GETNEXT and GETBULK with a read community
are by far the most frequent requests, and their semantics are simple, so they are decoded,
answered and encoded here with plain bytes. Everything else (SET, SNMPv3, unknown
communities, anything this decoder does not understand) goes on to pysnmp unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from mipmib.mib.tree import END_OF_MIB_VIEW, NO_SUCH_INSTANCE, NO_SUCH_OBJECT, MibView, Oid
from mipmib.snmp import ber

V1, V2C = 0, 1
NO_SUCH_NAME, TOO_BIG = 2, 1
MAX_RESPONSE = 65000  # bytes; GETBULK answers are cut to fit
MAX_REPETITION_VARBINDS = 1000

_EXCEPTIONS = {
    id(NO_SUCH_OBJECT): bytes((ber.NO_SUCH_OBJECT, 0)),
    id(NO_SUCH_INSTANCE): bytes((ber.NO_SUCH_INSTANCE, 0)),
    id(END_OF_MIB_VIEW): bytes((ber.END_OF_MIB_VIEW, 0)),
}


@dataclass(slots=True)
class Request:
    version: int
    community: bytes
    tag: int
    request_id: int
    field1: int  # error-status, or non-repeaters for GETBULK
    field2: int  # error-index, or max-repetitions for GETBULK
    oids: list[Oid]


def parse(data: bytes) -> Request:
    """Decode a v1/v2c read request, or raise BerError."""
    end = len(data)
    tag, pos, stop = ber.read_tlv(data, 0, end)
    if tag != ber.SEQUENCE or stop != end:
        raise ber.BerError("not a message")
    tag, a, b = ber.read_tlv(data, pos, stop)
    if tag != ber.INTEGER:
        raise ber.BerError("no version")
    version = ber.decode_int(data, a, b)
    tag, a, pos = ber.read_tlv(data, b, stop)
    if tag != ber.OCTET_STRING:
        raise ber.BerError("no community")
    community = data[a:pos]
    pdu_tag, pos, pdu_end = ber.read_tlv(data, pos, stop)
    fields = []
    for _ in range(3):
        tag, a, pos = ber.read_tlv(data, pos, pdu_end)
        if tag != ber.INTEGER:
            raise ber.BerError("bad PDU header")
        fields.append(ber.decode_int(data, a, pos))
    tag, pos, list_end = ber.read_tlv(data, pos, pdu_end)
    if tag != ber.SEQUENCE:
        raise ber.BerError("no varbind list")
    oids = []
    while pos < list_end:
        tag, vb, pos = ber.read_tlv(data, pos, list_end)
        if tag != ber.SEQUENCE:
            raise ber.BerError("bad varbind")
        tag, a, b = ber.read_tlv(data, vb, pos)
        if tag != ber.OBJECT_IDENTIFIER:
            raise ber.BerError("bad name")
        oids.append(ber.decode_oid(data, a, b))
    return Request(version, bytes(community), pdu_tag, fields[0], fields[1], fields[2], oids)


class ReadFastPath:
    """GET/GETNEXT/GETBULK for read-only communities whose view is one subtree."""

    def __init__(self, view: MibView, communities: dict[bytes, Oid]) -> None:
        self.view = view
        self.communities = communities
        self.answered = 0

    def handle(self, data: bytes) -> bytes | None:
        """The response to send, or None to let the full engine deal with the datagram."""
        try:
            request = parse(data)
        except (ber.BerError, IndexError, ValueError):
            return None
        subtree = self.communities.get(request.community)
        if subtree is None or request.version not in (V1, V2C):
            return None
        if request.tag not in (ber.GET, ber.GET_NEXT, ber.GET_BULK):
            return None
        if request.tag == ber.GET_BULK and request.version == V1:
            return None
        now = self.view.clock()
        if request.tag == ber.GET:
            varbinds, error = self._get(request, subtree, now)
        elif request.tag == ber.GET_NEXT:
            varbinds, error = self._get_next(request.oids, subtree, now, request.version)
        else:
            varbinds, error = self._get_bulk(request, subtree, now)
        self.answered += 1
        return self._response(request, varbinds, error)

    # ---------------------------------------------------------------- operations
    def _get(self, request: Request, subtree: Oid, now: float) -> tuple[list[bytes], tuple]:
        out = []
        for i, oid in enumerate(request.oids):
            if oid[: len(subtree)] != subtree:
                value = _EXCEPTIONS[id(NO_SUCH_OBJECT)]
            else:
                result = self.view.get(oid, now)
                value = _EXCEPTIONS.get(id(result)) or ber.encode_value(*result)  # type: ignore[misc]
            if request.version == V1 and value[0] >= 0x80:
                return self._echo(request), (NO_SUCH_NAME, i + 1)
            out.append(_varbind(oid, value))
        return out, (0, 0)

    def _next(self, oid: Oid, subtree: Oid, now: float) -> tuple[Oid, bytes]:
        start = subtree if oid < subtree else oid
        found = self.view.get_next(start, now)
        if found is END_OF_MIB_VIEW or found[0][: len(subtree)] != subtree:  # type: ignore[index]
            return oid, _EXCEPTIONS[id(END_OF_MIB_VIEW)]
        next_oid, value = found  # type: ignore[misc]
        return next_oid, ber.encode_value(*value)

    def _get_next(
        self, oids: list[Oid], subtree: Oid, now: float, version: int
    ) -> tuple[list[bytes], tuple]:
        out = []
        for i, oid in enumerate(oids):
            next_oid, value = self._next(oid, subtree, now)
            if version == V1 and value[0] >= 0x80:
                return [_varbind(o, b"\x05\x00") for o in oids], (NO_SUCH_NAME, i + 1)
            out.append(_varbind(next_oid, value))
        return out, (0, 0)

    def _get_bulk(self, request: Request, subtree: Oid, now: float) -> tuple[list[bytes], tuple]:
        oids = request.oids
        non_repeaters = min(max(request.field1, 0), len(oids))
        repeaters = oids[non_repeaters:]
        max_repetitions = max(request.field2, 0)
        if repeaters:
            max_repetitions = min(max_repetitions, MAX_REPETITION_VARBINDS // len(repeaters))
        out, _ = self._get_next(oids[:non_repeaters], subtree, now, V2C)
        if len(repeaters) == 1:  # a walk: read the rows in one run of the view
            out.extend(self._run(repeaters[0], subtree, now, max_repetitions))
            return out, (0, 0)
        size = sum(map(len, out))
        cursor = list(repeaters)
        for _ in range(max_repetitions):
            if not cursor:
                break
            row = []
            all_ended = True
            for j, oid in enumerate(cursor):
                next_oid, value = self._next(oid, subtree, now)
                if value[0] != ber.END_OF_MIB_VIEW:
                    all_ended = False
                cursor[j] = next_oid
                row.append(_varbind(next_oid, value))
            row_size = sum(map(len, row))
            if size + row_size > MAX_RESPONSE:
                break
            out.extend(row)
            size += row_size
            if all_ended:
                break
        return out, (0, 0)

    def _run(self, oid: Oid, subtree: Oid, now: float, count: int) -> list[bytes]:
        """GETBULK of one repeater: `count` successive instances, cut to the response size."""
        start = subtree if oid < subtree else oid
        out: list[bytes] = []
        size = 0
        last = oid
        for next_oid, value in self.view.get_next_many(start, count, now):
            if next_oid[: len(subtree)] != subtree:
                break
            varbind = _varbind(next_oid, ber.encode_value(*value))
            size += len(varbind)
            if size > MAX_RESPONSE:
                return out
            out.append(varbind)
            last = next_oid
        if len(out) < count:
            out.append(_varbind(last, _EXCEPTIONS[id(END_OF_MIB_VIEW)]))
        return out

    # ---------------------------------------------------------------- encoding
    @staticmethod
    def _echo(request: Request) -> list[bytes]:
        return [_varbind(o, b"\x05\x00") for o in request.oids]

    def _response(self, request: Request, varbinds: list[bytes], error: tuple) -> bytes:
        status, index = error
        body = b"".join(varbinds)
        if len(body) > MAX_RESPONSE:
            body, status, index = b"".join(self._echo(request)), TOO_BIG, 0
        pdu = (
            ber.encode_int(request.request_id)
            + ber.encode_int(status)
            + ber.encode_int(index)
            + ber.tlv(ber.SEQUENCE, body)
        )
        message = (
            ber.encode_int(request.version)
            + ber.tlv(ber.OCTET_STRING, request.community)
            + ber.tlv(ber.RESPONSE, pdu)
        )
        return ber.tlv(ber.SEQUENCE, message)


def _varbind(oid: Oid, value: bytes) -> bytes:
    return ber.tlv(ber.SEQUENCE, ber.encode_oid(oid) + value)
