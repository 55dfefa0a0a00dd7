"""How each writable MIP-MIB object changes the live core.

A `RowWriter` plans the change of one conceptual row from all of that row's columns in the
request: it works on a copy (the draft), checks the RowStatus transition and the consistency
of the columns, and returns a `Change` whose apply/revert set the live row's fields, so the
agents see the new values at once and objects that hold a reference to the row (the foreign
agent holds its advertisement settings) keep seeing the live one.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mipmib.mib.rowstatus import Action, RowStatus, decide
from mipmib.mib.transaction import Change, RowError

Setter = Callable[[Any, Any], None]


@dataclass
class RowWriter:
    """Plans SETs on one table whose rows are dataclass instances with a `status` field.

    `status_column` is None for tables without RowStatus; such a table creates a row only
    when `create` is given and the request makes the row complete (RFC 2006's
    mipSecAssocTable), and never removes one.
    """

    rows: Callable[[], Mapping[Any, Any]]
    setters: dict[int, Setter] = field(default_factory=dict)
    insert: Callable[[Any, Any], None] | None = None
    remove: Callable[[Any], None] | None = None
    create: Callable[[Any], Any] | None = None
    complete: Callable[[Any], bool] = lambda row: True
    check: Callable[[Any, set[int]], None] = lambda row, columns: None
    status_column: int | None = None
    can_destroy: bool = True

    def prepare(self, key: Any, values: dict[int, Any]) -> Change | None:
        row = self.rows().get(key)
        requested = values.pop(self.status_column, None) if self.status_column else None
        if row is None:
            if self.create is None or self.insert is None:
                raise RowError("noCreation")
            draft = self.create(key)
        else:
            draft = copy.copy(row)
        for column, value in values.items():
            self.setters[column](draft, value)
        complete = self.complete(draft)
        if self.status_column is None:
            if row is None and not complete:
                raise RowError("inconsistentName")
            action, status = (Action.CREATE if row is None else Action.MODIFY), RowStatus.ACTIVE
            if row is not None:
                status = row.status
        else:
            outcome = decide(row.status if row is not None else None, requested, complete)
            if outcome.error:
                raise RowError(outcome.error, self.status_column)
            action, status = outcome.action, outcome.status
        if action is Action.NOTHING:
            return None
        if action is Action.DESTROY:
            if not self.can_destroy or self.remove is None or self.insert is None:
                raise RowError("inconsistentValue", self.status_column)
            remove, insert = self.remove, self.insert
            return Change(lambda: remove(key), lambda: insert(key, row))
        draft.status = status
        self.check(draft, set(values))
        if action is Action.CREATE:
            assert self.insert is not None and self.remove is not None
            insert, remove = self.insert, self.remove
            return Change(lambda: insert(key, draft), lambda: remove(key))
        # only the fields this request changes: another table may write other fields of
        # the same core object in the same request (maAdvertConfTable, faAdvertConfTable)
        changed = {
            f.name: (getattr(row, f.name), getattr(draft, f.name))
            for f in dataclasses.fields(row)
            if getattr(row, f.name) != getattr(draft, f.name)
        }
        return Change(lambda: _set(row, changed, 1), lambda: _set(row, changed, 0))


def _set(row: Any, changed: dict[str, tuple[Any, Any]], which: int) -> None:
    for name, values in changed.items():
        setattr(row, name, values[which])


@dataclass
class ScalarSetter:
    """A writable scalar: read the current value, write a new one."""

    read: Callable[[], Any]
    write: Callable[[Any], None]

    def prepare(self, value: Any) -> Change:
        old = self.read()
        write = self.write
        return Change(lambda: write(value), lambda: write(old))


def field_setter(name: str, convert: Callable[[Any], Any] = lambda v: v) -> Setter:
    """A column that sets one attribute of the row."""

    def setter(row: Any, value: Any) -> None:
        setattr(row, name, convert(value))

    return setter


def truth_setter(name: str) -> Setter:
    return field_setter(name, lambda v: v == 1)


def only(allowed: set[int], status: str, column: int, then: Setter | None = None) -> Setter:
    """A column that accepts only some of its syntax's values (others: `status`)."""

    def setter(row: Any, value: Any) -> None:
        if value not in allowed:
            raise RowError(status, column)
        if then is not None:
            then(row, value)

    return setter
