"""net-snmp's snmpd (as AgentX master) and snmptrapd, run by the tests on loopback.

snmpd's configuration is agent/snmpd.conf, the file we ship, with the test's own addresses
and socket, `agentXTimeout 1` (case X03) and a write user whose keys the tests know.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.integration.conftest import REPO, require

ADMIN_AUTH, ADMIN_PRIV = "agentx-admin-auth", "agentx-admin-priv"
# net-snmp options of the write user, the same on snmpd and on the standalone agent
ADMIN = ("-v3", "-l", "authPriv", "-u", "mipadmin", "-a", "SHA-256", "-A", ADMIN_AUTH)
ADMIN += ("-x", "AES", "-X", ADMIN_PRIV)
# the same user in mipmib's [snmp] section
ADMIN_TOML = f"""
[[snmp.v3_users]]
name = "mipadmin"
auth_protocol = "SHA-256"
auth_key = "{ADMIN_AUTH}"
priv_protocol = "AES-128"
priv_key = "{ADMIN_PRIV}"
access = "write"
"""


def _quiet_env(persist: Path) -> dict[str, str]:
    return {**os.environ, "SNMP_PERSISTENT_DIR": str(persist), "MIBS": ""}


def _wait(condition, what: str, log: Path, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what} not ready in {timeout} s:\n{log.read_text()}")


def _stop(process: subprocess.Popen | None) -> None:
    if process is not None and process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Snmpd:
    """snmpd as AgentX master: SNMP on `address`, AgentX on the unix socket `socket`."""

    tmp: Path
    address: str
    trap_sink: str | None = None
    process: subprocess.Popen | None = None
    socket: Path = field(init=False)
    conf: Path = field(init=False)
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.socket = self.tmp / "master"
        self.conf = self.tmp / "snmpd.conf"
        self.log = self.tmp / "snmpd.log"
        self.conf.write_text(self._config())

    def _config(self) -> str:
        overrides = {
            "agentAddress": f"agentAddress udp:{self.address}",
            "agentXSocket": f"agentXSocket unix:{self.socket}",
            "agentXTimeout": "agentXTimeout 1",
            "trap2sink": f"trap2sink {self.trap_sink} public" if self.trap_sink else "",
        }
        lines = []
        for line in (REPO / "agent" / "snmpd.conf").read_text().splitlines():
            words = line.split()
            if words and words[0] in overrides:
                line = overrides[words[0]]
            lines.append(line)
        lines.append(f'createUser mipadmin SHA-256 "{ADMIN_AUTH}" AES "{ADMIN_PRIV}"')
        return "\n".join(lines) + "\n"

    @property
    def agentx(self) -> str:
        return f"unix:{self.socket}"

    def start(self) -> None:
        require("snmpd")
        persist = self.tmp / "persist"
        persist.mkdir(exist_ok=True)
        self.process = subprocess.Popen(
            ["snmpd", "-f", "-Lo", "-C", "-I", "-smux", "-c", str(self.conf)],
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
            env=_quiet_env(persist),
        )
        _wait(self._answers, "snmpd", self.log)
        problems = [line for line in self.log.read_text().splitlines() if "rror" in line]
        assert not problems, f"snmpd does not like {self.conf}:\n{self.log.read_text()}"

    def _answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"snmpd exited:\n{self.log.read_text()}")
        probe = ["snmpget", "-v2c", "-c", "public", "-t", "0.3", "-r", "0", self.address]
        done = subprocess.run([*probe, "1.3.6.1.2.1.1.3.0"], capture_output=True)
        return done.returncode == 0 and self.socket.exists()

    def stop(self) -> None:
        _stop(self.process)
        self.process = None


@dataclass
class Notification:
    """One notification as snmptrapd printed it."""

    header: str  # e.g. "TRAP2, SNMP v2c, community public" or "INFORM, ..."
    varbinds: dict[str, str]  # numeric OID -> "Type: value"

    @property
    def trap_oid(self) -> str:
        return self.varbinds.get(".1.3.6.1.6.3.1.1.4.1.0", "").removeprefix("OID: ")


@dataclass
class Trapd:
    """snmptrapd accepting any v2c notification on `address`, one line per notification."""

    tmp: Path
    address: str
    process: subprocess.Popen | None = None
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.tmp / "snmptrapd.log"

    def start(self) -> None:
        require("snmptrapd")
        conf = self.tmp / "snmptrapd.conf"
        conf.write_text("disableAuthorization yes\n")
        persist = self.tmp / "trapd-persist"
        persist.mkdir(exist_ok=True)
        command = ["snmptrapd", "-f", "-Lo", "-C", "-X", "-n", "-On", "-F", "%P|%V~%v\n"]
        command += ["-c", str(conf)]
        self.process = subprocess.Popen(
            [*command, f"udp:{self.address}"],
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            env=_quiet_env(persist),
        )
        _wait(lambda: "NET-SNMP version" in self.log.read_text(), "snmptrapd", self.log)

    def notifications(self) -> list[Notification]:
        out = []
        for line in self.log.read_text().splitlines():
            header, sep, rest = line.partition("|")
            if not sep:
                continue
            pairs = (vb.partition(" = ") for vb in rest.split("~"))
            out.append(Notification(header, {oid: value for oid, _, value in pairs}))
        return out

    def wait_for(self, trap_oid: str, count: int = 1, timeout: float = 10.0) -> list[Notification]:
        """The notifications of type `trap_oid` once there are at least `count` of them."""
        found: list[Notification] = []

        def seen() -> bool:
            found[:] = [n for n in self.notifications() if n.trap_oid == trap_oid]
            return len(found) >= count

        _wait(seen, f"{count} notification(s) {trap_oid}", self.log, timeout)
        return found

    def stop(self) -> None:
        _stop(self.process)
        self.process = None
