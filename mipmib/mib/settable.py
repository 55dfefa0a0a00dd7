"""The writable objects of the MIP-MIB and what a SET of each does to the running core.

Decisions (also in the README):
- Security associations: the revision's mipSecurityAssocTable creates and removes rows with
  mipSecurityStatus. RFC 2006's mipSecAssocTable has no RowStatus: a SET that gives a new
  (peer, SPI) index a key (mipSecKey) creates an active row; its other columns only change
  existing rows; rows are removed through the revision's table (same rows). SPIs below 256
  are reserved and never created (noCreation). An association created over SNMP is a
  mobile node's (MN-HA) when its peer is in the home agent's home network, otherwise an
  agent's (FA-HA).
- Only MD5 is offered (mipSecAlgorithmType md5); the mode picks HMAC-MD5 (revision hmac(3),
  RFC 2006 other(1)) or keyed-MD5 prefix+suffix (prefixSuffix(2)).
- Advertisement rows exist for each agent interface: they can be changed (also while active,
  which is how the foreign agent's lifetime ceiling is lowered at run time), set notInService
  and active again, but not created for other interfaces nor destroyed.
- StorageType columns accept nonVolatile(3) only: every committed SET is persisted.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from mipmib.core.advertisement import AdvertisementSettings
from mipmib.core.auth import Algorithm
from mipmib.core.entity import MobilityEntity
from mipmib.core.foreign_agent import CareOfAddress
from mipmib.core.security import Peer, ReplayMethod, SecurityAssociation
from mipmib.mib.rowstatus import RowStatus
from mipmib.mib.schema import Schema
from mipmib.mib.transaction import RowError
from mipmib.mib.tree import MibView, Scalar, Table
from mipmib.mib.writers import RowWriter, ScalarSetter, Setter, field_setter, only, truth_setter

MD5 = 2
NON_VOLATILE = 3
VOLATILE = 2
ADVERT_ADDRESSES = {0xE0000001, 0xFFFFFFFF}  # 224.0.0.1 and 255.255.255.255
FIRST_FREE_SPI = 256


class _Registrar:
    """Attaches writers to the nodes the read side registered, by MIB name."""

    def __init__(self, view: MibView, schema: Schema) -> None:
        self.view = view
        self.schema = schema

    def column(self, name: str) -> int:
        return self.schema.oid(name)[-1]

    def scalar(self, name: str, read: Callable[[], Any], write: Callable[[Any], None]) -> None:
        node = self.view.node_at(self.schema.oid(name))
        assert isinstance(node, Scalar)
        node.write = self.schema.object(name)
        node.writer = ScalarSetter(read, write)

    def table(
        self, entry: str, writer: RowWriter, setters: dict[str, Setter], status: str | None = None
    ) -> None:
        node = self.view.node_at(self.schema.oid(entry))
        assert isinstance(node, Table)
        writer.setters = {self.column(n): s for n, s in setters.items()}
        if status is not None:
            writer.status_column = self.column(status)
            node.writable[writer.status_column] = self.schema.object(status)
        node.writable.update({self.column(n): self.schema.object(n) for n in setters})
        node.status_column = writer.status_column
        node.writer = writer


def register_writers(view: MibView, schema: Schema, entity: MobilityEntity) -> None:
    """Make every writable object of the served groups writable."""
    r = _Registrar(view, schema)
    r.scalar(
        "mipEnable",
        lambda: 1 if entity.enabled else 2,
        lambda v: setattr(entity, "enabled", v == 1),
    )
    _security(r, entity)
    _advertisement(r, entity)
    if entity.foreign_agent is not None:
        _foreign_agent(r, entity)


# ---------------------------------------------------------------- security associations
def _peer_kind(entity: MobilityEntity, peer: int) -> Peer:
    ha = entity.home_agent
    if ha is not None and ipaddress.IPv4Address(peer) in ha.settings.home_network:
        return Peer.MOBILE_NODE
    return Peer.AGENT


def _security(r: _Registrar, entity: MobilityEntity) -> None:
    sas = entity.associations

    def create(key: tuple[int, int]) -> SecurityAssociation:
        peer, spi = key
        if spi < FIRST_FREE_SPI:
            raise RowError("noCreation")
        if sas.full:
            raise RowError("resourceUnavailable")
        return SecurityAssociation(
            peer=peer,
            spi=spi,
            key=b"",
            kind=_peer_kind(entity, peer),
            status=RowStatus.NOT_READY,
        )

    def insert(key: tuple[int, int], sa: SecurityAssociation) -> None:
        sas.add(sa)

    def remove(key: tuple[int, int]) -> None:
        sas.remove(*key)

    def complete(sa: SecurityAssociation) -> bool:
        return len(sa.key) == 16

    def algorithm(mode_for_hmac: int) -> Setter:
        def setter(sa: SecurityAssociation, value: int) -> None:
            if value == mode_for_hmac:
                sa.algorithm = Algorithm.HMAC_MD5
            elif value == 2:
                sa.algorithm = Algorithm.PREFIX_SUFFIX_MD5
            else:
                raise RowError("wrongValue")

        return setter

    def replay(sa: SecurityAssociation, value: int) -> None:
        if value not in (ReplayMethod.TIMESTAMPS, ReplayMethod.NONCES):
            raise RowError("wrongValue")
        sa.replay = ReplayMethod(value)

    def key_setter(sa: SecurityAssociation, value: bytes) -> None:
        sa.key = bytes(value)

    def peer_address(sa: SecurityAssociation, value: int) -> None:
        if value not in (0, sa.peer):
            raise RowError("inconsistentValue")

    rows = lambda: sas.by_index  # noqa: E731 - both tables read the same rows
    common = dict(rows=rows, insert=insert, remove=remove, create=create, complete=complete)
    r.table(
        "mipSecurityAssocEntry",
        RowWriter(**common),
        {
            "mipSecurityAlgorithmType": only(
                {MD5}, "wrongValue", r.column("mipSecurityAlgorithmType")
            ),
            "mipSecurityAlgorithmMode": algorithm(3),
            "mipSecurityKey": key_setter,
            "mipSecurityReplayMethod": replay,
            "mipSecurityReplayTime": field_setter("replay_window"),
            "mipSecurityPeerNAI": field_setter("peer_nai", bytes),
            "mipSecurityPeerIpAddress": peer_address,
            "mipSecurityStorageType": only(
                {NON_VOLATILE}, "inconsistentValue", r.column("mipSecurityStorageType")
            ),
        },
        status="mipSecurityStatus",
    )
    r.table(
        "mipSecAssocEntry",
        RowWriter(**common),
        {
            "mipSecAlgorithmType": only({MD5}, "wrongValue", r.column("mipSecAlgorithmType")),
            "mipSecAlgorithmMode": algorithm(1),
            "mipSecKey": key_setter,
            "mipSecReplayMethod": replay,
        },
    )
    r.table(
        "mipSecurityViolationEntry",
        RowWriter(rows=lambda: entity.violations.by_address),
        {
            "mipSecurityviolationStorageType": only(
                {VOLATILE}, "inconsistentValue", r.column("mipSecurityviolationStorageType")
            ),
        },
    )


# ---------------------------------------------------------------- advertisement
def _advertisement(r: _Registrar, entity: MobilityEntity) -> None:
    def check(adv: AdvertisementSettings, columns: set[int]) -> None:
        if not adv.min_interval <= adv.max_interval <= adv.max_adv_lifetime:
            raise RowError("inconsistentValue", min(columns) if columns else None)

    def address(adv: AdvertisementSettings, value: int) -> None:
        if value not in ADVERT_ADDRESSES:
            raise RowError("wrongValue")
        adv.address = value

    def columns(prefix: str) -> dict[str, Setter]:
        return {
            f"{prefix}MaxRegLifetime": field_setter("max_reg_lifetime"),
            f"{prefix}PrefixLengthInclusion": truth_setter("prefix_length_inclusion"),
            f"{prefix}Address": address,
            f"{prefix}MaxInterval": field_setter("max_interval"),
            f"{prefix}MinInterval": field_setter("min_interval"),
            f"{prefix}MaxAdvLifetime": field_setter("max_adv_lifetime"),
            f"{prefix}ResponseSolicitationOnly": truth_setter("response_solicitation_only"),
        }

    r.table(
        "maAdvConfigEntry",
        RowWriter(rows=entity.interfaces_by_address, check=check, can_destroy=False),
        columns("maAdv"),
        status="maAdvStatus",
    )
    r.table(
        "maAdvertConfEntry",
        RowWriter(rows=entity.interfaces_by_if_index, check=check, can_destroy=False),
        {
            **columns("maAdvert"),
            "maAdvertService": field_setter("service", lambda v: v[0] if v else 0),
            "maAdvertNetworkNAI": field_setter("network_nai", bytes),
            "maAdvertStorageType": only(
                {NON_VOLATILE}, "inconsistentValue", r.column("maAdvertStorageType")
            ),
        },
        status="maAdvertStatus",
    )


# ---------------------------------------------------------------- foreign agent
def _foreign_agent(r: _Registrar, entity: MobilityEntity) -> None:
    fa = entity.foreign_agent
    assert fa is not None
    coas = fa.settings.care_of_addresses
    advert = fa.settings.advertisement
    assert advert is not None

    def challenge_window(adv: AdvertisementSettings, value: int) -> None:
        if value < 0:
            raise RowError("wrongValue")
        adv.challenge_window = value

    r.table(
        "faCOAEntry",
        RowWriter(
            rows=lambda: coas,
            create=lambda key: CareOfAddress(status=RowStatus.NOT_READY),
            insert=lambda key, row: coas.__setitem__(key, row),
            remove=lambda key: coas.pop(key, None),
        ),
        {
            "faCOAStorageType": only(
                {NON_VOLATILE}, "inconsistentValue", r.column("faCOAStorageType")
            )
        },
        status="faCOAStatus",
    )
    r.scalar(
        "faRegistrationRequired",
        lambda: 1 if advert.registration_required else 2,
        lambda v: setattr(advert, "registration_required", v == 1),
    )
    r.table(
        "faAdvertConfEntry",
        RowWriter(rows=entity.foreign_agent_interfaces),
        {
            "faAdvertRegRequired": truth_setter("registration_required"),
            "faAdvertChallengeWindow": challenge_window,
        },
    )
