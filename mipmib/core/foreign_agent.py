"""Foreign agent: visitor list, relay of requests and replies, FA denials (sans-I/O).

One registration socket receives both the mobile nodes' requests and the home agents'
replies; `handle` tells them apart by message type. A visitor keeps its accepted
registration while a newer request for it is pending ("an active entry stays until a new
request succeeds"), so each `Visitor` holds the accepted values and, separately, the
request in flight.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

from sortedcontainers import SortedDict

from mipmib.core import auth
from mipmib.core import messages as m
from mipmib.core.advertisement import SERVICE_FOREIGN_AGENT, AdvertisementSettings
from mipmib.core.common import Address, Datagram, granted_lifetime, ipip_flags_supported
from mipmib.core.security import Peer, SecurityAssociations, ViolationLog, ViolationReason

FA_CODE_COUNTERS: dict[int, str] = {
    64: "faReasonUnspecified",
    65: "faAdmProhibited",
    66: "faInsufficientResource",
    67: "faMNAuthenticationFailure",
    68: "faHAAuthenticationFailure",
    69: "faRegLifetimeTooLong",
    70: "faPoorlyFormedRequests",
    71: "faPoorlyFormedReplies",
    72: "faEncapsulationUnavailable",
    73: "faVJCompressionUnavailable",
    74: "faReverseTunnelUnavailable",
    75: "faReverseTunnelBitNotSet",
    76: "faMnTooDistant",
    79: "faDeliveryStyleUnsupported",
    96: "faNonZeroHomeAddressRequired",
    100: "faCvsesFromMnUnsupported",
    101: "faCvsesFromHaUnsupported",
    104: "faUnknownChallenge",
    105: "faMissingChallenge",
    106: "faStaleChallenge",
}
FA_COUNTERS: tuple[str, ...] = (
    *FA_CODE_COUNTERS.values(),
    "faHAUnreachable",
    "faRegRequestsReceived",
    "faRegRequestsRelayed",
    "faRegRepliesRecieved",
    "faRegRepliesRelayed",
    "faNvsesFromMnIgnored",
    "faNvsesFromHaIgnored",
)
FA_EXTRA_COUNTERS: tuple[str, ...] = (
    "droppedMalformed",
    "droppedUnmatchedReplies",
    "droppedDisabled",
    "faInvalidCareOfAddress",  # code 77, which the MIB does not count
)

HA_UNREACHABLE = 88  # sent when the home agent does not answer in time


@dataclass(slots=True)
class ForeignAgentSettings:
    """What the operator configures for a foreign agent."""

    address: int
    port: int = 434
    advertisement: AdvertisementSettings | None = None
    care_of_addresses: SortedDict = field(default_factory=SortedDict)  # int -> CareOfAddress
    home_agent_port: int = 434
    pending_timeout: float = 7.0
    max_pending: int = 10_000
    max_visitors: int = 1_000_000
    encapsulations: frozenset[str] = frozenset({"ipip", "gre"})
    reverse_tunnel: bool = True
    strict_reserved_bits: bool = False

    def __post_init__(self) -> None:
        if self.advertisement is None:
            self.advertisement = AdvertisementSettings(
                if_index=1, interface_address=self.address, service=SERVICE_FOREIGN_AGENT
            )

    @property
    def max_lifetime(self) -> int:
        """The registration lifetime ceiling this FA advertises and enforces."""
        assert self.advertisement is not None
        return self.advertisement.max_reg_lifetime


@dataclass(slots=True)
class CareOfAddress:
    """A care-of address the FA may offer (a faCOATable row)."""

    status: int = 1  # RowStatus: only active(1) addresses are offered
    storage: int = 3  # StorageType nonVolatile(3)


@dataclass(slots=True)
class PendingRequest:
    """A request relayed to the home agent and not answered yet."""

    source: Address
    home_agent: int
    care_of_address: int
    flags: int
    identification: int
    lifetime: int
    deadline: float


@dataclass(slots=True)
class Visitor:
    """One mobile node in the visitor list, keyed by its home address."""

    home_address: int
    source: Address
    home_agent: int
    care_of_address: int
    flags: int
    identification: int
    lifetime: int = 0
    expires_at: float = 0.0
    accepted: bool = False
    pending: PendingRequest | None = None

    def remaining(self, now: float) -> int:
        if not self.accepted:
            return 0
        left = int(self.expires_at - now + 0.999)
        return max(0, min(self.lifetime, left))


class ForeignAgent:
    """A Mobile IPv4 foreign agent over injected time and datagrams."""

    def __init__(
        self,
        settings: ForeignAgentSettings,
        associations: SecurityAssociations,
        violations: ViolationLog,
    ) -> None:
        self.settings = settings
        self.associations = associations
        self.violations = violations
        self.enabled = True
        self.visitors: SortedDict = SortedDict()  # home address -> Visitor
        self.by_source: SortedDict = SortedDict()  # request source address -> Visitor
        self.pending_count = 0
        self.counters: dict[str, int] = dict.fromkeys(FA_COUNTERS + FA_EXTRA_COUNTERS, 0)
        self._timers: list[tuple[float, int, int]] = []  # (when, home, identification)

    # ------------------------------------------------------------------ timers
    def next_deadline(self) -> float | None:
        return self._timers[0][0] if self._timers else None

    def expire(self, now: float) -> list[Datagram]:
        """Time out pending requests (denied with 88) and expired visitors."""
        out: list[Datagram] = []
        while self._timers and self._timers[0][0] <= now:
            when, home, ident = heapq.heappop(self._timers)
            visitor = self.visitors.get(home)
            if visitor is None:
                continue
            pending = visitor.pending
            if pending is not None and pending.identification == ident and pending.deadline == when:
                out.extend(self._fail_pending(visitor, HA_UNREACHABLE, now))
            elif visitor.accepted and visitor.expires_at == when and visitor.pending is None:
                self._remove(visitor)
        return out

    # ------------------------------------------------------------------ datagrams
    def handle(self, payload: bytes, source: Address, now: float) -> list[Datagram]:
        if not self.enabled:
            self.counters["droppedDisabled"] += 1
            return []
        kind = m.message_type(payload)
        if kind == m.REGISTRATION_REQUEST:
            return self._handle_request(payload, source, now)
        if kind == m.REGISTRATION_REPLY:
            return self._handle_reply(payload, source, now)
        self.counters["droppedMalformed"] += 1
        return []

    def _handle_request(self, payload: bytes, source: Address, now: float) -> list[Datagram]:
        settings = self.settings
        try:
            request = m.decode_request(payload)
        except m.UnknownNonSkippable:
            self.counters["droppedMalformed"] += 1
            return []
        except m.PoorlyFormed:
            fixed = m.decode_fixed_request(payload)
            if fixed is None:
                self.counters["droppedMalformed"] += 1
                return []
            return self._deny(fixed, 70, source)
        self.counters["faRegRequestsReceived"] += 1
        if settings.strict_reserved_bits and request.flags & (m.FLAG_R | m.FLAG_X):
            return self._deny(request, 70, source)
        if (
            request.lifetime
            and not request.flags & m.FLAG_D
            and not _offered(settings.care_of_addresses, request.care_of_address)
        ):
            self.counters["faInvalidCareOfAddress"] += 1
            return self._deny(request, 77, source)
        mn_sa = self.associations.first_for_peer(request.home_address, Peer.VISITOR)
        if mn_sa is not None:
            mfae = m.find_extension(request.extensions, m.EXT_MFAE)
            sa = (
                self.associations.get(request.home_address, m.auth_spi(mfae), Peer.VISITOR)
                if mfae
                else None
            )
            if sa is None or not auth.verify_auth_extension(
                request.raw, mfae, sa.key, sa.algorithm
            ):
                reason = (
                    ViolationReason.MISSING_SECURITY_EXTENSION
                    if mfae is None
                    else ViolationReason.BAD_AUTHENTICATOR
                )
                self.violations.record(
                    source[0], reason, now, mn_sa.spi, request.identification, 67
                )
                return self._deny(request, 67, source)
        if request.lifetime > settings.max_lifetime:
            return self._deny(request, 69, source, lifetime=settings.max_lifetime)
        if request.lifetime:
            if not ipip_flags_supported(request.flags, settings.encapsulations):
                return self._deny(request, 72, source)
            if request.flags & m.FLAG_T and not settings.reverse_tunnel:
                return self._deny(request, 74, source)
        if request.home_address == 0:
            return self._deny(request, 96, source)
        if settings.advertisement.busy:
            return self._deny(request, 66, source)
        visitor = self.visitors.get(request.home_address)
        if visitor is None and request.lifetime and len(self.visitors) >= settings.max_visitors:
            return self._deny(request, 66, source)
        if self.pending_count >= settings.max_pending and (visitor is None or not visitor.pending):
            return self._deny(request, 66, source)
        return self._relay_request(request, visitor, source, now)

    def _relay_request(
        self, request: m.RegistrationRequest, visitor: Visitor | None, source: Address, now: float
    ) -> list[Datagram]:
        settings = self.settings
        deadline = now + settings.pending_timeout
        pending = PendingRequest(
            source=source,
            home_agent=request.home_agent,
            care_of_address=request.care_of_address,
            flags=request.flags,
            identification=request.identification,
            lifetime=request.lifetime,
            deadline=deadline,
        )
        if visitor is None:
            visitor = Visitor(
                home_address=request.home_address,
                source=source,
                home_agent=request.home_agent,
                care_of_address=request.care_of_address,
                flags=request.flags,
                identification=request.identification,
            )
            self.visitors[request.home_address] = visitor
            self.by_source[source[0]] = visitor
        if visitor.pending is None:
            self.pending_count += 1
        visitor.pending = pending
        heapq.heappush(self._timers, (deadline, request.home_address, request.identification))
        # Keep everything up to the end of the MHAE, drop what was meant for us, then sign
        # towards the home agent when we share an association with it.
        mhae = m.find_extension(request.extensions, m.EXT_MHAE)
        end = len(request.raw) if mhae is None else mhae.offset + 2 + len(mhae.body)
        relayed = request.raw[:end]
        fa_ha = self.associations.first_for_peer(request.home_agent, Peer.AGENT)
        if fa_ha is not None and request.lifetime:
            relayed = auth.append_auth_extension(
                relayed, m.EXT_FHAE, fa_ha.spi, fa_ha.key, fa_ha.algorithm
            )
        self.counters["faRegRequestsRelayed"] += 1
        return [Datagram(relayed, (request.home_agent, settings.home_agent_port))]

    def _handle_reply(self, payload: bytes, source: Address, now: float) -> list[Datagram]:
        try:
            reply = m.decode_reply(payload)
        except (m.PoorlyFormed, m.UnknownNonSkippable):
            self.counters["faPoorlyFormedReplies"] += 1
            return []
        self.counters["faRegRepliesRecieved"] += 1
        visitor = self.visitors.get(reply.home_address)
        pending = visitor.pending if visitor is not None else None
        if pending is None or (pending.identification ^ reply.identification) & m.UINT32:
            self.counters["droppedUnmatchedReplies"] += 1
            return []
        code = reply.code
        fa_ha = self.associations.first_for_peer(source[0], Peer.AGENT)
        if fa_ha is not None:
            fhae = m.find_extension(reply.extensions, m.EXT_FHAE)
            sa = self.associations.get(source[0], m.auth_spi(fhae), Peer.AGENT) if fhae else None
            if sa is None or not auth.verify_auth_extension(reply.raw, fhae, sa.key, sa.algorithm):
                self.violations.record(
                    source[0],
                    ViolationReason.BAD_AUTHENTICATOR,
                    now,
                    fa_ha.spi,
                    reply.identification,
                    68,
                )
                code = 68
        # forward up to the end of the MHAE (the part meant for the mobile node)
        mhae = m.find_extension(reply.extensions, m.EXT_MHAE)
        end = len(reply.raw) if mhae is None else mhae.offset + 2 + len(mhae.body)
        forwarded = reply.raw[:end]
        if code != reply.code:
            forwarded = forwarded[:1] + bytes([code]) + forwarded[2:]
            self.counters[FA_CODE_COUNTERS[code]] += 1
        visitor.pending = None
        self.pending_count -= 1
        if code in (0, 1) and reply.lifetime:
            lifetime = granted_lifetime(reply.lifetime, self.settings.max_lifetime)
            if pending.source[0] != visitor.source[0] and self.by_source.get(
                visitor.source[0]
            ) is visitor:
                del self.by_source[visitor.source[0]]  # the node now speaks from elsewhere
            visitor.source = pending.source
            visitor.home_agent = pending.home_agent
            visitor.care_of_address = pending.care_of_address
            visitor.flags = pending.flags
            visitor.identification = pending.identification
            visitor.lifetime = lifetime
            visitor.expires_at = now + lifetime
            visitor.accepted = True
            self.by_source[pending.source[0]] = visitor
            heapq.heappush(self._timers, (visitor.expires_at, visitor.home_address, 0))
        elif code in (0, 1) or not visitor.accepted:
            self._remove(visitor)
        self.counters["faRegRepliesRelayed"] += 1
        return [Datagram(self._sign_for_mn(forwarded, reply.home_address), pending.source)]

    # ------------------------------------------------------------------ helpers
    def _sign_for_mn(self, payload: bytes, home_address: int) -> bytes:
        mn_sa = self.associations.first_for_peer(home_address, Peer.VISITOR)
        if mn_sa is None:
            return payload
        return auth.append_auth_extension(
            payload, m.EXT_MFAE, mn_sa.spi, mn_sa.key, mn_sa.algorithm
        )

    def _deny(
        self,
        request: m.RegistrationRequest,
        code: int,
        source: Address,
        lifetime: int | None = None,
    ) -> list[Datagram]:
        reply = m.RegistrationReply(
            code=code,
            lifetime=request.lifetime if lifetime is None else lifetime,
            home_address=request.home_address,
            home_agent=request.home_agent,
            identification=request.identification,
        )
        counter = FA_CODE_COUNTERS.get(code)
        if counter is not None:
            self.counters[counter] += 1
        payload = self._sign_for_mn(m.encode_reply(reply), request.home_address)
        return [Datagram(payload, source)]

    def _fail_pending(self, visitor: Visitor, code: int, now: float) -> list[Datagram]:
        pending = visitor.pending
        assert pending is not None
        visitor.pending = None
        self.pending_count -= 1
        self.counters["faHAUnreachable"] += 1
        reply = m.RegistrationReply(
            code=code,
            lifetime=pending.lifetime,
            home_address=visitor.home_address,
            home_agent=pending.home_agent,
            identification=pending.identification,
        )
        if not visitor.accepted or visitor.expires_at <= now:
            self._remove(visitor)
        payload = self._sign_for_mn(m.encode_reply(reply), visitor.home_address)
        return [Datagram(payload, pending.source)]

    def _remove(self, visitor: Visitor) -> None:
        if visitor.pending is not None:
            visitor.pending = None
            self.pending_count -= 1
        self.visitors.pop(visitor.home_address, None)
        if self.by_source.get(visitor.source[0]) is visitor:
            del self.by_source[visitor.source[0]]


def _offered(care_of_addresses: SortedDict, address: int) -> bool:
    row = care_of_addresses.get(address)
    return row is not None and row.status == 1
