"""Agent advertisement settings of one mobility agent interface.

The agents run on loopback and send no ICMP router advertisements; these settings are what
an advertisement would carry and what the MIB's advertisement tables show and change.
The registration lifetime ceiling is the one the foreign agent enforces (code 69).
"""

from __future__ import annotations

from dataclasses import dataclass

ALL_SYSTEMS = 0xE0000001  # 224.0.0.1
SERVICE_FOREIGN_AGENT = 0x80  # maAdvertService BITS foreignAgent(0)
SERVICE_HOME_AGENT = 0x40  # maAdvertService BITS homeAgent(1)


@dataclass(slots=True)
class AdvertisementSettings:
    """Advertisement configuration of one interface (maAdvConfigTable/maAdvertConfTable)."""

    if_index: int
    interface_address: int
    service: int  # SERVICE_* bits
    max_reg_lifetime: int = 1800
    prefix_length_inclusion: bool = False
    address: int = ALL_SYSTEMS
    max_interval: int = 600
    min_interval: int = 450
    max_adv_lifetime: int = 1800
    response_solicitation_only: bool = False
    network_nai: bytes = b""
    registration_required: bool = True
    busy: bool = False
    challenge_window: int = 2
    status: int = 1  # RowStatus of the row in maAdvConfigTable / maAdvertConfTable
    storage: int = 3  # StorageType nonVolatile(3)
