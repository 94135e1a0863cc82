"""Alembic migrations, shipped inside the package as ``ledger.migrations``.

Migrations use ``op`` and ``sa`` only and never import the application's schema, so
that an old migration keeps meaning what it meant when it was written. Dialect-specific
SQL (triggers, functions) lives in ``sql/{dialect}/`` beside them.
"""
