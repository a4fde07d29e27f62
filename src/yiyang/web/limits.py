"""A cap on request bodies, so one request cannot make the server hold megabytes in memory.

A pure ASGI middleware: it wraps `receive` and counts the bytes as the route reads them (and
refuses at once a declared Content-Length past the cap). The refusal is an HTTPException(413)
raised from inside the route's own read, so FastAPI passes it on untouched and the error
handlers answer it like any other error, as JSON for the API and as a page for people.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Routes that take a whole spreadsheet: they may send up to the import limit (plus the
# multipart envelope around the file).
UPLOAD_PATHS = frozenset({"/api/v1/elders/import", "/elders/import"})
ENVELOPE_BYTES = 64 * 1024


class BodyTooLarge(HTTPException):
    """The request body is past the limit of its route."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=f"The request body is over {limit} bytes.")
        self.limit = limit


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None
    return None


class BodyLimit:
    """Refuse request bodies over `max_bytes` (`upload_bytes` on the import routes) with 413."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, upload_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_bytes = max(upload_bytes + ENVELOPE_BYTES, max_bytes)

    def limit_for(self, path: str) -> int:
        """The body limit of one route path."""
        return self.upload_bytes if path in UPLOAD_PATHS else self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        declared = _declared_length(scope)
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            if declared is not None and declared > limit:
                raise BodyTooLarge(limit)
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, limited, send)
