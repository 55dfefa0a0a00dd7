"""Who may read and write through the standalone agent: communities, USM users and VACM.

`new_engine` builds a pysnmp `SnmpEngine` with no transport yet:

- its snmpEngineID is kept in `<state_dir>/snmp-engine.json` and so is stable across restarts,
  and snmpEngineBoots there is incremented (and written to disk) on every start, before the
  engine answers anything (RFC 3414 2.2);
- the v1/v2c community is read-only, and is answered only from `community_sources`
  (loopback by default);
- SNMPv3 users with access "read" read mib-2.44 at authNoPriv or better; users with access
  "write" have no access at all below authPriv, and read and write mib-2.44 at authPriv.
  (pysnmp's USM goes further: it serves a user only at the level its keys give, so a user
  with a priv key gets a usmStatsUnsupportedSecLevels report for an authNoPriv request.)

VACM, as configured here (RFC 3415 3.2, RFC 3413 3.2, RFC 3416 4.2.5):

- a read-only principal's write view is "mipmib-none", which holds nothing: a SET is
  `notInView` and answered `noAccess` (net-snmp's snmpd answers a read-only community so);
- a write user below authPriv has no access entry: `noAccessEntry`, `authorizationError`,
  for reads as well as writes (as snmpd's `rwuser NAME priv`).

pysnmp 7.1's VACM needs two corrections, made by `StrictVacm`: when no access entry matches
the request's security level exactly, it picks an entry of any level (so an authPriv-only
group would be served at noAuthNoPriv), and a view name with no view-tree entries (an empty
write view, for example) grants access instead of denying it.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pysnmp.entity import config, engine
from pysnmp.proto import errind, error
from pysnmp.proto.acmod import rfc3415

from mipmib.config import ConfigError, SnmpSettings, V3UserSettings

log = logging.getLogger(__name__)

MIP_MIB = (1, 3, 6, 1, 2, 1, 44)
STATE_FILE = "snmp-engine.json"
MAX_BOOTS = 2147483647  # RFC 3414 2.2.2: the value latches here
# RFC 3411 SnmpEngineID, format 5 (octets): pysnmp's enterprise number, as its own IDs use
ENGINE_ID_PREFIX = bytes([0x80, 0x00, 0x4F, 0xB8, 0x05])

VIEW_READ = "mipmib-read"
VIEW_WRITE = "mipmib-write"
VIEW_NONE = "mipmib-none"
COMMUNITY_NAME = "mipmib-community"  # community index, security name and group
GROUP_V3_READ = "mipmib-v3-read"
GROUP_V3_WRITE = "mipmib-v3-write"

NO_AUTH_NO_PRIV, AUTH_NO_PRIV, AUTH_PRIV = 1, 2, 3
SECURITY_LEVELS = {
    NO_AUTH_NO_PRIV: "noAuthNoPriv",
    AUTH_NO_PRIV: "authNoPriv",
    AUTH_PRIV: "authPriv",
}
V1, V2C, USM = 1, 2, 3

AUTH_PROTOCOLS = {
    "SHA": config.USM_AUTH_HMAC96_SHA,
    "SHA-224": config.USM_AUTH_HMAC128_SHA224,
    "SHA-256": config.USM_AUTH_HMAC192_SHA256,
    "SHA-384": config.USM_AUTH_HMAC256_SHA384,
    "SHA-512": config.USM_AUTH_HMAC384_SHA512,
}
# AES-192/256 extend the localized key as draft-blumenthal-aes-usm-04 does: what net-snmp's
# `-x AES192` / `-x AES256` speak (its AES192C/AES256C are the other, Reeder, extension).
PRIV_PROTOCOLS = {
    "none": config.USM_PRIV_NONE,
    "AES-128": config.USM_PRIV_CFB128_AES,
    "AES-192": config.USM_PRIV_CFB192_AES_BLUMENTHAL,
    "AES-256": config.USM_PRIV_CFB256_AES_BLUMENTHAL,
}


class EngineStateError(ConfigError):
    """The persisted engine identity cannot be used."""


@dataclass(frozen=True, slots=True)
class EngineState:
    engine_id: bytes
    boots: int


def new_engine_id() -> bytes:
    return ENGINE_ID_PREFIX + secrets.token_bytes(8)


def _read_state(path: Path) -> EngineState | None:
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    hint = "fix or delete it (a new engine ID makes managers rediscover the agent)"
    try:
        data = json.loads(text)
        engine_id = bytes.fromhex(data["engine_id"])
        boots = data["boots"]
    except (ValueError, KeyError, TypeError) as exc:
        raise EngineStateError(f"{path}: not a valid SNMP engine state ({exc}); {hint}") from None
    if not 5 <= len(engine_id) <= 32 or engine_id in (bytes(len(engine_id)), b"\xff" * 32):
        raise EngineStateError(f"{path}: engine_id must be 5 to 32 octets; {hint}")
    if isinstance(boots, bool) or not isinstance(boots, int) or not 0 <= boots <= MAX_BOOTS:
        raise EngineStateError(f"{path}: boots must be between 0 and {MAX_BOOTS}; {hint}")
    return EngineState(engine_id, boots)


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    with os.fdopen(fd, "w") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def next_boot(state_dir: Path) -> EngineState:
    """This start's engine ID and snmpEngineBoots, persisted before they are used."""
    state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = state_dir / STATE_FILE
    previous = _read_state(path)
    engine_id = previous.engine_id if previous else new_engine_id()
    boots = min((previous.boots if previous else 0) + 1, MAX_BOOTS)
    if boots == MAX_BOOTS:
        log.error(
            "snmpEngineBoots has reached its maximum: SNMPv3 managers cannot authenticate "
            "until %s is deleted (a new engine ID)",
            path,
        )
    state = EngineState(engine_id, boots)
    _write_atomically(
        path, json.dumps({"engine_id": engine_id.hex(), "boots": boots}, indent=1) + "\n"
    )
    return state


class StrictVacm(rfc3415.Vacm):
    """pysnmp's VACM with RFC 3415's access-entry selection and denial of missing views."""

    def _get_family_view_name(
        self,
        groupName: Any,
        contextName: Any,
        securityModel: Any,
        securityLevel: Any,
        viewType: Any,
    ) -> Any:
        # 3.2 steps 4-6 and the preferences of section 4: only entries whose model matches
        # (or is any), whose context matches and whose level is not above the request's
        views = self._accessMap.get(groupName)
        if views is None:
            raise error.StatusInformation(errorIndication=errind.noGroupName)
        context = bytes(contextName)
        candidates = []
        for match, prefixes in views.get(viewType, {}).items():
            for prefix, models in prefixes.items():
                exact = int(match) == 1
                prefix = bytes(prefix)
                if context != prefix if exact else not context.startswith(prefix):
                    continue
                for model, levels in models.items():
                    if int(model) not in (0, int(securityModel)):
                        continue
                    for level, view_name in levels.items():
                        if int(level) <= int(securityLevel):
                            rating = (int(model) != 0, exact, len(prefix), int(level))
                            candidates.append((rating, view_name))
        if not candidates:
            raise error.StatusInformation(errorIndication=errind.noAccessEntry)
        view_name = max(candidates, key=lambda c: c[0])[1]
        if not view_name:
            raise error.StatusInformation(errorIndication=errind.noSuchView)
        return view_name

    def is_access_allowed(self, *args: Any, **kwargs: Any) -> None:
        outcome = super().is_access_allowed(*args, **kwargs)
        # pysnmp returns (rather than raises) notInView for a view without entries
        if isinstance(outcome, error.StatusInformation):
            raise outcome


class CommunitySources:
    """Observer that makes v1/v2c requests from elsewhere fail as an unknown community."""

    def __init__(self, networks: Iterable[ipaddress.IPv4Network]) -> None:
        self.networks = list(networks)
        self.refused = 0

    def allowed(self, transport_information: Any) -> bool:
        try:
            address = ipaddress.ip_address(transport_information[1][0])
        except (TypeError, ValueError, IndexError):
            return False
        return any(address in network for network in self.networks)

    def __call__(self, snmp_engine: Any, execpoint: str, variables: dict, cb_ctx: Any) -> None:
        if not self.allowed(variables.get("transportInformation")):
            self.refused += 1
            variables["communityName"] = None  # matches no community: counted, dropped
            log.debug("v1/v2c request from outside community_sources dropped")


def _views(snmp_engine: engine.SnmpEngine) -> None:
    config.add_vacm_view(snmp_engine, VIEW_READ, "included", MIP_MIB, b"")
    config.add_vacm_view(snmp_engine, VIEW_WRITE, "included", MIP_MIB, b"")
    config.add_vacm_view(snmp_engine, VIEW_NONE, "excluded", (1,), b"")


def _access(snmp_engine: engine.SnmpEngine, group: str, model: int, level: int, write: str) -> None:
    config.add_vacm_access(
        snmp_engine, group, b"", model, level, "exact", VIEW_READ, write, VIEW_READ
    )


def _community(snmp_engine: engine.SnmpEngine, snmp: SnmpSettings) -> None:
    config.add_v1_system(snmp_engine, COMMUNITY_NAME, snmp.community)
    for model in (V1, V2C):
        config.add_vacm_group(snmp_engine, COMMUNITY_NAME, model, COMMUNITY_NAME)
        _access(snmp_engine, COMMUNITY_NAME, model, NO_AUTH_NO_PRIV, VIEW_NONE)
    sources = CommunitySources(snmp.community_sources)
    snmp_engine.observer.register_observer(sources, "rfc2576.processIncomingMsg:writable")


def _user(snmp_engine: engine.SnmpEngine, user: V3UserSettings) -> None:
    config.add_v3_user(
        snmp_engine,
        user.name,
        AUTH_PROTOCOLS[user.auth_protocol],
        user.auth_key,
        PRIV_PROTOCOLS[user.priv_protocol],
        user.priv_key,
    )
    group = GROUP_V3_WRITE if user.access == "write" else GROUP_V3_READ
    config.add_vacm_group(snmp_engine, group, USM, user.name)


def set_identity(snmp_engine: engine.SnmpEngine, state: EngineState) -> None:
    """Give a new engine (before any user or context is added) its ID and boots."""
    # Passing snmpEngineID to SnmpEngine() would also make pysnmp keep its own boots counter
    # under the system's temporary directory; ours lives in the state directory instead.
    builder = snmp_engine.get_mib_builder()
    engine_id, boots = builder.import_symbols(
        "__SNMP-FRAMEWORK-MIB", "snmpEngineID", "snmpEngineBoots"
    )
    engine_id.syntax = engine_id.syntax.clone(state.engine_id)
    snmp_engine.snmpEngineID = engine_id.syntax
    boots.syntax = boots.syntax.clone(state.boots)


def engine_state(snmp_engine: engine.SnmpEngine) -> EngineState:
    """The engine ID and snmpEngineBoots an engine announces."""
    engine_id, boots = snmp_engine.get_mib_builder().import_symbols(
        "__SNMP-FRAMEWORK-MIB", "snmpEngineID", "snmpEngineBoots"
    )
    return EngineState(bytes(engine_id.syntax), int(boots.syntax))


def new_engine(snmp: SnmpSettings, state_dir: Path | None) -> engine.SnmpEngine:
    """An engine with the settings' communities, users and views (no transport yet).

    Without a state directory the engine ID is random and snmpEngineBoots is 1.
    """
    state = next_boot(state_dir) if state_dir is not None else EngineState(new_engine_id(), 1)
    snmp_engine = engine.SnmpEngine()
    set_identity(snmp_engine, state)
    snmp_engine.access_control_model[rfc3415.Vacm.ACCESS_MODEL_ID] = StrictVacm()
    config.add_context(snmp_engine, b"")
    _views(snmp_engine)
    _community(snmp_engine, snmp)
    _access(snmp_engine, GROUP_V3_READ, USM, AUTH_NO_PRIV, VIEW_NONE)
    _access(snmp_engine, GROUP_V3_WRITE, USM, AUTH_PRIV, VIEW_WRITE)
    users = []
    for user in snmp.v3_users:
        if user.unavailable:
            log.warning("SNMPv3 user %r left out: %s", user.name, user.unavailable)
            continue
        _user(snmp_engine, user)
        level = "authPriv" if user.priv_protocol != "none" else "authNoPriv"
        users.append(f"{user.name} ({user.access}, {level})")
    log.info(
        "SNMP engine ID %s, snmpEngineBoots %d; v1/v2c read-only from %s; SNMPv3 users: %s",
        state.engine_id.hex(),
        state.boots,
        ", ".join(map(str, snmp.community_sources)) or "nowhere",
        ", ".join(users) or "none",
    )
    return snmp_engine
