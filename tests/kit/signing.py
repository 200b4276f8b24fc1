"""Slack request signing (v0) for building signed HTTP requests in tests."""

from __future__ import annotations

import hashlib
import hmac
import time


def sign(secret: str, body: str, timestamp: int | str) -> str:
    """Return Slack's ``X-Slack-Signature`` value: ``"v0=" + hex(HMAC-SHA256("v0:{ts}:{body}"))``."""
    basestring = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), basestring, hashlib.sha256).hexdigest()


def signed_headers(
    secret: str,
    body: str,
    timestamp: int | str | None = None,
    content_type: str = "application/x-www-form-urlencoded",
) -> dict[str, str]:
    """Headers Slack would send with ``body`` (timestamp defaults to now)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": sign(secret, body, ts),
        "Content-Type": content_type,
    }
