"""Scrape benchmark: seconds per GET /metrics of the agent holding N bindings (median of a
few, timed by the client: request, rendering and transfer). Reference: prometheus-client's
generate_latest() of a CollectorRegistry whose collector emits the same number of samples
(two gauge families, two labels per sample, built at collect time as ours are), timed in the
same run."""

from __future__ import annotations

import statistics
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from bench.common import Agent, say


@dataclass
class ScrapeFigure:
    seconds: float  # median per scrape
    samples: int
    size: int  # bytes of one exposition


def scrape(agent: Agent, runs: int) -> ScrapeFigure:
    url = f"http://127.0.0.1:{agent.layout.metrics_port}/metrics"
    times, body = [], b""
    for _ in range(runs):
        start = time.perf_counter()
        with urllib.request.urlopen(url, timeout=300) as response:
            body = response.read()
        times.append(time.perf_counter() - start)
    samples = sum(1 for line in body.splitlines() if line and not line.startswith(b"#"))
    figure = ScrapeFigure(statistics.median(times), samples, len(body))
    say(f"scrape: {samples} samples, {len(body):,} bytes, median {figure.seconds:.3f} s")
    return figure


class _SameSize:
    """Two gauge families sharing `samples` samples, labels like a binding's (MN, CoA)."""

    def __init__(self, samples: int) -> None:
        self.samples = samples

    def collect(self) -> Iterator[GaugeMetricFamily]:
        half = self.samples // 2
        for name, count in (("refTimeGranted", half), ("refTimeRemaining", self.samples - half)):
            family = GaugeMetricFamily(name, f"reference {name}", labels=["mn", "coa"])
            for i in range(count):
                mn = f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
                family.add_metric([mn, "127.0.0.143"], float(i))
            yield family


def reference(samples: int, runs: int) -> float:
    """Median seconds of generate_latest() over a registry of `samples` samples."""
    registry = CollectorRegistry()
    registry.register(_SameSize(samples))
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        generate_latest(registry)
        times.append(time.perf_counter() - start)
    seconds = statistics.median(times)
    say(f"scrape reference: generate_latest() of {samples} samples, median {seconds:.3f} s")
    return seconds
