"""Compile mibs/MIP-MIB.txt to JSON with pysmi, for the runtime to take every OID and type from.

The output, ``<out_dir>/MIP-MIB.json``, is pysmi's JsonCodeGen document of the module with one
addition: every OBJECT-TYPE entry carries a ``"mipmib"`` key holding its syntax *resolved*
through textual conventions, local (RegistrationFlags, MipEntityIdentifier, ...) and imported
(RowStatus, TruthValue, TimeStamp, StorageType from SNMPv2-TC; InterfaceIndex from IF-MIB):

    {"syntax": "RowStatus", "tc": "RowStatus", "tcmodule": "SNMPv2-TC",
     "smitype": "INTEGER", "basetype": "Integer32",
     "enumeration": {"active": 1, ...}, "bits": {}, "ranges": [], "sizes": [],
     "index": [...], "implied": false, "parent": "mipSecurityAssocEntry", "defval": null}

pysmi only names a TC in an object's syntax and keeps the TC's definition in the module that
defines it, so without this step a reader would need SNMPv2-TC.json and IF-MIB.json as well.
The imported modules are compiled from ``<mib_dir>/ietf`` (see scripts/fetch-ietf-mibs.sh);
SNMPv2-TC is compiled from its text too, instead of being taken from pysmi's built-in stubs.

Run as ``python -m mipmib.mib.compile [--mib-dir D] [--out-dir D]``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

MODULE = "MIP-MIB"
#: Bumped whenever the "mipmib" additions change shape; older JSON is recompiled.
FORMAT_VERSION = 1
#: Modules MIP-MIB imports from, directly or through IF-MIB; all come from ``<mib_dir>/ietf``.
IETF_MODULES = ("SNMPv2-SMI", "SNMPv2-TC", "SNMPv2-CONF", "SNMPv2-MIB", "IF-MIB", "IANAifType-MIB")
#: Where net-snmp keeps MIB texts; searched after the project's folders.
SYSTEM_MIB_DIRS = (Path("/usr/share/snmp/mibs/ietf"), Path("/usr/share/snmp/mibs"))

# SMIv2 base type (as pysmi spells it) -> (SMI type, ASN.1 type on the wire)
_BASE_TYPES: dict[str, tuple[str, str]] = {
    "INTEGER": ("INTEGER", "Integer32"),
    "Integer32": ("Integer32", "Integer32"),
    "Unsigned32": ("Unsigned32", "Unsigned32"),
    "Counter32": ("Counter32", "Counter32"),
    "Counter64": ("Counter64", "Counter64"),
    "Gauge32": ("Gauge32", "Gauge32"),
    "TimeTicks": ("TimeTicks", "TimeTicks"),
    "IpAddress": ("IpAddress", "IpAddress"),
    "OCTET STRING": ("OctetString", "OctetString"),
    "OctetString": ("OctetString", "OctetString"),
    "OBJECT IDENTIFIER": ("ObjectIdentifier", "ObjectIdentifier"),
    "ObjectIdentifier": ("ObjectIdentifier", "ObjectIdentifier"),
    "Opaque": ("Opaque", "Opaque"),
    # BITS travel as an OCTET STRING, bit n = mask 0x80 >> (n % 8) of octet n // 8
    "Bits": ("Bits", "OctetString"),
    "BITS": ("Bits", "OctetString"),
}


class MibCompileError(RuntimeError):
    """MIP-MIB (or a module it imports) could not be found or compiled."""


def default_mib_dir() -> Path:
    """The mibs folder: $MIPMIB_MIB_DIR, else ``mibs/`` of the repository checkout."""
    env = os.environ.get("MIPMIB_MIB_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "mibs"


def default_out_dir(mib_dir: Path | None = None) -> Path:
    """Where the JSON goes: ``<mib_dir>/compiled``."""
    return (mib_dir if mib_dir is not None else default_mib_dir()) / "compiled"


def _source_dirs(mib_dir: Path) -> list[Path]:
    dirs = [mib_dir, mib_dir / "ietf", *SYSTEM_MIB_DIRS]
    return [d for d in dirs if d.is_dir()]


def _run_pysmi(mib_dir: Path, work: Path) -> None:
    """Compile MIP-MIB and everything it imports into ``work`` (one JSON file per module)."""
    from pysmi.codegen import JsonCodeGen
    from pysmi.compiler import MibCompiler
    from pysmi.parser import SmiStarParser
    from pysmi.reader import FileReader
    from pysmi.searcher import StubSearcher
    from pysmi.writer import FileWriter

    if not (mib_dir / f"{MODULE}.txt").is_file():
        raise MibCompileError(f"{mib_dir / (MODULE + '.txt')} not found (set MIPMIB_MIB_DIR?)")

    compiler = MibCompiler(
        SmiStarParser(), JsonCodeGen(), FileWriter(str(work)).set_options(suffix=".json")
    )
    compiler.add_sources(*(FileReader(str(d), recursive=False) for d in _source_dirs(mib_dir)))
    # SNMPv2-TC is compiled from its text so that RowStatus & co. can be resolved.
    stubs = [m for m in JsonCodeGen.baseMibs if m != "SNMPv2-TC"]
    compiler.add_searchers(StubSearcher(*stubs))
    results = compiler.compile(MODULE, rebuild=True, genTexts=True)

    failed = {
        name: getattr(status, "error", None) or str(status)
        for name, status in results.items()
        if str(status) not in ("compiled", "untouched", "borrowed")
    }
    if failed or str(results.get(MODULE)) != "compiled":
        details = "; ".join(f"{name}: {error}" for name, error in sorted(failed.items()))
        hint = ""
        if any(name in IETF_MODULES for name in failed):
            hint = " (the IETF base modules are fetched by scripts/fetch-ietf-mibs.sh)"
        raise MibCompileError(f"pysmi could not compile {MODULE}: {details or results}{hint}")


def _load(work: Path, module: str) -> dict[str, Any]:
    path = work / f"{module}.json"
    if not path.is_file():
        return {}
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _ranges(constraints: dict[str, Any], key: str) -> list[list[int]]:
    return [[int(r["min"]), int(r["max"])] for r in constraints.get(key, [])]


class _Resolver:
    """Resolves a pysmi syntax dict through textual conventions to its SMI base type."""

    def __init__(self, module: dict[str, Any], imported: dict[str, dict[str, Any]]) -> None:
        self.module = module
        # TC name -> (defining module, its pysmi entry)
        self.tcs: dict[str, tuple[str, dict[str, Any]]] = {}
        for mod_name, symbols in module.get("imports", {}).items():
            if not isinstance(symbols, list):
                continue
            for symbol in symbols:
                entry = imported.get(mod_name, {}).get(symbol)
                if isinstance(entry, dict) and entry.get("class") == "textualconvention":
                    self.tcs[symbol] = (mod_name, entry)
        for name, entry in module.items():
            if isinstance(entry, dict) and entry.get("class") == "textualconvention":
                self.tcs[name] = (MODULE, entry)

    def resolve(self, syntax: dict[str, Any]) -> dict[str, Any]:
        declared = syntax["type"]
        constraints: dict[str, Any] = dict(syntax.get("constraints", {}))
        bits: dict[str, int] = dict(syntax.get("bits", {}))
        tc: str | None = None
        tc_module: str | None = None
        current = declared
        seen: set[str] = set()
        # Follow the TC chain; constraints written on the object win over the TC's.
        while current in self.tcs and current not in seen:
            seen.add(current)
            mod_name, entry = self.tcs[current]
            if tc is None:
                tc, tc_module = current, mod_name
            tc_type = entry["type"]
            for key, value in tc_type.get("constraints", {}).items():
                constraints.setdefault(key, value)
            if not bits:
                bits = dict(tc_type.get("bits", {}))
            current = tc_type["type"]
        if current not in _BASE_TYPES:
            raise MibCompileError(f"cannot resolve syntax {declared!r} (stopped at {current!r})")
        smi_type, base_type = _BASE_TYPES[current]
        enumeration = {k: int(v) for k, v in constraints.get("enumeration", {}).items()}
        if smi_type == "Integer32" and enumeration:
            smi_type = "INTEGER"
        shown = tc if tc is not None else _BASE_TYPES.get(declared, (declared, ""))[0]
        return {
            "syntax": shown,
            "tc": tc,
            "tcmodule": tc_module,
            "smitype": smi_type,
            "basetype": base_type,
            "enumeration": enumeration,
            "bits": {k: int(v) for k, v in bits.items()},
            "ranges": _ranges(constraints, "range"),
            "sizes": _ranges(constraints, "size"),
        }


def _defval(entry: dict[str, Any], resolved: dict[str, Any] | None) -> Any:
    """DEFVAL as a JSON value: int for numbers/enums, hex string for octets, names for BITS."""
    raw = entry.get("default", {}).get("default")
    if not isinstance(raw, dict):
        return None
    fmt, value = raw.get("format"), raw.get("value")
    if fmt == "decimal":
        return int(value)
    if fmt == "hex":
        return {"hex": str(value).lower()}
    if fmt == "bits":
        return {"bits": list(value) if isinstance(value, list) else [value]}
    if fmt == "enum" and resolved and value in resolved["enumeration"]:
        return resolved["enumeration"][value]
    return {"raw": value, "format": fmt}


def enrich(module: dict[str, Any], imported: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Add the resolved ``"mipmib"`` block to every OBJECT-TYPE of pysmi's MIP-MIB document."""
    resolver = _Resolver(module, imported)
    by_oid: dict[str, str] = {}
    for name, entry in module.items():
        if isinstance(entry, dict) and "oid" in entry:
            by_oid[entry["oid"]] = name

    for entry in module.values():
        if not isinstance(entry, dict) or entry.get("class") != "objecttype":
            continue
        extra: dict[str, Any] = {
            "syntax": None,
            "tc": None,
            "tcmodule": None,
            "smitype": None,
            "basetype": None,
            "enumeration": {},
            "bits": {},
            "ranges": [],
            "sizes": [],
            "index": [],
            "implied": False,
            "parent": by_oid.get(entry["oid"].rpartition(".")[0]),
            "defval": None,
        }
        if "syntax" in entry and entry.get("nodetype") in ("scalar", "column"):
            extra.update(resolver.resolve(entry["syntax"]))
        if entry.get("nodetype") == "row":
            indices = entry.get("indices", [])
            extra["index"] = [i["object"] for i in indices]
            extra["implied"] = bool(indices and indices[-1].get("implied"))
        extra["defval"] = _defval(entry, extra if extra["basetype"] else None)
        entry["mipmib"] = extra

    module["_mipmib"] = {
        "format": FORMAT_VERSION,
        "tcs": {
            tc: {"module": mod_name, **resolver.resolve({"type": tc})}
            for tc, (mod_name, _entry) in sorted(resolver.tcs.items())
        },
    }
    return module


def compile_mib(mib_dir: Path | None = None, out_dir: Path | None = None) -> Path:
    """Compile ``<mib_dir>/MIP-MIB.txt`` to ``<out_dir>/MIP-MIB.json`` and return that path.

    The file is replaced atomically, so concurrent readers never see half a document.
    """
    mib_dir = Path(mib_dir) if mib_dir is not None else default_mib_dir()
    out_dir = Path(out_dir) if out_dir is not None else default_out_dir(mib_dir)
    with tempfile.TemporaryDirectory(prefix="mipmib-pysmi-") as tmp:
        work = Path(tmp)
        _run_pysmi(mib_dir, work)
        module = _load(work, MODULE)
        imported = {
            name: _load(work, name) for name in module.get("imports", {}) if name != "class"
        }
        document = enrich(module, imported)
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            target = out_dir / f"{MODULE}.json"
            fd, tmp_name = tempfile.mkstemp(prefix=f".{MODULE}.", suffix=".json", dir=out_dir)
            with os.fdopen(fd, "w") as fh:
                json.dump(document, fh, indent=2, sort_keys=True)
                fh.write("\n")
            os.chmod(tmp_name, 0o644)
            os.replace(tmp_name, target)
        except OSError as exc:
            raise MibCompileError(f"cannot write the compiled module to {out_dir}: {exc}") from exc
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mipmib.mib.compile", description=f"Compile {MODULE} to JSON with pysmi."
    )
    parser.add_argument(
        "--mib-dir", type=Path, default=None, help="default: $MIPMIB_MIB_DIR or <repo>/mibs"
    )
    parser.add_argument("--out-dir", type=Path, default=None, help="default: <mib-dir>/compiled")
    args = parser.parse_args(argv)
    try:
        path = compile_mib(args.mib_dir, args.out_dir)
    except MibCompileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
