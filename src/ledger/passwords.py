"""Passwords of the web console: a salted scrypt hash (hashlib, RFC 7914), never the text.

The stored form names its parameters so that they can be raised later without making
old hashes unreadable: ``scrypt$N$r$p$salt$hash`` (salt and hash in base64). Checking
compares in constant time; an unknown operator is checked against a dummy hash so that a
refusal takes as long whether or not the name exists.
"""

import base64
import hashlib
import hmac
import os

from ledger.errors import LedgerError

MIN_LENGTH = 10
_N, _R, _P = 2**14, 8, 1
_SALT_BYTES = 16
_KEY_BYTES = 32


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=_KEY_BYTES, maxmem=2**26
    )


def check_new_password(password: str, *, name: str) -> None:
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"at least {MIN_LENGTH} characters")
    if password.strip() != password:
        problems.append("no spaces at the start or end")
    if name.casefold() in password.casefold():
        problems.append("must not contain the operator's name")
    if problems:
        raise LedgerError("the password was not set: " + "; ".join(problems))


def hash_password(password: str) -> str:
    salt = os.urandom(_SALT_BYTES)
    key = _derive(password, salt, _N, _R, _P)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(key)}"


def password_matches(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(key)
        actual = _derive(password, base64.b64decode(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


# Checked when the operator is unknown or has no password (same cost as a real check).
DUMMY_HASH = hash_password(os.urandom(12).hex())
