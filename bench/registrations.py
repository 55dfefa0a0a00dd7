"""Registration benchmarks with `mipmib loadgen` (real UDP, HMAC-MD5, timestamps), each run a
process of its own: the maximum rate (closed loop) at the home agent directly and through the
foreign agent; reference: the same load generator against a bare asyncio UDP echo server
(bench.echo) in the same run. Then latency at half the home agent's maximum (open loop), and
the rate while walks of the binding table run back to back, against the idle rate."""

from __future__ import annotations

import subprocess
import threading
import time
from dataclasses import dataclass

from bench.common import BINDING_TABLE, PROCESSES, Agent, Echo, loadgen, say

WINDOW = 64  # requests in flight in closed loop


def _line(what: str, result: dict) -> None:
    say(
        f"{what}: {result['rate']:,.0f}/s, p50 {result['p50_ms']:.2f} ms, "
        f"p99 {result['p99_ms']:.2f} ms, lost {result['lost']}, codes {result['codes']}"
    )


def _accepted(result: dict, what: str) -> dict:
    """A rate of denials would measure nothing: every reply must be an acceptance (0)."""
    if set(result["codes"]) - {"0"}:
        raise RuntimeError(f"{what}: the agent denied registrations: {result['codes']}")
    return result


@dataclass
class MaxRates:
    echo: dict
    ha: dict
    fa: dict


def max_rates(agent: Agent, echo: Echo, nodes: int, count: int, reps: int) -> MaxRates:
    """Best of `reps` closed-loop runs of each, interleaved (echo, HA, FA, echo, ...)."""
    best: dict[str, dict] = {}
    for _ in range(reps):
        for what, via, target in (
            ("echo", "ha", echo.target),
            ("ha", "ha", None),
            ("fa", "fa", None),
        ):
            result = loadgen(
                agent.config, nodes=nodes, count=count, via=via, window=WINDOW, target=target
            )
            if what != "echo":
                _accepted(result, what)
            _line(f"closed loop {what}", result)
            if what not in best or result["rate"] > best[what]["rate"]:
                best[what] = result
    return MaxRates(best["echo"], best["ha"], best["fa"])


def half_load(
    agent: Agent, echo: Echo, nodes: int, ha_rate: float, seconds: float
) -> tuple[dict, dict]:
    """Open loop at half the home agent's maximum rate: the latency a node sees; and the
    same load against the echo server (what the load generator itself adds)."""
    rate = ha_rate / 2
    count = max(100, int(rate * seconds))
    ours = _accepted(loadgen(agent.config, nodes=nodes, count=count, rate=rate), "half load")
    _line(f"open loop at {rate:,.0f}/s, HA", ours)
    reference = loadgen(agent.config, nodes=nodes, count=count, rate=rate, target=echo.target)
    _line(f"open loop at {rate:,.0f}/s, echo", reference)
    ours["offered"] = reference["offered"] = rate
    return ours, reference


class WalkLoop(threading.Thread):
    """Walks the binding table back to back (output discarded) until stopped."""

    def __init__(self, address: str) -> None:
        super().__init__(daemon=True)
        self.address = address
        self.stopping = threading.Event()
        self.current: subprocess.Popen | None = None
        self.completed = 0
        self._lock = threading.Lock()

    def run(self) -> None:
        command = ["snmpbulkwalk", "-v2c", "-c", "public", "-t", "30", "-r", "1", "-Cr25", "-On"]
        while True:
            with self._lock:
                if self.stopping.is_set():
                    return
                self.current = current = PROCESSES.spawn(
                    [*command, self.address, BINDING_TABLE],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            if current.wait() == 0 and not self.stopping.is_set():
                self.completed += 1

    def stop(self) -> None:
        with self._lock:
            self.stopping.set()
            current = self.current
        if current is not None:
            PROCESSES.stop(current)
        self.join(15)


@dataclass
class DuringWalk:
    idle: dict
    during: dict
    walks_completed: int


def during_walk(agent: Agent, nodes: int, seconds: float) -> DuringWalk:
    """Closed-loop rate while walks run, against the idle rate measured just before with
    the same number of requests."""
    probe = _accepted(loadgen(agent.config, nodes=nodes, count=5000, window=WINDOW), "idle")
    count = max(2000, int(probe["rate"] * seconds))
    idle = _accepted(loadgen(agent.config, nodes=nodes, count=count, window=WINDOW), "idle")
    _line("idle", idle)
    walks = WalkLoop(agent.snmp)
    walks.start()
    try:
        time.sleep(0.5)  # the first walk is under way
        during = _accepted(
            loadgen(agent.config, nodes=nodes, count=count, window=WINDOW), "during walk"
        )
    finally:
        walks.stop()
    _line(f"during walks ({walks.completed} completed meanwhile)", during)
    return DuringWalk(idle, during, walks.completed)
