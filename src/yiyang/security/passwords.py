"""Argon2id password hashing and the password policy (length, common passwords, names)."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from yiyang.config import Settings
from yiyang.errors import N_, FieldProblem, Invalid
from yiyang.security.roles import Role

_hasher = PasswordHasher()
# A constant hash to verify against when the user does not exist (equalises timing).
_DUMMY_HASH = _hasher.hash("not-a-real-password")
# Digits and symbols people put around a word ("Password2026!"), stripped before the list look-up.
_DECORATION = string.digits + string.punctuation + string.whitespace
# Roles whose accounts belong to the elder or the family rather than to staff.
PERSONAL_ROLES = frozenset({Role.ELDER, Role.FAMILY})
# Letters and digits nobody misreads when a temporary password is read out on the phone.
_TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


@dataclass(frozen=True)
class PasswordPolicy:
    """The rules a new password must meet, from the settings."""

    min_length: int
    min_length_staff: int
    history: int

    @classmethod
    def of(cls, settings: Settings) -> PasswordPolicy:
        """The policy the settings describe."""
        return cls(
            min_length=settings.password_min_length,
            min_length_staff=settings.password_min_length_staff,
            history=settings.password_history,
        )

    def min_length_for(self, role: Role) -> int:
        """Staff roles need the longer minimum."""
        return self.min_length if role in PERSONAL_ROLES else self.min_length_staff


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; an unknown user costs the same time as a wrong password."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    """zxcvbn's list of the 30,000 most used passwords (from leaked password sets)."""
    return frozenset(FREQUENCY_LISTS["passwords"])


def is_common(password: str) -> bool:
    """True for a listed password, also when digits or symbols are only added around it."""
    lowered = password.lower()
    common = _common_passwords()
    return lowered in common or lowered.strip(_DECORATION) in common


def policy_problems(
    password: str, *, username: str, display_name: str, min_length: int, field: str
) -> list[FieldProblem]:
    """Everything wrong with a new password, each with a message naming the rule."""
    problems: list[FieldProblem] = []

    def problem(code: str, message: str, **params: object) -> None:
        problems.append(FieldProblem(field, code, message, dict(params)))

    if len(password) < min_length:
        problem(
            "too_short",
            N_("The password must be at least %(min)s characters long."),
            min=min_length,
        )
    if is_common(password):
        problem("common", N_("This password is one of the most commonly used; choose another."))
    lowered = password.lower()
    if username and username.lower() in lowered:
        problem("has_username", N_("The password must not contain the user name."))
    name = display_name.strip().lower()
    if len(name) >= 2 and name in lowered:
        problem("has_name", N_("The password must not contain your name."))
    if password.isdigit() or password.isalpha():
        problem("one_kind", N_("The password must mix letters with digits or symbols."))
    return problems


def check_policy(
    password: str,
    *,
    username: str,
    display_name: str,
    role: Role,
    policy: PasswordPolicy,
    field: str = "new_password",
) -> None:
    """Refuse a weak password, naming every rule it breaks."""
    problems = policy_problems(
        password,
        username=username,
        display_name=display_name,
        min_length=policy.min_length_for(role),
        field=field,
    )
    if problems:
        first = problems[0]
        raise Invalid(
            first.message, code="weak_password", field=field, problems=problems, **first.params
        )


def temporary_password(policy: PasswordPolicy, role: Role, username: str, display_name: str) -> str:
    """A random password meeting the policy, in groups of four to read out ("k7mq-2xhp-…")."""
    groups = max(4, -(-policy.min_length_for(role) // 4))
    while True:
        raw = "".join(secrets.choice(_TEMPORARY_ALPHABET) for _ in range(groups * 4))
        password = "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))
        if not policy_problems(
            password,
            username=username,
            display_name=display_name,
            min_length=policy.min_length_for(role),
            field="password",
        ):
            return password
