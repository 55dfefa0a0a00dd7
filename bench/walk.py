"""Walk benchmarks: `snmpbulkwalk -v2c -Cr25 -On` of haMobilityBindingTable, with N bindings
made by real registrations, through the standalone agent and through net-snmp's snmpd with
mipmib as its AgentX subagent. Reference: snmpd walking a table of N rows of its own
(`snmpd-reference.sh`, common.snmpd_reference), in the same run, with the same client."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench.common import (
    PROCESSES,
    Agent,
    Layout,
    best_walk,
    say,
    snmpget,
    wait_until,
)

COLUMNS = 16  # haMobilityBindingTable's readable columns: varbinds per row


@dataclass
class WalkFigure:
    rows: int
    varbinds: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.varbinds / self.seconds

    @property
    def seconds_per_varbind(self) -> float:
        return self.seconds / self.varbinds


def measure(agent: Agent, rows: int, runs: int) -> WalkFigure:
    """Grow the agent to `rows` bindings, then its best of `runs` walks."""
    agent.grow(rows)
    bound = agent.bindings()
    if bound != rows:
        raise RuntimeError(f"expected {rows} bindings, the agent has {bound}")
    varbinds, seconds = best_walk(agent.snmp, runs)
    if varbinds < rows * COLUMNS:
        raise RuntimeError(f"the walk returned {varbinds} varbinds for {rows} rows")
    figure = WalkFigure(rows, varbinds, seconds)
    say(f"walk {agent.snmp}: {rows} rows, {varbinds} varbinds in {seconds:.3f} s")
    return figure


MASTER_CONFIG = """\
agentAddress udp:{address}
rocommunity public 127.0.0.1
master agentx
agentXSocket unix:{socket}
agentXTimeout 5
"""


@dataclass
class Master:
    """net-snmp's snmpd as AgentX master, with a configuration of its own in `tmp`."""

    address: str
    socket: Path
    process: subprocess.Popen

    @classmethod
    def start(cls, tmp: Path, port: int) -> Master:
        tmp.mkdir(parents=True, exist_ok=True)
        (tmp / "persist").mkdir(exist_ok=True)
        address, socket = f"127.0.0.1:{port}", tmp / "agentx"
        conf = tmp / "snmpd.conf"
        conf.write_text(MASTER_CONFIG.format(address=address, socket=socket))
        log = tmp / "snmpd.log"
        env = {**os.environ, "SNMP_PERSISTENT_DIR": str(tmp / "persist"), "MIBS": ""}
        process = PROCESSES.spawn(
            ["snmpd", "-f", "-Lo", "-C", "-I", "-smux", "-c", str(conf)],
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            env=env,
        )

        def answers() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"snmpd exited:\n{log.read_text()}")
            return socket.exists() and snmpget(address, "1.3.6.1.2.1.1.3.0", 0.3) is not None

        wait_until(answers, "snmpd (AgentX master)", 15, log)
        return cls(address, socket, process)

    @property
    def agentx(self) -> str:
        return f"unix:{self.socket}"

    def stop(self) -> None:
        PROCESSES.stop(self.process)


def through_agentx(layout: Layout, tmp: Path, rows: int, runs: int) -> WalkFigure:
    """The same walk through snmpd, mipmib (AgentX only) holding `rows` bindings."""
    master = Master.start(tmp / "snmpd", layout.master_port)
    agent = None
    try:
        agent = Agent.start(
            layout,
            tmp / "subagent",
            rows,
            args=("--agentx", master.agentx, "--no-standalone"),
            snmp=master.address,
        )
        return measure(agent, rows, runs)
    finally:
        if agent is not None:
            agent.stop()
        master.stop()
