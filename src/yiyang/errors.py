"""Domain errors: a code, a message a person can act on, the field at fault and an HTTP status."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any


def N_(message: str) -> str:
    """Mark a message for translation without translating it here (Babel extracts N_)."""
    return message


@dataclass
class FieldProblem:
    """One thing wrong with one field: where, what code, and a translatable message."""

    field: str
    code: str
    message: str
    params: dict[str, Any] = dc_field(default_factory=dict)


class DomainError(Exception):
    """Base of every error a use case raises on purpose; the edge maps it to a response."""

    status_code = 400
    code = "error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        problems: list[FieldProblem] | None = None,
        **params: Any,
    ) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params
        if code:
            self.code = code
        self.field = field
        self.problems = problems or (
            [FieldProblem(field, self.code, message, params)] if field else []
        )


class NotFound(DomainError):
    """The record does not exist or is outside the caller's data scope."""

    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    """The request clashes with the current state (duplicate, illegal transition)."""

    status_code = 409
    code = "conflict"


class Invalid(DomainError):
    """The request is well-formed but its values break a rule."""

    status_code = 422
    code = "invalid"


class Unauthorized(DomainError):
    """No valid credentials were presented."""

    status_code = 401
    code = "unauthorized"


class Forbidden(DomainError):
    """The caller is known but their role may not perform this action at all."""

    status_code = 403
    code = "forbidden"


class TooManyRequests(DomainError):
    """The caller has used up a rate limit; the message says when they may try again."""

    status_code = 429
    code = "too_many_requests"


class TooLarge(DomainError):
    """An upload exceeds the configured size or row limit."""

    status_code = 413
    code = "too_large"


# Database constraints that stand for a domain rule, by name: the error to raise instead.
_BY_CONSTRAINT: dict[str, Callable[[], DomainError]] = {}


def on_constraint(name: str, error: Callable[[], DomainError]) -> None:
    """Declare which domain error a violated database constraint means (the edges map it)."""
    _BY_CONSTRAINT[name] = error


def constraint_error(name: str | None) -> DomainError | None:
    """The domain error a violated constraint stands for, or None for one nobody declared."""
    make = _BY_CONSTRAINT.get(name or "")
    return make() if make else None
