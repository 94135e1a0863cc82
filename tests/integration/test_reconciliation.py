"""Reconciling bank returns on a real SQLite file and a real PostgreSQL database.

Each test exports a real batch (CSV, fixed-width or pain.001), builds the bank's answer
from it, imports it and checks the ledger to the fen.
"""

from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa

from ledger import payments, reconciliation
from ledger.db.schema import batches, entitlements
from ledger.db.uow import UnitOfWork
from ledger.errors import LedgerError, ValidationError
from ledger.files.returns import CSV_GB18030
from ledger.reconciliation_report import render_report
from tests.support.books import (
    CLEARING,
    COUNTY,
    FUNDS,
    PEOPLE,
    TREASURY,
    Books,
    P,
)
from tests.support.returns import Line, camt, csv_return, fixed_return, pacs004, pain002, write
from tests.support.roster import add_people


@pytest.fixture
def books(engine, tmp_path) -> Books:
    return Books(engine, tmp_path)


def test_a_csv_return_settles_fails_and_leaves_pending_to_the_fen(books: Books) -> None:
    exported = books.export()
    path = csv_return(
        exported.path, books.tmp / "return.csv", {2: ("失败", "户名不符"), 3: ("处理中", "")}
    )
    result = books.import_(path)
    assert (result.format, result.line_count) == ("csv_gb18030", 3)
    assert (result.settled, result.failed, result.pending, result.exceptions) == (1, 1, 1, 0)
    by_line = {books.e2e(n): n for n in (1, 2, 3)}
    statuses = {by_line[e]: s for e, s in books.statuses().items()}
    assert statuses == {1: "settled", 2: "failed", 3: "pending"}
    amounts = {1: 600_00, 2: 450_00, 3: 699_50}  # file order: township, village, key
    amounts = {
        n: int(books.scalar(f"SELECT amount_fen FROM payment_instructions WHERE line_number = {n}"))
        for n in (1, 2, 3)
    }
    # Clearing holds only what is still pending; the failure went back to the treasury.
    assert books.balance(CLEARING) == amounts[3]
    assert books.balance(TREASURY) == FUNDS - sum(amounts.values()) + amounts[2]
    failed_key = books.scalar(
        "SELECT r.key FROM payment_instructions i JOIN recipients r ON r.id = i.recipient_id"
        " WHERE i.line_number = 2"
    )
    assert books.balance(f"Liabilities:Payable:{P}:{failed_key}") == -amounts[2]  # still owed
    assert books.scalar(
        "SELECT reason_code || ' ' || reason_text FROM payment_instructions WHERE line_number = 2"
    ) == ("BE01 户名不符")
    assert books.state(exported.batch_id) == "partially_reconciled"
    assert books.clearing(exported.batch_id) == amounts[3]
    tx = books.scalar("SELECT COUNT(*) FROM transactions WHERE type = 'reconciliation'")
    assert tx == 1
    assert (
        books.scalar(f"SELECT posting_count FROM transactions WHERE id = {result.transaction_id}")
        == 4
    )
    assert (
        books.scalar(
            f"SELECT COUNT(*) FROM postings WHERE transaction_id = {result.transaction_id}"
            " AND instruction_id IS NULL"
        )
        == 0
    )
    assert (
        books.scalar("SELECT operator FROM audit_events WHERE action = 'reconcile.imported'")
        == "reconciler"
    )

    # The rest of the answer: the pending line settles and the batch is reconciled.
    later = csv_return(
        exported.path, books.tmp / "later.csv", {1: ("处理中", ""), 2: ("处理中", "")}
    )
    second = books.import_(later)
    assert (second.settled, second.pending, second.exceptions) == (1, 2, 0)
    assert books.state(exported.batch_id) == "reconciled"
    assert books.clearing(exported.batch_id) == 0
    assert books.balance(CLEARING) == 0
    books.verify()


def test_the_same_file_twice_changes_nothing_and_says_so(books: Books) -> None:
    exported = books.export()
    path = csv_return(exported.path, books.tmp / "return.csv", {2: ("失败", "账户已销户")})
    first = books.import_(path)
    before = books.counts()
    again = books.import_(path)
    assert again.already_imported and again.return_file_id == first.return_file_id
    assert books.counts() == before
    copy = books.tmp / "renamed.csv"
    copy.write_bytes(path.read_bytes())
    assert books.import_(copy).already_imported


def test_a_fixed_width_return_reads_the_export_layout_back(books: Books) -> None:
    names = ["王伟", "田花", "张三"]
    people = [replace(p, bank="RCC", name=n) for p, n in zip(PEOPLE, names, strict=True)]
    exported = books.export(people)
    assert exported.path.suffix == ".txt"
    path = fixed_return(exported.path, books.tmp / "return.txt", {3: ("失败", "账户已冻结")})
    result = books.import_(path)
    assert (result.format, result.settled, result.failed, result.exceptions) == (
        "fixed_gbk", 2, 1, 0,
    )  # fmt: skip
    assert books.scalar("SELECT reason_code FROM payment_instructions WHERE line_number = 3") == (
        "AC06"
    )
    assert books.state(exported.batch_id) == "reconciled"
    assert books.balance("Assets:BankClearing:RCC") == 0


def test_a_csv_return_without_the_header_line_and_end_to_end_id_matches_by_line(
    books: Books,
) -> None:
    exported = books.export()
    path = csv_return(exported.path, books.tmp / "r.csv", {1: ("失败", "无此账户")}, header=False)
    quiet = replace(CSV_GB18030, name="csv_quiet", echoes_end_to_end_id=False)
    result = books.import_(path, profile=quiet, batch_id=exported.batch_id)
    assert (result.settled, result.failed, result.exceptions) == (2, 1, 0)
    assert books.scalar("SELECT reason_code FROM payment_instructions WHERE line_number = 1") == (
        "AC01"
    )


def test_without_end_to_end_id_or_batch_lines_match_by_account_amount_and_name(
    books: Books,
) -> None:
    exported = books.export()
    path = csv_return(exported.path, books.tmp / "r.csv", {})
    quiet = replace(CSV_GB18030, name="csv_quiet", echoes_end_to_end_id=False)
    result = books.import_(path, profile=quiet)
    assert (result.settled, result.exceptions) == (3, 0)


def _pain002(books: Books, exported, lines: list[Line], name: str, **kwargs) -> Path:
    msg_id = f"{COUNTY.code}202611B{exported.batch_id:08d}"
    return write(books.tmp / name, pain002(lines, msg_id=msg_id, **kwargs))


def _line(books: Books, n: int, status: str, reason: str = "", batch_id: int | None = None) -> Line:
    e2e = books.e2e(n, batch_id)
    amount, account = (
        books.scalar(f"SELECT amount_fen FROM payment_instructions WHERE end_to_end_id = '{e2e}'"),
        books.scalar(
            f"SELECT account_number FROM payment_instructions WHERE end_to_end_id = '{e2e}'"
        ),
    )
    return Line(e2e, int(amount), status, reason, account=str(account))


def test_pain002_settles_rejects_and_keeps_unknown_statuses_pending(books: Books) -> None:
    exported = books.export(profile="pain001")
    lines = [_line(books, 1, "ACSC"), _line(books, 2, "RJCT", "AC04"), _line(books, 3, "XYZW")]
    result = books.import_(_pain002(books, exported, lines, "sts.xml"))
    assert (result.format, result.settled, result.failed, result.pending) == ("pain.002", 1, 1, 1)
    statuses = books.statuses()
    assert [statuses[x.e2e] for x in lines] == ["settled", "failed", "pending"]
    assert books.state(exported.batch_id) == "partially_reconciled"


def test_a_pain002_group_rejection_fails_every_unlisted_transaction(books: Books) -> None:
    exported = books.export(profile="pain001")
    listed = [_line(books, 1, "ACSC")]
    result = books.import_(_pain002(books, exported, listed, "rj.xml", group="RJCT", ctrl=False))
    assert (result.settled, result.failed) == (1, 2)
    assert books.state(exported.batch_id) == "reconciled"
    assert books.balance(CLEARING) == 0
    assert books.scalar("SELECT COUNT(*) FROM payment_instructions WHERE reason_code = 'NARR'") == 2


def test_camt054_settles_camt053_corroborates_and_pacs004_reopens_the_payable(
    books: Books,
) -> None:
    exported = books.export(profile="pain001")
    msg_id = f"{COUNTY.code}202611B{exported.batch_id:08d}"
    lines = [_line(books, n, "") for n in (1, 2, 3)]
    total = sum(x.amount_fen for x in lines)
    settled = books.import_(write(books.tmp / "n.xml", camt("054", lines, msg_id=msg_id)))
    assert (settled.format, settled.settled, settled.exceptions) == ("camt.054", 3, 0)
    assert books.state(exported.batch_id) == "reconciled"
    treasury = books.balance(TREASURY)
    assert treasury == FUNDS - total

    statement = books.import_(write(books.tmp / "s.xml", camt("053", lines, msg_id=msg_id)))
    assert (statement.settled, statement.exceptions, statement.transaction_id) == (3, 0, None)

    back = replace(lines[1], reason="MD07")
    key = books.scalar(
        "SELECT r.key FROM payment_instructions i JOIN recipients r ON r.id = i.recipient_id"
        f" WHERE i.end_to_end_id = '{back.e2e}'"
    )
    returned = books.import_(write(books.tmp / "r.xml", pacs004([back], msg_id=msg_id)))
    assert (returned.format, returned.returned, returned.exceptions) == ("pacs.004", 1, 0)
    assert books.statuses()[back.e2e] == "failed"
    assert books.balance(TREASURY) == treasury + back.amount_fen
    assert books.balance(f"Liabilities:Payable:{P}:{key}") == -back.amount_fen  # owed again
    assert books.balance(CLEARING) == 0
    assert books.state(exported.batch_id) == "reconciled"

    # The camt.053 return entry for the same payment corroborates; nothing moves.
    echo = books.import_(write(books.tmp / "s2.xml", camt("053", [], [back], msg_id=msg_id)))
    assert (echo.returned, echo.exceptions, echo.transaction_id) == (1, 0, None)
    # The same return by a second pacs.004 file is a duplicate.
    again = books.import_(
        write(books.tmp / "r2.xml", pacs004([back], msg_id=msg_id).replace("R1", "R2"))
    )
    assert again.exceptions == 1 and again.transaction_id is None
    assert books.exceptions()[-1][0] == "duplicate_confirmation"

    # Re-issue: the payable is paid by a supplementary batch.
    supplementary = books.run_and_export("2026-11", "pain001", reissue=True)
    new = _line(books, 1, "", batch_id=supplementary.batch_id)
    assert new.amount_fen == back.amount_fen
    books.import_(
        write(
            books.tmp / "n2.xml",
            camt("054", [new], msg_id=f"{COUNTY.code}202611B{supplementary.batch_id:08d}"),
        )
    )
    assert books.balance(f"Liabilities:Payable:{P}:{key}") == 0
    assert books.state(supplementary.batch_id) == "reconciled"
    assert books.balance(CLEARING) == 0
    books.verify()


def test_each_anomaly_is_recorded_with_its_line_and_posted_nowhere(books: Books) -> None:
    exported = books.export()
    one, two, three = (_line(books, n, "") for n in (1, 2, 3))
    text = exported.path.read_bytes().decode("gb18030")
    rows = text.rstrip("\r\n").split("\r\n")
    rows[0] = rows[0].replace("总笔数,3", "总笔数,4")  # control total contradicts the lines
    rows[1] += ",状态,失败原因"
    rows[2] = rows[2].replace(one.e2e, "130123202611999999999901") + ",成功,"  # unmatched
    rows[3] = (
        rows[3].replace(f"{two.amount_fen // 100}.", f"{two.amount_fen // 100 + 1}.") + ",成功,"
    )
    rows[4] = rows[4].replace(three.account, "6217999999999999999") + ",成功,"
    path = books.tmp / "bad.csv"
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("gb18030"))
    result = books.import_(path)
    assert (result.settled, result.exceptions, result.transaction_id) == (0, 5, None)
    kinds = [(k, line) for k, line, _ in books.exceptions()]
    assert kinds == [
        ("unmatched", 3),
        ("amount_mismatch", 4),
        ("account_mismatch", 5),
        ("control_total", 1),
        ("control_total", 1),
    ]
    assert set(books.statuses().values()) == {"pending"}
    assert books.state(exported.batch_id) == "exported"
    assert books.balance(CLEARING) == sum(x.amount_fen for x in (one, two, three))


def test_a_second_confirmation_by_the_same_format_is_a_duplicate(books: Books) -> None:
    exported = books.export()
    first = csv_return(exported.path, books.tmp / "a.csv", {})
    books.import_(first)
    second = csv_return(exported.path, books.tmp / "b.csv", {3: ("失败", "户名不符")})
    result = books.import_(second)
    assert (result.settled, result.exceptions, result.transaction_id) == (0, 3, None)
    details = books.exceptions()
    assert [k for k, _, _ in details] == ["duplicate_confirmation"] * 3
    assert "settled a second time" in details[0][2]
    assert "already settled" in details[2][2]
    assert set(books.statuses().values()) == {"settled"}


def test_a_return_for_a_batch_never_exported_is_an_exception(books: Books) -> None:
    with UnitOfWork(books.engine) as uow:
        add_people(uow.connection, PEOPLE)
        uow.commit()
    with UnitOfWork(books.engine) as uow:
        (created,) = payments.run_batches(uow, COUNTY, "2026-11", operator="maker").created
    line = _line(books, 1, "ACSC")
    result = books.import_(write(books.tmp / "s.xml", pain002([line], msg_id="x")))
    assert (result.settled, result.exceptions) == (0, 1)
    assert books.exceptions()[0][0] == "batch_not_exported"
    assert books.statuses()[line.e2e] == "pending"
    assert books.state(created.id) == "draft"


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda t: t.replace(",600.00,", ",6OO.00,"), "is not a number of yuan"),
        (lambda t: t.replace(",状态", ",状况"), "missing columns: 状态"),
        (lambda t: t.replace(",成功,", ",已受理,", 1), "unknown status text '已受理'"),
    ],
)  # fmt: skip
def test_a_malformed_text_return_is_refused_whole_and_changes_nothing(
    books: Books, damage, message: str
) -> None:
    exported = books.export()
    path = csv_return(exported.path, books.tmp / "r.csv", {})
    path.write_bytes(damage(path.read_bytes().decode("gb18030")).encode("gb18030"))
    before = books.counts()
    with pytest.raises(ValidationError, match="refused whole") as caught:
        books.import_(path)
    assert message in str(caught.value) and "r.csv:" in str(caught.value)
    assert books.counts() == before
    assert set(books.statuses().values()) == {"pending"}


def test_bad_encoding_and_truncated_xml_are_refused_whole(books: Books) -> None:
    exported = books.export(profile="pain001")
    before = books.counts()
    text = pain002([_line(books, 1, "ACSC")], msg_id="m")
    truncated = write(books.tmp / "t.xml", text[: text.index("<OrgnlTxRef>")])
    with pytest.raises(ValidationError, match="not well-formed XML"):
        books.import_(truncated)
    bad = books.tmp / "bad.csv"
    bad.write_bytes(
        "总笔数,1,总金额(元),1.00\r\n序号,户名,身份证号,卡号,金额(元),摘要,业务流水号,状态,失败原因\r\n".encode(
            "gb18030"
        )
        + b"1,\xff\xfe,1,2,1.00,x,y,\xb3\xc9\xb9\xa6,\r\n"
    )
    with pytest.raises(ValidationError, match="bad encoding"):
        books.import_(bad)
    assert books.counts() == before
    assert exported.count == 3


def test_cancel_closes_the_payable_against_the_expense(books: Books) -> None:
    exported = books.export()
    path = csv_return(exported.path, books.tmp / "r.csv", {2: ("失败", "户主死亡")})
    books.import_(path)
    failed, settled = books.e2e(2), books.e2e(1)
    with UnitOfWork(books.engine) as uow, pytest.raises(LedgerError, match="only a failed"):
        reconciliation.cancel(uow, settled, operator="clerk", reason="x")
    info = _line(books, 2, "")
    township = books.scalar(
        f"SELECT township FROM payment_instructions WHERE end_to_end_id = '{failed}'"
    )
    expense = f"Expenses:Assistance:{P}:{township}"
    before = books.balance(expense)
    with UnitOfWork(books.engine) as uow:
        done = reconciliation.cancel(uow, failed, operator="clerk", reason="户主已死亡，停发")
    assert done.amount_fen == info.amount_fen
    assert books.statuses()[failed] == "cancelled"
    assert books.balance(expense) == before - info.amount_fen
    assert books.scalar("SELECT COUNT(*) FROM entitlements WHERE status = 'cancelled'") == 1
    assert (
        books.scalar("SELECT operator FROM audit_events WHERE action = 'instruction.cancelled'")
        == "clerk"
    )
    with UnitOfWork(books.engine) as uow:
        summary = reconciliation.status(uow.connection, exported.batch_id)[0]
    assert (summary["cancelled_count"], summary["cancelled_fen"]) == (1, info.amount_fen)
    assert (summary["settled_count"], summary["failed_count"], summary["clearing_fen"]) == (2, 0, 0)
    # Nothing is re-issued for a cancelled payment.
    with UnitOfWork(books.engine) as uow:
        assert not payments.reissue_failed(uow, COUNTY, "2026-11", operator="maker").created
    books.verify()


def test_the_report_lists_failures_masked_anomalies_and_follow_ups(books: Books) -> None:
    exported = books.export()
    path = csv_return(exported.path, books.tmp / "r.csv", {2: ("失败", "账户已销户")})
    result = books.import_(path)
    failed = _line(books, 2, "")
    with books.engine.connect() as c:
        html = render_report(c, result.return_file_id)
        english = render_report(c, result.return_file_id, lang="en")
        unmasked = render_report(c, result.return_file_id, unmask=True)
    assert "银行回盘对账报告" in html and "AC04 账户已销户" in html
    assert failed.account not in html and failed.account[:6] + "*" in html
    assert failed.account in unmasked
    assert "待办" in html and failed.e2e in html
    assert "Bank return reconciliation report" in english and "account closed" in english
    assert "<style>" in html and "http" not in html.split("<body>")[0].replace("http-equiv", "")


def test_entries_sum_to_zero_and_entitlements_stay_single(books: Books) -> None:
    exported = books.export()
    books.import_(csv_return(exported.path, books.tmp / "r.csv", {1: ("失败", "户名不符")}))
    assert books.scalar("SELECT SUM(amount_fen) FROM postings") == 0
    with books.engine.connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(entitlements)).scalar() == 3
        assert c.execute(sa.select(batches.c.state)).scalar() == "reconciled"


def test_a_return_heard_before_the_settlement_nets_to_a_failure(books: Books) -> None:
    exported = books.export(profile="pain001")
    msg_id = f"{COUNTY.code}202611B{exported.batch_id:08d}"
    lines = [_line(books, n, "") for n in (1, 2, 3)]
    back = replace(lines[0], reason="AC04")
    first = books.import_(write(books.tmp / "r.xml", pacs004([back], msg_id=msg_id)))
    assert (first.returned, first.exceptions) == (1, 0)
    assert books.statuses()[back.e2e] == "failed"
    # The notification booking it afterwards agrees with the history: recorded only.
    later = books.import_(write(books.tmp / "n.xml", camt("054", lines, msg_id=msg_id)))
    assert (later.settled, later.exceptions) == (3, 0)
    assert books.statuses()[back.e2e] == "failed"
    assert books.balance(CLEARING) == 0
    assert books.balance(TREASURY) == FUNDS - lines[1].amount_fen - lines[2].amount_fen
    assert books.state(exported.batch_id) == "reconciled"
