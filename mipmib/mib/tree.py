"""The OID-ordered view every front end reads from.

Scalars and tables register under their OIDs. A table answers from a sorted container of its
core rows whose key order equals the order of the encoded index (true for every MIP-MIB table:
IpAddress indexes are 4 sub-ids, most significant byte first, so they sort like the 32-bit
integer; identifier indexes of the revision are all of one type and length here). GET and
GETNEXT therefore cost O(log n) and never copy or sort a table.

Values come out as `(base_type, python_value)` pairs, with base_type one of the SMI base
types in `BASE_TYPES`; each front end turns them into its own wire types.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from mipmib.mib.schema import MibObject
from mipmib.mib.transaction import (
    Change,
    RowError,
    ScalarWriter,
    SetError,
    SetTransaction,
    TableWriter,
    WritableColumn,
    check_value,
    plan_row,
)

__all__ = ["Column", "MibView", "Scalar", "SetError", "SetTransaction", "Table"]

Oid = tuple[int, ...]
Value = tuple[str, Any]

BASE_TYPES = frozenset(
    {
        "Integer32",
        "OctetString",
        "IpAddress",
        "Counter32",
        "Gauge32",
        "TimeTicks",
        "Unsigned32",
        "ObjectIdentifier",
        "Counter64",
    }
)


class _Exception:
    """Singleton marker for the SNMPv2 exception values."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


NO_SUCH_OBJECT = _Exception("noSuchObject")
NO_SUCH_INSTANCE = _Exception("noSuchInstance")
END_OF_MIB_VIEW = _Exception("endOfMibView")

Getter = Callable[[Any, float], Any]


@dataclass(slots=True)
class Column:
    """One readable column: its base type and how to read it from a core row."""

    number: int
    base_type: str
    read: Getter


@dataclass(slots=True)
class Scalar:
    """A scalar object, served at instance `.0`."""

    oid: Oid
    base_type: str
    read: Callable[[float], Any]
    write: MibObject | None = None  # the schema object, when writable
    writer: ScalarWriter | None = None

    def get(self, suffix: Oid, now: float) -> Value | _Exception:
        if suffix != (0,):
            return NO_SUCH_INSTANCE
        return (self.base_type, self.read(now))

    def run(self, suffix: Oid, now: float, limit: int) -> list[tuple[Oid, Value]]:
        """The instances after `suffix` (at most `limit`): here just `.0`, if after."""
        if suffix < (0,) and limit > 0:
            return [((0,), (self.base_type, self.read(now)))]
        return []


@dataclass(slots=True)
class Table:
    """A conceptual table over a sorted mapping of core rows.

    `rows()` returns the sorted mapping (a SortedDict) of index key -> row; `encode(key)`
    gives the index sub-ids of a key and `decode(suffix)` the key of an exact index, or None.
    """

    oid: Oid  # the entry OID (table.1)
    columns: list[Column]
    rows: Callable[[], Any]
    encode: Callable[[Any], Oid]
    decode: Callable[[Oid], Any]
    writer: TableWriter | None = None
    writable: dict[int, MibObject] = field(default_factory=dict)  # column number -> object
    status_column: int | None = None  # the RowStatus column, if the table has one
    _numbers: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.columns.sort(key=lambda c: c.number)
        self._numbers = [c.number for c in self.columns]

    def _column(self, number: int) -> Column | None:
        i = bisect.bisect_left(self._numbers, number)
        if i < len(self._numbers) and self._numbers[i] == number:
            return self.columns[i]
        return None

    def get(self, suffix: Oid, now: float) -> Value | _Exception:
        if not suffix:
            return NO_SUCH_OBJECT
        column = self._column(suffix[0])
        if column is None:
            return NO_SUCH_OBJECT
        key = self.decode(suffix[1:])
        if key is None:
            return NO_SUCH_INSTANCE
        row = self.rows().get(key)
        if row is None:
            return NO_SUCH_INSTANCE
        return (column.base_type, column.read(row, now))

    def run(self, suffix: Oid, now: float, limit: int) -> list[tuple[Oid, Value]]:
        """Up to `limit` successive instances after `suffix`, column by column.

        Consecutive rows are read with one positional slice of the sorted index, not one
        search per instance: a bulk walk costs O(log n) per request plus O(1) per row.
        """
        rows = self.rows()
        out: list[tuple[Oid, Value]] = []
        if not rows or limit <= 0:
            return out
        encode = self.encode
        start = bisect.bisect_left(self._numbers, suffix[0]) if suffix else 0
        for column in self.columns[start:]:
            if suffix and column.number == suffix[0]:
                pos = self._position_after(rows, suffix[1:])
            else:
                pos = 0
            number, base_type, read = column.number, column.base_type, column.read
            for key in rows.islice(pos, pos + limit - len(out)):
                out.append(((number, *encode(key)), (base_type, read(rows[key], now))))
            if len(out) >= limit:
                break
        return out

    def _position_after(self, rows: Any, index: Oid) -> int:
        """Position of the first row whose encoded index is greater than `index`."""
        if not index:
            return 0
        key = self.decode(index)
        if key is not None:
            return rows.bisect_right(key)
        # A partial or out-of-range index (a manager starting a walk anywhere): binary
        # search on the encoded keys, which sort like the keys themselves.
        keys = rows.keys()
        lo, hi = 0, len(keys)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.encode(keys[mid]) <= index:
                lo = mid + 1
            else:
                hi = mid
        return lo


Node = Scalar | Table


class MibView:
    """Registered scalars and tables in OID order, answering GET and GETNEXT."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._oids: list[Oid] = []
        self._nodes: list[Node] = []
        self.on_commit: list = []  # called with each committed SetTransaction (the store)
        self.on_undo: list = []

    def register(self, node: Node) -> None:
        i = bisect.bisect_left(self._oids, node.oid)
        if i < len(self._oids) and self._oids[i] == node.oid:
            raise ValueError(f"OID registered twice: {node.oid}")
        self._oids.insert(i, node.oid)
        self._nodes.insert(i, node)

    def nodes(self) -> Iterator[Node]:
        return iter(self._nodes)

    def node_at(self, oid: Oid) -> Node:
        """The scalar or table registered at exactly this OID."""
        i = self._owner(oid)
        if i < 0 or self._oids[i] != oid:
            raise KeyError(oid)
        return self._nodes[i]

    def _owner(self, oid: Oid) -> int:
        """Index of the last node whose OID is <= oid."""
        return bisect.bisect_right(self._oids, oid) - 1

    def get(self, oid: Oid, now: float | None = None) -> Value | _Exception:
        now = self.clock() if now is None else now
        i = self._owner(oid)
        if i >= 0:
            base = self._oids[i]
            if oid[: len(base)] == base and len(oid) > len(base):
                return self._nodes[i].get(oid[len(base) :], now)
        return NO_SUCH_OBJECT

    def get_next(self, oid: Oid, now: float | None = None) -> tuple[Oid, Value] | _Exception:
        found = self.get_next_many(oid, 1, now)
        return found[0] if found else END_OF_MIB_VIEW

    def get_next_many(
        self, oid: Oid, limit: int, now: float | None = None
    ) -> list[tuple[Oid, Value]]:
        """Up to `limit` successive instances after `oid` (fewer at the end of the view)."""
        now = self.clock() if now is None else now
        out: list[tuple[Oid, Value]] = []
        i = max(self._owner(oid), 0)
        while i < len(self._nodes) and len(out) < limit:
            base = self._oids[i]
            if oid[: len(base)] == base:
                found = self._nodes[i].run(oid[len(base) :], now, limit - len(out))
            elif base > oid:
                found = self._nodes[i].run((), now, limit - len(out))
            else:
                found = []
            out.extend((base + suffix, value) for suffix, value in found)
            i += 1
        return out

    def begin_set(self, varbinds: list[tuple[Oid, Value]]) -> SetTransaction:
        """Check every varbind of one SET request and plan its changes; apply nothing.

        Values come as `get` returns them. Raises SetError with the status and the index of
        the varbind to blame.
        """
        scalars: list[tuple[Scalar, Any, int]] = []
        rows: dict[tuple[int, Any], tuple[Table, Any, dict[int, WritableColumn]]] = {}
        for index, (oid, (base_type, value)) in enumerate(varbinds, 1):
            i = self._owner(oid)
            base = self._oids[i] if i >= 0 else ()
            if i < 0 or oid[: len(base)] != base or len(oid) == len(base):
                raise SetError("notWritable", index)
            node, suffix = self._nodes[i], oid[len(base) :]
            if isinstance(node, Scalar):
                if node.writer is None or node.write is None:
                    raise SetError("notWritable", index)
                if suffix != (0,):
                    raise SetError("noCreation", index)
                _check(node.write, base_type, value, index)
                scalars.append((node, value, index))
                continue
            obj = node.writable.get(suffix[0])
            if obj is None or node.writer is None:
                raise SetError("notWritable", index)
            _check(obj, base_type, value, index)
            key = node.decode(suffix[1:])
            if key is None:
                raise SetError("noCreation", index)
            _, _, columns = rows.setdefault((i, key), (node, key, {}))
            columns[suffix[0]] = WritableColumn(obj, value, index)
        changes: list[Change] = []
        for node, value, index in scalars:
            assert node.writer is not None
            try:
                change = node.writer.prepare(value)
            except RowError as exc:
                raise SetError(exc.status, index) from None
            change.index = index
            changes.append(change)
        for table, key, columns in rows.values():
            assert table.writer is not None
            planned = plan_row(table.writer, key, columns, table.status_column)
            if planned is not None:
                changes.append(planned)
        changes.sort(key=lambda c: c.index)
        return SetTransaction(varbinds, changes, list(self.on_commit), list(self.on_undo))

    def walk(self, start: Oid = (), now: float | None = None) -> Iterator[tuple[Oid, Value]]:
        """Every instance after `start`, in order (used by tests and the exporter check)."""
        oid = start
        while True:
            found = self.get_next(oid, now)
            if found is END_OF_MIB_VIEW:
                return
            assert isinstance(found, tuple)
            yield found
            oid = found[0]


def _check(obj: MibObject, base_type: str, value: Any, index: int) -> None:
    error = check_value(obj, base_type, value)
    if error is not None:
        raise SetError(error, index)
