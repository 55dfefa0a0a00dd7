"""Home agent: registration processing, mobility bindings and the HA counters (sans-I/O).

`HomeAgent.handle(payload, source, now)` takes one UDP payload received on the registration
port and returns the datagrams to send. `expire(now)` removes bindings whose lifetime ran
out; `next_deadline()` tells the I/O adapter when to call it next. Time is injected (Unix
seconds as float), so tests can drive hours of lifetimes instantly.
"""

from __future__ import annotations

import heapq
import ipaddress
import secrets
from dataclasses import dataclass, field

from sortedcontainers import SortedDict

from mipmib.core import auth
from mipmib.core import messages as m
from mipmib.core.common import Address, Datagram, granted_lifetime, ipip_flags_supported
from mipmib.core.security import (
    Peer,
    ReplayMethod,
    SecurityAssociation,
    SecurityAssociations,
    ViolationLog,
    ViolationReason,
)

# Reply code -> name of the HA counter (MIP-MIB descriptor) it increments.
HA_CODE_COUNTERS: dict[int, str] = {
    0: "haRegistrationAccepted",
    1: "haMultiBindingUnsupported",
    128: "haReasonUnspecified",
    129: "haAdmProhibited",
    130: "haInsufficientResource",
    131: "haMNAuthenticationFailure",
    132: "haFAAuthenticationFailure",
    133: "haIDMismatch",
    134: "haPoorlyFormedRequest",
    135: "haTooManyBindings",
    136: "haUnknownHA",
    137: "haReverseTunnelUnavailable",
    138: "haReverseTunnelBitNotSet",
    139: "haEncapsulationUnavailable",
    140: "haCvsesFromMnUnsupported",
    141: "haCvsesFromFaUnsupported",
}

HA_COUNTERS: tuple[str, ...] = (
    *HA_CODE_COUNTERS.values(),
    "haGratuitiousARPsSent",
    "haProxyARPsSent",
    "haRegRequestsReceived",
    "haDeRegRequestsReceived",
    "haRegRepliesSent",
    "haDeRegRepliesSent",
    "haNvsesFromMnIgnored",
    "haNvsesFromFaIgnored",
)

# Counters of what the MIB has no object for, exported to Prometheus only.
HA_EXTRA_COUNTERS: tuple[str, ...] = (
    "droppedMalformed",  # too short to answer, or an unknown non-skippable extension
    "droppedUnauthenticated",  # no MHAE or no association: dropped silently as RFC 5944 asks
    "droppedDisabled",  # mipEnable is disabled
)


@dataclass(slots=True)
class HomeAgentSettings:
    """What the operator configures for a home agent."""

    address: int
    port: int = 434
    home_network: ipaddress.IPv4Network = field(
        default_factory=lambda: ipaddress.IPv4Network("0.0.0.0/0")
    )
    max_lifetime: int = 1800
    simultaneous_bindings: bool = True
    max_bindings_per_node: int = 5
    max_bindings: int = 1_000_000
    encapsulations: frozenset[str] = frozenset({"ipip", "gre"})
    reverse_tunnel: bool = True
    reverse_tunnel_required: bool = False
    strict_reserved_bits: bool = False


@dataclass(slots=True)
class Binding:
    """One mobility binding (home address, care-of address)."""

    home_address: int
    care_of_address: int
    source_address: int
    home_agent: int
    flags: int
    identification: int
    lifetime: int
    registered_at: float
    expires_at: float

    def remaining(self, now: float) -> int:
        """Whole seconds left, never negative and never above the granted lifetime."""
        if self.lifetime == m.LIFETIME_INFINITE:
            return self.lifetime
        left = int(self.expires_at - now + 0.999)
        return max(0, min(self.lifetime, left))


@dataclass(slots=True)
class NodeCounters:
    """Per mobile node statistics (haCounterTable / haRegCounterTable)."""

    accepted: int = 0
    denied: int = 0
    service_time: float = 0.0
    active_since: float | None = None
    recent_accepted: float | None = None
    recent_denied: float | None = None
    recent_denied_code: int = 0

    def overall_service_time(self, now: float) -> int:
        ongoing = now - self.active_since if self.active_since is not None else 0.0
        return int(self.service_time + ongoing)


class HomeAgent:
    """A Mobile IPv4 home agent over injected time and datagrams."""

    def __init__(
        self,
        settings: HomeAgentSettings,
        associations: SecurityAssociations,
        violations: ViolationLog,
    ) -> None:
        self.settings = settings
        self.associations = associations
        self.violations = violations
        self.enabled = True
        self.bindings: SortedDict = SortedDict()  # (home, coa) -> Binding
        self.node_bindings: dict[int, set[int]] = {}  # home -> care-of addresses
        self.nodes: SortedDict = SortedDict()  # home -> NodeCounters
        self.counters: dict[str, int] = dict.fromkeys(HA_COUNTERS + HA_EXTRA_COUNTERS, 0)
        self._expiry: list[tuple[float, int, int]] = []  # heap of (expires_at, home, coa)
        self.on_bindings_changed: list = []

    # ------------------------------------------------------------------ timers
    def next_deadline(self) -> float | None:
        return self._expiry[0][0] if self._expiry else None

    def expire(self, now: float) -> list[Datagram]:
        """Remove every binding whose lifetime has run out (silently: nothing is sent)."""
        heap = self._expiry
        while heap and heap[0][0] <= now:
            expires_at, home, coa = heapq.heappop(heap)
            binding = self.bindings.get((home, coa))
            if binding is not None and binding.expires_at == expires_at:
                self._remove_binding(home, coa, now)
        return []

    # ------------------------------------------------------------------ requests
    def handle(self, payload: bytes, source: Address, now: float) -> list[Datagram]:
        """Process one datagram from the registration port."""
        if not self.enabled:
            self.counters["droppedDisabled"] += 1
            return []
        if m.message_type(payload) != m.REGISTRATION_REQUEST:
            self.counters["droppedMalformed"] += 1
            return []
        self.counters["haRegRequestsReceived"] += 1
        try:
            request = m.decode_request(payload)
        except m.UnknownNonSkippable:
            self.counters["droppedMalformed"] += 1
            return []
        except m.PoorlyFormed:
            return self._reply_poorly_formed(payload, source, now)
        if request.lifetime == 0:
            self.counters["haDeRegRequestsReceived"] += 1
        return self._process(request, source, now)

    def _reply_poorly_formed(self, payload: bytes, source: Address, now: float) -> list[Datagram]:
        """Answer 134 when the fixed part is readable and the sender can be authenticated.

        Without a verified MHAE we cannot sign a reply for a known association, so a request
        whose fixed part is cut short is dropped and counted.
        """
        fixed = m.decode_fixed_request(payload)
        if fixed is None:
            self.counters["droppedMalformed"] += 1
            return []
        sa = self.associations.first_for_peer(fixed.home_address, Peer.MOBILE_NODE)
        if sa is None:
            self.counters["droppedMalformed"] += 1
            return []
        return self._deny(fixed, sa, 134, source, now)

    def _process(
        self, request: m.RegistrationRequest, source: Address, now: float
    ) -> list[Datagram]:
        settings = self.settings
        home = request.home_address
        # 1. authorization-enabling extension: the first authentication extension must be MHAE
        mhae = _first_auth_extension(request.extensions)
        if mhae is None or mhae.type != m.EXT_MHAE:
            self._violation(source[0], ViolationReason.MISSING_SECURITY_EXTENSION, now, request)
            self.counters["droppedUnauthenticated"] += 1
            return []
        if len(mhae.body) < 4:
            self._violation(source[0], ViolationReason.BAD_SPI, now, request)
            self.counters["droppedUnauthenticated"] += 1
            return []
        spi = m.auth_spi(mhae)
        sa = self.associations.get(home, spi, Peer.MOBILE_NODE)
        if sa is None:
            reason = (
                ViolationReason.BAD_SPI
                if self.associations.first_for_peer(home, Peer.MOBILE_NODE)
                else ViolationReason.NO_MOBILITY_SECURITY_ASSOCIATION
            )
            # RFC 5944 lets us drop this silently; we deny with 131 so that the node (and
            # its operator) learn why, e.g. after its association was destroyed over SNMP.
            # The reply cannot be signed: there is no key.
            self._violation(source[0], reason, now, request, spi, 131)
            return self._deny(request, None, 131, source, now)
        if not auth.verify_auth_extension(request.raw, mhae, sa.key, sa.algorithm):
            self._violation(source[0], ViolationReason.BAD_AUTHENTICATOR, now, request, spi, 131)
            return self._deny(request, sa, 131, source, now)
        # 2. identification
        if not self._identification_ok(request, sa, now):
            self._violation(source[0], ViolationReason.BAD_IDENTIFIER, now, request, spi, 133)
            return self._deny(request, sa, 133, source, now, id_mismatch=True)
        # 3. FA authentication, when we share an association with the sending FA
        fa_sa = self.associations.first_for_peer(source[0], Peer.AGENT)
        fhae = m.find_extension(request.extensions, m.EXT_FHAE)
        if fhae is not None and fa_sa is None:
            self.counters["droppedUnauthenticated"] += 1  # an FHAE we cannot check
            return []
        if fa_sa is not None and request.lifetime:
            fa_sa = self.associations.get(source[0], m.auth_spi(fhae), Peer.AGENT) if fhae else None
            if fa_sa is None or not auth.verify_auth_extension(
                request.raw, fhae, fa_sa.key, fa_sa.algorithm
            ):
                self._violation(
                    source[0], ViolationReason.BAD_AUTHENTICATOR, now, request, spi, 132
                )
                return self._deny(request, sa, 132, source, now)
        # 4. well-formedness and addressing
        if settings.strict_reserved_bits and request.flags & (m.FLAG_R | m.FLAG_X):
            return self._deny(request, sa, 134, source, now)
        if request.home_agent != settings.address:
            return self._deny(request, sa, 136, source, now)
        if request.lifetime:
            if not ipip_flags_supported(request.flags, settings.encapsulations):
                return self._deny(request, sa, 139, source, now)
            if request.flags & m.FLAG_T and not settings.reverse_tunnel:
                return self._deny(request, sa, 137, source, now)
            if settings.reverse_tunnel_required and not request.flags & m.FLAG_T:
                return self._deny(request, sa, 138, source, now)
        if home == 0 or ipaddress.IPv4Address(home) not in settings.home_network:
            return self._deny(request, sa, 129, source, now)
        # 5. bindings
        if request.lifetime == 0:
            self._deregister(request, now)
            return self._accept(request, sa, 0, 0, source, now)
        code = 0
        if request.flags & m.FLAG_S and not settings.simultaneous_bindings:
            code = 1
        keep_others = bool(request.flags & m.FLAG_S) and settings.simultaneous_bindings
        existing = self.node_bindings.get(home, set())
        coa = request.care_of_address
        duplicate = self.bindings.get((home, coa))
        if duplicate is not None and duplicate.identification == request.identification:
            # a duplicate request must not extend the lifetime
            return self._accept(request, sa, code, duplicate.remaining(now), source, now)
        new_binding = (home, coa) not in self.bindings
        if keep_others and new_binding and len(existing) >= settings.max_bindings_per_node:
            return self._deny(request, sa, 135, source, now)
        if (
            new_binding
            and len(self.bindings) >= settings.max_bindings
            and not (existing and not keep_others)
        ):
            return self._deny(request, sa, 130, source, now)
        lifetime = granted_lifetime(request.lifetime, settings.max_lifetime)
        if not keep_others:
            for other in [c for c in existing if c != coa]:
                self._remove_binding(home, other, now)
        self._add_binding(request, source[0], lifetime, now)
        return self._accept(request, sa, code, lifetime, source, now)

    # ------------------------------------------------------------------ helpers
    def _identification_ok(
        self, request: m.RegistrationRequest, sa: SecurityAssociation, now: float
    ) -> bool:
        if sa.replay == ReplayMethod.NONCES:
            return sa.nonce is not None and auth.nonce_acceptable(request.identification, sa.nonce)
        if not auth.timestamp_acceptable(
            request.identification, sa.last_identification, now, sa.replay_window
        ):
            return False
        sa.last_identification = request.identification
        return True

    def _reply_identification(
        self, request_id: int, sa: SecurityAssociation | None, now: float, id_mismatch: bool
    ) -> int:
        if sa is not None and sa.replay == ReplayMethod.NONCES:
            sa.nonce = secrets.randbits(32)
            return auth.nonce_mismatch_identification(request_id, sa.nonce)
        if id_mismatch:
            return auth.mismatch_identification(request_id, now)
        return request_id

    def _reply(
        self,
        request: m.RegistrationRequest,
        sa: SecurityAssociation | None,
        code: int,
        lifetime: int,
        source: Address,
        now: float,
        id_mismatch: bool = False,
    ) -> list[Datagram]:
        reply = m.RegistrationReply(
            code=code,
            lifetime=lifetime,
            home_address=request.home_address,
            home_agent=self.settings.address,
            identification=self._reply_identification(request.identification, sa, now, id_mismatch),
        )
        payload = m.encode_reply(reply)
        if sa is not None:
            payload = auth.append_auth_extension(payload, m.EXT_MHAE, sa.spi, sa.key, sa.algorithm)
        self.counters[HA_CODE_COUNTERS.get(code, "haReasonUnspecified")] += 1
        self.counters["haRegRepliesSent"] += 1
        if request.lifetime == 0:
            self.counters["haDeRegRepliesSent"] += 1
        return [Datagram(payload, source)]

    def _accept(self, request, sa, code, lifetime, source, now) -> list[Datagram]:
        node = self._node(request.home_address)
        node.accepted += 1
        node.recent_accepted = now
        return self._reply(request, sa, code, lifetime, source, now)

    def _deny(self, request, sa, code, source, now, id_mismatch=False) -> list[Datagram]:
        # per-node rows exist for nodes we hold an association with (or held one)
        node = (
            self._node(request.home_address)
            if sa is not None
            else self.nodes.get(request.home_address)
        )
        if node is None:
            return self._reply(request, sa, code, request.lifetime, source, now, id_mismatch)
        node.denied += 1
        node.recent_denied = now
        node.recent_denied_code = code
        return self._reply(request, sa, code, request.lifetime, source, now, id_mismatch)

    def _node(self, home: int) -> NodeCounters:
        node = self.nodes.get(home)
        if node is None:
            node = NodeCounters()
            self.nodes[home] = node
        return node

    def _violation(
        self,
        source_ip: int,
        reason: ViolationReason,
        now: float,
        request: m.RegistrationRequest,
        spi: int = 0,
        reply_code: int = 0,
    ) -> None:
        self.violations.record(source_ip, reason, now, spi, request.identification, reply_code)

    def _add_binding(
        self, request: m.RegistrationRequest, source_ip: int, lifetime: int, now: float
    ) -> None:
        home, coa = request.home_address, request.care_of_address
        expires_at = float("inf") if lifetime == m.LIFETIME_INFINITE else now + lifetime
        binding = Binding(
            home_address=home,
            care_of_address=coa,
            source_address=source_ip,
            home_agent=self.settings.address,
            flags=request.flags,
            identification=request.identification,
            lifetime=lifetime,
            registered_at=now,
            expires_at=expires_at,
        )
        self.bindings[(home, coa)] = binding
        coas = self.node_bindings.setdefault(home, set())
        if not coas:
            node = self._node(home)
            node.active_since = now
            self.counters["haGratuitiousARPsSent"] += 1  # proxy ARP starts for this node
        coas.add(coa)
        if expires_at != float("inf"):
            heapq.heappush(self._expiry, (expires_at, home, coa))
        for listener in self.on_bindings_changed:
            listener(binding, True)

    def _remove_binding(self, home: int, coa: int, now: float) -> None:
        binding = self.bindings.pop((home, coa), None)
        if binding is None:
            return
        coas = self.node_bindings.get(home)
        if coas is not None:
            coas.discard(coa)
            if not coas:
                del self.node_bindings[home]
                node = self._node(home)
                if node.active_since is not None:
                    node.service_time += now - node.active_since
                    node.active_since = None
        for listener in self.on_bindings_changed:
            listener(binding, False)

    def _deregister(self, request: m.RegistrationRequest, now: float) -> None:
        home, coa = request.home_address, request.care_of_address
        if coa == home:
            for other in list(self.node_bindings.get(home, ())):
                self._remove_binding(home, other, now)
        else:
            self._remove_binding(home, coa, now)


def _first_auth_extension(extensions: list[m.Extension]) -> m.Extension | None:
    for ext in extensions:
        if ext.type in (m.EXT_MHAE, m.EXT_MFAE, m.EXT_FHAE):
            return ext
    return None
