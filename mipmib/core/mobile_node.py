"""Mobile node state machine (sans-I/O), used by the simulator and the load generator.

States follow mnState: home, pending (a request is out), registered. The node retransmits
with a doubling timeout starting at 1 s, renews before its binding expires, repairs the
replies that can be repaired (69: retry with the FA's maximum; 133: correct its clock from
the home agent's time and retry) and backs off on any other denial.
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass, field

from mipmib.core import auth
from mipmib.core import messages as m
from mipmib.core.common import Address, Datagram

RENEW_FRACTION = 0.75  # renew when this share of the granted lifetime has passed
FIRST_RETRANSMIT = 1.0
DENIAL_BACKOFF = 30.0

MN_COUNTERS: tuple[str, ...] = (
    "mnRegRequestsSent",
    "mnDeRegRequestsSent",
    "mnRegRepliesRecieved",
    "mnDeRegRepliesRecieved",
    "mnRepliesInvalidHomeAddress",
    "mnRepliesInvalidID",
    "mnRepliesDroppedInvalidExtension",
    "mnRepliesIgnoredUnknownExtension",
    "mnRepliesHAAuthenticationFailure",
    "mnRepliesFAAuthenticationFailure",
    "mnRegRequestsAccepted",
    "mnRegRequestsDeniedByHA",
    "mnRegRequestsDeniedByFA",
    "mnRegRequestsDeniedByHADueToID",
)


class MobileNodeState(enum.IntEnum):
    """Values as in mnState."""

    HOME = 1
    REGISTERED = 2
    PENDING = 3
    ISOLATED = 4
    UNKNOWN = 5


@dataclass(slots=True)
class MobileNodeSettings:
    """Identity and security of one simulated mobile node."""

    home_address: int
    home_agent: int
    care_of_address: int
    agent: Address  # where requests go: the FA, or the HA with a co-located CoA
    spi: int
    key: bytes
    algorithm: auth.Algorithm = auth.Algorithm.HMAC_MD5
    lifetime: int = 1800
    flags: int = 0
    colocated: bool = False


@dataclass(slots=True)
class MobileNode:
    """One mobile node. Feed it replies and timer ticks; it returns datagrams to send."""

    settings: MobileNodeSettings
    state: MobileNodeState = MobileNodeState.HOME
    clock_offset: float = 0.0  # correction learnt from a 133 reply
    identification: int = 0
    requested_lifetime: int = 0
    sent_at: float = 0.0
    first_sent_at: float = 0.0
    retransmit_timeout: float = FIRST_RETRANSMIT
    granted: int = 0
    registered_at: float = 0.0
    deadline: float | None = None
    last_code: int | None = None
    counters: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MN_COUNTERS, 0))

    # ------------------------------------------------------------------ actions
    def start(self, now: float) -> list[Datagram]:
        """Register (or re-register) now."""
        return self._send(now, self.settings.lifetime, new=True)

    def stop(self, now: float) -> list[Datagram]:
        """Deregister this care-of address and forget the registration."""
        out = self._send(now, 0, new=True)
        self.deadline = None
        return out

    def on_timer(self, now: float) -> list[Datagram]:
        if self.deadline is None or now < self.deadline:
            return []
        if self.state == MobileNodeState.PENDING:
            self.retransmit_timeout = min(
                self.retransmit_timeout * 2, max(1, self.requested_lifetime or 1)
            )
            return self._send(now, self.requested_lifetime, new=False)
        return self.start(now)

    def handle(self, payload: bytes, now: float) -> list[Datagram]:
        """Process a registration reply addressed to this node."""
        settings = self.settings
        try:
            reply = m.decode_reply(payload)
        except (m.PoorlyFormed, m.UnknownNonSkippable):
            self.counters["mnRepliesDroppedInvalidExtension"] += 1
            return []
        if reply.home_address != settings.home_address:
            self.counters["mnRepliesInvalidHomeAddress"] += 1
            return []
        if (
            reply.identification ^ self.identification
        ) & m.UINT32 or self.state != MobileNodeState.PENDING:
            self.counters["mnRepliesInvalidID"] += 1
            return []
        if any(not m.is_known(ext.type) for ext in reply.extensions):
            self.counters["mnRepliesIgnoredUnknownExtension"] += 1
        code = reply.code
        from_fa = 64 <= code < 128
        if not from_fa:
            mhae = m.find_extension(reply.extensions, m.EXT_MHAE)
            if (
                mhae is None
                or m.auth_spi(mhae) != settings.spi
                or not auth.verify_auth_extension(reply.raw, mhae, settings.key, settings.algorithm)
            ):
                self.counters["mnRepliesHAAuthenticationFailure"] += 1
                return []
        self.counters[
            "mnDeRegRepliesRecieved" if self.requested_lifetime == 0 else "mnRegRepliesRecieved"
        ] += 1
        self.last_code = code
        if code in (0, 1):
            self.counters["mnRegRequestsAccepted"] += 1
            if self.requested_lifetime == 0:
                self.state = MobileNodeState.HOME
                self.deadline = None
                return []
            self.granted = min(reply.lifetime, self.requested_lifetime)
            # the lifetime counts from when the request was first sent
            self.registered_at = self.first_sent_at
            self.state = MobileNodeState.REGISTERED
            self.deadline = self.registered_at + self.granted * RENEW_FRACTION
            return []
        if from_fa:
            self.counters["mnRegRequestsDeniedByFA"] += 1
        else:
            self.counters["mnRegRequestsDeniedByHA"] += 1
        self.state = MobileNodeState.HOME if self.granted == 0 else self.state
        if code == 133:
            self.counters["mnRegRequestsDeniedByHADueToID"] += 1
            ha_seconds = reply.identification >> 32
            self.clock_offset = ha_seconds - auth.ntp_seconds(now)
            return self._send(now, self.requested_lifetime, new=True)
        if code == 69 and reply.lifetime:
            return self._send(now, reply.lifetime, new=True)
        self.state = MobileNodeState.HOME
        self.deadline = now + DENIAL_BACKOFF
        return []

    # ------------------------------------------------------------------ helpers
    def _send(self, now: float, lifetime: int, new: bool) -> list[Datagram]:
        settings = self.settings
        self.identification = auth.timestamp_identification(
            now + self.clock_offset, secrets.randbits(32)
        )
        if new:
            self.first_sent_at = now
            self.retransmit_timeout = FIRST_RETRANSMIT
        self.requested_lifetime = lifetime
        self.sent_at = now
        self.state = MobileNodeState.PENDING
        self.deadline = now + self.retransmit_timeout
        care_of = (
            settings.home_address
            if lifetime == 0 and settings.colocated
            else settings.care_of_address
        )
        flags = settings.flags | (m.FLAG_D if settings.colocated else 0)
        request = m.RegistrationRequest(
            flags=flags,
            lifetime=lifetime,
            home_address=settings.home_address,
            home_agent=settings.home_agent,
            care_of_address=care_of,
            identification=self.identification,
        )
        payload = auth.append_auth_extension(
            m.encode_request(request), m.EXT_MHAE, settings.spi, settings.key, settings.algorithm
        )
        self.counters["mnDeRegRequestsSent" if lifetime == 0 else "mnRegRequestsSent"] += 1
        return [Datagram(payload, settings.agent)]
