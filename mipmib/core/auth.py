"""Registration authenticators and replay-protection helpers (RFC 5944 §3.5, §5.7).

An authentication extension at offset ``k`` protects ``P[0:k+6]``: the fixed part, all
earlier extensions, and its own type, length and SPI (for the long-format extension 36 the
header is two bytes longer, so ``P[0:k+8]``).

Identification values are 64-bit NTP timestamps (timestamp method) or ``nonce << 32 | low``
(nonce method).  NTP seconds wrap in February 2036, so every comparison here uses serial
number arithmetic instead of plain ``<``.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import math
import secrets

from mipmib.core.messages import Extension

__all__ = [
    "AUTHENTICATOR_LEN",
    "DEFAULT_TIMESTAMP_WINDOW",
    "NTP_EPOCH_OFFSET",
    "Algorithm",
    "append_auth_extension",
    "compute_authenticator",
    "mismatch_identification",
    "new_nonce",
    "nonce_acceptable",
    "nonce_mismatch_identification",
    "ntp_seconds",
    "timestamp_acceptable",
    "timestamp_identification",
    "verify_auth_extension",
]

AUTHENTICATOR_LEN = 16
_SPI_LEN = 4
_AUTH_BODY_LEN = _SPI_LEN + AUTHENTICATOR_LEN  # the extension's Length field: 20

NTP_EPOCH_OFFSET = 2208988800  # seconds from 1900-01-01 to 1970-01-01
DEFAULT_TIMESTAMP_WINDOW = 7.0

_U32 = 0xFFFFFFFF
_U64 = 0xFFFFFFFFFFFFFFFF
# A float Unix time carries about 20 fraction bits today; the bits below are filled at random.
_RANDOM_FRACTION_BITS = 12
_RANDOM_FRACTION_MASK = (1 << _RANDOM_FRACTION_BITS) - 1


class Algorithm(enum.Enum):
    HMAC_MD5 = "hmac-md5"
    PREFIX_SUFFIX_MD5 = "keyed-md5"  # MD5(key || data || key), kept for old peers


def compute_authenticator(algorithm: Algorithm, key: bytes, covered: bytes) -> bytes:
    """16-byte authenticator of ``covered`` under ``key``."""
    if algorithm is Algorithm.HMAC_MD5:
        return hmac.digest(key, covered, "md5")
    if algorithm is Algorithm.PREFIX_SUFFIX_MD5:
        return hashlib.md5(key + covered + key).digest()
    raise ValueError(f"unsupported algorithm {algorithm!r}")


def append_auth_extension(
    message: bytes, ext_type: int, spi: int, key: bytes, algorithm: Algorithm
) -> bytes:
    """Return ``message`` with a 22-byte TLV authentication extension appended."""
    if not 0 <= spi <= _U32:
        raise ValueError(f"SPI out of range: {spi}")
    covered = message + bytes((ext_type, _AUTH_BODY_LEN)) + spi.to_bytes(4, "big")
    return covered + compute_authenticator(algorithm, key, covered)


def verify_auth_extension(message: bytes, ext: Extension, key: bytes, algorithm: Algorithm) -> bool:
    """Check the authenticator of ``ext`` (as decoded from ``message``)."""
    if len(ext.body) != _AUTH_BODY_LEN:
        return False
    end = ext.offset + ext.header_len + _SPI_LEN
    if len(message) < end + AUTHENTICATOR_LEN or message[ext.offset] != ext.type:
        return False
    expected = compute_authenticator(algorithm, key, message[:end])
    return hmac.compare_digest(expected, ext.body[_SPI_LEN:])


# --- replay protection --------------------------------------------------------------------


def _serial_diff(a: int, b: int, bits: int) -> int:
    """Signed distance from ``b`` to ``a`` on a ring of 2**bits (RFC 1982 style)."""
    half = 1 << (bits - 1)
    return ((a - b + half) & ((1 << bits) - 1)) - half


def ntp_seconds(unix_time: float) -> int:
    """NTP seconds (high half of an NTP timestamp) for a Unix time, modulo 2**32."""
    return (math.floor(unix_time) + NTP_EPOCH_OFFSET) & _U32


def timestamp_identification(unix_time: float, rand_low: int | None = None) -> int:
    """64-bit NTP timestamp for a request's Identification.

    The low word is the binary fraction of the second.  Its lowest 12 bits lie below the
    float clock's resolution, so they are random (RFC 5944 asks for that), or taken from
    ``rand_low & 0xFFF`` when given, which makes the result deterministic.
    """
    seconds = math.floor(unix_time)
    fraction = int((unix_time - seconds) * 4294967296.0) & ~_RANDOM_FRACTION_MASK & _U32
    filler = secrets.randbits(_RANDOM_FRACTION_BITS) if rand_low is None else rand_low
    low = fraction | (filler & _RANDOM_FRACTION_MASK)
    return (((seconds + NTP_EPOCH_OFFSET) & _U32) << 32) | low


def timestamp_acceptable(
    identification: int, last_accepted: int | None, now_unix: float, window_s: float
) -> bool:
    """Timestamp replay check done by the HA.

    Accept when the request's NTP seconds are within ``window_s`` of ``ntp_seconds(now)``
    (whole seconds, edges included) and, if ``last_accepted`` is given, the whole 64-bit
    value is strictly greater than it (an equal value is a replay).
    """
    skew = _serial_diff((identification >> 32) & _U32, ntp_seconds(now_unix), 32)
    if abs(skew) > window_s:
        return False
    if last_accepted is None:
        return True
    return _serial_diff(identification & _U64, last_accepted & _U64, 64) > 0


def mismatch_identification(request_id: int, now_unix: float) -> int:
    """Identification for a 133 reply: HA's NTP seconds high, request's low word low."""
    return (ntp_seconds(now_unix) << 32) | (request_id & _U32)


def new_nonce() -> int:
    """Fresh random 32-bit nonce."""
    return secrets.randbits(32)


def nonce_mismatch_identification(request_id: int, new_nonce: int) -> int:
    """Identification for a nonce-method reply: new nonce high, request's low word low."""
    return ((new_nonce & _U32) << 32) | (request_id & _U32)


def nonce_acceptable(identification: int, expected_nonce: int) -> bool:
    """Nonce replay check: the high word must be the nonce the HA issued last."""
    return (identification >> 32) & _U32 == expected_nonce & _U32
