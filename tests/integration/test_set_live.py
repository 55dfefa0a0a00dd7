"""SNMP SET with net-snmp's snmpset (v3 authPriv) against a running agent: live effect,
atomicity, error statuses and indexes, and persistence across SIGKILL."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import threading
import time
import urllib.request

import pytest

from tests.integration.conftest import MIBS, Agent, start_agent, stop_agent
from tests.integration.scapy_requests import build, exchange, register_via_scapy
from tests.integration.test_snmpv3 import ADMIN, ADMIN_AUTH, ADMIN_PRIV, USERS

SNMP_PORT = 11181
HA, FA = "127.0.0.32", "127.0.0.33"
FA_IF_INDEX = 2  # the HA's interface is 1, the FA's 2
ENV = {"MIPMIB_TEST_ADMIN_AUTH": ADMIN_AUTH, "MIPMIB_TEST_ADMIN_PRIV": ADMIN_PRIV}
DEMO_KEY = b"integration-test-key-0123"
KEY_HEX = "00112233445566778899aabbccddeeff"


def start(tmp, port: int = SNMP_PORT, ha: str = HA, fa: str = FA) -> Agent:
    return start_agent(tmp, 0, port, port + 8273, ha=ha, fa=fa, extra_config=USERS, env=ENV)


# the restart tests run their own agents beside the module's one
KILL_PORT, KILL_HA, KILL_FA = 11182, "127.0.0.36", "127.0.0.37"


@pytest.fixture(scope="module")
def agent(tmp_path_factory):
    running = start(tmp_path_factory.mktemp("set"))
    yield running
    stop_agent(running)


def snmpset(agent: Agent, *args: str, mibs: bool = True) -> subprocess.CompletedProcess:
    # -Ir: the agent, not the client, must judge types and ranges (without MIBs the client
    # knows no types at all)
    names = ["-M", f"+{MIBS}", "-m", "+MIP-MIB"] if mibs else ["-m", ""]
    cmd = ["snmpset", "-v3", "-Ir", "-t", "3", "-r", "0", *ADMIN, *names, agent.snmp, *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30)


def ok(agent: Agent, *args: str) -> str:
    done = snmpset(agent, *args)
    assert done.returncode == 0, f"{done.args}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def error(agent: Agent, *args: str, mibs: bool = True) -> str:
    done = snmpset(agent, *args, mibs=mibs)
    assert done.returncode != 0, done.stdout
    return done.stderr


def get(agent: Agent, name: str) -> str:
    return agent.run("snmpget", "-OqvU", name).strip()


def test_mip_enable_stops_and_resumes_registrations(agent):
    ok(agent, "MIP-MIB::mipEnable.0", "i", "2")
    payload = build("10.0.0.1", "192.168.1.9", HA, lifetime=60)
    assert exchange(agent.ha, payload, 1.0) is None
    ok(agent, "MIP-MIB::mipEnable.0", "i", "1")
    assert register_via_scapy(agent.ha, "10.0.0.1", "192.168.1.9", HA, lifetime=60).code == 0


def test_fa_lifetime_ceiling_both_tables(agent):
    request = build("127.1.0.50", FA, HA, lifetime=300, key=DEMO_KEY)
    assert exchange(agent.fa, request).code == 0
    ok(agent, f"MIP-MIB::maAdvMaxRegLifetime.{FA}", "i", "120")
    reply = exchange(agent.fa, build("127.1.0.50", FA, HA, lifetime=300, key=DEMO_KEY))
    assert (reply.code, reply.lifetime) == (69, 120)
    assert get(agent, f"MIP-MIB::maAdvertMaxRegLifetime.{FA_IF_INDEX}") == "120"
    ok(agent, f"MIP-MIB::maAdvertMaxRegLifetime.{FA_IF_INDEX}", "i", "600")
    assert exchange(agent.fa, build("127.1.0.50", FA, HA, lifetime=300, key=DEMO_KEY)).code == 0


def test_advertisement_interval_ordering(agent):
    out = error(agent, f"MIP-MIB::maAdvertMinInterval.{FA_IF_INDEX}", "i", "1000")
    assert "inconsistentValue" in out
    ok(
        agent,
        f"MIP-MIB::maAdvertMaxInterval.{FA_IF_INDEX}",
        "i",
        "1200",
        f"MIP-MIB::maAdvertMinInterval.{FA_IF_INDEX}",
        "i",
        "1000",
    )
    assert get(agent, f"MIP-MIB::maAdvMinInterval.{FA}") == "1000"
    assert "wrongValue" in error(agent, f"MIP-MIB::maAdvAddress.{FA}", "a", "10.1.1.1")


def test_care_of_address_rows_change_what_the_fa_offers(agent):
    coa = "127.0.0.34"
    request = build("127.1.0.51", coa, HA, lifetime=60, key=DEMO_KEY)
    assert exchange(agent.fa, request).code == 77
    ok(agent, f"MIP-MIB::faCOAStatus.{coa}", "i", "4")
    assert exchange(agent.fa, build("127.1.0.51", coa, HA, lifetime=60, key=DEMO_KEY)).code == 0
    ok(agent, f"MIP-MIB::faCOAStatus.{coa}", "i", "2")
    assert exchange(agent.fa, build("127.1.0.51", coa, HA, lifetime=60, key=DEMO_KEY)).code == 77
    ok(agent, f"MIP-MIB::faCOAStatus.{coa}", "i", "6")
    assert "No Such Instance" in agent.run("snmpget", f"MIP-MIB::faCOAStatus.{coa}")


def test_registration_required_and_challenge_window(agent):
    ok(agent, "MIP-MIB::faRegistrationRequired.0", "i", "2")
    assert get(agent, f"MIP-MIB::faAdvertRegRequired.{FA_IF_INDEX}") == "false"
    ok(
        agent,
        f"MIP-MIB::faAdvertRegRequired.{FA_IF_INDEX}",
        "i",
        "1",
        f"MIP-MIB::faAdvertChallengeWindow.{FA_IF_INDEX}",
        "i",
        "5",
    )
    assert get(agent, "MIP-MIB::faRegistrationRequired.0") == "true"
    assert get(agent, f"MIP-MIB::faAdvertChallengeWindow.{FA_IF_INDEX}") == "5"


def numeric_sa(column: int, home: str, spi: int) -> str:
    return f"1.3.6.1.2.1.44.1.2.5.1.{column}.2.4.{home}.{spi}"


def test_security_association_lets_a_node_register_and_destroy_denies_131(agent):
    home, spi = "10.0.0.77", 1000
    key = bytes.fromhex(KEY_HEX)
    assert register_via_scapy(agent.ha, home, "192.168.1.5", HA, key=key, spi=spi).code == 131
    ok(agent, numeric_sa(11, home, spi), "i", "4", numeric_sa(6, home, spi), "x", KEY_HEX)
    assert register_via_scapy(agent.ha, home, "192.168.1.5", HA, key=key, spi=spi).code == 0
    ok(agent, numeric_sa(11, home, spi), "i", "6")
    assert register_via_scapy(agent.ha, home, "192.168.1.5", HA, key=key, spi=spi).code == 131


def test_rfc2006_association_created_by_its_key(agent):
    home, spi = "10.0.0.78", 1001
    ok(agent, f"1.3.6.1.2.1.44.1.2.1.1.5.{home}.{spi}", "x", KEY_HEX)
    key = bytes.fromhex(KEY_HEX)
    assert register_via_scapy(agent.ha, home, "192.168.1.6", HA, key=key, spi=spi).code == 0


def test_case_s03_set_of_missing_or_read_only_object(agent):
    assert "notWritable" in error(agent, "1.3.6.1.2.1.44.1.9.0", "i", "1")
    read_only = error(agent, "1.3.6.1.2.1.44.1.6.3.3.0", "u", "1", mibs=False)
    assert "notWritable" in read_only
    assert get(agent, "MIP-MIB::mipEnable.0") == "enabled"  # still serving


@pytest.mark.parametrize("status_first", [True, False], ids=["status-first", "status-last"])
def test_case_s04_rowstatus_in_any_position(agent, status_first):
    home, spi = ("10.0.0.80", 1100) if status_first else ("10.0.0.81", 1100)
    status = (numeric_sa(11, home, spi), "i", "4")
    columns = (numeric_sa(6, home, spi), "x", KEY_HEX, numeric_sa(8, home, spi), "u", "9")
    ok(agent, *(status + columns if status_first else columns + status))
    assert agent.run("snmpget", "-Oqv", numeric_sa(11, home, spi), mib=False).strip() == "1"
    assert agent.run("snmpget", "-Oqv", numeric_sa(8, home, spi), mib=False).strip() == "9"


def test_case_s04_create_and_wait_active_destroy(agent):
    home, spi = "10.0.0.82", 1200
    ok(agent, numeric_sa(11, home, spi), "i", "5")
    assert agent.run("snmpget", "-Oqv", numeric_sa(11, home, spi), mib=False).strip() == "3"
    assert "inconsistentValue" in error(agent, numeric_sa(11, home, spi), "i", "1")
    ok(agent, numeric_sa(11, "10.0.0.99", 4242), "i", "6")  # destroy of a missing row


def test_case_s05_one_request_one_outcome(agent):
    before = get(agent, f"MIP-MIB::maAdvertMaxRegLifetime.{FA_IF_INDEX}")
    out = error(
        agent,
        f"MIP-MIB::maAdvertMaxRegLifetime.{FA_IF_INDEX}",
        "i",
        "77",
        f"MIP-MIB::maAdvertMaxInterval.{FA_IF_INDEX}",
        "i",
        "5000",
    )
    assert "wrongValue" in out and "Failed object: MIP-MIB::maAdvertMaxInterval" in out
    assert get(agent, f"MIP-MIB::maAdvertMaxRegLifetime.{FA_IF_INDEX}") == before


def test_error_index_points_at_the_third_varbind(agent):
    out = error(
        agent,
        "MIP-MIB::mipEnable.0", "i", "1",
        f"MIP-MIB::faAdvertChallengeWindow.{FA_IF_INDEX}", "i", "3",
        f"MIP-MIB::maAdvertMaxInterval.{FA_IF_INDEX}", "i", "5000",
    )  # fmt: skip
    assert "Reason: wrongValue" in out
    assert f"Failed object: MIP-MIB::maAdvertMaxInterval.{FA_IF_INDEX}" in out
    assert get(agent, f"MIP-MIB::faAdvertChallengeWindow.{FA_IF_INDEX}") != "3"


def test_case_s06_key_never_read_back_logged_or_exported(agent):
    home, spi = "10.0.0.83", 1300
    ok(agent, numeric_sa(11, home, spi), "i", "4", numeric_sa(6, home, spi), "x", KEY_HEX)
    v2c = agent.run("snmpget", numeric_sa(6, home, spi), mib=False)
    assert v2c.strip().endswith('""')
    v3 = subprocess.run(
        ["snmpget", "-v3", *ADMIN, agent.snmp, numeric_sa(6, home, spi)],
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout
    assert v3.strip().endswith('""')
    rfc2006 = agent.run("snmpget", f"1.3.6.1.2.1.44.1.2.1.1.5.{home}.{spi}", mib=False)
    assert rfc2006.strip().endswith('""')
    with urllib.request.urlopen(agent.metrics_url, timeout=10) as response:
        metrics = response.read().decode()
    log = agent.log.read_text()
    store = (agent.log.parent / "state" / "mipmib.sqlite3").read_bytes()
    for text in (metrics, log):
        assert KEY_HEX not in text.lower() and "integration-test-key" not in text
    assert bytes.fromhex(KEY_HEX) not in store


def test_changes_survive_sigkill(tmp_path):
    """A stream of two-varbind SETs; SIGKILL at a random moment; every acknowledged SET is
    there after restart, and no request is there by half."""
    agent = start(tmp_path, KILL_PORT, KILL_HA, KILL_FA)
    acked = 0
    killer = threading.Timer(
        random.uniform(1.0, 2.5), os.killpg, (agent.process.pid, signal.SIGKILL)
    )
    killer.start()
    try:
        for i in range(1, 400):
            done = snmpset(
                agent,
                f"MIP-MIB::faAdvertChallengeWindow.{FA_IF_INDEX}",
                "i",
                str(i),
                f"MIP-MIB::maAdvertMaxRegLifetime.{FA_IF_INDEX}",
                "i",
                str(100 + i),
            )
            if done.returncode != 0:
                break
            acked = i
    finally:
        killer.join()
        agent.process.wait(10)
    assert acked >= 3, "the agent died before any SET was acknowledged"
    agent = start(tmp_path, KILL_PORT, KILL_HA, KILL_FA)
    try:
        window = int(get(agent, f"MIP-MIB::faAdvertChallengeWindow.{FA_IF_INDEX}"))
        lifetime = int(get(agent, f"MIP-MIB::maAdvertMaxRegLifetime.{FA_IF_INDEX}"))
        assert window in (acked, acked + 1)  # the unacknowledged one may have landed, whole
        assert lifetime == 100 + window
    finally:
        stop_agent(agent)


def test_lowered_lifetime_survives_kill_and_restart(tmp_path):
    agent = start(tmp_path, KILL_PORT, KILL_HA, KILL_FA)
    ok(agent, f"MIP-MIB::maAdvMaxRegLifetime.{KILL_FA}", "i", "90")
    reply = exchange(agent.fa, build("127.1.0.60", KILL_FA, KILL_HA, lifetime=300, key=DEMO_KEY))
    assert (reply.code, reply.lifetime) == (69, 90)
    os.killpg(agent.process.pid, signal.SIGKILL)
    agent.process.wait(10)
    time.sleep(0.2)
    agent = start(tmp_path, KILL_PORT, KILL_HA, KILL_FA)
    try:
        assert get(agent, f"MIP-MIB::maAdvMaxRegLifetime.{KILL_FA}") == "90"
        reply = exchange(
            agent.fa, build("127.1.0.60", KILL_FA, KILL_HA, lifetime=300, key=DEMO_KEY)
        )
        assert (reply.code, reply.lifetime) == (69, 90)
    finally:
        stop_agent(agent)
