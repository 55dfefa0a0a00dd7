"""A real `mipmib run` process on private loopback addresses, and net-snmp client helpers."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MIBS = f"{REPO / 'mibs'}:{REPO / 'mibs' / 'ietf'}"

CONFIG = """
[agent]
state_dir = "{state}"
log_level = "info"
[snmp]
port = {snmp_port}
{snmp_options}
[metrics]
port = {metrics_port}
[home_agent]
address = "{ha}"
port = 14434
home_network = "0.0.0.0/0"
max_lifetime = 1800
simultaneous_bindings = false
[foreign_agent]
address = "{fa}"
port = 14434
care_of_addresses = ["{fa}"]
max_lifetime = 600
home_agent_port = 14434
[[security_associations]]
peers = "127.1.0.0/24"
spi = 256
key = "integration-test-key-0123"
[[security_associations]]
peer = "10.0.0.1"
spi = 256
key_hex = "0102030405060708090a0b0c0d0e0f10"
[demo]
first_home_address = "127.1.0.1"
lifetime = 300
"""


def require(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (make test installs them)")


@dataclass
class Agent:
    snmp: str
    metrics_url: str
    ha: tuple[str, int]
    fa: tuple[str, int]
    process: subprocess.Popen
    log: Path

    def run(
        self, tool: str, *args: str, mib: bool = True, options: tuple = (), check: bool = True
    ) -> str:
        """stdout of a net-snmp tool; with check=False, stdout and stderr whatever its exit."""
        cmd = [tool, "-v2c", "-c", "public", "-t", "2", "-r", "1", *options]
        if mib:
            cmd += ["-M", f"+{MIBS}", "-m", "+MIP-MIB"]
        cmd += [self.snmp, *args]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        if not check:
            return done.stdout + done.stderr
        assert done.returncode == 0, f"{' '.join(cmd)}\n{done.stdout}\n{done.stderr}"
        return done.stdout


def start_agent(
    tmp: Path,
    demo_mns: int,
    snmp_port: int,
    metrics_port: int,
    *,
    ha: str = "127.0.0.12",
    fa: str = "127.0.0.13",
    snmp_options: str = "",
    extra_config: str = "",
    env: dict[str, str] | None = None,
    args: tuple[str, ...] = (),
    snmp: str | None = None,
) -> Agent:
    """`snmp_options` go into [snmp], `extra_config` at the end of the file, `env` into the
    process environment, `args` on the command line. Starting again in the same `tmp` keeps
    the state directory. `snmp` is where SNMP requests go (default: the standalone agent;
    an snmpd master for AgentX runs); start-up waits until mipEnable.0 answers there."""
    require("snmpget", "snmpbulkwalk")
    config = tmp / "mipmib.toml"
    text = CONFIG.format(
        state=tmp / "state",
        snmp_port=snmp_port,
        snmp_options=snmp_options,
        metrics_port=metrics_port,
        ha=ha,
        fa=fa,
    )
    config.write_text(text + extra_config)
    log = tmp / "agent.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mipmib.cli",
            "run",
            "--config",
            str(config),
            "--demo-mns",
            str(demo_mns),
            *args,
        ],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        cwd=REPO,
        start_new_session=True,
        env={**os.environ, **(env or {})},
    )
    agent = Agent(
        snmp or f"127.0.0.1:{snmp_port}",
        f"http://127.0.0.1:{metrics_port}/metrics",
        (ha, 14434),
        (fa, 14434),
        process,
        log,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"agent exited early:\n{log.read_text()}")
        ok = subprocess.run(
            [
                "snmpget",
                "-v2c",
                "-c",
                "public",
                "-t",
                "0.5",
                "-r",
                "0",
                agent.snmp,
                "1.3.6.1.2.1.44.1.1.2.0",
            ],
            capture_output=True,
        )
        if ok.returncode == 0 and b"No Such" not in ok.stdout:
            return agent
        time.sleep(0.2)
    stop_agent(agent)
    raise AssertionError(f"agent did not answer SNMP in 30 s:\n{log.read_text()}")


def stop_agent(agent: Agent) -> None:
    if agent.process.poll() is None:
        os.killpg(agent.process.pid, signal.SIGTERM)
        try:
            agent.process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(agent.process.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def agent(tmp_path_factory):
    """`mipmib run` with 15 demo mobile nodes registered through the FA."""
    tmp = tmp_path_factory.mktemp("agent")
    running = start_agent(tmp, demo_mns=15, snmp_port=11161, metrics_port=19434)
    wait_for_bindings(running, 15)
    yield running
    stop_agent(running)


def wait_for_bindings(agent: Agent, count: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        out = agent.run("snmpget", "-Oqv", "1.3.6.1.2.1.44.1.6.3.27.0", mib=False)
        value = int(out.strip())
        if value >= count:
            return
        time.sleep(0.2)
    raise AssertionError(f"only {value} bindings after {timeout} s:\n{agent.log.read_text()}")
