"""SET semantics through the MIB view: validation, RowStatus, atomicity, live effect."""

from __future__ import annotations

import time

import pytest

from mipmib import config
from mipmib.app import build_entity
from mipmib.core import messages as m
from mipmib.core.security import Peer
from mipmib.mib.objects import build_view
from mipmib.mib.schema import Schema
from mipmib.mib.transaction import Change, SetError
from mipmib.mib.tree import NO_SUCH_INSTANCE
from tests.factories import request

SCHEMA = Schema.load()
ACTIVE, NOT_IN_SERVICE, NOT_READY, CREATE_AND_GO, CREATE_AND_WAIT, DESTROY = range(1, 7)
KEY16 = bytes(range(16))


def oid(name: str, *index: int) -> tuple[int, ...]:
    return (*SCHEMA.oid(name), *index)


def ip_index(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split("."))


def sa_index(peer: str, spi: int) -> tuple[int, ...]:
    return (2, 4, *ip_index(peer), spi)


@pytest.fixture
def agent():
    settings = config.load(None)
    now = time.time()
    entity = build_entity(settings, now)
    view = build_view(entity, SCHEMA, time.time)
    return entity, view


def do_set(view, *varbinds):
    tx = view.begin_set(list(varbinds))
    tx.commit()
    tx.cleanup()


def set_error(view, *varbinds) -> tuple[str, int]:
    with pytest.raises(SetError) as info:
        do_set(view, *varbinds)
    return info.value.status, info.value.index


def test_mip_enable_switches_processing(agent):
    entity, view = agent
    do_set(view, (oid("mipEnable", 0), ("Integer32", 2)))
    assert not entity.enabled and not entity.home_agent.enabled
    assert view.get(oid("mipEnable", 0)) == ("Integer32", 2)
    assert set_error(view, (oid("mipEnable", 0), ("Integer32", 3))) == ("wrongValue", 1)


def test_case_s03_not_writable(agent):
    _, view = agent
    assert set_error(view, ((1, 3, 6, 1, 2, 1, 44, 1, 9, 0), ("Integer32", 1))) == (
        "notWritable",
        1,
    )
    assert set_error(view, (oid("haRegistrationAccepted", 0), ("Counter32", 1))) == (
        "notWritable",
        1,
    )
    assert set_error(view, (oid("mipEnable", 1), ("Integer32", 1))) == ("noCreation", 1)


def test_type_length_value_errors(agent):
    _, view = agent
    idx = sa_index("127.1.0.1", 256)
    assert set_error(view, (oid("mipEnable", 0), ("OctetString", b"x"))) == ("wrongType", 1)
    assert set_error(view, (oid("mipSecurityKey", *idx), ("OctetString", b"x" * 15))) == (
        "wrongLength",
        1,
    )
    assert set_error(view, (oid("mipSecurityReplayTime", *idx), ("Gauge32", 2))) == (
        "wrongValue",
        1,
    )
    assert set_error(view, (oid("mipSecurityAlgorithmMode", *idx), ("Integer32", 1))) == (
        "wrongValue",
        1,
    )


def test_case_s05_one_request_one_outcome(agent):
    entity, view = agent
    adv = entity.foreign_agent.settings.advertisement
    index = (adv.if_index,)
    before = adv.max_reg_lifetime
    error = set_error(
        view,
        (oid("maAdvertMaxRegLifetime", *index), ("Integer32", 100)),
        (oid("maAdvertMaxInterval", *index), ("Integer32", 5000)),
    )
    assert error == ("wrongValue", 2)
    assert adv.max_reg_lifetime == before


@pytest.mark.parametrize("status_first", [True, False])
def test_case_s04_rowstatus_in_any_position(agent, status_first):
    entity, view = agent
    idx = sa_index("127.1.1.7", 300)
    status = (oid("mipSecurityStatus", *idx), ("Integer32", CREATE_AND_GO))
    columns = [
        (oid("mipSecurityKey", *idx), ("OctetString", KEY16)),
        (oid("mipSecurityReplayTime", *idx), ("Gauge32", 9)),
    ]
    do_set(view, *([status, *columns] if status_first else [*columns, status]))
    sa = entity.associations.get(m.ip_to_int("127.1.1.7"), 300, Peer.MOBILE_NODE)
    assert sa is not None and sa.key == KEY16 and sa.replay_window == 9
    assert view.get(oid("mipSecurityStatus", *idx)) == ("Integer32", ACTIVE)
    assert view.get(oid("mipSecurityKey", *idx)) == ("OctetString", b"")


def test_case_s04_create_and_wait_then_active(agent):
    _entity, view = agent
    idx = sa_index("127.1.1.8", 300)
    do_set(view, (oid("mipSecurityStatus", *idx), ("Integer32", CREATE_AND_WAIT)))
    assert view.get(oid("mipSecurityStatus", *idx)) == ("Integer32", NOT_READY)
    assert set_error(view, (oid("mipSecurityStatus", *idx), ("Integer32", ACTIVE))) == (
        "inconsistentValue",
        1,
    )
    do_set(view, (oid("mipSecurityKey", *idx), ("OctetString", KEY16)))
    assert view.get(oid("mipSecurityStatus", *idx)) == ("Integer32", NOT_IN_SERVICE)
    do_set(view, (oid("mipSecurityStatus", *idx), ("Integer32", ACTIVE)))
    do_set(view, (oid("mipSecurityStatus", *idx), ("Integer32", DESTROY)))
    assert view.get(oid("mipSecurityStatus", *idx)) == NO_SUCH_INSTANCE


def test_case_s04_destroy_of_missing_row_succeeds(agent):
    _, view = agent
    do_set(view, (oid("mipSecurityStatus", *sa_index("127.1.1.9", 999)), ("Integer32", DESTROY)))


def test_rowstatus_errors(agent):
    _, view = agent
    idx = sa_index("127.1.0.1", 256)  # exists, from the configuration
    assert set_error(view, (oid("mipSecurityStatus", *idx), ("Integer32", CREATE_AND_GO))) == (
        "inconsistentValue",
        1,
    )
    assert set_error(view, (oid("mipSecurityStatus", *idx), ("Integer32", NOT_READY))) == (
        "wrongValue",
        1,
    )
    new = sa_index("127.1.1.10", 300)
    assert set_error(view, (oid("mipSecurityStatus", *new), ("Integer32", CREATE_AND_GO))) == (
        "inconsistentValue",
        1,
    )
    assert set_error(view, (oid("mipSecurityKey", *new), ("OctetString", KEY16))) == (
        "inconsistentName",
        1,
    )
    reserved = sa_index("127.1.1.10", 255)
    assert set_error(
        view,
        (oid("mipSecurityStatus", *reserved), ("Integer32", CREATE_AND_GO)),
        (oid("mipSecurityKey", *reserved), ("OctetString", KEY16)),
    ) == ("noCreation", 1)
    nai = (3, 4, 1, 2, 3, 4, 300)
    assert set_error(view, (oid("mipSecurityStatus", *nai), ("Integer32", CREATE_AND_GO))) == (
        "noCreation",
        1,
    )


def test_rfc2006_table_creates_with_key_and_never_destroys(agent):
    _entity, view = agent
    idx = (*ip_index("127.1.2.1"), 400)
    assert set_error(view, (oid("mipSecReplayMethod", *idx), ("Integer32", 2))) == (
        "inconsistentName",
        1,
    )
    do_set(
        view,
        (oid("mipSecKey", *idx), ("OctetString", KEY16)),
        (oid("mipSecAlgorithmMode", *idx), ("Integer32", 2)),
    )
    assert view.get(oid("mipSecAlgorithmMode", *idx)) == ("Integer32", 2)
    assert view.get(oid("mipSecurityStatus", *sa_index("127.1.2.1", 400))) == ("Integer32", 1)


def test_security_association_has_live_effect(agent):
    entity, view = agent
    ha = entity.home_agent
    home, spi = "127.1.3.1", 500
    src = (m.ip_to_int("127.0.0.3"), 434)
    now = time.time()
    payload = request(
        home=home, coa="127.0.0.3", home_agent_addr=ha.settings.address, key=KEY16, spi=spi, now=now
    )
    assert m.decode_reply(ha.handle(payload, src, now)[0].payload).code == 131
    idx = sa_index(home, spi)
    do_set(
        view,
        (oid("mipSecurityStatus", *idx), ("Integer32", CREATE_AND_GO)),
        (oid("mipSecurityKey", *idx), ("OctetString", KEY16)),
    )
    payload = request(
        home=home,
        coa="127.0.0.3",
        home_agent_addr=ha.settings.address,
        key=KEY16,
        spi=spi,
        now=now + 1,
    )
    assert m.decode_reply(ha.handle(payload, src, now + 1)[0].payload).code == 0
    do_set(view, (oid("mipSecurityStatus", *idx), ("Integer32", DESTROY)))
    payload = request(
        home=home,
        coa="127.0.0.3",
        home_agent_addr=ha.settings.address,
        key=KEY16,
        spi=spi,
        now=now + 2,
    )
    assert m.decode_reply(ha.handle(payload, src, now + 2)[0].payload).code == 131


def test_lower_fa_lifetime_gives_69(agent):
    entity, view = agent
    fa = entity.foreign_agent
    do_set(view, (oid("maAdvMaxRegLifetime", *ip_index("127.0.0.3")), ("Integer32", 60)))
    assert fa.settings.max_lifetime == 60
    out = fa.handle(
        request(home="127.1.0.9", lifetime=120, home_agent_addr=m.ip_to_int("127.0.0.2")),
        (m.ip_to_int("127.1.0.9"), 4000),
        time.time(),
    )
    reply = m.decode_reply(out[0].payload)
    assert (reply.code, reply.lifetime) == (69, 60)


def test_advertisement_intervals_must_be_ordered(agent):
    entity, view = agent
    index = (entity.foreign_agent.settings.advertisement.if_index,)
    assert set_error(view, (oid("maAdvertMinInterval", *index), ("Integer32", 900))) == (
        "inconsistentValue",
        1,
    )
    assert set_error(view, (oid("maAdvertAddress", *index), ("IpAddress", 1))) == ("wrongValue", 1)
    assert set_error(view, (oid("maAdvertStatus", *index), ("Integer32", DESTROY))) == (
        "inconsistentValue",
        1,
    )


def test_care_of_address_rows(agent):
    entity, view = agent
    fa = entity.foreign_agent
    coa = m.ip_to_int("127.0.0.30")
    do_set(view, (oid("faCOAStatus", *ip_index("127.0.0.30")), ("Integer32", CREATE_AND_GO)))
    assert fa.settings.care_of_addresses[coa].status == ACTIVE
    do_set(view, (oid("faCOAStatus", *ip_index("127.0.0.30")), ("Integer32", NOT_IN_SERVICE)))
    out = fa.handle(
        request(home="127.1.0.9", coa="127.0.0.30", home_agent_addr=m.ip_to_int("127.0.0.2")),
        (m.ip_to_int("127.1.0.9"), 4000),
        time.time(),
    )
    assert m.decode_reply(out[0].payload).code == 77
    do_set(view, (oid("faCOAStatus", *ip_index("127.0.0.30")), ("Integer32", DESTROY)))
    assert coa not in fa.settings.care_of_addresses


def test_commit_failure_reverts_everything(agent):
    entity, view = agent
    calls = []

    def failing_store(tx):
        calls.append(tx)
        raise OSError("disk full")

    view.on_commit.append(failing_store)
    error = set_error(view, (oid("mipEnable", 0), ("Integer32", 2)))
    assert error[0] == "commitFailed" and calls
    assert entity.enabled


def test_undo_reverts_a_commit(agent):
    entity, view = agent
    tx = view.begin_set([(oid("mipEnable", 0), ("Integer32", 2))])
    tx.commit()
    assert not entity.enabled
    tx.undo()
    assert entity.enabled


def test_two_tables_writing_one_row_in_one_request(agent):
    entity, view = agent
    adv = entity.foreign_agent.settings.advertisement
    do_set(
        view,
        (oid("faAdvertChallengeWindow", adv.if_index), ("Integer32", 7)),
        (oid("maAdvertMaxRegLifetime", adv.if_index), ("Integer32", 321)),
    )
    assert (adv.challenge_window, adv.max_reg_lifetime) == (7, 321)


def test_resource_unavailable_when_the_association_table_is_full(agent, monkeypatch):
    entity, view = agent
    monkeypatch.setattr(entity.associations, "capacity", len(entity.associations))
    idx = sa_index("127.1.5.1", 300)
    error = set_error(
        view,
        (oid("mipEnable", 0), ("Integer32", 1)),
        (oid("mipSecurityStatus", *idx), ("Integer32", CREATE_AND_GO)),
        (oid("mipSecurityKey", *idx), ("OctetString", KEY16)),
    )
    assert error == ("resourceUnavailable", 2)


def test_undo_failed_when_a_revert_fails(agent):
    _, view = agent
    tx = view.begin_set([(oid("mipEnable", 0), ("Integer32", 2))])

    def broken() -> None:
        raise OSError("cannot revert")

    def store_down(tx) -> None:
        raise OSError("store down")

    tx.changes.append(Change(lambda: None, broken, index=1))
    tx.on_commit.append(store_down)
    with pytest.raises(SetError) as info:
        tx.commit()
    assert (info.value.status, info.value.index) == ("undoFailed", 1)
