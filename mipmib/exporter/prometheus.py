"""Prometheus exposition of the MIB view, named as snmp_exporter names MIB objects.

snmp_exporter turns an object into a metric of the same name (camelCase, counters without a
`_total` suffix) and each index object into a label; a dashboard built on it works unchanged
against this exporter. prometheus-client's own exposition would rename counters to
`<name>_total`, so the MIB families are rendered here, and prometheus-client renders the
process metrics and the agent's own (snake_case) counters of what the MIB does not count.

Values are read from the MIB view on the event loop, the same path SNMP reads, so a scrape
and an SNMP GET at the same moment agree.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.process_collector import ProcessCollector

from mipmib.core.entity import MobilityEntity
from mipmib.mib.schema import Schema
from mipmib.mib.tree import MibView, Scalar, Table

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Per-row series: what an operator graphs or alerts on. Other columns stay in SNMP.
ROW_SERIES: dict[str, tuple[str, ...]] = {
    "haMobilityBindingEntry": (
        "haMobilityBindingTimeGranted",
        "haMobilityBindingTimeRemaining",
    ),
    "faVisitorEntry": ("faVisitorTimeGranted", "faVisitorTimeRemaining", "faVisitorRegIsAccepted"),
}
_TYPE = {"Counter32": "counter", "Counter64": "counter"}
_NUMERIC = {"Integer32", "Counter32", "Gauge32", "TimeTicks", "Unsigned32", "Counter64"}


def _label(base_type: str, value: object) -> str:
    if base_type == "IpAddress" and isinstance(value, int):
        return f"{value >> 24 & 255}.{value >> 16 & 255}.{value >> 8 & 255}.{value & 255}"
    return str(value)


class MibExposition:
    """Renders the MIB's scalars and selected table columns in the text format."""

    def __init__(self, view: MibView, schema: Schema, entity: MobilityEntity) -> None:
        self.view = view
        self.schema = schema
        self.entity = entity
        self.extras = CollectorRegistry(auto_describe=True)
        self.extras.register(ProcessCollector(registry=None))
        self.extras.register(_ExtraCounters(entity))

    def _scalars(self) -> Iterator[tuple[str, str, Scalar]]:
        for node in self.view.nodes():
            if isinstance(node, Scalar) and node.base_type in _NUMERIC:
                obj = self.schema.by_oid(node.oid)
                yield obj.name, _TYPE.get(node.base_type, "gauge"), node

    def render(self) -> bytes:
        now = self.view.clock()
        out: list[str] = []
        for name, kind, node in self._scalars():
            out.append(f"# HELP {name} MIP-MIB::{name}\n# TYPE {name} {kind}\n")
            out.append(f"{name} {node.read(now)}\n")
        for node in self.view.nodes():
            if not isinstance(node, Table):
                continue
            entry = self.schema.by_oid(node.oid)
            wanted = ROW_SERIES.get(entry.name)
            if not wanted:
                continue
            out.extend(self._table(node, entry.name, wanted, now))
        return "".join(out).encode() + generate_latest(self.extras)

    def _table(self, table: Table, entry: str, wanted: tuple[str, ...], now: float) -> list[str]:
        index_names = self.schema.object(entry).index
        index_types = [self.schema.object(n).base_type for n in index_names]
        rows = list(table.rows().items())
        out: list[str] = []
        for column_name in wanted:
            obj = self.schema.object(column_name)
            column = next(c for c in table.columns if c.number == obj.oid[-1])
            kind = _TYPE.get(column.base_type, "gauge")
            out.append(
                f"# HELP {column_name} MIP-MIB::{column_name}\n# TYPE {column_name} {kind}\n"
            )
            for key, row in rows:
                parts = key if isinstance(key, tuple) else (key,)
                labels = ",".join(
                    f'{n}="{_label(t, v)}"'
                    for n, t, v in zip(index_names, index_types, parts, strict=True)
                )
                out.append(f"{column_name}{{{labels}}} {column.read(row, now)}\n")
        return out


class _ExtraCounters:
    """The agents' counters of events the MIB has no object for (snake_case names)."""

    def __init__(self, entity: MobilityEntity) -> None:
        self.entity = entity

    def collect(self) -> Iterator[CounterMetricFamily]:
        for role, agent in (("ha", self.entity.home_agent), ("fa", self.entity.foreign_agent)):
            if agent is None:
                continue
            family = CounterMetricFamily(
                f"mipmib_{role}_dropped",
                "Datagrams dropped without a reply, by reason",
                labels=["reason"],
            )
            for name, value in agent.counters.items():
                if name.startswith("dropped"):
                    family.add_metric([name.removeprefix("dropped").lower()], value)
            yield family


async def serve_metrics(exposition: MibExposition, address: str, port: int) -> asyncio.Server:
    """A minimal HTTP/1.0 server for GET /metrics on the event loop (no thread, no copy)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            line = request.split(b"\r\n", 1)[0].split()
            if (
                len(line) >= 2
                and line[0] in (b"GET", b"HEAD")
                and line[1].split(b"?")[0]
                in (
                    b"/metrics",
                    b"/",
                )
            ):
                body = exposition.render()
                head = (
                    f"HTTP/1.0 200 OK\r\nContent-Type: {CONTENT_TYPE}\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n"
                ).encode()
                writer.write(head + (body if line[0] == b"GET" else b""))
            else:
                writer.write(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
        except (
            TimeoutError,
            asyncio.IncompleteReadError,
            ConnectionError,
            asyncio.LimitOverrunError,
        ):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, address, port)
    log.info("Prometheus exporter on http://%s:%d/metrics", address, port)
    return server
