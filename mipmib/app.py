"""Wiring: settings -> core entity -> MIB view -> front ends, all on one event loop."""

from __future__ import annotations

import asyncio
import gc
import ipaddress
import logging
import signal
import time
from dataclasses import dataclass

from mipmib.config import Settings
from mipmib.core import messages as m
from mipmib.core.advertisement import (
    SERVICE_FOREIGN_AGENT,
    SERVICE_HOME_AGENT,
    AdvertisementSettings,
)
from mipmib.core.entity import MobilityEntity
from mipmib.core.foreign_agent import CareOfAddress, ForeignAgent, ForeignAgentSettings
from mipmib.core.home_agent import HomeAgent
from mipmib.core.mobile_node import MobileNode, MobileNodeSettings
from mipmib.core.security import Peer, SecurityAssociation, SecurityAssociations, ViolationLog
from mipmib.core.udp import AgentEndpoint, run_mobile_nodes, serve_agent
from mipmib.exporter.prometheus import MibExposition, serve_metrics
from mipmib.mib.objects import build_view
from mipmib.mib.schema import Schema
from mipmib.mib.tree import MibView
from mipmib.snmp.access import new_engine
from mipmib.snmp.agentx.session import Subagent, start_subagent
from mipmib.snmp.notify import Notifier, start_notifier
from mipmib.snmp.standalone import StandaloneAgent
from mipmib.store import ConfigStore

log = logging.getLogger("mipmib")


def build_entity(settings: Settings, now: float) -> MobilityEntity:
    """The core objects described by the settings (no sockets)."""
    associations = SecurityAssociations()
    for sa in settings.security_associations:
        for peer in sa.peers:
            associations.add(
                SecurityAssociation(
                    peer=m.ip_to_int(peer),
                    spi=sa.spi,
                    key=sa.key,
                    algorithm=sa.algorithm,
                    replay=sa.replay,
                    replay_window=sa.replay_window,
                    kind=sa.kind,
                )
            )
    violations = ViolationLog()
    entity = MobilityEntity(associations=associations, violations=violations, start_time=now)
    if_index = 1
    if settings.home_agent is not None:
        ha = settings.home_agent
        entity.home_agent = HomeAgent(ha, associations, violations)
        entity.interfaces.append(
            AdvertisementSettings(
                if_index=if_index,
                interface_address=ha.address,
                service=SERVICE_HOME_AGENT,
                max_reg_lifetime=ha.max_lifetime,
            )
        )
        if_index += 1
    if settings.foreign_agent is not None:
        c = settings.foreign_agent
        advert = AdvertisementSettings(
            if_index=if_index,
            interface_address=m.ip_to_int(c.address),
            service=SERVICE_FOREIGN_AGENT,
            max_reg_lifetime=c.max_lifetime,
            registration_required=c.registration_required,
        )
        entity.interfaces.append(advert)
        fa_settings = ForeignAgentSettings(
            address=m.ip_to_int(c.address),
            port=c.port,
            advertisement=advert,
            home_agent_port=c.home_agent_port,
            pending_timeout=c.pending_timeout,
            max_pending=c.max_pending,
            max_visitors=c.max_visitors,
            encapsulations=c.encapsulations,
            reverse_tunnel=c.reverse_tunnel,
            strict_reserved_bits=c.strict_reserved_bits,
        )
        fa_settings.care_of_addresses.update(
            (m.ip_to_int(a), CareOfAddress()) for a in c.care_of_addresses
        )
        entity.foreign_agent = ForeignAgent(fa_settings, associations, violations)
    return entity


def demo_mobile_nodes(settings: Settings, entity: MobilityEntity, count: int) -> list[MobileNode]:
    """Mobile nodes registering through the FA (or straight to the HA without one)."""
    if entity.home_agent is None:
        raise ValueError("demo mobile nodes need a home agent in this process")
    ha = entity.home_agent.settings
    fa = entity.foreign_agent
    first = m.ip_to_int(settings.demo.first_home_address)
    nodes = []
    for i in range(count):
        home = first + i
        sa = entity.associations.first_for_peer(home, Peer.MOBILE_NODE)
        if sa is None:
            raise ValueError(
                f"no security association for demo mobile node {m.int_to_ip(home)}: "
                "add it to [[security_associations]]"
            )
        if fa is not None:
            coa = next(iter(fa.settings.care_of_addresses))
            agent = (fa.settings.address, fa.settings.port)
        else:
            coa, agent = home, (ha.address, ha.port)
        nodes.append(
            MobileNode(
                MobileNodeSettings(
                    home_address=home,
                    home_agent=ha.address,
                    care_of_address=coa,
                    agent=agent,
                    spi=sa.spi,
                    key=sa.key,
                    algorithm=sa.algorithm,
                    lifetime=settings.demo.lifetime,
                    colocated=fa is None,
                )
            )
        )
    return nodes


@dataclass(slots=True)
class Running:
    """Handles of a started agent, for tests and shutdown."""

    entity: MobilityEntity
    view: MibView
    snmp: StandaloneAgent | None  # None: AgentX only (--no-standalone)
    metrics: asyncio.Server
    transports: list[AgentEndpoint]
    store: ConfigStore
    subagent: Subagent | None = None
    notifier: Notifier | None = None

    def close(self) -> None:
        for transport in self.transports:
            transport.close()
        self.metrics.close()
        if self.snmp is not None:
            self.snmp.close()
        if self.subagent is not None:
            self.subagent.close()
        if self.notifier is not None:
            self.notifier.close()
        self.store.close()


async def start(settings: Settings) -> Running:
    """Open every socket of the main job and return once all of them are listening."""
    entity = build_entity(settings, time.time())
    schema = Schema.load()
    view = build_view(entity, schema, time.time)
    store = open_store(settings, schema, view)
    transports = []
    for agent, role in ((entity.home_agent, "home agent"), (entity.foreign_agent, "foreign agent")):
        if agent is None:
            continue
        address, port = m.int_to_ip(agent.settings.address), agent.settings.port
        transports.append(await serve_agent(agent, address, port))
        log.info("%s listening on %s:%d", role, address, port)
    snmp = None
    if settings.agentx.standalone:
        snmp = StandaloneAgent(view, settings.snmp, new_engine(settings.snmp, settings.state_dir))
    metrics = await serve_metrics(
        MibExposition(view, schema, entity), settings.metrics.address, settings.metrics.port
    )
    subagent = start_subagent(settings.agentx, view, schema)
    notifier = await start_notifier(
        settings.notifications,
        schema,
        view,
        lambda: entity.uptime_ticks(time.time()),
        standalone=snmp is not None,
        subagent=subagent,
    )
    entity.violations.listeners.append(notifier)
    return Running(entity, view, snmp, metrics, transports, store, subagent, notifier)


def open_store(settings: Settings, schema: Schema, view: MibView) -> ConfigStore:
    """The run-time changes: replayed over the configuration file, then recorded."""
    secrets = [schema.oid(name) for name in ("mipSecKey", "mipSecurityKey")]
    store = ConfigStore(settings.state_dir, secrets)
    applied, skipped = store.replay(view)
    if applied or skipped:
        log.info("restored %d stored SET requests (%d no longer applied)", applied, skipped)
    store.attach(view)
    return store


def quiet_garbage_collector() -> None:
    """Keep the cyclic collector from pausing the agent for tens of milliseconds.

    The core's state is hundreds of thousands of long-lived, acyclic objects (bindings,
    associations); every full collection walks all of them. What start-up built is frozen
    out of the collector's sight, and full collections are made rare; the agents create
    almost no reference cycles, so little is left for them to find.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 1_000)


async def run(settings: Settings, demo_mns: int) -> None:
    """The main job: agents, SNMP, exporter and optional demo mobile nodes until a signal."""
    running = await start(settings)
    quiet_garbage_collector()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    tasks = []
    if demo_mns:
        nodes = demo_mobile_nodes(settings, running.entity, demo_mns)
        first = ipaddress.IPv4Address(settings.demo.first_home_address)
        log.info("starting %d demo mobile nodes from %s", demo_mns, first)
        tasks.append(asyncio.create_task(run_mobile_nodes(nodes, True, stop)))
    log.info("mipmib running; Ctrl-C to stop")
    await stop.wait()
    log.info("stopping")
    for task in tasks:
        await task
    running.close()
