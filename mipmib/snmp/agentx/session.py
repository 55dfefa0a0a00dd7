"""The AgentX session with the master agent: open, register, serve, ping, reconnect.

One `Subagent` keeps at most one connection: it connects, opens a session (waiting at most
`timeout` seconds for each answer), registers the subtree, then answers the master's
requests from the MIB view until the connection ends. It then reconnects with exponential
back-off and jitter and registers everything again, until `close()`.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import socket
import time
from collections.abc import Callable
from typing import Any

from mipmib.config import AgentXSettings
from mipmib.mib.schema import Schema
from mipmib.mib.tree import MibView, Oid
from mipmib.snmp.agentx import codec
from mipmib.snmp.agentx.address import Address
from mipmib.snmp.agentx.pdu import (
    Close,
    CloseReason,
    Error,
    Header,
    Open,
    Pdu,
    PduType,
    Ping,
    Register,
    Response,
)
from mipmib.snmp.agentx.responder import Responder

log = logging.getLogger(__name__)

RETRY_FIRST = 0.1  # seconds before the first reconnection attempt
LINGER = 0.0002  # seconds to wait for the master's next request before yielding
LINGER_TOTAL = 0.005  # at most this long in one callback, then back to the loop
RETRY_MAX = 2.0  # the back-off never waits longer than this (times the jitter, at most 1.5)
_U32 = 0xFFFFFFFF


class AgentXError(Exception):
    """The master refused a request of ours."""


class _Connection(asyncio.Protocol):
    """One transport to the master: frames in, answers out, our requests matched by id."""

    def __init__(self, responder: Responder, sock: socket.socket) -> None:
        self.responder = responder
        self.sock = sock
        self.framer = codec.Framer()
        self.transport: asyncio.Transport | None = None
        self.pending: dict[int, asyncio.Future] = {}
        self.closed: asyncio.Future = asyncio.get_running_loop().create_future()
        self.master_uptime = (0, 0.0)  # (sysUpTime the master reported, loop time then)
        self._ids = itertools.count(1)

    # ------------------------------------------------------------ asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self._received(data):
            self._linger()

    def _received(self, data: bytes) -> bool:
        """Answer every whole PDU in `data`; False when the stream is broken (closed)."""
        try:
            frames = self.framer.feed(data)
        except codec.FramingError as exc:
            log.warning("AgentX: the stream from the master is broken (%s); closing", exc)
            self.close(CloseReason.PARSE_ERROR)
            return False
        self._answer(frames)
        return True

    def _answer(self, frames: list[bytes]) -> None:
        transport = self.transport
        assert transport is not None
        handle = self.responder.handle
        for frame in frames:
            if frame[1] == PduType.RESPONSE:
                self._response(frame)
                continue
            reply = handle(frame)
            if reply is not None:
                transport.write(reply)

    def _linger(self) -> None:
        """Wait a moment, reading the socket directly, for the master's next request.

        A walk through the master is a chain of GetNext round trips, one per varbind, so
        its speed is the round-trip time. Going back to the event loop and being woken up
        again costs more than answering; the next request of a walk comes within tens of
        microseconds. Each wait is short (LINGER) and the whole callback is bounded
        (LINGER_TOTAL), so the loop, and the registrations it serves, never starve.
        """
        now = time.perf_counter()
        deadline = now + LINGER
        stop = now + LINGER_TOTAL
        recv = self.sock.recv
        while now < deadline and now < stop and self.transport is not None:
            try:
                data = recv(65536)
            except (BlockingIOError, InterruptedError):
                now = time.perf_counter()
                continue
            except OSError:
                return  # the event loop will see the error and close the connection
            if not data or not self._received(data):
                return
            now = time.perf_counter()
            deadline = now + LINGER

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)
        for future in self.pending.values():
            if not future.done():
                future.set_exception(ConnectionError("the master closed the connection"))
        self.pending.clear()

    # ------------------------------------------------------------ our requests
    def _response(self, frame: bytes) -> None:
        try:
            header, pdu = codec.decode(frame)
        except codec.ParseError as exc:
            log.warning("AgentX: unparsable Response from the master: %s", exc)
            return
        assert isinstance(pdu, Response)
        self.master_uptime = (pdu.sys_uptime, asyncio.get_running_loop().time())
        future = self.pending.pop(header.packet_id, None)
        if future is not None and not future.done():
            future.set_result((header, pdu))

    def send(self, pdu: Pdu, session_id: int) -> asyncio.Future:
        """Send a request; the future gets (header, Response) or an exception."""
        packet_id = self.next_packet_id()
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        if self.transport is None or self.transport.is_closing():
            future.set_exception(ConnectionError("not connected"))
            return future
        self.pending[packet_id] = future
        future.add_done_callback(lambda _: self.pending.pop(packet_id, None))  # also on timeout
        header = Header(0, 0, session_id, 0, packet_id)  # encode() takes the type from the PDU
        self.transport.write(codec.encode(header, pdu))
        return future

    async def request(self, pdu: Pdu, session_id: int, timeout: float) -> tuple[Header, Response]:
        """Send a request and wait for its answer; AgentXError when the master refuses it."""
        future = self.send(pdu, session_id)
        try:
            header, response = await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise TimeoutError(f"no answer to {type(pdu).__name__} in {timeout:g} s") from None
        if response.error != Error.NO_ERROR:
            raise AgentXError(f"{type(pdu).__name__} refused: {_error_name(response.error)}")
        return header, response

    def next_packet_id(self) -> int:
        return next(self._ids) & _U32

    def uptime(self) -> int:
        ticks, then = self.master_uptime
        elapsed = asyncio.get_running_loop().time() - then if then else 0.0
        return (ticks + int(elapsed * 100)) & _U32

    def close(self, reason: int = CloseReason.SHUTDOWN) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        session_id = self.responder.session_id
        if session_id is not None:
            header = Header(PduType.CLOSE, 0, session_id, 0, self.next_packet_id())
            transport.write(codec.encode(header, Close(reason)))
        transport.close()


class Subagent:
    """mipmib as an AgentX subagent serving `view` under `subtree`."""

    def __init__(
        self,
        view: MibView,
        address: Address,
        subtree: Oid,
        *,
        priority: int = 127,
        context: bytes | None = None,
        timeout: float = 5.0,
        ping_interval: float = 30.0,
        description: str = "mipmib: Mobile IPv4 agent (MIP-MIB)",
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.view = view
        self.address = address
        self.subtree = subtree
        self.priority = priority
        self.context = context
        self.timeout = timeout
        self.ping_interval = ping_interval
        self.description = description
        self.jitter = jitter
        self.sessions = 0  # sessions opened so far (tests and logs)
        self.registered = asyncio.Event()
        self._conn: _Connection | None = None
        self._task: asyncio.Task | None = None

    # ------------------------------------------------------------ life cycle
    def start(self) -> None:
        if self._task is not None and not self._task.done():
            raise RuntimeError("the subagent is already running")
        self._task = asyncio.get_running_loop().create_task(self._run(), name="agentx")

    def close(self) -> None:
        """Close the session (agentx-Close-PDU, reasonShutdown) and stop reconnecting."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
        if self._conn is not None:
            self._conn.close(CloseReason.SHUTDOWN)
        self.registered.clear()

    async def _run(self) -> None:
        delay, failures = RETRY_FIRST, 0
        while True:
            try:
                await self._session()
                delay, failures = RETRY_FIRST, 0
            except (OSError, TimeoutError, AgentXError) as exc:
                failures += 1
                level = logging.WARNING if failures == 1 else logging.DEBUG
                log.log(level, "AgentX master at %s: %s; retrying", self.address, exc)
            pause = delay * (0.5 + self.jitter())
            delay = min(delay * 2, RETRY_MAX)
            await asyncio.sleep(pause)

    async def _connect(self, responder: Responder) -> _Connection:
        """Connect a socket of our own (the connection reads it directly while it waits
        for the master's next request, see `_Connection.data_received`)."""
        loop = asyncio.get_running_loop()
        if self.address.kind == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            target: Any = self.address.path
        else:
            info = await loop.getaddrinfo(
                self.address.host, self.address.port, type=socket.SOCK_STREAM
            )
            family, _, _, _, target = info[0]
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        try:
            await loop.sock_connect(sock, target)
            if self.address.kind == "unix":
                _, conn = await loop.create_unix_connection(
                    lambda: _Connection(responder, sock), sock=sock
                )
            else:
                _, conn = await loop.create_connection(
                    lambda: _Connection(responder, sock), sock=sock
                )
        except BaseException:
            sock.close()
            raise
        return conn

    async def _session(self) -> None:
        """One connection, from connect to loss. Returns normally only after registering."""
        responder = Responder(self.view, self.context)
        conn = await asyncio.wait_for(self._connect(responder), self.timeout)
        self._conn = conn
        try:
            opened = await self._open(conn)
            responder.session_id = opened
            await conn.request(
                Register(self.subtree, 0, self.priority, context=self.context),
                opened,
                self.timeout,
            )
            self.sessions += 1
            log.info(
                "AgentX: session %d with %s, registered %s",
                opened,
                self.address,
                ".".join(map(str, self.subtree)),
            )
            self.registered.set()
            await self._serve(conn, opened)
            log.warning("AgentX: lost the master at %s; reconnecting", self.address)
        finally:
            self.registered.clear()
            self._conn = None
            conn.close(CloseReason.SHUTDOWN)
            responder.reset()

    async def _open(self, conn: _Connection) -> int:
        pdu = Open(min(int(self.timeout), 255), (), self.description.encode())
        header, _ = await conn.request(pdu, 0, self.timeout)
        return int(header.session_id)

    async def _serve(self, conn: _Connection, session_id: int) -> None:
        """Until the connection ends; a master that stops answering Pings is dropped."""
        while True:
            done, _ = await asyncio.wait({conn.closed}, timeout=self.ping_interval)
            if done:
                return
            try:
                await conn.request(Ping(self.context), session_id, self.timeout)
            except (TimeoutError, ConnectionError, AgentXError) as exc:
                log.warning("AgentX: Ping failed (%s); dropping the session", exc)
                conn.close(CloseReason.TIMEOUTS)
                return

    # ------------------------------------------------------------ notifications
    def uptime(self) -> int | None:
        """The master's sysUpTime now (from its last Response), or None without a session."""
        conn = self._conn
        return None if conn is None or not self.registered.is_set() else conn.uptime()

    def notify(self, varbinds: list[tuple[Oid, tuple[str, Any]]]) -> bool:
        """Send an agentx-Notify-PDU (varbinds: sysUpTime.0, snmpTrapOID.0, the objects).

        Returns False when no session is open (the notification is dropped).
        """
        conn = self._conn
        session_id = None if conn is None else conn.responder.session_id
        if conn is None or session_id is None or not self.registered.is_set():
            return False
        assert conn.transport is not None
        encoded = [codec.view_varbind(oid, value[0], value[1]) for oid, value in varbinds]
        packet_id = conn.next_packet_id()
        header = Header(PduType.NOTIFY, 0, session_id, 0, packet_id)
        loop = asyncio.get_running_loop()
        future: asyncio.Future = loop.create_future()
        conn.pending[packet_id] = future
        future.add_done_callback(_log_notify_answer)
        loop.call_later(self.timeout, _expire, conn.pending, packet_id)
        conn.transport.write(
            codec.encode_varbind_pdu(header, PduType.NOTIFY, encoded, self.context, True)
        )
        return True


def _error_name(code: int) -> str:
    try:
        return Error(code).name
    except ValueError:
        return f"error {code}"


def _expire(pending: dict[int, asyncio.Future], packet_id: int) -> None:
    future = pending.pop(packet_id, None)
    if future is not None and not future.done():
        future.cancel()


def _log_notify_answer(future: asyncio.Future) -> None:
    if future.cancelled():
        log.warning("AgentX: no answer to a Notify")
        return
    if future.exception() is not None:
        log.warning("AgentX: Notify not delivered: %s", future.exception())
        return
    _, response = future.result()
    if response.error != Error.NO_ERROR:
        log.warning("AgentX: the master refused a Notify (error %d)", response.error)


def start_subagent(settings: AgentXSettings, view: MibView, schema: Schema) -> Subagent | None:
    """The subagent the settings ask for (None without an address), started."""
    if settings.address is None:
        return None
    subagent = Subagent(
        view,
        Address.parse(settings.address),
        schema.oid("mipMIB"),
        priority=settings.priority,
        context=None if settings.context is None else settings.context.encode(),
        timeout=settings.timeout,
    )
    subagent.start()
    log.info("AgentX subagent: master at %s", subagent.address)
    return subagent
