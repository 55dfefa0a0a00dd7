"""The `mipmib` command: run, mn (mobile node simulator), loadgen, check-config."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from dataclasses import replace
from pathlib import Path

from mipmib import config


def _settings(args: argparse.Namespace) -> config.Settings:
    settings = config.load(args.config)
    if getattr(args, "snmp_port", None):
        settings.snmp = replace(settings.snmp, port=args.snmp_port)
    if getattr(args, "metrics_port", None):
        settings.metrics = replace(settings.metrics, port=args.metrics_port)
    if getattr(args, "state_dir", None):
        settings.state_dir = Path(args.state_dir)
    if getattr(args, "agentx", None):
        settings.agentx = replace(settings.agentx, address=args.agentx)
    if getattr(args, "no_standalone", False):
        settings.agentx = replace(settings.agentx, standalone=False)
    if not settings.agentx.standalone and settings.agentx.address is None:
        raise config.ConfigError("--no-standalone needs an AgentX master: --agentx ADDRESS")
    return settings


def _agentx_address(text: str) -> str:
    from mipmib.snmp.agentx.address import Address

    try:
        return str(Address.parse(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


# Without --first-home-address, the simulator and the load generator start further into the
# demo range than `run --demo-mns`, so that they do not take over its nodes' bindings.
SIMULATOR_OFFSET = 50
LOADGEN_OFFSET = 100


def _shifted(address: str, offset: int) -> str:
    from mipmib.core import messages as m

    return m.int_to_ip(m.ip_to_int(address) + offset)


def _cmd_run(args: argparse.Namespace) -> int:
    from mipmib.app import run

    settings = _settings(args)
    _logging(settings.log_level)
    demo = settings.demo.mobile_nodes if args.demo_mns is None else args.demo_mns
    asyncio.run(run(settings, demo))
    return 0


def _cmd_mn(args: argparse.Namespace) -> int:
    from mipmib.app import build_entity, demo_mobile_nodes
    from mipmib.core.udp import run_mobile_nodes

    settings = _settings(args)
    _logging(settings.log_level)
    settings.demo = replace(
        settings.demo,
        first_home_address=args.first_home_address
        or _shifted(settings.demo.first_home_address, SIMULATOR_OFFSET),
    )
    if args.lifetime:
        settings.demo = replace(settings.demo, lifetime=args.lifetime)
    entity = build_entity(settings, 0.0)
    if args.direct:
        entity.foreign_agent = None
    nodes = demo_mobile_nodes(settings, entity, args.count)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        if args.duration:
            loop.call_later(args.duration, stop.set)
        await run_mobile_nodes(nodes, not args.shared_socket, stop)

    asyncio.run(main())
    registered = sum(1 for n in nodes if n.state == 1)
    print(
        f"{len(nodes)} mobile nodes; last reply codes: "
        f"{sorted({n.last_code for n in nodes if n.last_code is not None})}; "
        f"deregistered at exit: {registered}"
    )
    return 0


def _cmd_loadgen(args: argparse.Namespace) -> int:
    import json

    from mipmib.app import build_entity
    from mipmib.core import messages as m
    from mipmib.loadgen import LoadGenerator, nodes_from

    settings = config.load(args.config)
    ha, fa = settings.home_agent, settings.foreign_agent
    if ha is None or (args.via == "fa" and fa is None):
        raise config.ConfigError(f"--via {args.via} needs that agent in the configuration")
    first = args.first_home_address or _shifted(settings.demo.first_home_address, LOADGEN_OFFSET)
    try:
        nodes = nodes_from(build_entity(settings, 0.0).associations, m.ip_to_int(first), args.nodes)
    except ValueError as exc:
        raise config.ConfigError(f"{exc}: add it to [[security_associations]]") from None
    if args.via == "fa":
        target, coa = (fa.address, fa.port), m.ip_to_int(fa.care_of_addresses[0])
    else:
        target, coa = (m.int_to_ip(ha.address), ha.port), None  # co-located care-of address
    if args.target:
        host, _, port = args.target.rpartition(":")
        target = (host, int(port))
    generator = LoadGenerator(
        nodes, target, ha.address, coa, args.lifetime, progress=not args.quiet
    )
    count = args.count or args.nodes
    # one request in flight per node at most: the FA keeps one pending request per node
    window = min(args.window, len(nodes))
    result = asyncio.run(generator.run(count, window, args.rate, args.timeout))
    print(json.dumps(result.as_dict()) if args.json else result.summary())
    return 0 if result.answered else 1


def _cmd_check_config(args: argparse.Namespace) -> int:
    settings = config.load(args.config)
    roles = [
        r
        for r, c in (("home agent", settings.home_agent), ("foreign agent", settings.foreign_agent))
        if c
    ]
    peers = sum(len(sa.peers) for sa in settings.security_associations)
    noun = "association" if peers == 1 else "associations"
    print(f"{settings.source}: OK ({', '.join(roles)}; {peers} security {noun})")
    return 0


def _logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper()),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mipmib",
        description="Mobile IPv4 home/foreign agent managed through the MIP-MIB "
        "(SNMP, AgentX and Prometheus).",
    )
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the agents, the SNMP agent and the exporter")
    run.add_argument("--config", help="TOML configuration (default: the embedded one)")
    run.add_argument(
        "--demo-mns",
        type=int,
        metavar="N",
        help="also simulate N mobile nodes registering through the FA",
    )
    run.add_argument("--snmp-port", type=int, help="override [snmp] port")
    run.add_argument("--metrics-port", type=int, help="override [metrics] port")
    run.add_argument("--state-dir", help="override [agent] state_dir")
    run.add_argument(
        "--agentx",
        type=_agentx_address,
        metavar="ADDRESS",
        help="also serve the MIB as an AgentX subagent of the master at ADDRESS "
        "(unix:/path or tcp:host:port); overrides [agentx] address",
    )
    run.add_argument(
        "--no-standalone",
        action="store_true",
        help="do not run the standalone SNMP agent (AgentX only)",
    )
    run.set_defaults(func=_cmd_run)

    mn = sub.add_parser("mn", help="simulate mobile nodes against running agents")
    mn.add_argument("--config", help="the agents' configuration (addresses, keys)")
    mn.add_argument("-n", "--count", type=int, default=5, help="number of mobile nodes")
    mn.add_argument(
        "--first-home-address",
        help="home address of the first node (default: 50 past [demo] first_home_address)",
    )
    mn.add_argument("--lifetime", type=int, help="requested lifetime in seconds")
    mn.add_argument(
        "--direct",
        action="store_true",
        help="register straight with the HA (co-located care-of address)",
    )
    mn.add_argument("--duration", type=float, help="deregister and exit after this many seconds")
    mn.add_argument(
        "--shared-socket",
        action="store_true",
        help="one socket for all nodes instead of one per home address",
    )
    mn.set_defaults(func=_cmd_mn)

    lg = sub.add_parser("loadgen", help="registration load against running agents")
    lg.add_argument("--config", help="the agents' configuration (addresses, keys)")
    lg.add_argument("-n", "--nodes", type=int, default=100, help="number of mobile nodes")
    lg.add_argument("--count", type=int, help="registrations to send (default: one per node)")
    lg.add_argument("--via", choices=("ha", "fa"), default="ha", help="HA directly or the FA")
    lg.add_argument("--window", type=int, default=64, help="requests in flight (closed loop)")
    lg.add_argument("--rate", type=float, help="open loop: requests per second")
    lg.add_argument("--lifetime", type=int, default=600, help="requested lifetime in seconds")
    lg.add_argument(
        "--first-home-address",
        help="home address of the first node (default: 100 past [demo] first_home_address)",
    )
    lg.add_argument("--target", metavar="HOST:PORT", help="send there instead (an echo server)")
    lg.add_argument("--timeout", type=float, default=5.0, help="seconds before a request is lost")
    lg.add_argument("--json", action="store_true", help="print the summary as JSON")
    lg.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    lg.set_defaults(func=_cmd_loadgen)

    check = sub.add_parser("check-config", help="validate a configuration file")
    check.add_argument("config", nargs="?", help="TOML file (default: the embedded one)")
    check.set_defaults(func=_cmd_check_config)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except config.ConfigError as exc:
        print(f"mipmib: configuration error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"mipmib: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
