"""Argon2id password hashing and the password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from yiyang.errors import N_, Invalid

_hasher = PasswordHasher()
MIN_LENGTH = 10
# A constant hash to verify against when the user does not exist (equalises timing).
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; an unknown user costs the same time as a wrong password."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def check_policy(password: str, username: str) -> None:
    """Refuse weak passwords with a message naming the rule."""
    if len(password) < MIN_LENGTH:
        raise Invalid(
            N_("The password must be at least %(min)s characters long."),
            field="new_password",
            min=MIN_LENGTH,
        )
    if username.lower() in password.lower():
        raise Invalid(N_("The password must not contain the user name."), field="new_password")
    if password.isdigit() or password.isalpha():
        raise Invalid(
            N_("The password must mix letters with digits or symbols."), field="new_password"
        )
