"""The MIB view over a live core: coverage of the module, ordering, exceptions."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mipmib import config
from mipmib.app import build_entity
from mipmib.core import messages as m
from mipmib.mib.objects import NOT_SERVED, build_view
from mipmib.mib.schema import Schema
from mipmib.mib.tree import END_OF_MIB_VIEW, NO_SUCH_INSTANCE, NO_SUCH_OBJECT
from tests.factories import KEY, request

MIP = (1, 3, 6, 1, 2, 1, 44)
BINDING_ENTRY = (*MIP, 1, 6, 3, 1, 1)


@pytest.fixture(scope="module")
def schema() -> Schema:
    return Schema.load()


def make_view(schema, homes=("127.1.0.1", "127.1.0.2", "127.1.0.3")):
    settings = config.load(None)
    now = time.time()
    entity = build_entity(settings, now)
    ha = entity.home_agent
    for sa in entity.associations.by_index.values():
        sa.key = KEY
    for i, home in enumerate(homes):
        ha.handle(request(home=home, coa="127.0.0.3", home_agent_addr=ha.settings.address,
                          now=now + i), (m.ip_to_int("127.0.0.3"), 434), now + i)
    return entity, build_view(entity, schema, lambda: now + 10)


def test_every_readable_object_is_served_or_explained(schema):
    _, view = make_view(schema)
    excluded = [schema.oid(name) for name in NOT_SERVED]
    missing = []
    for obj in schema.objects():
        if obj.kind not in ("scalar", "column") or not obj.readable:
            continue
        if obj.name in view.served or any(obj.oid[: len(p)] == p for p in excluded):
            continue
        missing.append(obj.name)
    assert missing == []
    extra = [n for n in view.served if n not in schema]
    assert extra == []


def test_walk_is_strictly_increasing_and_complete(schema):
    _, view = make_view(schema)
    oids = [oid for oid, _ in view.walk(MIP)]
    assert oids == sorted(oids) and len(set(oids)) == len(oids)
    bindings = [o for o in oids if o[: len(BINDING_ENTRY)] == BINDING_ENTRY]
    assert len(bindings) == 3 * 16


def test_get_exceptions(schema):
    _, view = make_view(schema)
    assert view.get((*MIP, 1, 1, 9, 0)) is NO_SUCH_OBJECT
    assert view.get((*MIP, 1, 1, 2, 1)) is NO_SUCH_INSTANCE
    assert view.get((*BINDING_ENTRY, 2, 10, 0, 0, 1, 1, 1, 1, 1)) is NO_SUCH_INSTANCE
    assert view.get((*BINDING_ENTRY, 2, 300, 0, 0, 1)) is NO_SUCH_INSTANCE
    assert view.get_next((*MIP, 9)) is END_OF_MIB_VIEW
    assert view.get((*MIP, 1, 1, 2, 0)) == ("Integer32", 1)


def test_case_s06_keys_read_as_empty_strings(schema):
    _, view = make_view(schema)
    keys = [value for oid, value in view.walk(MIP)
            if schema.lookup(oid)[0].name in ("mipSecKey", "mipSecurityKey")]
    assert keys and all(v == ("OctetString", b"") for v in keys)


def test_case_s02_index_encoding(schema):
    _, view = make_view(schema, homes=("127.1.0.1",))
    oid, value = view.get_next((*BINDING_ENTRY, 2))
    assert oid == (*BINDING_ENTRY, 2, 127, 1, 0, 1, 127, 0, 0, 3)
    assert value == ("IpAddress", m.ip_to_int("127.0.0.3"))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=300), min_size=0, max_size=10))
def test_getnext_from_any_partial_index(suffix):
    view = _VIEW
    start = (*BINDING_ENTRY, 3, *suffix)
    found = view.get_next(start)
    assert found is not END_OF_MIB_VIEW and found[0] > start
    # nothing is skipped: the answer is the smallest instance greater than start
    everything = [o for o, _ in view.walk(BINDING_ENTRY)]
    assert found[0] == min(o for o in everything if o > start)


_VIEW = make_view(Schema.load(), homes=("127.1.0.1", "127.1.0.2", "127.1.0.200"))[1]
