"""The round trip through the ledger: our pain.001 to mock-bank, its answers imported.

The batch is exported as pain.001 by ``ledger.payments.export`` (what `ledger batch
export --profile pain001` runs) and every answer is imported with `ledger reconcile
import`. The paying bank's clearing id is mock-bank's own, 999999992, so the bank can
find the creditor accounts it holds (one closed: AC04); that id is not a 12-digit CNAPS
code, which the county file check rightly refuses, so this test's county is the example
county with that one bank changed in code (docs/mock-bank.md).
"""

import json
import os
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from ledger import payments
from ledger.cli import cli
from ledger.county import Bank, example_path, load_county
from ledger.db.balances import account_balance
from ledger.db.uow import UnitOfWork
from tests.helpers import post_lines
from tests.support.mock_bank import MockBank, mock_bank  # noqa: F401
from tests.support.roster import Person, add_people

P = "dibao_rural"
DEBTOR = "1100000000000001"  # the program's special account (专户): at most 17 digits
CLOSED = "62220000000000002"  # a creditor the bank holds, closed: AC04
FUNDS = 10_000_00
_EXAMPLE = load_county(example_path())
COUNTY = replace(
    _EXAMPLE,
    banks={**_EXAMPLE.banks, "MOCK": Bank("MOCK", "mock-bank", "999999992", "pain001")},
    programs={
        **_EXAMPLE.programs,
        P: replace(_EXAMPLE.programs[P], special_account=DEBTOR, special_account_bank="MOCK"),
    },
)
PEOPLE = [
    Person("R0000001", "张三", "130123198001011234", "T01", "V0101", bank="MOCK",
           amount_fen=650_00, account_number="6222020200000000001"),
    Person("R0000002", "李四", "13012319750505432X", "T01", "V0102", bank="MOCK",
           amount_fen=650_00, account_number=CLOSED),
    Person("R0000003", "王五", "130123196001011111", "T02", "V0201", bank="MOCK",
           amount_fen=500_50, account_number="6222020200000000003"),
    Person("R0000004", "赵六", "130123196202022222", "T02", "V0202", bank="MOCK",
           amount_fen=501_00, account_number="6222020200000000004"),
]  # fmt: skip


def _import(runner: CliRunner, path: Path) -> str:
    result = runner.invoke(
        cli, ["reconcile", "import", str(path), "--operator", "reconciler"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output + result.stderr
    return result.output


def _save(tmp_path: Path, messages: list[dict[str, object]]) -> list[Path]:
    paths = []
    for message in sorted(messages, key=lambda m: int(str(m["id"]))):
        path = tmp_path / f"{message['id']}-{message['type']}.xml"
        path.write_text(str(message["body"]), encoding="utf-8")
        paths.append(path)
    return paths


def test_a_batch_paid_through_mock_bank_reconciles_to_the_fen(
    engine,
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    mock_bank: MockBank,  # noqa: F811 (the fixture imported above)
) -> None:
    with UnitOfWork(engine) as uow:
        add_people(uow.connection, PEOPLE)
        post_lines(
            uow.connection,
            [(f"Assets:Treasury:{P}", FUNDS), (f"Income:Appropriation:central:{P}", -FUNDS)],
        )
        uow.commit()
    with UnitOfWork(engine) as uow:
        (batch,) = payments.run_batches(uow, COUNTY, "2026-11", operator="maker").created
    with UnitOfWork(engine) as uow:
        payments.approve(uow, batch.id, operator="checker")
    with UnitOfWork(engine) as uow:
        exported = payments.export(
            uow,
            COUNTY,
            batch.id,
            tmp_path / "out",
            operator="cashier",
            profile_name="pain001",
            now=datetime(2026, 11, 2, 1, 0, tzinfo=UTC),  # the bank's clock: pay day the 10th
        )
    with engine.connect() as c:
        e2e = dict(
            c.execute(
                sa.text(
                    "SELECT r.key, i.end_to_end_id FROM payment_instructions i"
                    " JOIN recipients r ON r.id = i.recipient_id"
                )
            ).all()
        )
    mock_bank.open_account(
        "DIBAO",
        DEBTOR,
        "示范县财政局社会保障资金专户",
        balance=100_000_000,
        behaviour="return-later",
        parameters={"days": 2, "reason": "MD07", "end_to_end_id": e2e["R0000004"]},
    )
    mock_bank.open_account("LISI", CLOSED, "李四", closed=True)
    answer = mock_bank.send_payments(exported.path.read_bytes())
    assert (answer["status"], answer["accepted"], answer["rejected"]) == ("PART", 3, 1)

    monkeypatch.setenv("LEDGER_DATABASE_URL", db_url)
    monkeypatch.setenv("LEDGER_COUNTY", str(example_path()))
    runner = CliRunner()

    def statuses() -> dict[str, tuple[str, str | None]]:
        with engine.connect() as c:
            rows = c.execute(
                sa.text(
                    "SELECT r.key, i.status, i.reason_code FROM payment_instructions i"
                    " JOIN recipients r ON r.id = i.recipient_id"
                )
            ).all()
        return {k: (s, code) for k, s, code in rows}

    def balance(account: str) -> int:
        with engine.connect() as c:
            return account_balance(c, account)

    (status_report,) = _save(tmp_path, mock_bank.collect("pain.002"))
    assert "1 failed, 0 returned, 3 pending, 0 exceptions" in _import(runner, status_report)
    assert statuses() == {
        "R0000001": ("pending", None),
        "R0000002": ("failed", "AC04"),
        "R0000003": ("pending", None),
        "R0000004": ("pending", None),
    }
    assert balance("Assets:BankClearing:MOCK") == 650_00 + 500_50 + 501_00

    mock_bank.advance("2026-11-14")  # settles on the pay day (10th), returns two days later
    outputs = [_import(runner, p) for p in _save(tmp_path, mock_bank.collect("camt.054"))]
    assert all("0 exceptions" in o for o in outputs), outputs
    assert statuses() == {
        "R0000001": ("settled", None),
        "R0000002": ("failed", "AC04"),
        "R0000003": ("settled", None),
        "R0000004": ("failed", "MD07"),
    }
    # The pacs.004 and the statements tell the same story: recorded, nothing posted.
    for path in [
        *_save(tmp_path, mock_bank.collect("pacs.004")),
        *_save(tmp_path, mock_bank.collect("camt.053")),
    ]:
        if b"<Ntry>" not in path.read_bytes() and b"<TxInf>" not in path.read_bytes():
            # A day without movements: a statement with no entries is refused, not
            # recorded as an import that matched nothing.
            quiet = runner.invoke(cli, ["reconcile", "import", str(path), "--operator", "r"])
            assert quiet.exit_code == 1 and "has no entries (Ntry)" in quiet.stderr
            continue
        output = _import(runner, path)
        assert "0 exceptions; nothing posted" in output, output

    # To the fen: paid 650.00 + 500.50; 650.00 rejected and 501.00 returned are back
    # in the treasury and still owed; nothing is left in clearing.
    assert balance(f"Assets:Treasury:{P}") == FUNDS - 650_00 - 500_50
    assert balance("Assets:BankClearing:MOCK") == 0
    assert balance(f"Liabilities:Payable:{P}:R0000001") == 0
    assert balance(f"Liabilities:Payable:{P}:R0000003") == 0
    assert balance(f"Liabilities:Payable:{P}:R0000002") == -650_00
    assert balance(f"Liabilities:Payable:{P}:R0000004") == -501_00
    status = runner.invoke(cli, ["reconcile", "status", "--format", "json"])
    (row,) = json.loads(status.output)
    assert (row["state"], row["clearing_fen"], row["settled_fen"], row["failed_fen"]) == (
        "reconciled",
        0,
        650_00 + 500_50,
        650_00 + 501_00,
    )
    assert runner.invoke(cli, ["audit", "verify"]).exit_code == 0
    assert os.environ["LEDGER_DATABASE_URL"] == db_url
