"""TOML configuration -> validated, typed settings.

Every error names the file, the key (as a dotted path), the line where it is and what is
wrong, and start-up stops on the first one. Unknown keys are errors too: a typo must not
silently leave a default in place.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from mipmib.core.auth import Algorithm
from mipmib.core.home_agent import HomeAgentSettings
from mipmib.core.security import Peer, ReplayMethod

DEFAULT_CONFIG = "mipmib.toml"


class ConfigError(Exception):
    """A configuration problem, phrased for the operator."""


AUTH_PROTOCOLS = ("SHA", "SHA-224", "SHA-256", "SHA-384", "SHA-512")
PRIV_PROTOCOLS = ("none", "AES-128", "AES-192", "AES-256")
MIN_V3_KEY = 8  # characters, as RFC 3414 (A.1) and net-snmp ask of pass phrases


@dataclass(slots=True)
class V3UserSettings:
    """An SNMPv3 (USM) user. The keys never show in reprs, logs or error messages."""

    name: str
    auth_protocol: str
    priv_protocol: str  # "none": authNoPriv only
    access: str  # "read" or "write" (write needs authPriv)
    auth_key: str | None = field(default=None, repr=False)
    priv_key: str | None = field(default=None, repr=False)
    unavailable: str | None = None  # why the user is left out, e.g. an unset variable


def _loopback() -> list[ipaddress.IPv4Network]:
    return [ipaddress.IPv4Network("127.0.0.0/8")]


@dataclass(slots=True)
class SnmpSettings:
    address: str = "127.0.0.1"
    port: int = 1161
    community: str = "public"
    # v1/v2c requests are answered only from these source networks
    community_sources: list[ipaddress.IPv4Network] = field(default_factory=_loopback)
    v3_users: list[V3UserSettings] = field(default_factory=list)


@dataclass(slots=True)
class MetricsSettings:
    address: str = "127.0.0.1"
    port: int = 9434


@dataclass(slots=True)
class ForeignAgentConfig:
    address: str
    port: int
    care_of_addresses: list[str]
    max_lifetime: int
    home_agent_port: int
    pending_timeout: float
    max_pending: int
    max_visitors: int
    encapsulations: frozenset[str]
    reverse_tunnel: bool
    registration_required: bool
    strict_reserved_bits: bool


@dataclass(slots=True)
class SecurityAssociationConfig:
    peers: list[str]
    spi: int
    key: bytes
    algorithm: Algorithm
    replay: ReplayMethod
    replay_window: int
    kind: Peer

    def __repr__(self) -> str:
        return f"SecurityAssociationConfig(peers={len(self.peers)}, spi={self.spi})"


@dataclass(slots=True)
class DemoSettings:
    mobile_nodes: int = 0
    first_home_address: str = "127.1.0.1"
    lifetime: int = 300


@dataclass(slots=True)
class AgentXSettings:
    address: str | None = None  # "unix:/path" or "tcp:host:port"; None: no AgentX subagent
    standalone: bool = True  # also run the standalone SNMP agent
    priority: int = 127  # registration priority (lower wins)
    context: str | None = None  # register in this non-default context
    timeout: float = 5.0  # seconds to wait for the master's answers


@dataclass(slots=True)
class TrapTarget:
    address: str
    port: int = 162
    community: str = "public"
    kind: str = "trap"  # or "inform"
    timeout: float = 1.0  # informs: seconds before a retry
    retries: int = 2  # informs


@dataclass(slots=True)
class NotificationSettings:
    rate: float = 2.0  # violations reported per second, on average
    burst: int = 5  # reported at once before the rate applies
    targets: list[TrapTarget] = field(default_factory=list)


@dataclass(slots=True)
class Settings:
    source: str
    state_dir: Path
    log_level: str
    snmp: SnmpSettings
    metrics: MetricsSettings
    home_agent: HomeAgentSettings | None
    foreign_agent: ForeignAgentConfig | None
    security_associations: list[SecurityAssociationConfig] = field(default_factory=list)
    demo: DemoSettings = field(default_factory=DemoSettings)
    agentx: AgentXSettings = field(default_factory=AgentXSettings)
    notifications: NotificationSettings = field(default_factory=NotificationSettings)


ENCAPSULATIONS = frozenset({"ipip", "gre", "minimal"})
MAX_SA_PEERS = 1 << 20


class _Reader:
    """Typed access to one table of the TOML document, with located errors."""

    def __init__(self, source: str, lines: list[str], data: dict[str, Any], path: str) -> None:
        self.source = source
        self.lines = lines
        self.data = data
        self.path = path
        self.used: set[str] = set()

    def _line(self, key: str | None) -> int | None:
        """Best effort: the line of `key` in this table, else of the table's header."""
        section, _, rest = self.path.partition("[")
        occurrence = int(rest.rstrip("]")) if rest else 0
        header = re.compile(r"^\s*\[\[?\s*" + re.escape(section) + r"\s*\]\]?\s*$")
        in_section = not section
        seen = -1
        # a key that is itself a table, e.g. a misspelled [foreign_agnet]
        dotted = f"{section}.{key}" if section else key
        table = re.compile(r"^\s*\[\[?\s*" + re.escape(dotted or "") + r"\s*\]\]?\s*$")
        for number, text in enumerate(self.lines, 1):
            if key is not None and table.match(text):
                return number
            if section and header.match(text):
                seen += 1
                in_section = seen == occurrence
                if in_section and key is None:
                    return number
                continue
            if section and text.strip().startswith("["):
                in_section = False
                continue
            if in_section and key is not None and re.match(rf"^\s*{re.escape(key)}\s*=", text):
                return number
        return None

    def error(self, key: str | None, problem: str) -> ConfigError:
        dotted = f"{self.path}.{key}" if self.path and key else (key or self.path or "(top)")
        line = self._line(key)
        where = f"{self.source}:{line}" if line else self.source
        return ConfigError(f"{where}: {dotted}: {problem}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        self.used.add(key)
        if key not in self.data:
            if default is ...:
                raise self.error(None, f"missing required key '{key}'")
            return default
        value = self.data[key]
        if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
            names = (
                kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            )
            raise self.error(key, f"expected {names}, got {type(value).__name__} {value!r}")
        return value

    def integer(self, key: str, default: Any, low: int, high: int) -> int:
        value = self.get(key, int, default)
        if not low <= value <= high:
            raise self.error(key, f"must be between {low} and {high}, got {value}")
        return value

    def ipv4(self, key: str, default: Any = ...) -> str:
        value = self.get(key, str, default)
        try:
            return str(ipaddress.IPv4Address(value))
        except ValueError:
            raise self.error(key, f"not an IPv4 address: {value!r}") from None

    def table(self, key: str) -> _Reader | None:
        self.used.add(key)
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.error(key, "expected a table")
        return _Reader(self.source, self.lines, value, f"{self.path}.{key}" if self.path else key)

    def finish(self) -> None:
        for key in self.data:
            if key not in self.used:
                raise self.error(key, "unknown key (check its spelling)")


def _port(r: _Reader, key: str, default: int) -> int:
    return r.integer(key, default, 1, 65535)


def _encapsulations(r: _Reader) -> frozenset[str]:
    values = r.get("encapsulations", list, ["ipip", "gre"])
    bad = [v for v in values if v not in ENCAPSULATIONS]
    if bad or "ipip" not in values:
        raise r.error(
            "encapsulations",
            f"choose among {sorted(ENCAPSULATIONS)} and include 'ipip'; got {values}",
        )
    return frozenset(values)


def _home_agent(r: _Reader) -> HomeAgentSettings | None:
    if not r.get("enabled", bool, True):
        r.used.update(r.data)
        return None
    try:
        network = ipaddress.IPv4Network(r.get("home_network", str, "0.0.0.0/0"))
    except ValueError as exc:
        raise r.error("home_network", str(exc)) from None
    config = HomeAgentSettings(
        address=int(ipaddress.IPv4Address(r.ipv4("address"))),
        port=_port(r, "port", 434),
        home_network=network,
        max_lifetime=r.integer("max_lifetime", 1800, 1, 65535),
        simultaneous_bindings=r.get("simultaneous_bindings", bool, True),
        max_bindings_per_node=r.integer("max_bindings_per_node", 5, 1, 1000),
        max_bindings=r.integer("max_bindings", 1_000_000, 1, 10_000_000),
        encapsulations=_encapsulations(r),
        reverse_tunnel=r.get("reverse_tunnel", bool, True),
        reverse_tunnel_required=r.get("reverse_tunnel_required", bool, False),
        strict_reserved_bits=r.get("strict_reserved_bits", bool, False),
    )
    r.finish()
    return config


def _foreign_agent(r: _Reader) -> ForeignAgentConfig | None:
    if not r.get("enabled", bool, True):
        r.used.update(r.data)
        return None
    address = r.ipv4("address")
    coas = r.get("care_of_addresses", list, [address])
    for coa in coas:
        try:
            ipaddress.IPv4Address(coa)
        except ValueError:
            raise r.error("care_of_addresses", f"not an IPv4 address: {coa!r}") from None
    config = ForeignAgentConfig(
        address=address,
        port=_port(r, "port", 434),
        care_of_addresses=list(coas),
        max_lifetime=r.integer("max_lifetime", 1800, 1, 65535),
        home_agent_port=_port(r, "home_agent_port", 434),
        pending_timeout=float(r.get("pending_timeout", (int, float), 7)),
        max_pending=r.integer("max_pending", 10_000, 1, 10_000_000),
        max_visitors=r.integer("max_visitors", 1_000_000, 1, 10_000_000),
        encapsulations=_encapsulations(r),
        reverse_tunnel=r.get("reverse_tunnel", bool, True),
        registration_required=r.get("registration_required", bool, True),
        strict_reserved_bits=r.get("strict_reserved_bits", bool, False),
    )
    if config.pending_timeout <= 0:
        raise r.error("pending_timeout", "must be positive")
    r.finish()
    return config


def _v3_key(r: _Reader, kind: str) -> tuple[str | None, str | None]:
    """(key, why it is unavailable) from `<kind>_key` or `<kind>_key_env`; never echoes it."""
    inline, env = f"{kind}_key", f"{kind}_key_env"
    r.used.update((inline, env))
    if (inline in r.data) == (env in r.data):
        raise r.error(None, f"give exactly one of '{inline}' and '{env}'")
    if inline in r.data:
        value = r.data[inline]
        if not isinstance(value, str):
            raise r.error(inline, f"expected str, got {type(value).__name__}")
        key, source = value, inline
    else:
        variable = r.get(env, str)
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", variable):
            raise r.error(env, f"not an environment variable name: {variable!r}")
        key = os.environ.get(variable)
        if not key:
            return None, f"environment variable {variable} is not set"
        source = env
    if len(key) < MIN_V3_KEY:
        what = "key" if source == inline else f"value of ${r.data[env]}"
        raise r.error(source, f"the {what} is too short: at least {MIN_V3_KEY} characters")
    return key, None


_ALIASES = {"SHA-1": "SHA", "AES": "AES-128"}  # net-snmp's spellings


def _choice(r: _Reader, key: str, choices: tuple[str, ...], default: Any = ...) -> str:
    value = r.get(key, str, default)
    value = _ALIASES.get(value, value)
    if value not in choices:
        raise r.error(key, f"choose one of {list(choices)}, got {value!r}")
    return value


def _v3_user(r: _Reader) -> V3UserSettings:
    name = r.get("name", str)
    if not 1 <= len(name.encode()) <= 32 or not name.isprintable():
        raise r.error("name", f"1 to 32 printable characters, got {name!r}")
    auth_protocol = _choice(r, "auth_protocol", AUTH_PROTOCOLS)
    auth_key, unavailable = _v3_key(r, "auth")
    priv_protocol = _choice(r, "priv_protocol", PRIV_PROTOCOLS, "none")
    priv_key = None
    if priv_protocol != "none":
        priv_key, priv_unavailable = _v3_key(r, "priv")
        unavailable = unavailable or priv_unavailable
    elif "priv_key" in r.data or "priv_key_env" in r.data:
        raise r.error(None, "a priv key without priv_protocol: set priv_protocol too")
    access = _choice(r, "access", ("read", "write"), "read")
    if access == "write" and priv_protocol == "none":
        raise r.error("access", "write access needs privacy (authPriv): set priv_protocol")
    r.finish()
    return V3UserSettings(
        name=name,
        auth_protocol=auth_protocol,
        priv_protocol=priv_protocol,
        access=access,
        auth_key=auth_key,
        priv_key=priv_key,
        unavailable=unavailable,
    )


def _snmp(r: _Reader) -> SnmpSettings:
    sources = r.get("community_sources", list, ["127.0.0.0/8"])
    networks = []
    for text in sources:
        try:
            networks.append(ipaddress.IPv4Network(text))
        except (ValueError, TypeError):
            raise r.error("community_sources", f"not an IPv4 network: {text!r}") from None
    r.used.add("v3_users")
    entries = r.data.get("v3_users", [])
    if not isinstance(entries, list):
        raise r.error("v3_users", "expected [[snmp.v3_users]] entries")
    users: list[V3UserSettings] = []
    for i, entry in enumerate(entries):
        entry_r = _Reader(r.source, r.lines, entry, f"snmp.v3_users[{i}]")
        user = _v3_user(entry_r)
        if any(u.name == user.name for u in users):
            raise entry_r.error("name", f"duplicate user name {user.name!r}")
        users.append(user)
    settings = SnmpSettings(
        address=r.ipv4("address", "127.0.0.1"),
        port=_port(r, "port", 1161),
        community=r.get("community", str, "public"),
        community_sources=networks,
        v3_users=users,
    )
    r.finish()
    return settings


def _key(r: _Reader) -> bytes:
    if "key_hex" in r.data:
        text = r.get("key_hex", str)
        try:
            key = bytes.fromhex(text)
        except ValueError:
            raise r.error("key_hex", "not a hexadecimal string") from None
    else:
        key = r.get("key", str).encode()
    if len(key) < 16:
        raise r.error("key_hex" if "key_hex" in r.data else "key", "keys must be at least 16 bytes")
    return key


def _peer_kind(r: _Reader) -> Peer:
    text = r.get("kind", str, Peer.MOBILE_NODE.value)
    try:
        return Peer(text)
    except ValueError:
        choices = [p.value for p in Peer]
        raise r.error("kind", f"choose one of {choices}, got {text!r}") from None


def _security_association(r: _Reader) -> SecurityAssociationConfig:
    if "peer" in r.data:
        peers = [r.ipv4("peer")]
    else:
        text = r.get("peers", str)
        try:
            network = ipaddress.IPv4Network(text)
        except ValueError as exc:
            raise r.error("peers", str(exc)) from None
        if network.num_addresses > MAX_SA_PEERS:
            raise r.error("peers", f"at most {MAX_SA_PEERS} addresses per entry")
        hosts = list(network.hosts()) if network.prefixlen < 31 else list(network)
        peers = [str(a) for a in hosts]
    spi = r.integer("spi", ..., 256, 0xFFFFFFFF)
    algorithm_name = r.get("algorithm", str, Algorithm.HMAC_MD5.value)
    try:
        algorithm = Algorithm(algorithm_name)
    except ValueError:
        choices = [a.value for a in Algorithm]
        raise r.error("algorithm", f"choose one of {choices}, got {algorithm_name!r}") from None
    replay_name = r.get("replay", str, "timestamps")
    if replay_name not in ("timestamps", "nonces"):
        raise r.error("replay", f"choose 'timestamps' or 'nonces', got {replay_name!r}")
    config = SecurityAssociationConfig(
        peers=peers,
        spi=spi,
        key=_key(r),
        algorithm=algorithm,
        replay=ReplayMethod.TIMESTAMPS if replay_name == "timestamps" else ReplayMethod.NONCES,
        replay_window=r.integer("replay_window", 7, 3, 255),
        kind=_peer_kind(r),
    )
    r.finish()
    return config


def _agentx(r: _Reader) -> AgentXSettings:
    from mipmib.snmp.agentx.address import Address

    address = r.get("address", str, None)
    if address is not None:
        try:
            Address.parse(address)
        except ValueError as exc:
            raise r.error("address", str(exc)) from None
    context = r.get("context", str, None)
    settings = AgentXSettings(
        address=address,
        standalone=r.get("standalone", bool, True),
        priority=r.integer("priority", 127, 1, 255),
        context=context,
        timeout=float(r.get("timeout", (int, float), 5)),
    )
    if not 0 < settings.timeout <= 255:
        raise r.error("timeout", "must be between 0 and 255 seconds")
    if not settings.standalone and address is None:
        raise r.error("standalone", "turning the standalone agent off needs an AgentX address")
    r.finish()
    return settings


def _trap_target(r: _Reader) -> TrapTarget:
    kind = r.get("kind", str, "trap")
    if kind not in ("trap", "inform"):
        raise r.error("kind", f"choose 'trap' or 'inform', got {kind!r}")
    target = TrapTarget(
        address=r.ipv4("address"),
        port=_port(r, "port", 162),
        community=r.get("community", str, "public"),
        kind=kind,
        timeout=float(r.get("timeout", (int, float), 1)),
        retries=r.integer("retries", 2, 0, 10),
    )
    if not 0 < target.timeout <= 60:
        raise r.error("timeout", "must be between 0 and 60 seconds")
    r.finish()
    return target


def _notifications(r: _Reader) -> NotificationSettings:
    rate = float(r.get("rate", (int, float), 2))
    if not 0 < rate <= 10_000:
        raise r.error("rate", f"must be above 0 and at most 10000 per second, got {rate}")
    r.used.add("targets")
    entries = r.data.get("targets", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise r.error("targets", "expected [[notifications.targets]] entries")
    settings = NotificationSettings(
        rate=rate,
        burst=r.integer("burst", 5, 1, 10_000),
        targets=[
            _trap_target(_Reader(r.source, r.lines, e, f"notifications.targets[{i}]"))
            for i, e in enumerate(entries)
        ],
    )
    r.finish()
    return settings


def parse(text: str, source: str) -> Settings:
    """Validate a configuration document."""
    lines = text.splitlines()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    top = _Reader(source, lines, data, "")
    agent = top.table("agent") or _Reader(source, lines, {}, "agent")
    state_dir = Path(agent.get("state_dir", str, "state"))
    log_level = agent.get("log_level", str, "info")
    if log_level not in ("debug", "info", "warning", "error"):
        raise agent.error("log_level", f"choose debug, info, warning or error, got {log_level!r}")
    agent.finish()
    snmp = _snmp(top.table("snmp") or _Reader(source, lines, {}, "snmp"))
    metrics_r = top.table("metrics") or _Reader(source, lines, {}, "metrics")
    metrics = MetricsSettings(
        address=metrics_r.ipv4("address", "127.0.0.1"), port=_port(metrics_r, "port", 9434)
    )
    metrics_r.finish()
    ha_r = top.table("home_agent")
    fa_r = top.table("foreign_agent")
    home_agent = _home_agent(ha_r) if ha_r else None
    foreign_agent = _foreign_agent(fa_r) if fa_r else None
    if home_agent is None and foreign_agent is None:
        raise top.error(None, "configure at least one of [home_agent] and [foreign_agent]")
    top.used.add("security_associations")
    sas = []
    entries = data.get("security_associations", [])
    if not isinstance(entries, list):
        raise top.error("security_associations", "expected [[security_associations]] entries")
    for i, entry in enumerate(entries):
        sas.append(
            _security_association(_Reader(source, lines, entry, f"security_associations[{i}]"))
        )
    demo_r = top.table("demo") or _Reader(source, lines, {}, "demo")
    demo = DemoSettings(
        mobile_nodes=demo_r.integer("mobile_nodes", 0, 0, 10_000),
        first_home_address=demo_r.ipv4("first_home_address", "127.1.0.1"),
        lifetime=demo_r.integer("lifetime", 300, 1, 65534),
    )
    demo_r.finish()
    agentx = _agentx(top.table("agentx") or _Reader(source, lines, {}, "agentx"))
    notifications = _notifications(
        top.table("notifications") or _Reader(source, lines, {}, "notifications")
    )
    top.finish()
    return Settings(
        source=source,
        state_dir=state_dir,
        log_level=log_level,
        snmp=snmp,
        metrics=metrics,
        home_agent=home_agent,
        foreign_agent=foreign_agent,
        security_associations=sas,
        demo=demo,
        agentx=agentx,
        notifications=notifications,
    )


def load(path: str | Path | None) -> Settings:
    """Read a configuration file, or the embedded default when `path` is None."""
    if path is None:
        text = resources.files("mipmib").joinpath(DEFAULT_CONFIG).read_text()
        return parse(text, f"<embedded {DEFAULT_CONFIG}>")
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    return parse(text, str(path))
