"""A receiver's check of capplan's webhook signature, written from docs/integrations.md apart from the signer."""
from __future__ import annotations

import hashlib


def hmac_sha256(key: bytes, message: bytes) -> str:
    """RFC 2104 written out, apart from the hmac module that signs the events."""
    block = 64
    key = hashlib.sha256(key).digest() if len(key) > block else key
    key = key.ljust(block, b"\0")
    inner = hashlib.sha256(bytes(k ^ 0x36 for k in key) + message).digest()
    return hashlib.sha256(bytes(k ^ 0x5c for k in key) + inner).hexdigest()


def verify(headers: dict, body: bytes, secret: str) -> bool:
    """X-Capplan-Signature is sha256= and the hex HMAC-SHA256 of "<X-Capplan-Timestamp>.<body>"."""
    signed = headers["X-Capplan-Timestamp"].encode() + b"." + body
    return headers["X-Capplan-Signature"] == "sha256=" + hmac_sha256(secret.encode(), signed)
