"""RowStatus (RFC 2579) as a pure function of the row's state and the request.

The request's RowStatus value is taken into account wherever its varbind stands in the PDU:
the caller gathers every column of a row first and asks here once per row.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class RowStatus(enum.IntEnum):
    ACTIVE = 1
    NOT_IN_SERVICE = 2
    NOT_READY = 3
    CREATE_AND_GO = 4
    CREATE_AND_WAIT = 5
    DESTROY = 6


_VALUES = frozenset(int(s) for s in RowStatus)


class Action(enum.Enum):
    CREATE = "create"
    MODIFY = "modify"
    DESTROY = "destroy"
    NOTHING = "nothing"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What to do with the row, its status afterwards, or the error status to return."""

    action: Action
    status: int | None = None
    error: str | None = None


def decide(current: int | None, requested: int | None, complete: bool) -> Outcome:
    """The RFC 2579 transition for a row in `current` state (None: no such row).

    `complete` tells whether the row, with this request's values, has every column it needs
    to become active.
    """
    if (requested is not None and requested not in _VALUES) or requested == RowStatus.NOT_READY:
        return Outcome(Action.NOTHING, error="wrongValue")
    if current is None:
        if requested == RowStatus.DESTROY:
            return Outcome(Action.NOTHING)
        if requested == RowStatus.CREATE_AND_GO:
            if not complete:
                return Outcome(Action.NOTHING, error="inconsistentValue")
            return Outcome(Action.CREATE, RowStatus.ACTIVE)
        if requested == RowStatus.CREATE_AND_WAIT:
            status = RowStatus.NOT_IN_SERVICE if complete else RowStatus.NOT_READY
            return Outcome(Action.CREATE, status)
        if requested is None:
            return Outcome(Action.NOTHING, error="inconsistentName")
        return Outcome(Action.NOTHING, error="inconsistentValue")  # active/notInService
    if requested in (RowStatus.CREATE_AND_GO, RowStatus.CREATE_AND_WAIT):
        return Outcome(Action.NOTHING, error="inconsistentValue")
    if requested == RowStatus.DESTROY:
        return Outcome(Action.DESTROY)
    if requested == RowStatus.ACTIVE:
        if not complete:
            return Outcome(Action.NOTHING, error="inconsistentValue")
        return Outcome(Action.MODIFY, RowStatus.ACTIVE)
    if requested == RowStatus.NOT_IN_SERVICE:
        if not complete:
            return Outcome(Action.NOTHING, error="inconsistentValue")
        return Outcome(Action.MODIFY, RowStatus.NOT_IN_SERVICE)
    # columns only: a notReady row becomes notInService once it is complete
    if current == RowStatus.NOT_READY and complete:
        return Outcome(Action.MODIFY, RowStatus.NOT_IN_SERVICE)
    return Outcome(Action.MODIFY, current)
