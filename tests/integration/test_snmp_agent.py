"""net-snmp's clients against a running `mipmib run` with simulated mobile nodes."""

from __future__ import annotations

import itertools
import re
import subprocess
import time

from tests.integration.conftest import MIBS

BINDING_TABLE = "1.3.6.1.2.1.44.1.6.3.1"
MIP = "1.3.6.1.2.1.44"


def oid_key(oid: str) -> tuple[int, ...]:
    return tuple(int(x) for x in oid.strip(".").split("."))


def numeric_walk(agent, root: str, *options: str) -> list[tuple[str, str]]:
    out = agent.run("snmpbulkwalk", "-On", "-Cr25", *options, root, mib=False)
    rows = []
    for line in out.splitlines():
        oid, _, value = line.partition(" = ")
        rows.append((oid, value))
    return rows


def test_case_s01_walk_returns_every_row(agent):
    rows = numeric_walk(agent, BINDING_TABLE)
    keys = [oid_key(oid) for oid, _ in rows]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    columns = {k[12] for k in keys}
    assert columns == set(range(1, 17))
    per_column = {c: sum(1 for k in keys if k[12] == c) for c in columns}
    assert set(per_column.values()) == {15}
    # snmpgetnext of each returned OID yields the next one
    for (oid, _), (following, _) in itertools.pairwise(rows):
        out = agent.run("snmpgetnext", "-On", oid, mib=False)
        assert out.split(" = ")[0] == following


def test_binding_values_and_names_from_the_mib(agent):
    out = agent.run("snmpbulkwalk", "-Cr25", "MIP-MIB::haMobilityBindingTable")
    coa = [line for line in out.splitlines() if line.startswith("MIP-MIB::haMobilityBindingCOA.")]
    assert len(coa) == 15
    assert all(line.endswith("IpAddress: 127.0.0.13") for line in coa)
    assert (
        "MIP-MIB::haMobilityBindingSourceAddress.127.1.0.1.127.0.0.13 = IpAddress: 127.0.0.13"
        in out
    )
    granted = re.search(
        r"haMobilityBindingTimeGranted\.127\.1\.0\.1\.127\.0\.0\.13 = \w+: (\d+)", out
    )
    assert granted and int(granted.group(1)) == 300
    assert "haMobilityBindingMnIdType.127.1.0.1.127.0.0.13 = INTEGER: ipaddress(2)" in out


def test_scalars_and_exceptions(agent):
    out = agent.run(
        "snmpget",
        "MIP-MIB::mipEnable.0",
        "MIP-MIB::haRegMobilityBindingCount.0",
        "MIP-MIB::mipEntities.0",
    )
    assert "mipEnable.0 = INTEGER: enabled(1)" in out
    assert "haRegMobilityBindingCount.0 = Gauge32: 15" in out
    assert "foreignAgent(1)" in out and "homeAgent(2)" in out
    out = agent.run(
        "snmpget",
        "-On",
        f"{MIP}.1.1.9.0",
        f"{MIP}.1.1.2.1",
        f"{BINDING_TABLE}.1.3.9.9.9.9.1.1.1.1",
        mib=False,
    )
    assert "No Such Object available" in out
    assert out.count("No Such Instance") == 2
    last = agent.run("snmpgetnext", "-On", f"{MIP}.9", mib=False)
    assert "No more variables left in this MIB View" in last


def test_snmp_v1_get_and_getnext(agent):
    out = agent.run("snmpget", "-On", f"{MIP}.1.1.2.0", mib=False, options=("-v1",))
    assert "INTEGER: 1" in out
    done = subprocess.run(
        ["snmpget", "-v1", "-c", "public", agent.snmp, f"{MIP}.1.1.9.0"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert "noSuchName" in done.stdout + done.stderr


def test_case_s02_ipaddress_index_bytes(agent):
    from tests.integration.scapy_requests import register_via_scapy

    reply = register_via_scapy(agent.ha, "10.0.0.1", "192.168.1.2", "127.0.0.12")
    assert reply.code == 0
    out = agent.run("snmpget", "-On", f"{BINDING_TABLE}.1.2.10.0.0.1.192.168.1.2", mib=False)
    assert out.strip() == f".{BINDING_TABLE}.1.2.10.0.0.1.192.168.1.2 = IpAddress: 192.168.1.2"


def test_case_m03_time_remaining_counts_down(agent):
    def read():
        ha = numeric_walk(agent, f"{BINDING_TABLE}.1.8")
        fa = numeric_walk(agent, "1.3.6.1.2.1.44.1.5.3.1.1.5")
        return {o: int(v.split(": ")[1]) for o, v in ha + fa}

    first = read()
    time.sleep(1.2)
    second = read()
    assert first.keys() == second.keys() and len(first) >= 30
    for oid, value in second.items():
        assert 0 <= value <= 300
        assert value < first[oid]


def test_snmptranslate_loads_the_module():
    done = subprocess.run(
        [
            "snmptranslate",
            "-M",
            f"+{MIBS}",
            "-m",
            "MIP-MIB",
            "-On",
            "MIP-MIB::haMobilityBindingTable",
        ],
        capture_output=True,
        text=True,
    )
    assert done.stdout.strip() == ".1.3.6.1.2.1.44.1.6.3.1", done.stderr
