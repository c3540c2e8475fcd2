"""X webhook signatures: `x-twitter-webhooks-signature: sha256=<base64 HMAC-SHA256>` of the body."""

from __future__ import annotations

import base64
import hashlib
import hmac

SIGNATURE_HEADER = "x-twitter-webhooks-signature"
_PREFIX = "sha256="


def hmac_sha256_base64(consumer_secret: str, message: bytes) -> str:
    """The base64 HMAC-SHA256 X uses both for CRC answers and for webhook signatures."""
    digest = hmac.new(consumer_secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def sign(consumer_secret: str, body: bytes) -> str:
    """The header value X sends with `body` (the simulator signs with this too)."""
    return _PREFIX + hmac_sha256_base64(consumer_secret, body)


def is_valid_signature(consumer_secret: str, body: bytes, header: str | None) -> bool:
    """True when `header` is X's signature of these exact raw bytes.

    Checked over the raw body before any JSON parsing (re-serialised JSON would not match) and
    compared in constant time. A missing, malformed or wrong header is simply False.
    """
    if not header or not header.startswith(_PREFIX):
        return False
    # compare_digest on str needs ASCII: a non-ASCII header would raise, so compare bytes.
    return hmac.compare_digest(sign(consumer_secret, body).encode(), header.strip().encode())
