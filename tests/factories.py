"""Builders of core objects and signed requests shared by the tests."""

from __future__ import annotations

import ipaddress

from mipmib.core import auth
from mipmib.core import messages as m
from mipmib.core.foreign_agent import CareOfAddress, ForeignAgent, ForeignAgentSettings
from mipmib.core.home_agent import HomeAgent, HomeAgentSettings
from mipmib.core.security import SecurityAssociation, SecurityAssociations, ViolationLog

KEY = bytes(range(1, 17))
SPI = 256
HA_ADDR = m.ip_to_int("127.0.0.2")
FA_ADDR = m.ip_to_int("127.0.0.3")
NOW = 1_800_000_000.0


def ip(text: str) -> int:
    return m.ip_to_int(text)


def associations(*homes: str, key: bytes = KEY) -> SecurityAssociations:
    sas = SecurityAssociations()
    for home in homes:
        sas.add(SecurityAssociation(peer=ip(home), spi=SPI, key=key))
    return sas


def home_agent(*homes: str, **settings) -> HomeAgent:
    settings.setdefault("home_network", ipaddress.IPv4Network("0.0.0.0/0"))
    return HomeAgent(
        HomeAgentSettings(address=HA_ADDR, port=4434, **settings),
        associations(*homes),
        ViolationLog(),
    )


def foreign_agent(sas: SecurityAssociations | None = None, max_lifetime: int = 600) -> ForeignAgent:
    fa = ForeignAgent(
        ForeignAgentSettings(address=FA_ADDR, port=4434, home_agent_port=4434),
        sas or SecurityAssociations(),
        ViolationLog(),
    )
    fa.settings.care_of_addresses[FA_ADDR] = CareOfAddress()
    fa.settings.advertisement.max_reg_lifetime = max_lifetime
    return fa


def request(
    home: str = "10.0.0.1",
    coa: str = "127.0.0.3",
    lifetime: int = 300,
    flags: int = 0,
    now: float = NOW,
    identification: int | None = None,
    key: bytes = KEY,
    spi: int = SPI,
    home_agent_addr: int = HA_ADDR,
    sign: bool = True,
) -> bytes:
    req = m.RegistrationRequest(
        flags=flags,
        lifetime=lifetime,
        home_address=ip(home),
        home_agent=home_agent_addr,
        care_of_address=ip(coa),
        identification=auth.timestamp_identification(now)
        if identification is None
        else identification,
    )
    payload = m.encode_request(req)
    if sign:
        payload = auth.append_auth_extension(payload, m.EXT_MHAE, spi, key, auth.Algorithm.HMAC_MD5)
    return payload
