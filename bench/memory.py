"""Memory benchmark: resident memory (VmRSS of the agent process) added per binding, from
just before the first registration to just after the last of N bindings exists (before
any walk of that size)."""

from __future__ import annotations

from dataclasses import dataclass

from bench.common import say


@dataclass
class MemoryFigure:
    before: int  # bytes
    after: int
    bindings: int

    @property
    def per_binding(self) -> float:
        return (self.after - self.before) / self.bindings


def figure(before: int, after: int, bindings: int) -> MemoryFigure:
    result = MemoryFigure(before, after, bindings)
    say(
        f"memory: {before / 2**20:.1f} MiB before, {after / 2**20:.1f} MiB after "
        f"{bindings} bindings: {result.per_binding:.0f} bytes per binding"
    )
    return result
