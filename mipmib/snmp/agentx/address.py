"""Where the AgentX master listens: `unix:/path` or `tcp:host:port` (net-snmp's spelling)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Address:
    kind: str  # "unix" or "tcp"
    path: str = ""
    host: str = ""
    port: int = 0

    @classmethod
    def parse(cls, text: str) -> Address:
        """Raises ValueError with a message fit for the operator."""
        kind, sep, rest = text.partition(":")
        if sep and kind == "unix" and rest.startswith("/"):
            return cls("unix", path=rest)
        if sep and kind == "tcp":
            host, sep, port = rest.rpartition(":")
            if sep and host and port.isdigit() and 0 < int(port) < 65536:
                return cls("tcp", host=host.strip("[]"), port=int(port))
        raise ValueError(f"expected 'unix:/path' or 'tcp:host:port', got {text!r}")

    def __str__(self) -> str:
        return f"unix:{self.path}" if self.kind == "unix" else f"tcp:{self.host}:{self.port}"
