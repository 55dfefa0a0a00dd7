"""The subagent's answers to the master, sans I/O, over a real MIB view."""

from __future__ import annotations

import struct

import pytest

from mipmib.mib.schema import Schema
from mipmib.snmp.agentx import codec
from mipmib.snmp.agentx.pdu import (
    SNMP_ERRORS,
    CleanupSet,
    CommitSet,
    Error,
    Get,
    GetBulk,
    GetNext,
    Header,
    PduType,
    Response,
    SearchRange,
    TestSet,
    UndoSet,
    ValueType,
    VarBind,
)
from mipmib.snmp.agentx.responder import Responder
from tests.unit.test_mib_view import BINDING_ENTRY, MIP, make_view

SESSION = 42
MIP_ENABLE = (*Schema.load().oid("mipEnable"), 0)


@pytest.fixture
def served():
    entity, view = make_view(Schema.load())
    responder = Responder(view)
    responder.session_id = SESSION
    return entity, view, responder


def ask(responder: Responder, pdu, big: bool = True, session: int = SESSION, tid: int = 1):
    frame = codec.encode(Header(PduType.GET, 0, session, tid, 77), pdu, big)
    reply = responder.handle(frame)
    if reply is None:
        return None
    header, response = codec.decode(reply)
    assert header.type == PduType.RESPONSE and header.packet_id == 77
    assert header.transaction_id == tid and header.network_order is big
    assert isinstance(response, Response)
    return response


def test_get_answers_values_and_exceptions(served):
    _, _, responder = served
    response = ask(
        responder,
        Get(
            [
                SearchRange(MIP_ENABLE),
                SearchRange((*MIP, 1, 1, 9, 0)),
                SearchRange((*MIP, 1, 1, 2, 1)),
            ]
        ),
    )
    assert response.error == 0
    assert response.varbinds == [
        VarBind(ValueType.INTEGER, MIP_ENABLE, 1),
        VarBind(ValueType.NO_SUCH_OBJECT, (*MIP, 1, 1, 9, 0)),
        VarBind(ValueType.NO_SUCH_INSTANCE, (*MIP, 1, 1, 2, 1)),
    ]


@pytest.mark.parametrize("big", [True, False])
def test_get_next_honours_include_and_the_end_of_the_range(served, big):
    _, view, responder = served
    first, second = list(view.walk((*BINDING_ENTRY, 2)))[:2]
    response = ask(
        responder,
        GetNext(
            [
                SearchRange(first[0], (), True),  # include: the start itself
                SearchRange(first[0], (), False),  # the one after it
                SearchRange(first[0], second[0], False),  # nothing before the end
                SearchRange((*MIP, 9), (), False),  # beyond the view
            ]
        ),
        big,
    )
    assert [vb.name for vb in response.varbinds] == [first[0], second[0], first[0], (*MIP, 9)]
    assert response.varbinds[0] == VarBind(
        ValueType.IP_ADDRESS, first[0], first[1][1].to_bytes(4, "big")
    )
    assert [vb.type for vb in response.varbinds[2:]] == [ValueType.END_OF_MIB_VIEW] * 2


def test_get_bulk_repeats_from_each_answer(served):
    _, view, responder = served
    walk = [oid for oid, _ in view.walk(MIP)]
    binding = [oid for oid, _ in view.walk((*BINDING_ENTRY, 2))]
    response = ask(
        responder,
        GetBulk(
            1,
            3,
            [SearchRange(MIP), SearchRange((*BINDING_ENTRY, 2)), SearchRange(walk[-2])],
        ),
    )
    names = [vb.name for vb in response.varbinds]
    assert names[0] == walk[0]
    assert names[1::2] == binding[:3]
    assert names[2::2] == [walk[-1]] * 3  # the last one, then endOfMibView from there
    eom = ValueType.END_OF_MIB_VIEW
    assert [vb.type == eom for vb in response.varbinds[2::2]] == [False, True, True]


def test_test_commit_undo_cleanup_drive_the_views_transaction(served):
    entity, view, responder = served
    ok = ask(responder, TestSet([VarBind(ValueType.INTEGER, MIP_ENABLE, 2)]), tid=5)
    assert (ok.error, ok.index) == (0, 0)
    assert view.get(MIP_ENABLE) == ("Integer32", 1)  # TestSet applies nothing
    assert ask(responder, CommitSet(), tid=5).error == 0
    assert view.get(MIP_ENABLE) == ("Integer32", 2) and not entity.enabled
    assert ask(responder, UndoSet(), tid=5).error == 0
    assert view.get(MIP_ENABLE) == ("Integer32", 1) and entity.enabled
    assert ask(responder, CleanupSet(), tid=5) is None  # no answer to CleanupSet
    assert ask(responder, CommitSet(), tid=5).error == Error.PROCESSING_ERROR


def test_test_set_errors_carry_the_views_status_and_index(served):
    _, view, responder = served
    read_only = (*Schema.load().oid("haRegistrationAccepted"), 0)
    assert view.get(read_only)[0] == "Counter32"
    response = ask(
        responder,
        TestSet(
            [
                VarBind(ValueType.INTEGER, MIP_ENABLE, 1),
                VarBind(ValueType.COUNTER32, read_only, 5),
            ]
        ),
    )
    assert (response.error, response.index) == (SNMP_ERRORS["notWritable"], 2)
    response = ask(responder, TestSet([VarBind(ValueType.NULL, MIP_ENABLE)]))
    assert (response.error, response.index) == (SNMP_ERRORS["wrongType"], 1)


def test_wrong_session_and_broken_payload_are_answered_not_fatal(served):
    _, _, responder = served
    assert ask(responder, GetNext([SearchRange(MIP)]), session=7).error == Error.NOT_OPEN
    frame = codec.encode(Header(PduType.GET, 0, SESSION, 1, 77), GetNext([SearchRange(MIP)]))
    broken = frame[:20] + struct.pack(">BBBB", 200, 0, 0, 0) + frame[24:]
    header, response = codec.decode(responder.handle(broken))
    assert header.packet_id == 77 and response.error == Error.PARSE_ERROR
    # a Response from the master is not a request: never answered
    reply = codec.encode(Header(PduType.RESPONSE, 0, SESSION, 1, 1), Response())
    assert responder.handle(reply) is None
