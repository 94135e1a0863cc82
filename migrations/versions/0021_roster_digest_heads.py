"""The roster's digest covers the household head (是否户主, ``household_head``) and the
care institution (供养机构, ``institution``) of every enrolment version.

Both columns were fixed by the enrolment-version trigger (0019, 0020) but not in the
roster scope's digest, so an insider who dropped the trigger could move a household's
money to another member's card, or residents to another institution, unseen by ``ledger
audit verify``. The digest's column list (``ledger.db.state_digest``) now names them;
this migration records the roster as it is, with them, in one chained event
(``chain.digest_extended``), so that verify compares the next state with it. The state
at the upgrade is taken as given, as the genesis (0017) takes an old ledger's. A ledger
with no roster yet records nothing.

Downgrade records the roster again without the two columns (what the code of 0020
digests); events are never deleted.

Revision ID: 0021_roster_digest_heads
Revises: 0020_i18_institutions
Create Date: 2026-12-04
"""

from alembic import op

from ledger.db.genesis import write_scope_events
from ledger.db.state_digest import current_scopes, present_columns

revision = "0021_roster_digest_heads"
down_revision = "0020_i18_institutions"
branch_labels = None
depends_on = None

ADDED = {"household_head", "institution"}


def _record(action: str, without: set[str]) -> None:
    bind = op.get_bind()
    existing = present_columns(bind)
    if "roster" not in current_scopes(bind, only=existing):
        return
    existing["enrolments"] = existing["enrolments"] - without
    write_scope_events(bind, ["roster"], action, operator=f"migration {revision}", only=existing)


def upgrade() -> None:
    _record("chain.digest_extended", set())


def downgrade() -> None:
    _record("chain.digest_narrowed", ADDED)
