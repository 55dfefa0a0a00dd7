"""SQLite persistence of the configuration changed at run time by SNMP SETs.

Every committed SET request is stored, whole, in one SQLite transaction before the agent
answers it; at start-up the stored requests are replayed, in order, on top of the state the
configuration file describes (file first, then the changes). A request that no longer
applies to the new file (say its row was removed from the file) is skipped with a warning.

Secrets (mipSecKey, mipSecurityKey) are sealed with AES-GCM under a 256-bit key kept in
`store.key` beside the database, readable by its owner only. That keeps keys out of the
database file, its backups and copies made without the key file; it does not protect against
someone who can read the whole state directory or the process memory.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mipmib.mib.transaction import SetError, SetTransaction
from mipmib.mib.tree import MibView, Oid, Value

log = logging.getLogger(__name__)

DATABASE = "mipmib.sqlite3"
KEY_FILE = "store.key"
SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS varbinds (
    request INTEGER NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    oid TEXT NOT NULL,
    type TEXT NOT NULL,
    value BLOB NOT NULL,
    sealed INTEGER NOT NULL,
    PRIMARY KEY (request, position)
);
"""


def _load_key(path: Path) -> bytes:
    """The sealing key, created (owner read/write only) on first use."""
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        key = AESGCM.generate_key(bit_length=256)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(key)
            out.flush()
            os.fsync(out.fileno())
        return key
    if len(key) != 32:
        raise ValueError(f"{path}: not a 256-bit key")
    if path.stat().st_mode & 0o077:
        log.warning("%s is readable by others; it should be mode 0600", path)
    return key


def _encode(value: Value) -> tuple[str, bytes]:
    base_type, data = value
    if isinstance(data, bytes):
        return base_type, data
    if isinstance(data, tuple):
        return base_type, ".".join(map(str, data)).encode()
    return base_type, str(int(data)).encode()


def _decode(base_type: str, data: bytes) -> Value:
    if base_type == "OctetString":
        return base_type, bytes(data)
    if base_type == "ObjectIdentifier":
        return base_type, tuple(int(x) for x in data.decode().split(".") if x)
    return base_type, int(data.decode())


class ConfigStore:
    """The run-time configuration changes of one agent, in its state directory."""

    def __init__(self, state_dir: Path, secret_prefixes: Iterable[Oid]) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        self.path = state_dir / DATABASE
        self.secret_prefixes = tuple(secret_prefixes)
        self._aead = AESGCM(_load_key(state_dir / KEY_FILE))
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")  # a committed SET survives power loss too
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(SCHEMA)
        self._ids: dict[int, int] = {}  # id(transaction) -> request row

    def close(self) -> None:
        self.db.close()

    def _secret(self, oid: Oid) -> bool:
        return any(oid[: len(p)] == p for p in self.secret_prefixes)

    def _seal(self, data: bytes, oid: Oid) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, data, ".".join(map(str, oid)).encode())

    def _open(self, data: bytes, oid: Oid) -> bytes:
        return self._aead.decrypt(data[:12], data[12:], ".".join(map(str, oid)).encode())

    def record(self, tx: SetTransaction) -> None:
        """Store a committed request (called inside the commit, before the answer)."""
        rows: list[tuple[Any, ...]] = []
        for position, (oid, value) in enumerate(tx.varbinds):
            base_type, data = _encode(value)
            sealed = self._secret(oid)
            if sealed:
                data = self._seal(data, oid)
            rows.append((position, ".".join(map(str, oid)), base_type, data, int(sealed)))
        self.db.execute("BEGIN IMMEDIATE")
        try:
            request = self.db.execute("INSERT INTO requests (at) VALUES (?)", (time.time(),))
            request_id = request.lastrowid
            self.db.executemany(
                "INSERT INTO varbinds VALUES (?, ?, ?, ?, ?, ?)",
                [(request_id, *row) for row in rows],
            )
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self._ids[id(tx)] = request_id

    def forget(self, tx: SetTransaction) -> None:
        """Remove a request whose commit was undone (AgentX UndoSet)."""
        request_id = self._ids.pop(id(tx), None)
        if request_id is not None:
            self.db.execute("DELETE FROM requests WHERE id = ?", (request_id,))

    def requests(self) -> list[list[tuple[Oid, Value]]]:
        """Every stored request, oldest first, secrets opened."""
        out: dict[int, list[tuple[Oid, Value]]] = {}
        query = "SELECT request, oid, type, value, sealed FROM varbinds ORDER BY request, position"
        for request, text, base_type, data, sealed in self.db.execute(query):
            oid = tuple(int(x) for x in text.split("."))
            if sealed:
                data = self._open(data, oid)
            out.setdefault(request, []).append((oid, _decode(base_type, data)))
        return list(out.values())

    def replay(self, view: MibView) -> tuple[int, int]:
        """Apply the stored requests to a freshly built view; (applied, skipped)."""
        applied = skipped = 0
        for varbinds in self.requests():
            try:
                tx = view.begin_set(varbinds)
                tx.on_commit.clear()
                tx.commit()
                tx.cleanup()
                applied += 1
            except SetError as exc:
                skipped += 1
                log.warning("stored change no longer applies (%s); skipped", exc)
        return applied, skipped

    def attach(self, view: MibView) -> None:
        """Record every SET committed on the view from now on."""
        view.on_commit.append(self.record)
        view.on_undo.append(self.forget)
