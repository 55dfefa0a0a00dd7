"""SNMPv3 (USM) and access control against a real `mipmib run`, with net-snmp's clients."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration.conftest import Agent, start_agent, stop_agent

SNMP_PORT, METRICS_PORT = 11171, 19444
HA, FA = "127.0.0.22", "127.0.0.23"
MIP_ENABLE = "1.3.6.1.2.1.44.1.1.2.0"
OUT_OF_VIEW = "1.3.6.1.2.1.1.1.0"  # sysDescr: in no view

ADMIN_AUTH, ADMIN_PRIV = "admin-auth-key-0", "admin-priv-key-0"  # given through the environment

USERS = """
[[snmp.v3_users]]
name = "mipadmin"
auth_protocol = "SHA-256"
auth_key_env = "MIPMIB_TEST_ADMIN_AUTH"
priv_protocol = "AES-128"
priv_key_env = "MIPMIB_TEST_ADMIN_PRIV"
access = "write"

[[snmp.v3_users]]
name = "reader"
auth_protocol = "SHA"
auth_key = "reader-auth-key"
priv_protocol = "AES-128"
priv_key = "reader-priv-key"
access = "read"

[[snmp.v3_users]]
name = "watcher"
auth_protocol = "SHA-256"
auth_key = "watcher-auth-key"

[[snmp.v3_users]]
name = "strong"
auth_protocol = "SHA-512"
auth_key = "strong-auth-key"
priv_protocol = "AES-256"
priv_key = "strong-priv-key"

[[snmp.v3_users]]
name = "absent"
auth_protocol = "SHA"
auth_key_env = "MIPMIB_TEST_UNSET_KEY"
"""

# net-snmp options per user
ADMIN = ("-l", "authPriv", "-u", "mipadmin", "-a", "SHA-256", "-A", ADMIN_AUTH, "-x", "AES")
ADMIN += ("-X", ADMIN_PRIV)
READER = ("-l", "authPriv", "-u", "reader", "-a", "SHA", "-A", "reader-auth-key", "-x", "AES")
READER += ("-X", "reader-priv-key")
WATCHER = ("-l", "authNoPriv", "-u", "watcher", "-a", "SHA-256", "-A", "watcher-auth-key")
STRONG = ("-l", "authPriv", "-u", "strong", "-a", "SHA-512", "-A", "strong-auth-key")
STRONG += ("-x", "AES256", "-X", "strong-priv-key")
ADMIN_AUTH_NO_PRIV = ("-l", "authNoPriv", "-u", "mipadmin", "-a", "SHA-256", "-A", ADMIN_AUTH)
PUBLIC = ("-c", "public")


@dataclass
class V3Agent:
    tmp: Path
    agent: Agent | None = None

    def start(self) -> None:
        self.agent = start_agent(
            self.tmp,
            0,
            SNMP_PORT,
            METRICS_PORT,
            ha=HA,
            fa=FA,
            # v1/v2c from 127.0.0.1 only, so that 127.0.0.5 can play a remote manager
            snmp_options='community_sources = ["127.0.0.1/32"]',
            extra_config=USERS,
            env={"MIPMIB_TEST_ADMIN_AUTH": ADMIN_AUTH, "MIPMIB_TEST_ADMIN_PRIV": ADMIN_PRIV},
        )

    def stop(self) -> None:
        if self.agent is not None:
            stop_agent(self.agent)

    def snmp(
        self, tool: str, options: tuple[str, ...], *args: str, version: str = "3"
    ) -> subprocess.CompletedProcess:
        assert self.agent is not None
        cmd = [tool, f"-v{version}", "-t", "2", "-r", "0", *options, self.agent.snmp, *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30)

    def ok(self, tool: str, options: tuple[str, ...], *args: str, version: str = "3") -> str:
        done = self.snmp(tool, options, *args, version=version)
        assert done.returncode == 0, f"{done.args}\n{done.stdout}\n{done.stderr}"
        return done.stdout.strip()

    def mip_enable(self) -> str:
        return self.ok("snmpget", (*PUBLIC, "-Oqv"), MIP_ENABLE, version="2c")

    def log(self) -> str:
        assert self.agent is not None
        return self.agent.log.read_text()


@pytest.fixture(scope="module")
def v3(tmp_path_factory):
    handle = V3Agent(tmp_path_factory.mktemp("snmpv3"))
    handle.start()
    yield handle
    handle.stop()


def refused(done: subprocess.CompletedProcess, reason: str) -> bool:
    return done.returncode != 0 and reason in done.stdout + done.stderr


@pytest.mark.parametrize(
    "user",
    [ADMIN, READER, WATCHER, STRONG],
    ids=["SHA-256+AES-128", "SHA+AES-128", "SHA-256-authNoPriv", "SHA-512+AES-256"],
)
def test_v3_reads(v3, user):
    assert v3.ok("snmpget", (*user, "-Oqv"), MIP_ENABLE) == "1"
    walk = v3.ok("snmpbulkwalk", (*user, "-On", "-Cr10"), "1.3.6.1.2.1.44.1.1")
    assert f".{MIP_ENABLE} = INTEGER: 1" in walk


def test_v3_view_is_mib_2_44(v3):
    out = v3.ok("snmpget", ADMIN, OUT_OF_VIEW)
    assert "No Such Object" in out


def test_wrong_keys_and_unknown_users_fail(v3):
    wrong_auth = tuple("wrong-auth-key" if o == ADMIN_AUTH else o for o in ADMIN)
    assert refused(v3.snmp("snmpget", wrong_auth, MIP_ENABLE), "Authentication failure")
    wrong_priv = tuple("wrong-priv-key" if o == ADMIN_PRIV else o for o in ADMIN)
    assert refused(v3.snmp("snmpget", wrong_priv, MIP_ENABLE), "Decryption error")
    nobody = tuple("nobody" if o == "mipadmin" else o for o in ADMIN)
    assert refused(v3.snmp("snmpget", nobody, MIP_ENABLE), "Unknown user name")
    # a user whose key variable is unset is left out, and the log says so once
    absent = ("-l", "authNoPriv", "-u", "absent", "-a", "SHA", "-A", "absent-auth-key")
    assert refused(v3.snmp("snmpget", absent, MIP_ENABLE), "Unknown user name")
    assert v3.log().count("SNMPv3 user 'absent' left out") == 1


def test_keys_never_logged(v3):
    log = v3.log()
    assert "mipadmin (write, authPriv)" in log
    for secret in (ADMIN_AUTH, ADMIN_PRIV, "reader-auth-key", "reader-priv-key"):
        assert secret not in log


def test_read_only_managers_cannot_set(v3):
    # RFC 3416 4.2.5: not in the write view -> noAccess; SNMPv1 maps it to noSuchName
    assert refused(v3.snmp("snmpset", READER, MIP_ENABLE, "i", "2"), "noAccess")
    assert refused(v3.snmp("snmpset", STRONG, MIP_ENABLE, "i", "2"), "noAccess")
    assert refused(v3.snmp("snmpset", WATCHER, MIP_ENABLE, "i", "2"), "noAccess")
    assert refused(v3.snmp("snmpset", PUBLIC, MIP_ENABLE, "i", "2", version="2c"), "noAccess")
    assert refused(v3.snmp("snmpset", PUBLIC, MIP_ENABLE, "i", "2", version="1"), "noSuchName")
    assert v3.mip_enable() == "1"


def test_write_user_below_auth_priv_cannot_set(v3):
    # pysnmp's USM answers a request below the user's configured level with a
    # usmStatsUnsupportedSecLevels report; VACM would refuse it as well (noAccessEntry)
    done = v3.snmp("snmpset", ADMIN_AUTH_NO_PRIV, MIP_ENABLE, "i", "2")
    assert refused(done, "Unsupported security level")
    no_auth = ("-l", "noAuthNoPriv", "-u", "mipadmin")
    assert refused(v3.snmp("snmpset", no_auth, MIP_ENABLE, "i", "2"), "Unsupported security level")
    assert v3.mip_enable() == "1"


def test_write_user_sets_mip_enable(v3):
    done = v3.snmp("snmpset", ADMIN, MIP_ENABLE, "i", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    try:
        assert v3.mip_enable() == "2"
        assert v3.ok("snmpget", (*ADMIN, "-Oqv"), MIP_ENABLE) == "2"
    finally:
        v3.ok("snmpset", ADMIN, MIP_ENABLE, "i", "1")
    assert v3.mip_enable() == "1"


def test_community_only_from_community_sources_v3_from_anywhere(v3):
    remote = ("--clientaddr=127.0.0.5",)
    done = v3.snmp("snmpget", (*remote, *PUBLIC), MIP_ENABLE, version="2c")
    assert refused(done, "Timeout")
    assert v3.ok("snmpget", (*remote, *ADMIN, "-Oqv"), MIP_ENABLE) == "1"


DISCOVERY = re.compile(r"lcd_set_enginetime: engineID ([0-9A-F \n]+?)\s*: boots=(\d+), time=(\d+)")


def discovered(v3: V3Agent) -> tuple[str, int]:
    """The engine ID and snmpEngineBoots net-snmp learns by discovery (RFC 3414 4)."""
    done = v3.snmp("snmpget", (*ADMIN, "-Dlcd_set_enginetime"), MIP_ENABLE)
    assert done.returncode == 0, done.stderr
    found = [
        ("".join(engine_id.split()).lower(), int(boots))
        for engine_id, boots, _ in DISCOVERY.findall(done.stderr)
        if int(boots) > 0
    ]
    ours = [f for f in found if f[0].startswith("80004fb805")]
    assert ours, done.stderr
    return ours[-1]


def test_engine_id_stable_and_boots_counted_across_restarts(v3):
    state = v3.tmp / "state" / "snmp-engine.json"
    seen = []
    for restart in range(3):
        if restart:
            v3.stop()
            v3.start()
        engine_id, boots = discovered(v3)
        saved = json.loads(state.read_text())
        assert (engine_id, boots) == (saved["engine_id"], saved["boots"])
        seen.append((engine_id, boots))
    assert len({engine_id for engine_id, _ in seen}) == 1
    first = seen[0][1]
    assert [boots for _, boots in seen] == [first, first + 1, first + 2]
    # the new boots value is in effect: v3 reads and writes work right after a restart
    assert v3.ok("snmpget", (*READER, "-Oqv"), MIP_ENABLE) == "1"
