"""Registration load generator: many mobile nodes over real UDP, rate and latency summary.

Requests are signed (HMAC-MD5 or keyed-MD5, from the agents' security associations) and
time-stamped like a real node's; replies are matched on (home address, low 32 bits of the
Identification). It runs closed-loop (a window of requests in flight: the maximum rate) or
open-loop at a fixed rate (latency at a given load). An echo server returns the request
itself, which the matcher accepts too, so the same generator measures a reference.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import socket
import struct
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from mipmib.core import auth
from mipmib.core import messages as m
from mipmib.core.security import Peer, SecurityAssociations

_FIXED = struct.Struct("!BBHIIIQ")


@dataclass(slots=True)
class LoadNode:
    home_address: int
    key: bytes
    spi: int
    algorithm: auth.Algorithm


@dataclass
class LoadResult:
    sent: int = 0
    answered: int = 0
    lost: int = 0
    codes: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.answered / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    def as_dict(self) -> dict:
        """The figures as plain numbers (latencies in milliseconds), for JSON."""
        return {
            "sent": self.sent,
            "answered": self.answered,
            "lost": self.lost,
            "codes": {str(k): v for k, v in sorted(self.codes.items())},
            "seconds": self.seconds,
            "rate": self.rate,
            **{
                f"p{p}_ms": self.percentile(p) * 1e3 if self.latencies else None
                for p in (50, 90, 99)
            },
        }

    def summary(self) -> str:
        return (
            f"{self.answered}/{self.sent} answered in {self.seconds:.2f} s: "
            f"{self.rate:,.0f} registrations/s; latency ms p50 {self.percentile(50) * 1e3:.2f} "
            f"p90 {self.percentile(90) * 1e3:.2f} p99 {self.percentile(99) * 1e3:.2f}; "
            f"codes {dict(sorted(self.codes.items()))}; lost {self.lost}"
        )


def nodes_from(associations: SecurityAssociations, first: int, count: int) -> list[LoadNode]:
    """`count` nodes from home address `first` on, with their mobile-node associations."""
    nodes = []
    for home in range(first, first + count):
        sa = associations.first_for_peer(home, Peer.MOBILE_NODE)
        if sa is None:
            raise ValueError(f"no mobile-node security association for {m.int_to_ip(home)}")
        nodes.append(LoadNode(home, sa.key, sa.spi, sa.algorithm))
    return nodes


class _Endpoint(asyncio.DatagramProtocol):
    def __init__(self, on_reply: Callable[[bytes], None]) -> None:
        self.on_reply = on_reply
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.on_reply(data)


class LoadGenerator:
    """Registers `nodes` with `home_agent` through `target` (the HA itself or an FA)."""

    def __init__(
        self,
        nodes: list[LoadNode],
        target: tuple[str, int],
        home_agent: int,
        care_of_address: int | None,
        lifetime: int = 600,
        progress: bool = False,
    ) -> None:
        self.nodes = nodes
        self.target = target
        self.home_agent = home_agent
        self.care_of_address = care_of_address
        self.lifetime = lifetime
        self.progress = progress
        self._pending: dict[tuple[int, int], float] = {}
        self._result = LoadResult()
        self._window_free: asyncio.Event | None = None
        self._done: asyncio.Event | None = None
        self._expected = 0

    def _request(self, node: LoadNode, now: float) -> tuple[bytes, int]:
        identification = auth.timestamp_identification(now)
        coa = self.care_of_address if self.care_of_address is not None else node.home_address
        flags = 0 if self.care_of_address is not None else m.FLAG_D
        fixed = _FIXED.pack(
            1, flags, self.lifetime, node.home_address, self.home_agent, coa, identification
        )
        return (
            auth.append_auth_extension(fixed, m.EXT_MHAE, node.spi, node.key, node.algorithm),
            identification & 0xFFFFFFFF,
        )

    def _on_reply(self, data: bytes) -> None:
        if len(data) < 20:
            return
        if data[0] == m.REGISTRATION_REPLY:
            code, home, low = data[1], int.from_bytes(data[4:8], "big"), data[16:20]
        elif data[0] == m.REGISTRATION_REQUEST and len(data) >= 24:  # an echo
            code, home, low = 0, int.from_bytes(data[4:8], "big"), data[20:24]
        else:
            return
        sent = self._pending.pop((home, int.from_bytes(low, "big")), None)
        if sent is None:
            return
        result = self._result
        result.answered += 1
        result.codes[code] = result.codes.get(code, 0) + 1
        result.latencies.append(time.perf_counter() - sent)
        if self._window_free is not None:
            self._window_free.set()
        if result.answered + result.lost >= self._expected and self._done is not None:
            self._done.set()

    async def run(
        self, count: int, window: int = 64, rate: float | None = None, timeout: float = 5.0
    ) -> LoadResult:
        """Send `count` registrations (cycling through the nodes); closed-loop with `window`
        in flight, or open-loop at `rate` per second when given."""
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Endpoint(self._on_reply), local_addr=("127.0.0.1", 0)
        )
        with contextlib.suppress(OSError):  # room for replies that arrive while we send
            transport.get_extra_info("socket").setsockopt(
                socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22
            )
        self._result = result = LoadResult()
        self._pending.clear()
        self._window_free = asyncio.Event()
        self._done = asyncio.Event()
        self._expected = count
        start = time.perf_counter()
        last_print = 0.0
        try:
            for i in range(count):
                if rate is None:
                    while len(self._pending) >= window:
                        self._window_free.clear()
                        try:
                            await asyncio.wait_for(self._window_free.wait(), timeout)
                        except TimeoutError:
                            self._expire(timeout)
                else:
                    delay = start + i / rate - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    elif i % 16 == 0:
                        await asyncio.sleep(0)  # behind schedule: still read the replies
                node = self.nodes[i % len(self.nodes)]
                payload, low = self._request(node, time.time())
                self._pending[(node.home_address, low)] = time.perf_counter()
                transport.sendto(payload, self.target)
                result.sent += 1
                if self.progress and time.perf_counter() - last_print > 0.2:
                    last_print = time.perf_counter()
                    _bar(result.answered, count)
            try:
                await asyncio.wait_for(self._done.wait(), timeout)
            except TimeoutError:
                self._expire(0)
            result.seconds = time.perf_counter() - start
        finally:
            transport.close()
        if self.progress:
            _bar(result.answered, count)
            print(file=sys.stderr)
        return result

    def _expire(self, older_than: float) -> None:
        now = time.perf_counter()
        for key, sent in list(self._pending.items()):
            if now - sent >= older_than:
                del self._pending[key]
                self._result.lost += 1


def _bar(done: int, total: int, width: int = 40) -> None:
    filled = int(width * done / total) if total else width
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    sys.stderr.flush()


class EchoServer(asyncio.DatagramProtocol):
    """The reference: sends every datagram back unchanged."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.transport.sendto(data, addr)  # type: ignore[attr-defined]
