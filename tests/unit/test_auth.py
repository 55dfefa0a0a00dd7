"""Authenticators (RFC 2202 and protocol.md §4.5 vectors) and replay protection."""

from __future__ import annotations

import calendar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mipmib.core.auth import (
    DEFAULT_TIMESTAMP_WINDOW,
    NTP_EPOCH_OFFSET,
    Algorithm,
    append_auth_extension,
    compute_authenticator,
    mismatch_identification,
    new_nonce,
    nonce_acceptable,
    nonce_mismatch_identification,
    ntp_seconds,
    timestamp_acceptable,
    timestamp_identification,
    verify_auth_extension,
)
from mipmib.core.messages import (
    EXT_FHAE,
    EXT_MFAE,
    EXT_MHAE,
    Extension,
    RegistrationRequest,
    auth_spi,
    auth_value,
    decode_request,
    encode_extension,
    encode_long_extension,
    encode_request,
    find_extension,
    ip_to_int,
)

HMAC = Algorithm.HMAC_MD5
KEYED = Algorithm.PREFIX_SUFFIX_MD5

# --- RFC 2202 -----------------------------------------------------------------------------

RFC2202 = [
    (b"\x0b" * 16, b"Hi There", "9294727a3638bb1c13f48ef8158bfc9d"),
    (b"Jefe", b"what do ya want for nothing?", "750c783e6ab0b503eaa86e310a5db738"),
    (b"\xaa" * 16, b"\xdd" * 50, "56be34521d144c88dbb8c733f0e8b3f6"),
    (bytes(range(1, 26)), b"\xcd" * 50, "697eaf0aca3a3aea3a75164746ffaa79"),
    (b"\x0c" * 16, b"Test With Truncation", "56461ef2342edc00f9bab995690efd4c"),
    (
        b"\xaa" * 80,
        b"Test Using Larger Than Block-Size Key - Hash Key First",
        "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd",
    ),
    (
        b"\xaa" * 80,
        b"Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data",
        "6f630fad67cda0ee1fb1f562db3aa53e",
    ),
]


@pytest.mark.parametrize(("key", "data", "digest"), RFC2202, ids=[f"case{i}" for i in range(1, 8)])
def test_rfc2202_hmac_md5(key: bytes, data: bytes, digest: str) -> None:
    assert compute_authenticator(HMAC, key, data).hex() == digest


def test_rfc2202_case5_truncated() -> None:
    key, data, _ = RFC2202[4]
    assert compute_authenticator(HMAC, key, data)[:12].hex() == "56461ef2342edc00f9bab995"


# --- Mobile IP vectors (protocol.md §4.5) -------------------------------------------------

A_COVERED = bytes.fromhex("010007080a0000050a000001c000020a0123456789abcdef201400000100")
A_KEY = bytes(range(1, 17))
A_HMAC = "94d88b6ac2da5baecdff99a09480a9ff"
A_KEYED = "b342b2ca72ed993f857762931fc29f5a"

B_COVERED = bytes.fromhex("0100002881927acc81927abf8192c90900000000e4a85fcb201400000001")
B_KEY = b"\x11" * 16
B_HMAC = "40735007b09942549e9469ca40136f31"
B_KEYED = "cb3fd7040b4ce8823a3d20175e44544f"

D_COVERED = bytes.fromhex("0120003cc0000201c0000202c00002010000000000000001201400000100")
D_KEY = b"protocol-sample-key"
D_HMAC = "67ee0a3940cb52bd036c6018836031a2"

VECTORS = [
    ("A-hmac", A_COVERED, A_KEY, HMAC, A_HMAC),
    ("A-keyed", A_COVERED, A_KEY, KEYED, A_KEYED),
    ("B-hmac", B_COVERED, B_KEY, HMAC, B_HMAC),
    ("B-keyed", B_COVERED, B_KEY, KEYED, B_KEYED),
    ("D-hmac", D_COVERED, D_KEY, HMAC, D_HMAC),
]


@pytest.mark.parametrize(
    ("covered", "key", "algorithm", "expected"),
    [v[1:] for v in VECTORS],
    ids=[v[0] for v in VECTORS],
)
def test_vectors_compute(covered: bytes, key: bytes, algorithm: Algorithm, expected: str) -> None:
    assert compute_authenticator(algorithm, key, covered).hex() == expected


@pytest.mark.parametrize(
    ("covered", "key", "algorithm", "expected"),
    [v[1:] for v in VECTORS],
    ids=[v[0] for v in VECTORS],
)
def test_vectors_through_extension(
    covered: bytes, key: bytes, algorithm: Algorithm, expected: str
) -> None:
    """Build the request with our encoder, sign it, verify it, then flip every bit."""
    fixed = covered[:24]
    spi = int.from_bytes(covered[26:30], "big")
    req = decode_request(fixed)
    assert encode_request(req) == fixed
    wire = append_auth_extension(encode_request(req), EXT_MHAE, spi, key, algorithm)
    assert wire == covered + bytes.fromhex(expected)
    # 24-byte fixed part + 22-byte MHAE.  protocol.md §4.5 says "52 bytes" for vector A, but
    # its own parts (30 covered bytes + 16-byte authenticator) add up to 46.
    assert len(wire) == 46
    ext = find_extension(decode_request(wire).extensions, EXT_MHAE)
    assert ext is not None
    assert (ext.offset, auth_spi(ext), auth_value(ext).hex()) == (24, spi, expected)
    assert verify_auth_extension(wire, ext, key, algorithm)
    other = KEYED if algorithm is HMAC else HMAC
    assert not verify_auth_extension(wire, ext, key, other)
    # (Not key + b"\0": HMAC zero-pads short keys, so that is the same key.)
    assert not verify_auth_extension(wire, ext, key[:-1] + bytes([key[-1] ^ 1]), algorithm)
    for bit in range(len(wire) * 8):
        flipped = bytearray(wire)
        flipped[bit // 8] ^= 1 << (bit % 8)
        try:
            ext2 = decode_request(bytes(flipped)).extensions[0]
        except ValueError:
            continue  # flips in the MHAE's type or length make the message unreadable
        assert not verify_auth_extension(bytes(flipped), ext2, key, algorithm), bit


def test_vector_a_full_wire_message() -> None:
    req = RegistrationRequest(
        flags=0,
        lifetime=1800,
        home_address=ip_to_int("10.0.0.5"),
        home_agent=ip_to_int("10.0.0.1"),
        care_of_address=ip_to_int("192.0.2.10"),
        identification=0x0123456789ABCDEF,
    )
    wire = append_auth_extension(encode_request(req), EXT_MHAE, 256, A_KEY, HMAC)
    assert wire.hex() == ("010007080a0000050a000001c000020a0123456789abcdef201400000100" + A_HMAC)
    decoded = decode_request(wire)
    (ext,) = decoded.extensions
    assert verify_auth_extension(decoded.raw, ext, A_KEY, HMAC)
    bad = bytearray(wire)
    bad[-1] ^= 0x01
    bad_ext = decode_request(bytes(bad)).extensions[0]
    assert not verify_auth_extension(bytes(bad), bad_ext, A_KEY, HMAC)


def test_chained_authenticators_cover_earlier_ones() -> None:
    """MHAE, then FA extensions, then MFAE: the MFAE covers the MHAE and what follows it."""
    base = decode_request(A_COVERED[:24])
    nai = encode_extension(131, b"mn@example.org")
    msg = append_auth_extension(encode_request(base) + nai, EXT_MHAE, 0x100, A_KEY, HMAC)
    msg = append_auth_extension(msg + encode_extension(130, b""), EXT_MFAE, 0x200, b"f" * 16, KEYED)
    exts = decode_request(msg).extensions
    mhae, mfae = exts[1], exts[3]
    assert mhae.offset == 24 + 16 and mfae.offset == mhae.offset + 22 + 2
    assert verify_auth_extension(msg, mhae, A_KEY, HMAC)
    assert verify_auth_extension(msg, mfae, b"f" * 16, KEYED)
    # An FA strips the MFAE and appends an FHAE: the MHAE still verifies.
    relayed = append_auth_extension(msg[: mhae.offset + 22], EXT_FHAE, 0x300, b"h" * 16, HMAC)
    r_exts = decode_request(relayed).extensions
    assert verify_auth_extension(relayed, r_exts[1], A_KEY, HMAC)
    assert verify_auth_extension(relayed, r_exts[2], b"h" * 16, HMAC)
    # Changing an extension before the MFAE breaks only the MFAE.
    tampered = msg[:24] + encode_extension(131, b"mn@example.com") + msg[40:]
    t_exts = decode_request(tampered).extensions
    assert not verify_auth_extension(tampered, t_exts[1], A_KEY, HMAC)
    assert not verify_auth_extension(tampered, t_exts[3], b"f" * 16, KEYED)


def test_verify_rejects_wrong_body_length() -> None:
    msg = A_COVERED[:24] + bytes([32, 19]) + bytes(19)
    ext = decode_request(msg).extensions[0]
    assert not verify_auth_extension(msg, ext, A_KEY, HMAC)
    msg = A_COVERED[:24] + bytes([32, 36]) + bytes(36)  # e.g. a 32-byte SHA-256 authenticator
    ext = decode_request(msg).extensions[0]
    assert not verify_auth_extension(msg, ext, A_KEY, HMAC)


def test_verify_rejects_extension_from_another_message() -> None:
    wire = A_COVERED + bytes.fromhex(A_HMAC)
    ext = decode_request(wire).extensions[0]
    assert not verify_auth_extension(wire[:40], ext, A_KEY, HMAC)
    assert not verify_auth_extension(wire[1:] + b"\x00", ext, A_KEY, HMAC)
    moved = Extension(ext.type, 0, ext.body)
    assert not verify_auth_extension(wire, moved, A_KEY, HMAC)


def test_verify_generalized_auth_covers_long_header() -> None:
    """Ext 36 MN-AAA (HMAC default): coverage ends after its 8-byte header + SPI."""
    pre = A_COVERED[:24] + encode_extension(132, bytes.fromhex("a1b2c3d4e5f60718"))
    header = encode_long_extension(36, 1, b"")[:2] + (20).to_bytes(2, "big") + (0x101).to_bytes(4)
    mac = compute_authenticator(HMAC, b"aaa-key", pre + header)
    wire = pre + header + mac
    ext = decode_request(wire).extensions[1]
    assert ext.type == 36 and ext.header_len == 4
    assert verify_auth_extension(wire, ext, b"aaa-key", HMAC)


def test_any_key_length_works() -> None:
    for key in (b"", b"\x00", bytes(64), bytes(65), bytes(range(256))):
        wire = append_auth_extension(A_COVERED[:24], EXT_MHAE, 0x100, key, HMAC)
        ext = decode_request(wire).extensions[0]
        assert verify_auth_extension(wire, ext, key, HMAC)


def test_append_rejects_bad_spi() -> None:
    with pytest.raises(ValueError):
        append_auth_extension(A_COVERED[:24], EXT_MHAE, 1 << 32, A_KEY, HMAC)


# --- timestamps ---------------------------------------------------------------------------

NOW = 1_700_000_000.25  # 2023-11-14, a quarter second past
NOW_S = NTP_EPOCH_OFFSET + 1_700_000_000
WINDOW = DEFAULT_TIMESTAMP_WINDOW


def _ts(seconds: int, low: int = 0) -> int:
    return ((seconds & 0xFFFFFFFF) << 32) | low


def test_ntp_seconds() -> None:
    assert NTP_EPOCH_OFFSET == 2208988800
    assert ntp_seconds(0) == NTP_EPOCH_OFFSET
    assert ntp_seconds(NOW) == NOW_S
    assert ntp_seconds(-0.5) == NTP_EPOCH_OFFSET - 1
    # Era 0 ends 2036-02-07 06:28:16 UTC.
    wrap = calendar.timegm((2036, 2, 7, 6, 28, 16))
    assert ntp_seconds(wrap - 1) == 0xFFFFFFFF
    assert ntp_seconds(wrap) == 0
    assert ntp_seconds(wrap + 5.9) == 5


def test_timestamp_identification_layout() -> None:
    ident = timestamp_identification(NOW, rand_low=0)
    assert ident >> 32 == NOW_S
    assert ident & 0xFFFFFFFF == 0x40000000  # .25 s
    assert timestamp_identification(NOW, rand_low=0xABC) == ident | 0xABC
    assert timestamp_identification(NOW, rand_low=0xFFFFFFFF) == ident | 0xFFF
    assert timestamp_identification(1.0, rand_low=0) == (NTP_EPOCH_OFFSET + 1) << 32


def test_timestamp_identification_random_bits() -> None:
    seen = {timestamp_identification(NOW) for _ in range(64)}
    assert all(i >> 12 == timestamp_identification(NOW, 0) >> 12 for i in seen)
    assert len(seen) > 1


@given(st.floats(0, 4_000_000_000, allow_nan=False))
def test_timestamp_identification_matches_clock(t: float) -> None:
    ident = timestamp_identification(t)
    assert 0 <= ident < 1 << 64
    assert ident >> 32 == ntp_seconds(t)
    fraction = (ident & 0xFFFFFFFF) / 2**32
    assert abs(fraction - (t % 1)) < 2**-19


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [(0, True), (-7, True), (7, True), (-8, False), (8, False), (60, False), (-60, False)],
)
def test_timestamp_window_edges(offset: int, accepted: bool) -> None:
    ident = _ts(NOW_S + offset, 0xFFFFFFFF)
    assert timestamp_acceptable(ident, None, NOW, WINDOW) is accepted
    assert timestamp_acceptable(_ts(NOW_S + offset), None, NOW, WINDOW) is accepted


def test_timestamp_window_is_configurable() -> None:
    assert timestamp_acceptable(_ts(NOW_S - 250), None, NOW, 300)
    assert not timestamp_acceptable(_ts(NOW_S - 301), None, NOW, 300)
    assert not timestamp_acceptable(_ts(NOW_S - 4), None, NOW, 3.5)


def test_equal_timestamp_is_replay() -> None:
    ident = _ts(NOW_S, 0x1234)
    assert timestamp_acceptable(ident, None, NOW, WINDOW)
    assert not timestamp_acceptable(ident, ident, NOW, WINDOW)
    assert timestamp_acceptable(ident + 1, ident, NOW, WINDOW)
    assert not timestamp_acceptable(ident - 1, ident, NOW, WINDOW)


def test_timestamp_must_also_be_newer_than_last_accepted() -> None:
    last = _ts(NOW_S + 3)  # accepted earlier from a fast clock
    assert not timestamp_acceptable(_ts(NOW_S + 2), last, NOW, WINDOW)
    assert timestamp_acceptable(_ts(NOW_S + 3, 1), last, NOW, WINDOW)
    # Newer than the last one but outside the window is still refused.
    assert not timestamp_acceptable(_ts(NOW_S + 9), last, NOW, WINDOW)


def test_timestamp_wrap_2036() -> None:
    wrap = calendar.timegm((2036, 2, 7, 6, 28, 16))
    before = _ts(0xFFFFFFFE, 0x80000000)  # 1.5 s before the wrap
    after = _ts(0x00000001)  # 1 s after
    # HA clock just after the wrap; MN clock just before.
    assert timestamp_acceptable(before, None, wrap + 2, WINDOW)
    # HA clock before the wrap; MN clock after.
    assert timestamp_acceptable(after, None, wrap - 3, WINDOW)
    # Ordering across the wrap: "after" is newer than "before", not older.
    assert timestamp_acceptable(after, before, wrap + 1, WINDOW)
    assert not timestamp_acceptable(before, after, wrap + 1, WINDOW)
    # Far from the wrap, small and big values are still far apart.
    assert not timestamp_acceptable(_ts(0), None, wrap - 10, WINDOW)


def test_case_m02_identification_mismatch_layout() -> None:
    """M02: a request 60 s off is refused; the 133 reply carries HA time + request low."""
    request_id = timestamp_identification(NOW - 60, rand_low=0x5A5)
    assert not timestamp_acceptable(request_id, None, NOW, WINDOW)
    reply_id = mismatch_identification(request_id, NOW)
    assert reply_id >> 32 == ntp_seconds(NOW) == NOW_S
    assert reply_id & 0xFFFFFFFF == request_id & 0xFFFFFFFF
    # The MN resynchronises with the HA's seconds and is then accepted.
    offset = (reply_id >> 32) - (request_id >> 32)
    assert offset == 60
    retry = timestamp_identification(NOW - 60 + offset + 0.1)
    assert timestamp_acceptable(retry, None, NOW, WINDOW)
    # Also 60 s ahead.
    ahead = _ts(NOW_S + 60, 0xCAFE)
    assert not timestamp_acceptable(ahead, None, NOW, WINDOW)
    assert mismatch_identification(ahead, NOW) == _ts(NOW_S, 0xCAFE)


# --- nonces -------------------------------------------------------------------------------


def test_nonce_helpers() -> None:
    request_id = 0x11111111_22222222
    reply_id = nonce_mismatch_identification(request_id, 0xDEADBEEF)
    assert reply_id == 0xDEADBEEF_22222222
    assert nonce_mismatch_identification(request_id, 0x1_00000001) == 0x00000001_22222222
    assert nonce_acceptable(0xDEADBEEF_00000007, 0xDEADBEEF)
    assert not nonce_acceptable(0xDEADBEEE_00000007, 0xDEADBEEF)
    assert not nonce_acceptable(0x00000007_DEADBEEF, 0xDEADBEEF)  # low half does not count
    assert 0 <= new_nonce() <= 0xFFFFFFFF
    assert len({new_nonce() for _ in range(16)}) > 1
