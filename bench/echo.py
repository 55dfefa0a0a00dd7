"""The registrations' reference: `python -m bench.echo HOST PORT` runs mipmib.loadgen's bare
asyncio UDP echo server in a process of its own; it prints `ready` once it listens."""

from __future__ import annotations

import asyncio
import signal
import sys

from mipmib.loadgen import EchoServer


async def main(host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(EchoServer, local_addr=(host, port))
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print("ready", flush=True)
    try:
        await stop.wait()
    finally:
        transport.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
