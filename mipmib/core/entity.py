"""The Mobile IP entity of one process: its agents and what they share.

The MIB describes one entity (mipEntities says which roles it has). The home and foreign
agent share the entity's security associations, violation log and on/off switch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sortedcontainers import SortedDict

from mipmib.core.advertisement import SERVICE_FOREIGN_AGENT, AdvertisementSettings
from mipmib.core.foreign_agent import ForeignAgent
from mipmib.core.home_agent import HomeAgent
from mipmib.core.security import SecurityAssociations, ViolationLog


@dataclass(slots=True)
class MobilityEntity:
    """Roles served by this process and their shared state."""

    associations: SecurityAssociations
    violations: ViolationLog
    start_time: float
    home_agent: HomeAgent | None = None
    foreign_agent: ForeignAgent | None = None
    interfaces: list[AdvertisementSettings] = field(default_factory=list)
    _enabled: bool = True

    @property
    def enabled(self) -> bool:
        return self._enabled

    @enabled.setter
    def enabled(self, value: bool) -> None:
        """mipEnable: a disabled entity processes no registrations at all."""
        self._enabled = value
        for agent in (self.home_agent, self.foreign_agent):
            if agent is not None:
                agent.enabled = value

    def interfaces_by_address(self) -> SortedDict:
        """Advertisement rows by interface address (maAdvConfigTable)."""
        return SortedDict((i.interface_address, i) for i in self.interfaces)

    def interfaces_by_if_index(self) -> SortedDict:
        """Advertisement rows by ifIndex (maAdvertConfTable)."""
        return SortedDict((i.if_index, i) for i in self.interfaces)

    def foreign_agent_interfaces(self) -> SortedDict:
        """The interfaces the foreign agent serves, by ifIndex (faAdvertConfTable)."""
        return SortedDict(
            (i.if_index, i) for i in self.interfaces if i.service & SERVICE_FOREIGN_AGENT
        )

    def uptime_ticks(self, when: float | None) -> int:
        """A TimeStamp: hundredths of a second since start, 0 for 'never'."""
        if not when:
            return 0
        return max(0, int((when - self.start_time) * 100)) & 0xFFFFFFFF
