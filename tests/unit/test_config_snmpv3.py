"""[snmp] access settings: v3 users, key sources, community sources; errors keep keys secret."""

from __future__ import annotations

import ipaddress

import pytest

from mipmib import config

BASE = """
[home_agent]
address = "127.0.0.2"

[snmp]
port = 1161
"""

WRITER = """
[[snmp.v3_users]]
name = "mipadmin"
auth_protocol = "SHA-256"
auth_key = "auth-secret-1"
priv_protocol = "AES-128"
priv_key = "priv-secret-1"
access = "write"
"""

READER = """
[[snmp.v3_users]]
name = "watcher"
auth_protocol = "SHA"
auth_key = "auth-secret-2"
"""


def parse(text: str) -> config.Settings:
    return config.parse(text, "x.toml")


def error_of(text: str) -> str:
    with pytest.raises(config.ConfigError) as info:
        parse(text)
    message = str(info.value)
    for secret in ("auth-secret", "priv-secret", "env-secret", "s3cr"):
        assert secret not in message
    return message


def test_users_parsed_and_keys_kept_out_of_repr():
    settings = parse(BASE + WRITER + READER)
    writer, reader = settings.snmp.v3_users
    assert (writer.name, writer.auth_protocol, writer.priv_protocol, writer.access) == (
        "mipadmin",
        "SHA-256",
        "AES-128",
        "write",
    )
    assert (writer.auth_key, writer.priv_key) == ("auth-secret-1", "priv-secret-1")
    assert (reader.priv_protocol, reader.access, reader.priv_key) == ("none", "read", None)
    text = repr(settings)
    assert "mipadmin" in text and "secret" not in text


def test_net_snmp_spellings_are_accepted():
    text = WRITER.replace('"SHA-256"', '"SHA-1"').replace('"AES-128"', '"AES"')
    (user,) = parse(BASE + text).snmp.v3_users
    assert (user.auth_protocol, user.priv_protocol) == ("SHA", "AES-128")


def test_community_sources_default_to_loopback_and_can_be_set():
    assert parse(BASE).snmp.community_sources == [ipaddress.IPv4Network("127.0.0.0/8")]
    text = BASE + 'community_sources = ["127.0.0.1/32", "192.0.2.0/24"]\n'
    assert [str(n) for n in parse(text).snmp.community_sources] == ["127.0.0.1/32", "192.0.2.0/24"]
    assert "x.toml:7: snmp.community_sources: not an IPv4 network: '10.0.0.1/8'" in error_of(
        BASE + 'community_sources = ["10.0.0.1/8"]\n'
    )


def test_short_keys_name_file_line_and_key():
    message = error_of(BASE + WRITER.replace('"auth-secret-1"', '"s3cr"'))
    assert message == (
        "x.toml:11: snmp.v3_users[0].auth_key: the key is too short: at least 8 characters"
    )
    message = error_of(BASE + READER + WRITER.replace('"priv-secret-1"', '"s3cr"'))
    assert message.startswith("x.toml:18: snmp.v3_users[1].priv_key: the key is too short")


def test_unknown_protocols_and_access():
    message = error_of(BASE + WRITER.replace('"SHA-256"', '"MD5"'))
    assert message.startswith("x.toml:10: snmp.v3_users[0].auth_protocol: choose one of")
    assert "'MD5'" in message
    message = error_of(BASE + WRITER.replace('"AES-128"', '"DES"'))
    assert message.startswith("x.toml:12: snmp.v3_users[0].priv_protocol: choose one of")
    message = error_of(BASE + WRITER.replace('"write"', '"admin"'))
    assert message.startswith("x.toml:14: snmp.v3_users[0].access: choose one of")


def test_duplicate_user_names():
    message = error_of(BASE + WRITER + READER.replace('"watcher"', '"mipadmin"'))
    assert message == "x.toml:17: snmp.v3_users[1].name: duplicate user name 'mipadmin'"


def test_write_needs_privacy_and_priv_key_needs_protocol():
    text = BASE + READER.replace('"auth-secret-2"', '"auth-secret-2"\naccess = "write"')
    assert "write access needs privacy (authPriv)" in error_of(text)
    text = BASE + READER.replace('"auth-secret-2"', '"auth-secret-2"\npriv_key = "priv-secret-2"')
    assert "a priv key without priv_protocol" in error_of(text)


def test_exactly_one_key_source_and_unknown_keys():
    text = BASE + READER.replace('auth_key = "auth-secret-2"', 'auth_key_env = "X"\nauth_key = "y"')
    assert "give exactly one of 'auth_key' and 'auth_key_env'" in error_of(text)
    assert "x.toml:8: snmp.v3_users[0]: give exactly one of" in error_of(
        BASE + READER.replace('auth_key = "auth-secret-2"\n', "")
    )
    assert "snmp.v3_users[0].auth_kye: unknown key" in error_of(BASE + READER + 'auth_kye = "x"\n')
    assert "expected str, got int" in error_of(BASE + READER.replace('"auth-secret-2"', "12345678"))


def test_keys_from_the_environment(monkeypatch):
    text = BASE + WRITER.replace('auth_key = "auth-secret-1"', 'auth_key_env = "MIPMIB_T_AUTH"')
    text = text.replace('priv_key = "priv-secret-1"', 'priv_key_env = "MIPMIB_T_PRIV"')
    monkeypatch.delenv("MIPMIB_T_AUTH", raising=False)
    monkeypatch.delenv("MIPMIB_T_PRIV", raising=False)
    (user,) = parse(text).snmp.v3_users
    assert user.unavailable == "environment variable MIPMIB_T_AUTH is not set"
    assert user.auth_key is None
    monkeypatch.setenv("MIPMIB_T_AUTH", "env-secret-auth")
    (user,) = parse(text).snmp.v3_users
    assert user.unavailable == "environment variable MIPMIB_T_PRIV is not set"
    monkeypatch.setenv("MIPMIB_T_PRIV", "env-secret-priv")
    (user,) = parse(text).snmp.v3_users
    assert user.unavailable is None
    assert (user.auth_key, user.priv_key) == ("env-secret-auth", "env-secret-priv")
    monkeypatch.setenv("MIPMIB_T_PRIV", "s3cr")
    assert error_of(text) == (
        "x.toml:13: snmp.v3_users[0].priv_key_env: the value of $MIPMIB_T_PRIV is too short: "
        "at least 8 characters"
    )
    bad = text.replace('"MIPMIB_T_PRIV"', '"NOT A NAME"')
    assert "not an environment variable name: 'NOT A NAME'" in error_of(bad)


def test_embedded_default_write_user_only_with_its_environment(monkeypatch):
    monkeypatch.delenv("MIPMIB_ADMIN_AUTH_KEY", raising=False)
    monkeypatch.delenv("MIPMIB_ADMIN_PRIV_KEY", raising=False)
    (user,) = config.load(None).snmp.v3_users
    assert (user.name, user.access, user.priv_protocol) == ("mipadmin", "write", "AES-128")
    assert user.unavailable == "environment variable MIPMIB_ADMIN_AUTH_KEY is not set"
    monkeypatch.setenv("MIPMIB_ADMIN_AUTH_KEY", "operator-auth-key")
    monkeypatch.setenv("MIPMIB_ADMIN_PRIV_KEY", "operator-priv-key")
    (user,) = config.load(None).snmp.v3_users
    assert user.unavailable is None and user.auth_key == "operator-auth-key"
    # every v3 user of the default config that may write needs authPriv
    assert all(u.priv_protocol != "none" for u in config.load(None).snmp.v3_users)
