"""SET as a transaction over the MIB view (RFC 3416 section 4.2.5).

Every varbind of a request is checked before anything changes: the object must be writable,
the value of the right type, length and range (all taken from the compiled module), then the
varbinds are grouped by row and each row's writer decides, given all of that row's columns at
once, whether the request is consistent. Only then does `commit` apply the planned changes, in
order; a failure part way reverts what was applied.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from mipmib.mib.schema import MibObject

log = logging.getLogger(__name__)

Oid = tuple[int, ...]
Value = tuple[str, Any]

SET_ERRORS = frozenset(
    {
        "tooBig",
        "noAccess",
        "wrongType",
        "wrongLength",
        "wrongEncoding",
        "wrongValue",
        "noCreation",
        "inconsistentValue",
        "resourceUnavailable",
        "commitFailed",
        "undoFailed",
        "notWritable",
        "inconsistentName",
        "authorizationError",
        "genErr",
    }
)
# Gauge32 and Unsigned32 are one application type on the wire.
_SAME_TYPE = {"Unsigned32": "Gauge32"}


class SetError(Exception):
    """A SET refused: the RFC 3416 error-status name and the 1-based varbind index."""

    def __init__(self, status: str, index: int) -> None:
        assert status in SET_ERRORS, status
        super().__init__(f"{status} at varbind {index}")
        self.status = status
        self.index = index


class RowError(Exception):
    """Raised by a writer: an error status, blamed on one column (None: the row as a whole)."""

    def __init__(self, status: str, column: int | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.column = column


@dataclass(slots=True)
class Change:
    """One planned change to the core, and how to take it back."""

    apply: Callable[[], None]
    revert: Callable[[], None]
    index: int = 1  # varbind the change stems from, for commitFailed


class ScalarWriter(Protocol):
    def prepare(self, value: Any) -> Change: ...


class TableWriter(Protocol):
    def prepare(self, key: Any, values: dict[int, Any]) -> Change | None: ...


Listener = Callable[["SetTransaction"], None]


@dataclass
class SetTransaction:
    """A validated SET request: commit applies it, undo reverts a commit, cleanup ends it.

    The standalone agent calls commit then cleanup in one go; the AgentX subagent maps
    TestSet to `MibView.begin_set`, then CommitSet, UndoSet and CleanupSet to these methods.
    `on_commit` listeners (the store) run inside commit: if one fails, the change is reverted
    and the request fails with commitFailed, so nothing acknowledged is left unrecorded.
    """

    varbinds: list[tuple[Oid, Value]]
    changes: list[Change]
    on_commit: list[Listener] = field(default_factory=list)
    on_undo: list[Listener] = field(default_factory=list)
    committed: bool = False

    def commit(self) -> None:
        done: list[Change] = []
        try:
            for change in self.changes:
                change.apply()
                done.append(change)
            for listener in self.on_commit:
                listener(self)
        except Exception as exc:
            failed = self.changes[len(done)].index if len(done) < len(self.changes) else 1
            log.warning("SET commit failed at varbind %d: %s", failed, exc)
            self._revert(done)
            raise SetError("commitFailed", failed) from exc
        self.committed = True
        if self.on_commit:  # a manager's request, not a replay: keep an audit trail
            # OIDs only: values stay out of logs (keys must never appear there)
            log.info("SET committed: %s", " ".join(".".join(map(str, o)) for o, _ in self.varbinds))

    def undo(self) -> None:
        if not self.committed:
            return
        self._revert(self.changes)
        self.committed = False
        for listener in self.on_undo:
            listener(self)

    def cleanup(self) -> None:
        self.changes = []

    @staticmethod
    def _revert(changes: list[Change]) -> None:
        for change in reversed(changes):
            try:
                change.revert()
            except Exception as exc:
                log.error("SET undo failed: %s", exc)
                raise SetError("undoFailed", change.index) from exc


def check_value(obj: MibObject, base_type: str, value: Any) -> str | None:
    """The error status for a value that does not fit the object's syntax, or None."""
    expected = obj.base_type or ""
    if _SAME_TYPE.get(base_type, base_type) != _SAME_TYPE.get(expected, expected):
        return "wrongType"
    if base_type == "OctetString":
        if not isinstance(value, bytes):
            return "wrongType"
        if obj.sizes and not any(lo <= len(value) <= hi for lo, hi in obj.sizes):
            return "wrongLength"
        if obj.bits:
            defined = set(obj.bits.values())
            if len(value) > (max(defined) // 8 + 1):
                return "wrongLength"
            for position in range(len(value) * 8):
                if value[position // 8] & (0x80 >> (position % 8)) and position not in defined:
                    return "wrongValue"
        return None
    if not isinstance(value, int):
        return "wrongType"
    if obj.enums and value not in set(obj.enums.values()):
        return "wrongValue"
    if obj.ranges and not any(lo <= value <= hi for lo, hi in obj.ranges):
        return "wrongValue"
    return None


@dataclass(slots=True)
class WritableColumn:
    """A column's schema object, its position, and the varbind that set it."""

    obj: MibObject
    value: Any
    index: int


def plan_row(
    writer: TableWriter, key: Any, columns: dict[int, WritableColumn], status_column: int | None
) -> Change | None:
    """Ask the row's writer for its change; map a RowError onto the varbind to blame."""
    try:
        change = writer.prepare(key, {n: c.value for n, c in columns.items()})
    except RowError as exc:
        blamed = exc.column if exc.column in columns else status_column
        if blamed not in columns:
            blamed = min(columns, key=lambda n: columns[n].index)
        raise SetError(exc.status, columns[blamed].index) from None
    if change is not None:
        change.index = min(c.index for c in columns.values())
    return change
