"""Mobility security associations and the log of security violations.

Both agents look associations up by (peer address, SPI). The store keeps them in a sorted
dict so that the management view can walk them in index order without sorting per request.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sortedcontainers import SortedDict

from mipmib.core.auth import Algorithm

ACTIVE = 1  # RowStatus active


class ReplayMethod(enum.IntEnum):
    """Replay protection of an association (values as in mipSecReplayMethod)."""

    OTHER = 1
    TIMESTAMPS = 2
    NONCES = 3


class Peer(enum.Enum):
    """Who is at the other end of an association, and so which agent uses it."""

    MOBILE_NODE = "mobile-node"  # mobile node <-> home agent (MHAE)
    VISITOR = "visitor"  # mobile node <-> foreign agent (MFAE)
    AGENT = "agent"  # foreign agent <-> home agent (FHAE)


class ViolationReason(enum.IntEnum):
    """Why a message failed its security checks (values as in mipSecRecentViolationReason)."""

    NO_MOBILITY_SECURITY_ASSOCIATION = 1
    BAD_AUTHENTICATOR = 2
    BAD_IDENTIFIER = 3
    BAD_SPI = 4
    MISSING_SECURITY_EXTENSION = 5
    OTHER = 6


@dataclass(slots=True)
class SecurityAssociation:
    """One security context shared with one peer under one SPI."""

    peer: int
    spi: int
    key: bytes
    algorithm: Algorithm = Algorithm.HMAC_MD5
    replay: ReplayMethod = ReplayMethod.TIMESTAMPS
    replay_window: int = 7
    kind: Peer = Peer.MOBILE_NODE
    status: int = 1  # RowStatus: only active(1) associations authenticate anything
    storage: int = 3  # StorageType nonVolatile(3)
    peer_nai: bytes = b""
    # replay state: last accepted identification (timestamps) or nonce we issued last (nonces)
    last_identification: int | None = None
    nonce: int | None = None

    def __repr__(self) -> str:  # never show the key, not even in a traceback or a log line
        return (
            f"SecurityAssociation(peer={self.peer}, spi={self.spi}, "
            f"algorithm={self.algorithm.value}, replay={self.replay.name})"
        )


class SecurityAssociations:
    """All associations of one entity, ordered by (peer, SPI)."""

    capacity = 1 << 22  # rows at most; a manager creating more gets resourceUnavailable

    def __init__(self) -> None:
        self.by_index: SortedDict = SortedDict()

    @property
    def full(self) -> bool:
        return len(self.by_index) >= self.capacity

    def add(self, sa: SecurityAssociation) -> None:
        self.by_index[(sa.peer, sa.spi)] = sa

    def remove(self, peer: int, spi: int) -> SecurityAssociation | None:
        return self.by_index.pop((peer, spi), None)

    def get(self, peer: int, spi: int, kind: Peer) -> SecurityAssociation | None:
        sa = self.by_index.get((peer, spi))
        return sa if sa is not None and sa.kind is kind and sa.status == ACTIVE else None

    def first_for_peer(self, peer: int, kind: Peer) -> SecurityAssociation | None:
        """The lowest-SPI association of this kind with this peer, if any."""
        for key in self.by_index.irange((peer, 0), (peer, 0xFFFFFFFF)):
            sa = self.by_index[key]
            if sa.kind is kind and sa.status == ACTIVE:
                return sa
        return None

    def __len__(self) -> int:
        return len(self.by_index)


@dataclass(slots=True)
class Violation:
    """The violation record of one offending source address."""

    address: int
    count: int = 0
    spi: int = 0
    time: float = 0.0
    identification: int = 0
    reason: ViolationReason = ViolationReason.OTHER
    reply_code: int = 0


class ViolationLog:
    """Security violations per offender, plus the entity-wide total.

    `listeners` are called with each updated record; the notification sender hooks in there.
    """

    def __init__(self) -> None:
        self.by_address: SortedDict = SortedDict()
        self.total = 0
        self.listeners: list = []

    def record(
        self,
        address: int,
        reason: ViolationReason,
        now: float,
        spi: int = 0,
        identification: int = 0,
        reply_code: int = 0,
    ) -> Violation:
        entry = self.by_address.get(address)
        if entry is None:
            entry = Violation(address)
            self.by_address[address] = entry
        entry.count += 1
        entry.spi = spi
        entry.time = now
        entry.identification = identification
        entry.reason = reason
        entry.reply_code = reply_code
        self.total += 1
        for listener in self.listeners:
            listener(entry)
        return entry
