"""The subagent's side of AgentX requests, over the MIB view, with no I/O.

`Responder.handle(frame)` takes one PDU the master sent and returns the bytes to answer
(None when the protocol wants no answer: CleanupSet, Close, a Response). Reads go straight
from the view's `(base_type, value)` pairs to the wire; SETs drive the view's transaction:
TestSet -> `view.begin_set`, CommitSet -> `commit`, UndoSet -> `undo`, CleanupSet ->
`cleanup`, one transaction per transaction id.
"""

from __future__ import annotations

import logging
from typing import Any

from mipmib.mib.tree import (
    END_OF_MIB_VIEW,
    NO_SUCH_INSTANCE,
    NO_SUCH_OBJECT,
    MibView,
    Oid,
    SetError,
    SetTransaction,
)
from mipmib.snmp.agentx import codec
from mipmib.snmp.agentx.pdu import (
    SNMP_ERRORS,
    CleanupSet,
    Close,
    CommitSet,
    Error,
    Get,
    GetBulk,
    GetNext,
    Header,
    PduType,
    Ping,
    SearchRange,
    TestSet,
    UndoSet,
    ValueType,
)

log = logging.getLogger(__name__)

MAX_BULK_VARBINDS = 10_000  # a GetBulk answer is cut there (the master asks for far fewer)
MAX_TRANSACTIONS = 64  # SET transactions kept open at once; older ones are cleaned up

_EXCEPTIONS = {
    NO_SUCH_OBJECT: ValueType.NO_SUCH_OBJECT,
    NO_SUCH_INSTANCE: ValueType.NO_SUCH_INSTANCE,
}


class Responder:
    """Answers the master's requests of one session from one MIB view."""

    def __init__(self, view: MibView, context: bytes | None = None) -> None:
        self.view = view
        self.context = context
        self.session_id: int | None = None  # set once the master accepted our Open
        self._transactions: dict[int, SetTransaction] = {}

    # ---------------------------------------------------------------- entry point
    def handle(self, frame: bytes) -> bytes | None:
        try:
            header, pdu = codec.decode(frame)
        except codec.ParseError as exc:
            log.warning("AgentX: unparsable PDU from the master: %s", exc)
            if exc.header is None or exc.header.type == PduType.RESPONSE:
                return None
            return self._error(exc.header, Error.PARSE_ERROR, 0, bool(frame[2] & 0x10))
        big = header.network_order
        if header.type == PduType.RESPONSE:
            return None
        if self.session_id is not None and header.session_id != self.session_id:
            return self._error(header, Error.NOT_OPEN, 0, big)
        if isinstance(pdu, GetNext):
            return self._get_next(header, pdu, big)
        if isinstance(pdu, Get):
            return self._get(header, pdu, big)
        if isinstance(pdu, GetBulk):
            return self._get_bulk(header, pdu, big)
        if isinstance(pdu, TestSet):
            return self._test_set(header, pdu, big)
        if isinstance(pdu, CommitSet | UndoSet):
            return self._commit_or_undo(header, isinstance(pdu, CommitSet), big)
        if isinstance(pdu, CleanupSet):
            self._cleanup(header.transaction_id)
            return None
        if isinstance(pdu, Close):
            log.info("AgentX: the master closed the session (reason %d)", pdu.reason)
            return None
        if isinstance(pdu, Ping):
            return self._error(header, Error.NO_ERROR, 0, big)
        return self._error(header, Error.PROCESSING_ERROR, 0, big)

    def reset(self) -> None:
        """The session ended: end every open transaction (committed ones stay applied)."""
        for transaction_id in list(self._transactions):
            self._cleanup(transaction_id)
        self.session_id = None

    # ---------------------------------------------------------------- reads
    def _foreign_context(self, context: bytes | None) -> bool:
        return context != self.context and not (context == b"" and self.context is None)

    def _get(self, header: Header, pdu: Get, big: bool) -> bytes:
        view, now = self.view, self.view.clock()
        foreign = self._foreign_context(pdu.context)
        out = []
        for r in pdu.ranges:
            found = NO_SUCH_OBJECT if foreign else view.get(r.start, now)
            if isinstance(found, tuple):
                out.append(codec.view_varbind(r.start, found[0], found[1], big))
            else:
                out.append(codec.exception_varbind(r.start, _EXCEPTIONS[found], big))
        return codec.encode_response(header, 0, 0, out, big)

    def _next(self, r: SearchRange, now: float) -> tuple[Oid, Any] | None:
        """The first instance in the range (the start itself when `include`), or None."""
        view = self.view
        if r.include:
            found = view.get(r.start, now)
            if isinstance(found, tuple):
                return r.start, found
        nxt = view.get_next(r.start, now)
        if nxt is END_OF_MIB_VIEW:
            return None
        assert isinstance(nxt, tuple)
        if r.end and nxt[0] >= r.end:
            return None
        return nxt

    def _get_next(self, header: Header, pdu: GetNext, big: bool) -> bytes:
        now = self.view.clock()
        foreign = self._foreign_context(pdu.context)
        out = []
        for r in pdu.ranges:
            found = None if foreign else self._next(r, now)
            if found is None:
                out.append(codec.exception_varbind(r.start, ValueType.END_OF_MIB_VIEW, big))
            else:
                oid, (base_type, value) = found
                out.append(codec.view_varbind(oid, base_type, value, big))
        return codec.encode_response(header, 0, 0, out, big)

    def _get_bulk(self, header: Header, pdu: GetBulk, big: bool) -> bytes:
        now = self.view.clock()
        foreign = self._foreign_context(pdu.context)
        out: list[bytes] = []
        ranges = pdu.ranges
        split = min(pdu.non_repeaters, len(ranges))
        for r in ranges[:split]:
            found = None if foreign else self._next(r, now)
            out.append(self._bulk_varbind(r.start, found, big))
        repeaters = list(ranges[split:])
        for _ in range(pdu.max_repetitions):
            if not repeaters or len(out) + len(repeaters) > MAX_BULK_VARBINDS:
                break
            ended = 0
            for i, r in enumerate(repeaters):
                found = None if foreign else self._next(r, now)
                out.append(self._bulk_varbind(r.start, found, big))
                if found is None:
                    ended += 1
                else:
                    repeaters[i] = SearchRange(found[0], r.end, False)
            if ended == len(repeaters):
                break
        return codec.encode_response(header, 0, 0, out, big)

    @staticmethod
    def _bulk_varbind(start: Oid, found: tuple[Oid, Any] | None, big: bool) -> bytes:
        if found is None:
            return codec.exception_varbind(start, ValueType.END_OF_MIB_VIEW, big)
        oid, (base_type, value) = found
        return codec.view_varbind(oid, base_type, value, big)

    # ---------------------------------------------------------------- writes
    def _test_set(self, header: Header, pdu: TestSet, big: bool) -> bytes:
        tid = header.transaction_id
        self._cleanup(tid)
        if self._foreign_context(pdu.context):
            return self._error(header, SNMP_ERRORS["noAccess"], 1 if pdu.varbinds else 0, big)
        varbinds = []
        for index, vb in enumerate(pdu.varbinds, 1):
            value = codec.varbind_to_view(vb)
            if value is None:
                return self._error(header, SNMP_ERRORS["wrongType"], index, big)
            varbinds.append((vb.name, value))
        try:
            transaction = self.view.begin_set(varbinds)
        except SetError as exc:
            return self._error(header, SNMP_ERRORS[exc.status], exc.index, big)
        except Exception:
            log.exception("AgentX TestSet failed unexpectedly")
            return self._error(header, SNMP_ERRORS["genErr"], 0, big)
        while len(self._transactions) >= MAX_TRANSACTIONS:
            self._cleanup(next(iter(self._transactions)))
        self._transactions[tid] = transaction
        return self._error(header, Error.NO_ERROR, 0, big)

    def _commit_or_undo(self, header: Header, commit: bool, big: bool) -> bytes:
        failed = "commitFailed" if commit else "undoFailed"
        transaction = self._transactions.get(header.transaction_id)
        if transaction is None:
            return self._error(header, Error.PROCESSING_ERROR, 0, big)
        try:
            transaction.commit() if commit else transaction.undo()
        except SetError as exc:
            return self._error(header, SNMP_ERRORS[exc.status], exc.index, big)
        except Exception:
            log.exception("AgentX %s failed unexpectedly", "CommitSet" if commit else "UndoSet")
            return self._error(header, SNMP_ERRORS[failed], 0, big)
        return self._error(header, Error.NO_ERROR, 0, big)

    def _cleanup(self, transaction_id: int) -> None:
        transaction = self._transactions.pop(transaction_id, None)
        if transaction is None:
            return
        try:
            transaction.cleanup()
        except Exception:
            log.exception("AgentX CleanupSet failed")

    # ---------------------------------------------------------------- answers
    @staticmethod
    def _error(header: Header, error: int, index: int, big: bool) -> bytes:
        return codec.encode_response(header, error, index, [], big)
