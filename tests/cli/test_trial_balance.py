"""``ledger audit trial-balance``: summed by account level by default, --depth, --all."""

import json

from tests.cli.test_batch_cli import invoke, ledger  # noqa: F401  (the fixture)


def _accrued(runner) -> None:
    assert invoke(runner, "batch", "run", "--period", "2026-10", "--operator", "m").exit_code == 0
    approved = invoke(runner, "batch", "approve", "1", "--operator", "checker")
    assert approved.exit_code == 0, approved.output


def test_the_trial_balance_sums_recipients_by_default_and_lists_them_with_all(ledger):  # noqa: F811
    _accrued(ledger)
    summed = json.loads(invoke(ledger, "audit", "trial-balance", "--format", "json").output)
    every = json.loads(invoke(ledger, "audit", "trial-balance", "--all", "--format", "json").output)
    names = [row["account"] for row in summed["accounts"]]
    assert "Liabilities:Payable:dibao_rural" in names
    assert not any(n.count(":") > 2 for n in names)
    payable = next(
        r for r in summed["accounts"] if r["account"] == "Liabilities:Payable:dibao_rural"
    )
    assert payable["accounts"] == 2 and payable["balance_fen"] == -(600_00 + 699_50)
    assert payable["balance"] == "-1299.50"  # machine-readable: no separators
    assert summed["depth"] == 3 and every["depth"] is None
    assert len(every["accounts"]) > len(summed["accounts"])
    assert sum(r["balance_fen"] for r in every["accounts"]) == 0
    assert sum(r["balance_fen"] for r in summed["accounts"]) == 0
    assert summed["debit_total_fen"] == every["debit_total_fen"] and summed["balanced"]
    two = json.loads(
        invoke(ledger, "audit", "trial-balance", "--depth", "2", "--format", "json").output
    )
    assert {r["account"] for r in two["accounts"]} >= {"Liabilities:Payable", "Assets:Treasury"}


def test_the_trial_balance_table_writes_amounts_for_people(ledger):  # noqa: F811
    _accrued(ledger)
    table = invoke(ledger, "audit", "trial-balance").output
    assert "-1,299.50" in table and "5,000.00" in table
    assert "summed to" in table and "--all lists each" in table
    csv_text = invoke(ledger, "audit", "trial-balance", "--format", "csv").output
    assert "-1299.50" in csv_text and "1,299.50" not in csv_text
