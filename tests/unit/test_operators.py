"""Operator names, roles and approval bands: the rules, without a database."""

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.approval import ApprovalRules, Band, Rule, parse_rules
from ledger.county import example_path, load_county
from ledger.errors import LedgerError
from ledger.operators import (
    COMMAND_ROLES,
    Operator,
    Role,
    check_new_name,
    check_role_combination,
    name_key,
    refusal,
)


def full_width(text: str) -> str:
    """ASCII letters and digits as their full-width forms (ｌｉ.ｆｉｎａｎｃｅ)."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


@pytest.mark.parametrize(
    "variant",
    ["li.finance", " Li.Finance", "LI.FINANCE\t", "\u3000li.finance", full_width("li.finance"),
     full_width("LI.Finance") + " "],
)  # fmt: skip
def test_case_space_and_full_width_variants_share_one_key(variant):
    assert name_key(variant) == "li.finance"


names = st.from_regex(r"[a-z][a-z0-9._-]{0,20}", fullmatch=True)


@given(names, st.sampled_from([str.upper, str.title, full_width, lambda s: f"  {s}\u3000"]))
def test_every_variant_of_a_name_has_the_name_s_key(name, variant):
    assert name_key(variant(name)) == name_key(name) == name


@given(st.text(max_size=30))
def test_the_key_is_idempotent_and_nfkc(text):
    key = name_key(text)
    assert name_key(key) == key
    assert unicodedata.normalize("NFKC", key) == key


@pytest.mark.parametrize("bad", ["", "  ", "li finance", "李财务", "-li", "x" * 64, "a;drop"])
def test_names_that_cannot_be_a_login_are_refused(bad):
    with pytest.raises(LedgerError, match="operator name"):
        check_new_name(bad)


@pytest.mark.parametrize("exclusive", [Role.ADMIN, Role.AUDITOR])
def test_admin_and_auditor_are_held_alone(exclusive):
    check_role_combination({exclusive})
    with pytest.raises(LedgerError, match="separation of duties"):
        check_role_combination({exclusive, Role.FINANCE_MAKER})


def test_a_maker_may_also_be_a_checker():
    check_role_combination({Role.FINANCE_MAKER, Role.FINANCE_CHECKER, Role.CIVIL_AFFAIRS})


def test_a_refusal_is_one_line_naming_operator_role_needed_and_roles_held():
    maker = Operator(
        "li.finance", "li.finance", "李", "财政", frozenset({Role.FINANCE_MAKER}), True
    )
    message = refusal("li.finance", Role.FINANCE_CHECKER, maker)
    assert message == "operator 'li.finance' needs role finance_checker, holds finance_maker"
    assert refusal("li.finance", Role.FINANCE_MAKER, maker) is None
    disabled = Operator("x", "x", "X", "财政", frozenset({Role.FINANCE_MAKER}), False)
    assert "disabled" in (refusal("x", Role.FINANCE_MAKER, disabled) or "")
    unknown = refusal("nobody", Role.AUDITOR, None) or ""
    assert "'nobody' is not registered" in unknown and "needs role auditor" in unknown
    for text in (message, unknown):
        assert "\n" not in text


def test_every_role_has_commands_and_admin_has_no_money_command():
    assert set(COMMAND_ROLES.values()) == set(Role)
    admin = {c for c, r in COMMAND_ROLES.items() if r == Role.ADMIN}
    assert all(c.startswith("operators ") for c in admin)


BANDS = ApprovalRules((Band(1_000_000_00, 2), Band(5_000_000_00, 2, other_department=True)))


@pytest.mark.parametrize(
    ("amount_fen", "rule"),
    [
        (1, Rule(1, False)),
        (1_000_000_00, Rule(1, False)),  # exactly ¥1,000,000.00: not above
        (1_000_000_01, Rule(2, False)),  # one fen above
        (5_000_000_00, Rule(2, False)),
        (5_000_000_01, Rule(2, True)),
    ],
)
def test_bands_apply_above_their_amount(amount_fen, rule):
    assert BANDS.rule_for(amount_fen) == rule


def test_the_example_county_has_the_documented_bands():
    assert load_county(example_path()).approval == BANDS


def test_without_bands_one_checker_approves():
    assert ApprovalRules().rule_for(10**15) == Rule(1, False)


def test_bad_bands_are_reported_with_their_key():
    problems: list[str] = []
    parse_rules(
        {"bands": [{"above": "abc", "checkers": 2}, {"above": "10.00", "checkers": 0},
                   {"above": "10.00", "checkers": 1, "other_department": "yes"}],
         "x": 1},
        problems,
    )  # fmt: skip
    joined = "\n".join(problems)
    assert "approval.x: unknown key" in joined
    assert "approval.bands[0].above" in joined
    assert "approval.bands[1].checkers" in joined
    assert "approval.bands[2].other_department" in joined


def test_the_operations_guide_lists_the_command_role_map():
    from pathlib import Path

    text = (Path(__file__).parents[2] / "docs" / "operations.md").read_text("utf-8")
    table = text.split("<!-- roles:start -->")[1].split("<!-- roles:end -->")[0]
    documented = {}
    for line in table.strip().splitlines()[2:]:
        role, commands = (cell.strip() for cell in line.strip("|").split("|"))
        for command in commands.split(","):
            documented[command.strip().strip("`")] = Role(role.strip("`"))
    assert documented == COMMAND_ROLES
