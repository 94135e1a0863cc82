"""A finding's fingerprint names its program too: rule, subject, period and program.

A recipient enrolled in two programs whose entitlements both stay unpaid gave W01 two
candidates with one fingerprint, and ``findings detect`` failed on the unique index.
Each program's money is owed, followed up and recovered through its own accounts, so
each is its own finding. The fingerprints already stored are recomputed (SHA-256 of
``rule|subject_type|subject_id|period|program``, program empty when there is none); no
column changes.

Revision ID: 0011_i14_findings
Revises: 0012_i15_operators
Create Date: 2026-12-02
"""

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0011_i14_findings"
down_revision = "0012_i15_operators"
branch_labels = None
depends_on = None

_findings = sa.table(
    "findings",
    sa.column("id", sa.BigInteger),
    sa.column("fingerprint", sa.String),
    sa.column("rule", sa.String),
    sa.column("subject_type", sa.String),
    sa.column("subject_id", sa.String),
    sa.column("period", sa.String),
    sa.column("program", sa.String),
)


def _refingerprint(with_program: bool) -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(
            _findings.c.id,
            _findings.c.rule,
            _findings.c.subject_type,
            _findings.c.subject_id,
            _findings.c.period,
            _findings.c.program,
        )
    ).all()
    if not rows:
        return
    values = []
    for id_, rule, subject_type, subject_id, period, program in rows:
        text = f"{rule}|{subject_type}|{subject_id}|{period}"
        if with_program:
            text += f"|{program or ''}"
        values.append({"b_id": id_, "b_fingerprint": hashlib.sha256(text.encode()).hexdigest()})
    bind.execute(
        _findings.update()
        .where(_findings.c.id == sa.bindparam("b_id"))
        .values(fingerprint=sa.bindparam("b_fingerprint")),
        values,
    )


def upgrade() -> None:
    _refingerprint(with_program=True)


def downgrade() -> None:
    # Refused by the unique index if a subject has findings under two programs.
    _refingerprint(with_program=False)
