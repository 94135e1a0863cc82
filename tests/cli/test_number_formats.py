"""Amounts for people carry thousands separators; CSV and JSON carry plain decimals."""

import json

from ledger.cli_support import _cell
from tests.cli.test_batch_cli import invoke, ledger  # noqa: F401  (the fixture)


def test_a_table_cell_writes_yuan_for_people_and_leaves_other_values():
    assert _cell("146684.00") == "146,684.00"
    assert _cell("-1300.50") == "-1,300.50"
    assert _cell("600.00") == "600.00"
    assert _cell("2026-11") == "2026-11" and _cell(146684) == "146684"
    assert _cell("R0000001") == "R0000001" and _cell(None) == ""


def test_batch_list_is_for_people_in_a_table_and_plain_in_csv_and_json(ledger):  # noqa: F811
    big = invoke(ledger, "batch", "run", "--period", "2026-10", "--operator", "m")
    assert big.exit_code == 0, big.output
    table = invoke(ledger, "batch", "list").output
    assert "1,299.50" in table
    csv_text = invoke(ledger, "batch", "list", "--format", "csv").output
    assert ",1299.50," in csv_text and "1,299.50" not in csv_text
    (row,) = json.loads(invoke(ledger, "batch", "list", "--format", "json").output)
    assert row["total"] == "1299.50" and row["amount_fen_total"] == 129950
