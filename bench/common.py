"""What the benchmarks share: addresses and ports, child processes and their clean-up, the
agent under test (`mipmib run` in a process of its own), the load generator (`mipmib
loadgen`, another process), timed walks with net-snmp's client, the snmpd reference and the
machine's description.

Everything listens on loopback addresses of its own (127.0.0.142 and up) and unprivileged
ports distinct from the tests'; `Layout(instance=k)` moves all of them, so two benchmark
runs (a `make bench` and the quick test, say) do not collide.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import math
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
MIP = "1.3.6.1.2.1.44"
BINDING_TABLE = f"{MIP}.1.6.3.1"  # haMobilityBindingTable
BINDING_COUNT = f"{MIP}.1.6.3.27.0"  # haRegMobilityBindingCount.0
MIP_ENABLE = f"{MIP}.1.1.2.0"
FIRST_NODE = ipaddress.IPv4Address("10.0.0.1")
KEY = "mipmib-bench-key-0123456789"
LIFETIME = 36000  # long enough that no binding expires during a run
REFERENCE_SCRIPT = Path(
    os.environ.get(
        "MIPMIB_SNMPD_REFERENCE", REPO.parent / "shared" / "tools" / "snmpd-reference.sh"
    )
)
_START = time.monotonic()


def say(message: str) -> None:
    """Progress on stderr: the table alone goes to stdout."""
    print(f"[bench {time.monotonic() - _START:6.1f}s] {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Layout:
    """Addresses and ports of one benchmark run."""

    instance: int = 0

    def _address(self, offset: int) -> str:
        return f"127.0.0.{142 + 10 * self.instance + offset}"

    @property
    def ha(self) -> str:
        return self._address(0)

    @property
    def fa(self) -> str:
        return self._address(1)

    @property
    def echo(self) -> str:
        return self._address(2)

    @property
    def mip_port(self) -> int:
        return 12435 + 1000 * self.instance

    @property
    def snmp_port(self) -> int:
        return 12161 + 1000 * self.instance

    @property
    def metrics_port(self) -> int:
        return 12434 + 1000 * self.instance

    @property
    def master_port(self) -> int:
        return 12661 + 1000 * self.instance


class Processes:
    """Every child process, each in a session of its own, so that stop_all() ends them and
    whatever they started (also on Ctrl-C and on errors)."""

    def __init__(self) -> None:
        self.running: list[subprocess.Popen] = []
        self._lock = threading.Lock()  # the walk loop spawns from a thread

    def spawn(self, command: list[str], **kwargs) -> subprocess.Popen:
        kwargs.setdefault("stdin", subprocess.DEVNULL)
        process = subprocess.Popen(command, start_new_session=True, **kwargs)
        with self._lock:
            self.running.append(process)
        return process

    def run(self, command: list[str], timeout: float) -> subprocess.CompletedProcess:
        """Like subprocess.run (text output captured) but stoppable by stop_all()."""
        process = self.spawn(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            out, err = process.communicate(timeout=timeout)
        finally:
            self.stop(process)
        return subprocess.CompletedProcess(command, process.returncode, out, err)

    def stop(self, process: subprocess.Popen, timeout: float = 10.0) -> None:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        with self._lock:
            if process in self.running:
                self.running.remove(process)

    def stop_all(self) -> None:
        with self._lock:
            running = list(self.running)
        for process in reversed(running):
            self.stop(process)


PROCESSES = Processes()


def stop_on_sigterm() -> None:
    """SIGTERM (and SIGHUP) unwind like Ctrl-C, through the callers' finally blocks."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGHUP, interrupt)


def node_prefix(nodes: int) -> str:
    """The smallest prefix from 10.0.0.0 whose hosts include `nodes` addresses."""
    bits = max(2, math.ceil(math.log2(nodes + 2)))
    return f"10.0.0.0/{32 - bits}"


CONFIG = """\
[agent]
state_dir = "{state}"
log_level = "warning"
[snmp]
address = "127.0.0.1"
port = {snmp_port}
[metrics]
address = "127.0.0.1"
port = {metrics_port}
[home_agent]
address = "{ha}"
port = {mip_port}
home_network = "10.0.0.0/8"
max_lifetime = {lifetime}
max_bindings = 10000000
[foreign_agent]
address = "{fa}"
port = {mip_port}
care_of_addresses = ["{fa}"]
max_lifetime = {lifetime}
home_agent_port = {mip_port}
max_pending = 1000000
[[security_associations]]
peers = "{prefix}"
kind = "mobile-node"
spi = 256
algorithm = "hmac-md5"
key = "{key}"
replay = "timestamps"
replay_window = 7
[demo]
mobile_nodes = 0
first_home_address = "{first}"
"""


def write_config(layout: Layout, tmp: Path, nodes: int) -> Path:
    """A configuration with one HMAC-MD5 association per node (10.0.0.1 on) and room for
    every binding."""
    path = tmp / "bench.toml"
    path.write_text(
        CONFIG.format(
            state=tmp / "state",
            snmp_port=layout.snmp_port,
            metrics_port=layout.metrics_port,
            ha=layout.ha,
            fa=layout.fa,
            mip_port=layout.mip_port,
            lifetime=LIFETIME,
            prefix=node_prefix(nodes),
            key=KEY,
            first=FIRST_NODE,
        )
    )
    return path


def snmpget(address: str, oid: str, timeout: float = 2.0) -> str | None:
    """The value of one object (-Oqv), or None when there is no answer or no such object."""
    done = PROCESSES.run(
        ["snmpget", "-v2c", "-c", "public", "-t", str(timeout), "-r", "0", "-Oqv", address, oid],
        timeout=timeout + 10,
    )
    value = done.stdout.strip()
    if done.returncode != 0 or not value or value.startswith("No Such"):
        return None
    return value


def wait_until(condition, what: str, timeout: float, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    detail = f":\n{log.read_text()[-4000:]}" if log is not None and log.exists() else ""
    raise RuntimeError(f"{what} not ready in {timeout:.0f} s{detail}")


@dataclass
class Agent:
    """`mipmib run --config <generated>` in its own process; `snmp` is where walks go
    (the standalone agent, or the snmpd master the process is a subagent of)."""

    layout: Layout
    config: Path
    process: subprocess.Popen
    log: Path
    snmp: str
    registered: int = 0  # nodes 0..registered-1 have been registered directly with the HA

    @classmethod
    def start(
        cls,
        layout: Layout,
        tmp: Path,
        nodes: int,
        args: tuple[str, ...] = (),
        snmp: str | None = None,
    ) -> Agent:
        tmp.mkdir(parents=True, exist_ok=True)
        config = write_config(layout, tmp, nodes)
        log = tmp / "agent.log"
        process = PROCESSES.spawn(
            [PYTHON, "-m", "mipmib.cli", "run", "--config", str(config), *args],
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
        agent = cls(layout, config, process, log, snmp or f"127.0.0.1:{layout.snmp_port}")

        def answers() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"the agent exited:\n{log.read_text()[-4000:]}")
            return snmpget(agent.snmp, MIP_ENABLE, timeout=0.5) == "1"

        wait_until(answers, "the agent", 60, log)
        return agent

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss(self) -> int:
        """Resident memory of the agent process in bytes (VmRSS)."""
        return rss(self.pid)

    def bindings(self) -> int:
        value = snmpget(self.snmp, BINDING_COUNT, timeout=5)
        if value is None:
            raise RuntimeError(f"no haRegMobilityBindingCount.0 from {self.snmp}")
        return int(value)

    def grow(self, total: int) -> dict:
        """Register nodes until `total` of them are bound (real registrations, straight to
        the HA with co-located care-of addresses); the load generator's figures of the
        first pass."""
        start, first = self.registered, None
        for _ in range(3):  # a lost request or two: register the range again (renewals)
            if self.registered >= total:
                break
            todo = total - start
            result = loadgen(self.config, nodes=todo, first=start, count=todo, via="ha")
            first = first or result
            self.registered = self.bindings()
        if self.registered < total:
            raise RuntimeError(f"only {self.registered} of {total} bindings after 3 passes")
        return first or {}

    def stop(self) -> None:
        PROCESSES.stop(self.process)


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def loadgen(
    config: Path,
    *,
    nodes: int,
    count: int,
    via: str = "ha",
    first: int = 0,
    window: int = 64,
    rate: float | None = None,
    target: str | None = None,
    timeout: float = 5.0,
) -> dict:
    """One `mipmib loadgen` run in a process of its own; its JSON summary."""
    command = [PYTHON, "-m", "mipmib.cli", "loadgen", "--config", str(config), "--json", "-q"]
    command += ["-n", str(nodes), "--count", str(count), "--via", via]
    command += ["--window", str(window), "--lifetime", str(LIFETIME)]
    command += ["--first-home-address", str(FIRST_NODE + first), "--timeout", str(timeout)]
    if rate is not None:
        command += ["--rate", f"{rate:.1f}"]
    if target is not None:
        command += ["--target", target]
    budget = 120 + count / (rate or 1000)
    done = PROCESSES.run(command, timeout=budget)
    if not done.stdout.strip():
        raise RuntimeError(f"loadgen failed ({done.returncode}): {done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if not result["answered"]:
        raise RuntimeError(f"loadgen: nothing answered: {result}")
    return result


def walk(address: str, oid: str = BINDING_TABLE, timeout: float = 900) -> tuple[int, float]:
    """`snmpbulkwalk -v2c -Cr25 -On` (the reference's client and options): (varbinds,
    seconds). Lines are counted as they arrive, as the reference's `| wc -l` does."""
    command = ["snmpbulkwalk", "-v2c", "-c", "public", "-t", "30", "-r", "1", "-Cr25", "-On"]
    start = time.perf_counter()
    process = PROCESSES.spawn(
        [*command, address, oid], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    lines = 0
    try:
        assert process.stdout is not None
        while chunk := process.stdout.read(1 << 20):
            lines += chunk.count(b"\n")
            if time.perf_counter() - start > timeout:
                raise RuntimeError(f"walk of {address} took more than {timeout} s")
        process.wait(timeout)
        seconds = time.perf_counter() - start
        err = process.stderr.read().decode(errors="replace") if process.stderr else ""
    finally:
        PROCESSES.stop(process)
    if process.returncode != 0 or "Timeout" in err:
        raise RuntimeError(f"walk of {address} failed ({process.returncode}): {err[-2000:]}")
    return lines, seconds


def best_walk(address: str, runs: int) -> tuple[int, float]:
    """The fastest of `runs` walks (the reference script also reports its best run)."""
    results = [walk(address) for _ in range(runs)]
    return min(results, key=lambda r: r[1])


@dataclass
class Reference:
    """snmpd-reference.sh's figures for one table size, or why there are none."""

    rows: int
    varbinds: int = 0
    seconds: float = 0.0
    reason: str | None = None  # set when unavailable
    note: str | None = None  # how the run departed from the stock script, if it did

    @property
    def available(self) -> bool:
        return self.reason is None

    @property
    def rate(self) -> float | None:
        return self.varbinds / self.seconds if self.available and self.seconds else None


def reference_unavailable() -> str | None:
    """Why the snmpd reference cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root (network namespace)"
    for tool in ("snmpd", "snmpbulkwalk", "ip"):
        if shutil.which(tool) is None:
            return f"{tool} not installed"
    if not REFERENCE_SCRIPT.exists():
        return f"{REFERENCE_SCRIPT} not found"
    return None


_REFERENCE_LINE = re.compile(
    r"snmpd-reference rows=(\d+) varbinds=(\d+) seconds=([0-9.]+) varbinds_per_s=(\d+)"
)


_STOCK_CLIENT = "-t 30 -r 1"
PATIENT_CLIENT = "-t 600 -r 0"


def snmpd_reference(rows: int, runs: int, tmp: Path | None = None) -> Reference:
    """snmpd-reference.sh N RUNS. If its client times out (snmpd can take longer than the
    script's 30 s to answer the first request of a large table: it loads every route
    first), the same script once more with a patient client (a copy in `tmp` with
    PATIENT_CLIENT instead of its `-t 30 -r 1`); the note says so."""
    reason = reference_unavailable()
    if reason is not None:
        return Reference(rows, reason=reason)
    result = _reference_run(REFERENCE_SCRIPT, rows, runs)
    text = REFERENCE_SCRIPT.read_text()
    if result.reason and "Timeout" in result.reason and tmp and _STOCK_CLIENT in text:
        patient = tmp / "snmpd-reference-patient.sh"
        patient.write_text(text.replace(_STOCK_CLIENT, PATIENT_CLIENT))
        say(f"snmpd reference at {rows} rows: {result.reason}; again with {PATIENT_CLIENT}")
        retry = _reference_run(patient, rows, runs)
        note = f"the stock client ({_STOCK_CLIENT}) timed out; client {PATIENT_CLIENT}"
        retry.note = note if retry.available else None
        if not retry.available:
            retry.reason = f"{result.reason}; with {PATIENT_CLIENT}: {retry.reason}"
        result = retry
    return result


def _reference_run(script: Path, rows: int, runs: int) -> Reference:
    try:
        done = PROCESSES.run(["bash", str(script), str(rows), str(runs)], timeout=1800)
    except subprocess.TimeoutExpired:
        return Reference(rows, reason="timed out")
    match = _REFERENCE_LINE.search(done.stdout)
    if done.returncode != 0 or match is None:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        return Reference(rows, reason=f"failed ({done.returncode}): {tail[0][:200]}")
    return Reference(rows, int(match[2]), float(match[3]))


@dataclass
class Echo:
    """The registrations' reference: a bare asyncio UDP echo server in its own process."""

    address: str
    port: int
    process: subprocess.Popen = field(repr=False)

    @classmethod
    def start(cls, address: str, port: int) -> Echo:
        process = PROCESSES.spawn(
            [PYTHON, "-m", "bench.echo", address, str(port)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        assert process.stdout is not None
        if process.stdout.readline().strip() != "ready":
            PROCESSES.stop(process)
            raise RuntimeError("the echo server did not start")
        return cls(address, port, process)

    @property
    def target(self) -> str:
        return f"{self.address}:{self.port}"

    def stop(self) -> None:
        PROCESSES.stop(self.process)


def machine() -> dict:
    """What the figures were measured on."""
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = 0
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = int(line.split()[1]) * 1024
    snmpd = "not installed"
    if shutil.which("snmpd"):
        done = subprocess.run(["snmpd", "-v"], capture_output=True, text=True)
        found = re.search(r"version:\s*(\S+)", done.stdout + done.stderr)
        snmpd = found[1] if found else "unknown"
    return {
        "nproc": os.cpu_count(),
        "ram_gib": round(ram / 2**30, 1),
        "cpu": cpu,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "net_snmp": snmpd,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
