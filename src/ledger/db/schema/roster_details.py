"""What each roster import covered, and the indexes that make history queries fast.

``roster_imports`` (schema/registry.py) records who imported which file; a row here
records the scope of that import, which decides who counts as absent (exited): the
programs in the file, and either the whole county or, for a partial import, only the
townships in the file. Written once with the import; never changed.
"""

import sqlalchemy as sa

from ledger.db.schema.base import metadata
from ledger.db.schema.registry import enrolments

roster_import_details = sa.Table(
    "roster_import_details",
    metadata,
    sa.Column("import_id", sa.BigInteger, sa.ForeignKey("roster_imports.id"), primary_key=True),
    # The month the roster is for ("YYYY-MM"); people absent from it end the month before.
    sa.Column("roster_month", sa.String(7), nullable=False),
    # Comma-separated program codes the file covered.
    sa.Column("programs", sa.Text, nullable=False),
    # Comma-separated township codes for a partial import; NULL: the whole county.
    sa.Column("townships", sa.Text),
    sa.Column("encoding", sa.String(32)),
    sa.Column("warning_count", sa.Integer, nullable=False),
    sa.Column("added_count", sa.Integer, nullable=False),
    sa.Column("changed_count", sa.Integer, nullable=False),
    sa.Column("exited_count", sa.Integer, nullable=False),
    sa.Column("unchanged_count", sa.Integer, nullable=False),
)

# Every warning of an import (the command line prints the first 1,000; `registry
# warnings IMPORT` lists them all): written once with the import, never changed.
roster_import_warnings = sa.Table(
    "roster_import_warnings",
    metadata,
    sa.Column("import_id", sa.BigInteger, sa.ForeignKey("roster_imports.id"), primary_key=True),
    # Its place among the import's warnings, in (row, column, message) order.
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    # The file's row (header = row 1) and column as written in the file.
    sa.Column("row_no", sa.Integer, nullable=False),
    sa.Column("column_name", sa.String(128), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
)

# Which versions an import created or closed: `registry diff` and history queries.
sa.Index("ix_enrolments_valid_from_import", enrolments.c.valid_from_import)
sa.Index("ix_enrolments_valid_to_import", enrolments.c.valid_to_import)
