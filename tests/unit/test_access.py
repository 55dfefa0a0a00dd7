"""SNMPv3 users, VACM decisions and the persisted engine identity (mipmib.snmp.access)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from pysnmp.entity import config as pysnmp_config
from pysnmp.proto import error
from pysnmp.proto.acmod import rfc3415
from pysnmp.smi.error import NoSuchInstanceError

from mipmib.config import SnmpSettings, V3UserSettings
from mipmib.snmp import access

IN_VIEW = (1, 3, 6, 1, 2, 1, 44, 1, 1, 1, 0)
OUT_OF_VIEW = (1, 3, 6, 1, 2, 1, 1, 1, 0)
COMMUNITY = access.COMMUNITY_NAME.encode()
NO_AUTH, AUTH, PRIV = access.NO_AUTH_NO_PRIV, access.AUTH_NO_PRIV, access.AUTH_PRIV


def users() -> list[V3UserSettings]:
    return [
        V3UserSettings("reader", "SHA", "none", "read", auth_key="reader-auth"),
        V3UserSettings(
            "writer", "SHA-256", "AES-128", "write", auth_key="writer-auth", priv_key="writer-priv"
        ),
        V3UserSettings("absent", "SHA", "none", "read", unavailable="variable X is not set"),
    ]


@pytest.fixture(scope="module")
def snmp_engine():
    return access.new_engine(SnmpSettings(v3_users=users()), None)


def decision(snmp_engine, model, name, level, view_type, oid=IN_VIEW, vacm=None) -> str:
    vacm = vacm or snmp_engine.access_control_model[rfc3415.Vacm.ACCESS_MODEL_ID]
    try:
        vacm.is_access_allowed(snmp_engine, model, name, level, view_type, b"", oid)
    except error.StatusInformation as exc:
        return type(exc["errorIndication"]).__name__
    return "allowed"


@pytest.mark.parametrize("model", [access.V1, access.V2C])
def test_community_reads_mib_2_44_only_and_never_writes(snmp_engine, model):
    assert decision(snmp_engine, model, COMMUNITY, NO_AUTH, "read") == "allowed"
    assert decision(snmp_engine, model, COMMUNITY, NO_AUTH, "read", OUT_OF_VIEW) == "NotInView"
    # a write view that holds nothing: RFC 3416 4.2.5 noAccess, as snmpd's rocommunity
    assert decision(snmp_engine, model, COMMUNITY, NO_AUTH, "write") == "NotInView"


def test_read_user(snmp_engine):
    assert decision(snmp_engine, access.USM, b"reader", AUTH, "read") == "allowed"
    assert decision(snmp_engine, access.USM, b"reader", PRIV, "read") == "allowed"
    assert decision(snmp_engine, access.USM, b"reader", NO_AUTH, "read") == "NoAccessEntry"
    assert decision(snmp_engine, access.USM, b"reader", PRIV, "write") == "NotInView"


def test_write_user_needs_auth_priv_for_anything(snmp_engine):
    """pysnmp 7.1's own VACM would pick the authPriv entry for an authNoPriv request."""
    assert decision(snmp_engine, access.USM, b"writer", PRIV, "write") == "allowed"
    assert decision(snmp_engine, access.USM, b"writer", PRIV, "read") == "allowed"
    assert decision(snmp_engine, access.USM, b"writer", PRIV, "write", OUT_OF_VIEW) == "NotInView"
    for level in (NO_AUTH, AUTH):
        for view_type in ("read", "write"):
            got = decision(snmp_engine, access.USM, b"writer", level, view_type)
            assert got == "NoAccessEntry", (level, view_type)


def test_unknown_and_unavailable_users_have_no_group(snmp_engine):
    assert decision(snmp_engine, access.USM, b"nobody", PRIV, "read") == "NoGroupName"
    assert decision(snmp_engine, access.USM, b"absent", AUTH, "read") == "NoGroupName"
    # the community's name is no USM user
    assert decision(snmp_engine, access.USM, COMMUNITY, PRIV, "read") == "NoGroupName"


def test_missing_and_empty_views_deny():
    """pysnmp 7.1's own VACM grants access through a view name without view-tree entries."""
    engine = access.new_engine(SnmpSettings(), None)
    pysnmp_config.add_vacm_group(engine, "g", access.USM, "u")
    pysnmp_config.add_vacm_access(engine, "g", b"", access.USM, PRIV, "exact", "nope", "", "")
    assert decision(engine, access.USM, b"u", PRIV, "read") == "NotInView"
    assert decision(engine, access.USM, b"u", PRIV, "write") == "NoSuchView"


def test_users_are_configured_in_usm(snmp_engine):
    builder = snmp_engine.get_mib_builder()
    (entry,) = builder.import_symbols("SNMP-USER-BASED-SM-MIB", "usmUserEntry")
    engine_id = access.engine_state(snmp_engine).engine_id
    for name, auth, priv in (
        ("reader", access.AUTH_PROTOCOLS["SHA"], access.PRIV_PROTOCOLS["none"]),
        ("writer", access.AUTH_PROTOCOLS["SHA-256"], access.PRIV_PROTOCOLS["AES-128"]),
    ):
        index = entry.getInstIdFromIndices(engine_id, name)
        assert tuple(entry.getNode((*entry.name, 5, *index)).syntax) == auth
        assert tuple(entry.getNode((*entry.name, 8, *index)).syntax) == priv
    absent = entry.getInstIdFromIndices(engine_id, "absent")
    with pytest.raises(NoSuchInstanceError):
        entry.getNode((*entry.name, 5, *absent))


def test_community_sources():
    sources = access.CommunitySources(SnmpSettings().community_sources)
    udp = (1, 3, 6, 1, 6, 1, 1)
    assert sources.allowed((udp, ("127.0.0.1", 40000)))
    assert sources.allowed((udp, ("127.9.8.7", 40000)))
    assert not sources.allowed((udp, ("192.0.2.1", 40000)))
    assert not sources.allowed((udp, ("::1", 40000)))
    assert not sources.allowed(None)
    scope = {"communityName": b"public", "transportInformation": (udp, ("192.0.2.1", 1))}
    sources(None, "rfc2576.processIncomingMsg:writable", scope, None)
    assert scope["communityName"] is None and sources.refused == 1


def test_engine_boots_increment_and_engine_id_is_stable(tmp_path: Path):
    state = tmp_path / "state"
    first = access.next_boot(state)
    second = access.next_boot(state)
    assert (first.boots, second.boots) == (1, 2)
    assert first.engine_id == second.engine_id
    assert first.engine_id.startswith(access.ENGINE_ID_PREFIX) and len(first.engine_id) == 13
    saved = json.loads((state / access.STATE_FILE).read_text())
    assert saved == {"engine_id": first.engine_id.hex(), "boots": 2}
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o700
    engine = access.new_engine(SnmpSettings(), state)
    assert access.engine_state(engine) == access.EngineState(first.engine_id, 3)
    assert engine.snmpEngineID == first.engine_id


def test_engine_boots_latch_at_maximum(tmp_path: Path):
    path = tmp_path / access.STATE_FILE
    path.write_text(json.dumps({"engine_id": "80004fb80501020304", "boots": access.MAX_BOOTS}))
    assert access.next_boot(tmp_path).boots == access.MAX_BOOTS


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        '{"engine_id": "zz", "boots": 1}',
        '{"engine_id": "0000000000", "boots": 1}',
        '{"engine_id": "80004fb805", "boots": -1}',
        '{"engine_id": "80004fb805", "boots": true}',
        '{"boots": 1}',
    ],
)
def test_damaged_engine_state_is_an_error_naming_the_file(tmp_path: Path, text: str):
    path = tmp_path / access.STATE_FILE
    path.write_text(text)
    with pytest.raises(access.EngineStateError, match=str(path)):
        access.next_boot(tmp_path)
    assert path.read_text() == text  # left for the operator to look at


def test_without_state_dir_the_identity_is_ephemeral():
    one = access.engine_state(access.new_engine(SnmpSettings(), None))
    two = access.engine_state(access.new_engine(SnmpSettings(), None))
    assert one.boots == two.boots == 1 and one.engine_id != two.engine_id


def test_engine_log_names_users_but_no_keys(caplog):
    caplog.set_level("INFO", logger="mipmib.snmp.access")
    access.new_engine(SnmpSettings(v3_users=users()), None)
    text = caplog.text
    assert "reader (read, authNoPriv)" in text and "writer (write, authPriv)" in text
    assert "SNMPv3 user 'absent' left out: variable X is not set" in text
    for secret in ("reader-auth", "writer-auth", "writer-priv"):
        assert secret not in text
    for user in users():
        assert "-auth" not in repr(user) and "-priv" not in repr(user)
