"""`make bench QUICK=1` must keep working: run the quick mode (about a minute) and check the
shape of its table and JSON, and that every figure is a finite positive number. The targets
are not tested here: they are measured, and bench/RESULTS.md records them. Also the load
generator's command line, which the benchmarks drive."""

from __future__ import annotations

import contextlib
import json
import math
import re
import socket
import subprocess
import sys

import pytest

from bench.common import FIRST_NODE, Echo, Layout, write_config
from tests.integration.conftest import REPO, require

RATIOS = (
    "walk_standalone_ratio_1000",
    "walk_standalone_ratio_10000",
    "walk_standalone_ratio_100000",
    "walk_agentx_ratio_10000",
    "reg_ha_ratio",
    "reg_fa_ratio",
    "reg_ratio_during_walk",
    "scrape_ratio_100000",
)
WALK_RATIOS = RATIOS[:4]  # null, by design, where the snmpd reference cannot run
FIGURES = ("walk_cost_growth_100000_vs_1000", "reg_p99_ms_half_load")
FIGURES += ("mem_bytes_per_binding_100000",)
ROWS = (
    "walk, standalone agent",
    "walk cost per varbind",
    "memory per binding",
    "scrape /metrics",
    "registrations, home agent directly",
    "registrations, through the foreign agent",
    "registration latency p99",
    "registrations at the HA during walks",
    "walk through snmpd (AgentX subagent)",
)


def _positive(value) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and value > 0


def _free_instance() -> int:
    """An address and port layout no other benchmark run (a `make bench`, this test in
    another checkout's run) is using right now."""
    for instance in range(5, 10):
        layout = Layout(instance)
        try:
            with contextlib.ExitStack() as stack:
                for address, port in (
                    ("127.0.0.1", layout.snmp_port),
                    (layout.ha, layout.mip_port),
                    ("127.0.0.1", layout.master_port),
                ):
                    sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
                    sock.bind((address, port))
            return instance
        except OSError:
            continue
    pytest.skip("every benchmark layout (instances 5-9) is in use")


def test_quick_benchmark_prints_one_table_and_writes_every_key(tmp_path):
    require("snmpd", "snmpbulkwalk", "snmpget")
    out = tmp_path / "last.json"
    instance = str(_free_instance())
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick", "--instance", instance, "--json", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr[-6000:]
    values = json.loads(out.read_text())
    assert values["quick"] is True
    assert values["errors"] == []
    assert isinstance(values["date"], str) and values["date"][:2] == "20"
    assert set(values["sizes"]) == {"1000", "10000", "100000"}
    reference = values["walk_reference_available"]
    for key in RATIOS:
        if key in WALK_RATIOS and not reference:
            assert values[key] is None, key
        else:
            assert _positive(values[key]), (key, values[key])
    for key in FIGURES:
        assert _positive(values[key]), (key, values[key])

    lines = done.stdout.splitlines()
    assert lines[0].startswith(values["date"]) and "quick run" in lines[0]
    start = next(n for n, line in enumerate(lines) if line.startswith("benchmark"))
    header, rule, *rows = lines[start:]
    assert " ".join(header.split()) == "benchmark mipmib reference (same run) ratio target met"
    assert set(rule) <= {"-", " "}
    for label in ROWS:
        assert any(row.startswith(label) for row in rows), (label, done.stdout)
    assert sum(row.startswith("walk, standalone agent") for row in rows) == 3


def test_loadgen_prints_a_progress_bar_and_a_summary(tmp_path):
    """`mipmib loadgen` against the benchmarks' echo server: the bar on stderr, one summary
    line (or JSON) on stdout."""
    layout = Layout(_free_instance())
    config = write_config(layout, tmp_path, 100)
    echo = Echo.start(layout.echo, layout.mip_port)
    try:
        command = [sys.executable, "-m", "mipmib.cli", "loadgen", "--config", str(config)]
        command += ["-n", "50", "--count", "500", "--target", echo.target]
        command += ["--first-home-address", str(FIRST_NODE)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=REPO)
        assert done.returncode == 0, done.stderr
        assert re.fullmatch(
            r"500/500 answered in [0-9.]+ s: [0-9,]+ registrations/s; latency ms "
            r"p50 [0-9.]+ p90 [0-9.]+ p99 [0-9.]+; codes \{0: 500\}; lost 0\n",
            done.stdout,
        ), done.stdout
        assert f"[{'#' * 40}] 500/500" in done.stderr
        rate = [*command, "--rate", "2000", "--json", "-q", "--via", "fa"]
        done = subprocess.run(rate, capture_output=True, text=True, timeout=60, cwd=REPO)
        assert done.returncode == 0 and done.stderr == "", done.stderr
        result = json.loads(done.stdout)
        assert result["answered"] == result["sent"] == 500 and result["lost"] == 0
        assert all(_positive(result[k]) for k in ("rate", "p50_ms", "p90_ms", "p99_ms"))
    finally:
        echo.stop()
