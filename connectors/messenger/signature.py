"""Messenger webhook signatures.

Header `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Hub-Signature-256"
_PREFIX = "sha256="


def is_valid_signature(app_secret: bytes, body: bytes, header: str | None) -> bool:
    """True when `header` is Meta's signature of these exact raw bytes.

    Checked over the raw body, before any JSON parsing (re-serialised JSON would not match), and
    compared in constant time. A missing, malformed or wrong header is simply False.
    """
    if not header or not header.startswith(_PREFIX):
        return False
    received = header[len(_PREFIX) :].strip().lower()
    expected = hmac.new(app_secret, body, hashlib.sha256).hexdigest()
    # compare_digest on ASCII str: a non-ASCII header would raise, so compare bytes instead.
    return hmac.compare_digest(expected.encode(), received.encode("utf-8", "replace"))
