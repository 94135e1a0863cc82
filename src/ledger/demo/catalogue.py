"""The demo's catalogue of planted kinds: how many of each, the findings rule that must
find each kind, the hold reason that stops it at batch run, and the bank's ordinary
failures (DESIGN §6)."""

# The asset cases (ledger.demo.plants.assets).
ASSET_COUNTS = {
    "owns_vehicle": 2,
    "property_beyond_limit": 2,
    "registered_business": 1,
    "provident_fund_deposits": 1,
}
# How many of each kind are planted (categories and kinds follow DESIGN §6).
COUNTS = {
    "paid_after_death": 3,
    "paid_after_exit": 2,
    "duplicate_two_townships": 2,
    "duplicate_exclusive_programs": 2,
    "invalid_identity": 3,
    "public_employee": 2,
    "cadre_relative_unfiled": 3,
    "above_program_cap": 2,
    "age_inconsistent": 1,
    "holder_mismatch_be01": 3,
    "holder_differs_in_roster": 2,
    "shared_account": 2,  # groups of 3 recipients each
    "payee_is_staff_account": 2,
    "account_changed_before_payment": 4,
    "clearing_unresolved": 2,
    "failed_not_followed_up": 2,
    "cash_unsigned": 1,
    **ASSET_COUNTS,
}
# The findings rule (src/ledger/findings/) that must find each planted kind.
RULE_OF_KIND = {
    "paid_after_death": "M01",
    "paid_after_exit": "M02",
    "duplicate_two_townships": "M05",
    "duplicate_exclusive_programs": "M04",
    "invalid_identity": "M06",
    "above_program_cap": "M09",
    "age_inconsistent": "M10",
    "public_employee": "M07",
    "cadre_relative_unfiled": "M08",
    "holder_mismatch_be01": "D01",
    "holder_differs_in_roster": "D01",
    "shared_account": "D02",
    "payee_is_staff_account": "D03",
    "account_changed_before_payment": "D04",
    "tampered_amount": "D05",
    "tampered_account": "D05",
    "never_instructed": "D05",
    "clearing_unresolved": "W02",
    "failed_not_followed_up": "W03",
    "cash_unsigned": "W07",
    "idle_funds": "W04",
    "township_jump": "F01",
    "owns_vehicle": "M11",
    "property_beyond_limit": "M12",
    "registered_business": "M13",
    "provident_fund_deposits": "M14",
    "oneoff_repeated": "M15",
    "oneoff_to_listed": "M16",
    "oneoff_concentrated": "M17",
}
# The screening at batch run (ledger.screening) holds these kinds' payments before they
# are paid: the hold reason that stops each one.
HOLD_OF_KIND = {
    "paid_after_death": "deceased",
    "duplicate_two_townships": "duplicate_id",
    "duplicate_exclusive_programs": "exclusive_program",
    "above_program_cap": "above_standard",
    "public_employee": "public_employee",
    "cadre_relative_unfiled": "cadre_relative",
    "shared_account": "shared_account",
    "owns_vehicle": "vehicle",
    "property_beyond_limit": "property",
    "registered_business": "business",
    "provident_fund_deposits": "provident_fund",
    "oneoff_to_listed": "public_employee",
}
# Ordinary bank failures each month (not anomalies: they are followed up).
CLOSED_PER_MONTH = 2
FROZEN_PER_MONTH = 2
NEGLECTED_BANK = "RCC"
# People without an account, paid in cash (现金发放) by the townships every month.
CASH_PAYEES = 6
CASH_BANK = "CASH"  # month 1: its failures are never re-issued nor cancelled
