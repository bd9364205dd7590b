"""Helpers the three analytics stand-ins share: HTTP Basic credentials and day parameters."""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime

from fastapi import Request


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """``(user, password)`` from an ``Authorization: Basic`` header, or ``None``."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, sep, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


def parse_day(text: str | None, layout: str) -> date | None:
    """``text`` read with ``layout`` (e.g. ``%Y%m%d``), or ``None`` when missing or malformed."""
    try:
        return datetime.strptime(text or "", layout).date()
    except ValueError:
        return None
