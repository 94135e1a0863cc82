"""The schema as SQLAlchemy Core tables: the model Alembic's migrations must agree with.

Migrations never import this package; ``tests/migrations`` checks that an upgraded
database and this metadata do not differ (alembic's ``check``). Each module holds the
tables of one part of the domain; all share ``metadata``.

Dialect-specific guarantees (triggers) are not expressed here; they live in
``ledger/migrations/sql/{sqlite,postgresql}/`` and are installed by the migrations.
"""

from ledger.db.schema.base import metadata
from ledger.db.schema.batches import batches, entitlements, payment_instructions
from ledger.db.schema.core import accounts, audit_events, periods, postings, transactions
from ledger.db.schema.deductions import (
    category_imports,
    deduction_plans,
    deductions,
    recipient_categories,
)
from ledger.db.schema.findings import finding_events, findings
from ledger.db.schema.funds import allocations, fund_lineage
from ledger.db.schema.holds import hold_releases, instruction_holds
from ledger.db.schema.households import household_shares
from ledger.db.schema.institutions import institution_payments
from ledger.db.schema.kept import account_balances, payable_rollups, return_outcome_counts
from ledger.db.schema.oneoff import oneoff_approvals, oneoff_cases
from ledger.db.schema.operators import batch_approvals, operator_roles, operators
from ledger.db.schema.reconciliation import (
    instruction_outcomes,
    reconciliation_exceptions,
    return_files,
)
from ledger.db.schema.refdata import (
    ref_businesses,
    ref_cadre_relatives,
    ref_deaths,
    ref_property,
    ref_provident_fund,
    ref_staff,
    ref_staff_accounts,
    ref_vehicles,
    refdata_imports,
)
from ledger.db.schema.registry import enrolments, recipients, roster_imports
from ledger.db.schema.roster_details import roster_import_details, roster_import_warnings
from ledger.db.schema.web import web_credentials

__all__ = [
    "account_balances",
    "accounts",
    "allocations",
    "audit_events",
    "batch_approvals",
    "batches",
    "category_imports",
    "deduction_plans",
    "deductions",
    "enrolments",
    "entitlements",
    "finding_events",
    "findings",
    "fund_lineage",
    "hold_releases",
    "household_shares",
    "institution_payments",
    "instruction_holds",
    "instruction_outcomes",
    "metadata",
    "oneoff_approvals",
    "oneoff_cases",
    "operator_roles",
    "operators",
    "payable_rollups",
    "payment_instructions",
    "periods",
    "postings",
    "recipient_categories",
    "recipients",
    "reconciliation_exceptions",
    "ref_businesses",
    "ref_cadre_relatives",
    "ref_deaths",
    "ref_property",
    "ref_provident_fund",
    "ref_staff",
    "ref_staff_accounts",
    "ref_vehicles",
    "refdata_imports",
    "return_files",
    "return_outcome_counts",
    "roster_import_details",
    "roster_import_warnings",
    "roster_imports",
    "transactions",
    "web_credentials",
]
