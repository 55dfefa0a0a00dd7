"""Registration Requests built with scapy (an independent encoder) and sent over real UDP.

scapy has no Mobile IP extension classes, so the Mobile-Home authentication extension is
appended here by hand, with Python's hmac, not with mipmib's code.
"""

from __future__ import annotations

import hashlib
import hmac
import socket
import struct
import time

from scapy.layers.mobileip import MobileIP, MobileIPRRP, MobileIPRRQ

NTP_OFFSET = 2208988800
TEST_KEY = bytes(range(1, 17))  # the key of 10.0.0.1 in the integration config


def ntp_id(offset: float = 0.0) -> int:
    now = time.time() + offset
    seconds = int(now) + NTP_OFFSET
    return (seconds << 32) | int((now % 1) * 2**32)


def build(
    home: str,
    coa: str,
    ha: str,
    lifetime: int = 120,
    flags: int = 0,
    identification: int | None = None,
    key: bytes | None = TEST_KEY,
    spi: int = 256,
) -> bytes:
    rrq = MobileIP(type=1) / MobileIPRRQ(
        flags=flags,
        lifetime=lifetime,
        homeaddr=home,
        haaddr=ha,
        coaddr=coa,
        id=ntp_id() if identification is None else identification,
    )
    payload = bytes(rrq)
    if key is None:
        return payload
    header = payload + struct.pack("!BBI", 32, 20, spi)
    return header + hmac.new(key, header, hashlib.md5).digest()


def exchange(target: tuple[str, int], payload: bytes, timeout: float = 3.0) -> MobileIPRRP | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(timeout)
        sock.sendto(payload, target)
        try:
            data, _ = sock.recvfrom(2048)
        except TimeoutError:
            return None
    packet = MobileIP(data)
    assert packet.type == 3
    return packet[MobileIPRRP]


def register_via_scapy(target: tuple[str, int], home: str, coa: str, ha: str, **kw) -> MobileIPRRP:
    reply = exchange(target, build(home, coa, ha, **kw))
    assert reply is not None, "no reply"
    return reply
