"""Signing in to the web console: passwords set by an administrator, failed sign-ins
counted and locked out in the database, every sign-in an audit event.

``sign_in`` is one unit of work that commits whatever the outcome, so that a failure is
counted even though the sign-in is refused. The Nth failed sign-in in a row locks the
operator out for the policy's minutes (``web_credentials.locked_until``); while locked,
the password is not even checked. Unknown names are checked against a dummy hash (the
refusal takes as long) and get the same words as a wrong password.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ledger.db import operators_store, web_store
from ledger.db.events import record_event
from ledger.db.uow import UnitOfWork
from ledger.errors import LedgerError
from ledger.operators import Operator, Role, name_key
from ledger.passwords import DUMMY_HASH, check_new_password, hash_password, password_matches

# The roles the console serves: everyone who reads the ledger. An administrator handles
# operators only (``ledger operators``), never the money, so has no page here.
CONSOLE_ROLES = frozenset(
    {Role.AUDITOR, Role.CIVIL_AFFAIRS, Role.FINANCE_MAKER, Role.FINANCE_CHECKER}
)


@dataclass(frozen=True)
class SignInPolicy:
    lock_after: int = 5  # failed sign-ins in a row
    lock_minutes: int = 15


class SignInRefused(LedgerError):
    """A refused sign-in (the message is safe to show on the page)."""


WRONG = "wrong operator name or password"


def set_password(uow: UnitOfWork, name: str, password: str, *, by: str) -> str:
    """Set (or replace) the console password of operator ``name``; return its key."""
    connection = uow.connection
    key = name_key(name)
    operator = operators_store.load(connection, key)
    if operator is None:
        raise LedgerError(f"no operator {name!r} is registered (see `ledger operators list`)")
    if not operator.active:
        raise LedgerError(f"operator {operator.name!r} is disabled: no password can be set")
    check_new_password(password, name=operator.key)
    web_store.set_hash(
        connection,
        operators_store.operator_id(connection, key),
        hash_password(password),
        by=by,
        now=datetime.now(UTC),
    )
    record_event(
        connection,
        operator=by,
        action="operator.password_set",
        subject_type="operator",
        subject_id=key,
    )
    uow.commit()
    return key


def _local_time(moment: datetime) -> str:
    from ledger.history import CHINA_TIME

    return moment.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M")


def sign_in(
    uow: UnitOfWork,
    name: str,
    password: str,
    *,
    policy: SignInPolicy,
    remote: str,
    now: datetime | None = None,
) -> Operator:
    """The operator, if ``password`` is theirs and they may use the console; else
    ``SignInRefused``. The outcome is committed either way."""
    connection = uow.connection
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    key = name_key(name)[:63]
    operator = operators_store.load(connection, key) if key else None
    credential = web_store.load(connection, key, lock=True) if key else None

    def refuse(action: str, message: str, **detail: object) -> SignInRefused:
        record_event(
            connection,
            operator=key or "?",
            action=action,
            subject_type="operator",
            subject_id=key or "?",
            detail={"remote": remote, **detail},
        )
        uow.commit()
        return SignInRefused(message)

    if credential is not None and credential.locked_until and moment < credential.locked_until:
        raise refuse(
            "web.login_refused",
            f"operator {key} is locked out until {_local_time(credential.locked_until)} "
            f"(China time) after {policy.lock_after} failed sign-ins",
            reason="locked",
        )
    matches = password_matches(
        password, credential.password_hash if credential is not None else DUMMY_HASH
    )
    if credential is None or operator is None or not matches:
        if credential is not None:
            failed = credential.failed_count + 1
            locked_until = None
            if failed >= policy.lock_after:
                locked_until = moment + timedelta(minutes=policy.lock_minutes)
                failed = 0
                record_event(
                    connection,
                    operator=key,
                    action="web.locked",
                    subject_type="operator",
                    subject_id=key,
                    detail={"until": locked_until.isoformat(), "remote": remote},
                )
            web_store.record_failure(
                connection,
                credential.operator_id,
                failed_count=failed,
                locked_until=locked_until,
            )
        raise refuse("web.login_failed", WRONG)
    if not operator.active:
        raise refuse("web.login_refused", f"operator {key} is disabled", reason="disabled")
    if not operator.roles & CONSOLE_ROLES:
        held = ", ".join(sorted(r.value for r in operator.roles)) or "none"
        raise refuse(
            "web.login_refused",
            f"operator {key} holds {held}: the console serves "
            + ", ".join(sorted(r.value for r in CONSOLE_ROLES)),
            reason="roles",
        )
    web_store.reset_failures(connection, credential.operator_id)
    record_event(
        connection,
        operator=key,
        action="web.login",
        subject_type="operator",
        subject_id=key,
        detail={"remote": remote},
    )
    uow.commit()
    return operator
