"""X's challenge-response check (CRC): proves to X that we hold the consumer secret."""

from __future__ import annotations

from connectors.x.signature import hmac_sha256_base64


def crc_response(consumer_secret: str, crc_token: str) -> dict[str, str]:
    """The JSON body answering `GET ?crc_token=…` (X expects it within 3 s, and re-checks)."""
    return {"response_token": "sha256=" + hmac_sha256_base64(consumer_secret, crc_token.encode())}
