"""The AgentX session against a scripted in-process master on a unix socket."""

from __future__ import annotations

import asyncio
import struct
from pathlib import Path

import pytest

from mipmib.mib.schema import Schema
from mipmib.snmp.agentx import codec
from mipmib.snmp.agentx.address import Address
from mipmib.snmp.agentx.pdu import (
    Close,
    CloseReason,
    Error,
    GetNext,
    Header,
    Notify,
    Open,
    PduType,
    Ping,
    Register,
    Response,
    SearchRange,
    ValueType,
)
from mipmib.snmp.agentx.session import Subagent
from tests.unit.test_mib_view import MIP, make_view


class FakeMaster:
    """Answers Open and Register, records every PDU, counts live connections."""

    def __init__(self, path: Path, answer_open: bool = True, answer_ping: bool = True) -> None:
        self.path = path
        self.answer_open = answer_open
        self.answer_ping = answer_ping
        self.register_error = 0
        self.big = True
        self.received: list[tuple[int, object]] = []
        self.connections = 0
        self.live = 0
        self.most_live = 0
        self.writers: list[asyncio.StreamWriter] = []
        self.responses: asyncio.Queue = asyncio.Queue()
        self.server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        self.server = await asyncio.start_unix_server(self._client, str(self.path))

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in self.writers:
            writer.close()
        await self.server.wait_closed()

    def drop_clients(self) -> None:
        for writer in self.writers:
            writer.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.live += 1
        self.most_live = max(self.most_live, self.live)
        self.writers.append(writer)
        session = 100 + self.connections
        framer = codec.Framer()
        try:
            while data := await reader.read(4096):
                for frame in framer.feed(data):
                    header, pdu = codec.decode(frame)
                    self.received.append((header.session_id, pdu))
                    if isinstance(pdu, Response):
                        self.responses.put_nowait(pdu)
                    elif isinstance(pdu, Open) and self.answer_open:
                        writer.write(self._answer(header, session))
                    elif isinstance(pdu, Ping) and not self.answer_ping:
                        pass
                    elif isinstance(pdu, Register):
                        error = self.register_error
                        writer.write(self._answer(header, header.session_id, error))
                    elif isinstance(pdu, Ping | Notify):
                        writer.write(self._answer(header, header.session_id))
        finally:
            self.live -= 1
            writer.close()

    def _answer(self, header: Header, session: int, error: int = 0) -> bytes:
        reply = Header(PduType.RESPONSE, 0, session, header.transaction_id, header.packet_id)
        return codec.encode(reply, Response(4242, error), self.big)

    def of_type(self, kind: type) -> list:
        return [pdu for _, pdu in self.received if isinstance(pdu, kind)]


async def _until(condition, timeout: float = 3.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


def _subagent(path: Path, **kw) -> Subagent:
    _, view = make_view(Schema.load())
    return Subagent(view, Address.parse(f"unix:{path}"), MIP, jitter=lambda: 0.0, **kw)


@pytest.mark.parametrize("big", [True, False], ids=["network", "little"])
def test_open_register_serve_reconnect_and_close(tmp_path, big):
    async def scenario() -> None:
        master = FakeMaster(tmp_path / "master")
        master.big = big
        await master.start()
        subagent = _subagent(master.path)
        subagent.start()
        await asyncio.wait_for(subagent.registered.wait(), 3)
        opened = master.of_type(Open)
        assert len(opened) == 1 and opened[0].descr.startswith(b"mipmib")
        assert master.of_type(Register) == [Register(MIP, 0, 127)]
        # the master asks, the subagent answers from the view
        writer = master.writers[-1]
        ask = Header(PduType.GET_NEXT, 0, 101, 1, 9)
        writer.write(codec.encode(ask, GetNext([SearchRange(MIP)]), big))
        answer = await asyncio.wait_for(master.responses.get(), 3)
        assert answer.varbinds[0].name > MIP and answer.varbinds[0].type == ValueType.OCTET_STRING
        # the master goes away: the subagent comes back and registers again, one at a time
        master.drop_clients()
        await _until(lambda: len(master.of_type(Register)) == 2)
        await asyncio.wait_for(subagent.registered.wait(), 3)
        assert subagent.sessions == 2 and master.most_live == 1
        # a notification goes out in the open session
        assert subagent.notify([((1, 3, 6, 1, 2, 1, 1, 3, 0), ("TimeTicks", 5))])
        await _until(lambda: master.of_type(Notify))
        assert master.received[-1][0] == 102  # sent in the second session
        subagent.close()
        await _until(lambda: master.of_type(Close))
        assert master.of_type(Close) == [Close(CloseReason.SHUTDOWN)]
        assert not subagent.notify([])
        await master.stop()

    asyncio.run(scenario())


def test_open_times_out_and_is_retried(tmp_path):
    async def scenario() -> None:
        master = FakeMaster(tmp_path / "master", answer_open=False)
        await master.start()
        subagent = _subagent(master.path, timeout=0.1)
        subagent.start()
        await _until(lambda: master.connections >= 3)
        assert not subagent.registered.is_set() and master.most_live == 1
        master.answer_open = True
        await asyncio.wait_for(subagent.registered.wait(), 3)
        subagent.close()
        await master.stop()

    asyncio.run(scenario())


def test_a_refused_registration_is_tried_again_in_a_new_session(tmp_path):
    async def scenario() -> None:
        master = FakeMaster(tmp_path / "master")
        master.register_error = Error.DUPLICATE_REGISTRATION
        await master.start()
        subagent = _subagent(master.path)
        subagent.start()
        await _until(lambda: len(master.of_type(Register)) >= 2)
        assert not subagent.registered.is_set() and master.most_live == 1
        master.register_error = 0
        await asyncio.wait_for(subagent.registered.wait(), 5)
        subagent.close()
        await master.stop()

    asyncio.run(scenario())


def test_a_master_that_stops_answering_pings_is_dropped(tmp_path):
    async def scenario() -> None:
        master = FakeMaster(tmp_path / "master", answer_ping=False)
        await master.start()
        subagent = _subagent(master.path, timeout=0.1, ping_interval=0.05)
        subagent.start()
        await _until(lambda: master.connections >= 2)
        assert master.of_type(Ping) and master.most_live == 1
        subagent.close()
        await master.stop()

    asyncio.run(scenario())


def test_a_broken_stream_closes_the_session_with_parse_error_and_reconnects(tmp_path):
    async def scenario() -> None:
        master = FakeMaster(tmp_path / "master")
        await master.start()
        subagent = _subagent(master.path)
        subagent.start()
        await asyncio.wait_for(subagent.registered.wait(), 3)
        # a header whose payload length is not a multiple of 4: framing is lost
        master.writers[-1].write(struct.pack(">BBBBIIII", 1, 6, 0x10, 0, 101, 1, 1, 6))
        await _until(lambda: len(master.of_type(Register)) == 2)
        assert master.of_type(Close) == [Close(CloseReason.PARSE_ERROR)]
        assert master.most_live == 1
        subagent.close()
        await master.stop()

    asyncio.run(scenario())


def test_no_master_yet_then_one_appears(tmp_path):
    async def scenario() -> None:
        path = tmp_path / "master"
        subagent = _subagent(path)
        subagent.start()
        await asyncio.sleep(0.3)  # several refused attempts
        master = FakeMaster(path)
        await master.start()
        await asyncio.wait_for(subagent.registered.wait(), 3)
        with pytest.raises(RuntimeError):
            subagent.start()  # never two sessions
        subagent.close()
        await master.stop()

    asyncio.run(scenario())


def test_addresses():
    assert Address.parse("unix:/var/agentx/master") == Address("unix", path="/var/agentx/master")
    assert Address.parse("tcp:127.0.0.1:705") == Address("tcp", host="127.0.0.1", port=705)
    assert str(Address.parse("tcp:[::1]:705")) == "tcp:::1:705"
    for bad in ("", "udp:1.2.3.4:705", "unix:relative", "tcp:host", "tcp:h:0", "tcp::705"):
        with pytest.raises(ValueError):
            Address.parse(bad)
