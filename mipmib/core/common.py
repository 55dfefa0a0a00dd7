"""Small types shared by the sans-I/O agents."""

from __future__ import annotations

from dataclasses import dataclass

from mipmib.core import messages as m

Address = tuple[int, int]
"""An (IPv4 address as int, UDP port) pair."""


@dataclass(slots=True)
class Datagram:
    """A datagram an agent wants sent: payload and destination."""

    payload: bytes
    destination: Address
    source_ip: int = 0  # which local address should send it (0: the agent's own)


def ipip_flags_supported(flags: int, encapsulations: frozenset[str]) -> bool:
    """True when the encapsulation a request asks for (M or G bit) is one we offer."""
    if flags & m.FLAG_M and "minimal" not in encapsulations:
        return False
    return not (flags & m.FLAG_G and "gre" not in encapsulations)


def granted_lifetime(requested: int, maximum: int) -> int:
    """Lifetime an agent grants: never more than asked, never more than its maximum."""
    return min(requested, maximum)
