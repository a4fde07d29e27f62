"""CSRF protection for cookie-authenticated requests: an HMAC of the session token."""

from __future__ import annotations

import hashlib
import hmac


def csrf_token(secret: str, session_token: str) -> str:
    """The token a page embeds in forms and htmx headers for this session."""
    return hmac.new(secret.encode(), session_token.encode(), hashlib.sha256).hexdigest()


def csrf_valid(secret: str, session_token: str, presented: str | None) -> bool:
    """Constant-time check of a presented CSRF token."""
    if not presented:
        return False
    return hmac.compare_digest(csrf_token(secret, session_token), presented)
