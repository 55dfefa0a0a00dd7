"""Typed, read-only view of the compiled MIP-MIB (mibs/compiled/MIP-MIB.json).

Every OID, syntax, access and index the runtime uses comes from here, never from constants
in code. ``Schema.load()`` compiles mibs/MIP-MIB.txt first (see `mipmib.mib.compile`) when the
JSON is missing, older than the MIB text, or of an older format.

Example::

    schema = Schema.load()
    schema.oid("haMobilityBindingCOA")          # (1, 3, 6, 1, 2, 1, 44, 1, 6, 3, 1, 1, 2)
    entry = schema.object("haCounterEntry")
    entry.index                                  # ("haMobilityBindingMN",)
    [c.name for c in schema.columns("haCounterTable")]
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from mipmib.mib.compile import (
    FORMAT_VERSION,
    MODULE,
    compile_mib,
    default_mib_dir,
    default_out_dir,
)

Oid = tuple[int, ...]
Kind = Literal["scalar", "table", "row", "column", "notification", "other"]
Access = Literal[
    "not-accessible", "accessible-for-notify", "read-only", "read-write", "read-create"
]

_EMPTY: Mapping[str, int] = MappingProxyType({})


def _oid(text: str) -> Oid:
    return tuple(int(part) for part in text.split("."))


@dataclass(frozen=True)
class MibObject:
    """One named node of the module that has an OID.

    ``syntax`` is the type as declared: a textual convention name ("RowStatus",
    "RegistrationFlags", "TimeStamp"), or a base type ("Integer32", "INTEGER" for an inline
    enumeration, "OctetString", "Bits", "IpAddress", ...). ``tc`` is the TC name or None.
    ``smi_type`` is the SMI base type after following TCs ("INTEGER", "Integer32",
    "Unsigned32", "Counter32", "Gauge32", "TimeTicks", "IpAddress", "OctetString", "Bits", ...)
    and ``base_type`` the ASN.1 type on the wire, one of mipmib.mib.tree.BASE_TYPES (BITS and
    OCTET STRING are "OctetString", every INTEGER is "Integer32", TimeStamp is "TimeTicks").
    Syntax fields are None for nodes without SYNTAX (tables, rows, notifications, groups...).
    """

    name: str
    oid: Oid
    kind: Kind
    #: pysmi's class: "objecttype", "notificationtype", "objectgroup", "notificationgroup",
    #: "modulecompliance", "moduleidentity" or "objectidentity"
    clazz: str
    status: str | None = None
    access: Access | None = None
    syntax: str | None = None
    tc: str | None = None
    smi_type: str | None = None
    base_type: str | None = None
    enums: Mapping[str, int] = field(default_factory=lambda: _EMPTY, hash=False)
    bits: Mapping[str, int] = field(default_factory=lambda: _EMPTY, hash=False)
    #: value ranges [(min, max), ...] from the SYNTAX or its TC; empty = the type's full range
    ranges: tuple[tuple[int, int], ...] = ()
    #: OCTET STRING sizes [(min, max), ...]; empty = unconstrained
    sizes: tuple[tuple[int, int], ...] = ()
    units: str | None = None
    #: DEFVAL: int for numbers and enumerations, bytes for hex strings (''H -> b""),
    #: tuple of bit names for BITS; None without DEFVAL
    defval: int | bytes | tuple[str, ...] | None = None
    #: rows: the INDEX objects, borrowed ones included (e.g. haCounterEntry -> haMobilityBindingMN)
    index: tuple[str, ...] = ()
    #: rows: the last index object is IMPLIED
    implied: bool = False
    #: name of the node one level up (column -> row, row -> table, scalar -> its group node)
    parent: str | None = None
    #: notifications: OBJECTS in order; groups: members; compliances: groups named
    objects: tuple[str, ...] = ()
    description: str | None = None

    @property
    def readable(self) -> bool:
        """True when a GET may return an instance of this object."""
        return self.access in ("read-only", "read-write", "read-create")

    @property
    def writable(self) -> bool:
        return self.access in ("read-write", "read-create")

    @property
    def deprecated(self) -> bool:
        return self.status == "deprecated"


def _kind(entry: Mapping[str, Any]) -> Kind:
    clazz = entry.get("class")
    if clazz == "objecttype":
        nodetype = entry.get("nodetype")
        if nodetype in ("scalar", "table", "row", "column"):
            return nodetype  # type: ignore[no-any-return]
        return "other"
    if clazz == "notificationtype":
        return "notification"
    return "other"


def _defval(raw: Any) -> int | bytes | tuple[str, ...] | None:
    if raw is None or isinstance(raw, int):
        return raw
    if isinstance(raw, dict):
        if "hex" in raw:
            return bytes.fromhex(raw["hex"])
        if "bits" in raw:
            return tuple(raw["bits"])
    raise ValueError(f"unsupported DEFVAL in compiled MIB: {raw!r}")


def _pairs(values: Any) -> tuple[tuple[int, int], ...]:
    return tuple((int(lo), int(hi)) for lo, hi in values or ())


def _make_object(name: str, entry: Mapping[str, Any]) -> MibObject:
    extra: Mapping[str, Any] = entry.get("mipmib", {})
    members = entry.get("objects") or entry.get("modulecompliance") or []
    return MibObject(
        name=name,
        oid=_oid(entry["oid"]),
        kind=_kind(entry),
        clazz=entry["class"],
        status=entry.get("status"),
        access=entry.get("maxaccess"),
        syntax=extra.get("syntax"),
        tc=extra.get("tc"),
        smi_type=extra.get("smitype"),
        base_type=extra.get("basetype"),
        enums=MappingProxyType(dict(extra.get("enumeration", {}))),
        bits=MappingProxyType(dict(extra.get("bits", {}))),
        ranges=_pairs(extra.get("ranges")),
        sizes=_pairs(extra.get("sizes")),
        units=entry.get("units"),
        defval=_defval(extra.get("defval")),
        index=tuple(extra.get("index", ())),
        implied=bool(extra.get("implied", False)),
        parent=extra.get("parent"),
        objects=tuple(m["object"] for m in members if isinstance(m, dict)),
        description=entry.get("description"),
    )


def _needs_compile(json_path: Path, mib_path: Path) -> bool:
    if not json_path.is_file():
        return True
    if mib_path.is_file() and mib_path.stat().st_mtime > json_path.stat().st_mtime:
        return True
    try:
        with json_path.open() as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return True
    return data.get("_mipmib", {}).get("format") != FORMAT_VERSION


class Schema:
    """The compiled module: objects by name and by OID, in OID order."""

    def __init__(self, document: Mapping[str, Any], source: Path | None = None) -> None:
        meta = document.get("_mipmib", {})
        if meta.get("format") != FORMAT_VERSION:
            raise ValueError(
                f"{source or 'document'} is not a mipmib-compiled {MODULE} "
                f"(format {meta.get('format')!r}, expected {FORMAT_VERSION})"
            )
        self.source = source
        self.module: str = document.get("meta", {}).get("module", MODULE)
        identity = next(
            (
                e
                for e in document.values()
                if isinstance(e, dict) and e.get("class") == "moduleidentity"
            ),
            {},
        )
        self.last_updated: str | None = identity.get("lastupdated")
        self.revisions: tuple[str, ...] = tuple(
            r.get("revision", "") for r in identity.get("revisions", [])
        )
        objects = [
            _make_object(name, entry)
            for name, entry in document.items()
            if isinstance(entry, dict) and "oid" in entry and "class" in entry
        ]
        objects.sort(key=lambda o: o.oid)
        self._ordered: tuple[MibObject, ...] = tuple(objects)
        self._oids: list[Oid] = [o.oid for o in objects]
        self._by_name: dict[str, MibObject] = {o.name: o for o in objects}
        self._by_oid: dict[Oid, MibObject] = {o.oid: o for o in objects}
        self._tcs: dict[str, Mapping[str, Any]] = {
            name: MappingProxyType(dict(info)) for name, info in meta.get("tcs", {}).items()
        }

    # ------------------------------------------------------------------ construction
    @classmethod
    def load(
        cls,
        mib_dir: Path | str | None = None,
        compiled_dir: Path | str | None = None,
        *,
        compile_if_stale: bool = True,
    ) -> Schema:
        """Load ``<compiled_dir>/MIP-MIB.json``, compiling MIP-MIB.txt first when needed.

        ``mib_dir`` defaults to $MIPMIB_MIB_DIR, else ``<repo>/mibs``; ``compiled_dir`` to
        ``<mib_dir>/compiled``. Raises `mipmib.mib.compile.MibCompileError` when compiling
        fails, FileNotFoundError when there is no JSON and ``compile_if_stale`` is false.
        """
        mib_path = Path(mib_dir) if mib_dir is not None else default_mib_dir()
        out = Path(compiled_dir) if compiled_dir is not None else default_out_dir(mib_path)
        json_path = out / f"{MODULE}.json"
        if compile_if_stale and _needs_compile(json_path, mib_path / f"{MODULE}.txt"):
            json_path = compile_mib(mib_path, out)
        return cls.from_json(json_path)

    @classmethod
    def from_json(cls, path: Path | str) -> Schema:
        path = Path(path)
        with path.open() as fh:
            return cls(json.load(fh), source=path)

    # ------------------------------------------------------------------ lookups
    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __len__(self) -> int:
        return len(self._ordered)

    def object(self, name: str) -> MibObject:
        """The object called ``name``; KeyError if the module has none."""
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"{self.module} has no object {name!r}") from None

    def oid(self, name: str) -> Oid:
        return self.object(name).oid

    def by_oid(self, oid: Oid | str) -> MibObject:
        """The object registered exactly at ``oid``; KeyError otherwise."""
        key = _oid(oid.strip(".")) if isinstance(oid, str) else tuple(oid)
        try:
            return self._by_oid[key]
        except KeyError:
            raise KeyError(f"{self.module} has no object at {'.'.join(map(str, key))}") from None

    def lookup(self, oid: Oid) -> tuple[MibObject, Oid] | None:
        """The deepest object whose OID is a prefix of ``oid``, with the remaining sub-ids.

        For an instance OID such as haMobilityBindingCOA.10.0.0.1.192.0.2.7 this gives
        (haMobilityBindingCOA, (10, 0, 0, 1, 192, 0, 2, 7)).
        """
        oid = tuple(oid)
        for length in range(len(oid), 0, -1):
            found = self._by_oid.get(oid[:length])
            if found is not None:
                return found, oid[length:]
        return None

    def objects(self, kind: Kind | None = None) -> Iterator[MibObject]:
        """Every object in OID order (optionally only those of one kind)."""
        for obj in self._ordered:
            if kind is None or obj.kind == kind:
                yield obj

    def columns(self, table_or_entry: str) -> list[MibObject]:
        """The columns of a table, given the table's or its row's name, in OID order."""
        obj = self.object(table_or_entry)
        if obj.kind == "table":
            row = self.row(obj.name)
        elif obj.kind == "row":
            row = obj
        else:
            raise ValueError(f"{table_or_entry} is a {obj.kind}, not a table or row")
        return [
            o
            for o in self._subtree(row.oid)
            if o.kind == "column" and len(o.oid) == len(row.oid) + 1
        ]

    def row(self, name: str) -> MibObject:
        """The row (entry) of a table, of a column, or the row itself."""
        obj = self.object(name)
        if obj.kind == "row":
            return obj
        if obj.kind == "column" and obj.parent is not None:
            return self.object(obj.parent)
        if obj.kind == "table":
            for child in self._subtree(obj.oid):
                if child.kind == "row":
                    return child
        raise ValueError(f"{name} is a {obj.kind}; it has no row")

    def table(self, name: str) -> MibObject:
        """The table of a row or column (or the table itself)."""
        obj = self.object(name)
        if obj.kind == "table":
            return obj
        row = self.row(name)
        if row.parent is None:
            raise ValueError(f"row {row.name} has no table")
        return self.object(row.parent)

    def index_objects(self, name: str) -> list[MibObject]:
        """The INDEX objects (borrowed ones included) of a table, row or column."""
        return [self.object(n) for n in self.row(name).index]

    def tc(self, name: str) -> Mapping[str, Any]:
        """Resolved textual convention: keys syntax, smitype, basetype, enumeration, bits,
        ranges, sizes, module."""
        return self._tcs[name]

    def _subtree(self, prefix: Oid) -> Iterator[MibObject]:
        start = bisect.bisect_left(self._oids, prefix)
        for obj in self._ordered[start:]:
            if obj.oid[: len(prefix)] != prefix:
                break
            yield obj


_DEFAULT: Schema | None = None


def default_schema() -> Schema:
    """A process-wide Schema.load(), loaded once (honours $MIPMIB_MIB_DIR at first call)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Schema.load()
    return _DEFAULT


__all__ = ["Access", "Kind", "MibObject", "Oid", "Schema", "default_schema"]
