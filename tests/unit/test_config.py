"""Configuration errors name the file, the line, the key and the problem."""

from __future__ import annotations

import pytest

from mipmib import config
from mipmib.cli import main

BASE = """
[home_agent]
address = "127.0.0.2"

[[security_associations]]
peer = "127.1.0.1"
spi = 256
key = "0123456789abcdef"

[[security_associations]]
peer = "127.1.0.2"
spi = 257
key = "0123456789abcdef"
"""


def error_of(text: str) -> str:
    with pytest.raises(config.ConfigError) as info:
        config.parse(text, "x.toml")
    return str(info.value)


def test_embedded_default_is_valid():
    settings = config.load(None)
    assert settings.home_agent and settings.foreign_agent
    assert settings.snmp.address == "127.0.0.1" and settings.metrics.address == "127.0.0.1"


def test_unknown_key_names_line_and_key():
    text = BASE.replace('address = "127.0.0.2"', 'address = "127.0.0.2"\nmax_lifetme = 5')
    assert error_of(text) == "x.toml:4: home_agent.max_lifetme: unknown key (check its spelling)"


def test_wrong_type_and_range():
    assert "expected int" in error_of(BASE.replace("spi = 257", 'spi = "257"'))
    message = error_of(BASE.replace("spi = 257", "spi = 12"))
    assert message.startswith("x.toml:12: security_associations[1].spi: must be between 256")


def test_short_key_and_bad_address():
    assert "keys must be at least 16 bytes" in error_of(
        BASE.replace('"0123456789abcdef"\n\n', '"short"\n\n', 1)
    )
    assert "not an IPv4 address" in error_of(BASE.replace("127.0.0.2", "127.0.0.256"))


def test_missing_required_key_and_roles():
    assert "missing required key 'address'" in error_of("[home_agent]\nport = 434\n")
    assert "configure at least one" in error_of("[snmp]\nport = 1161\n")


def test_invalid_toml_and_cli_exit_code(tmp_path, capsys):
    assert "not valid TOML" in error_of("[home_agent\n")
    bad = tmp_path / "bad.toml"
    bad.write_text("[home_agent]\naddress = 1\n")
    assert main(["check-config", str(bad)]) == 2
    assert "home_agent.address: expected str" in capsys.readouterr().err


def test_keys_never_in_repr():
    settings = config.parse(BASE, "x.toml")
    assert "0123456789abcdef" not in repr(settings)


def test_misspelled_table_names_its_line():
    text = BASE + "\n[foreign_agnet]\naddress = \"127.0.0.3\"\n"
    assert error_of(text).startswith("x.toml:15: foreign_agnet: unknown key")
