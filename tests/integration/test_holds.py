"""Screening at batch run: each hold reason, on both databases; held payments are not
accrued, not in the bank file, and a checker may release them while the batch is a draft."""

import json
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from ledger import holds, payments, reconciliation
from ledger.cli import cli
from ledger.county import example_path
from ledger.db.balances import account_balance
from ledger.db.batch_list import list_batches
from ledger.db.uow import UnitOfWork
from ledger.errors import LedgerError
from tests.support.findings import COUNTY, enrol, fund, person, pid, refdata

P = "dibao_rural"


def run(engine, period="2026-11"):
    with UnitOfWork(engine) as uow:
        return payments.run_batches(
            uow, COUNTY, period, operator="maker", now=datetime(2026, 11, 2, tzinfo=UTC)
        )


def held(engine) -> dict[str, set[str]]:
    """recipient key -> hold reasons, for the held instructions."""
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT r.key, h.reason, i.status FROM instruction_holds h"
                " JOIN payment_instructions i ON i.id = h.instruction_id"
                " JOIN recipients r ON r.id = i.recipient_id"
            )
        ).all()
    assert all(status == "held" for _, _, status in rows)
    out: dict[str, set[str]] = {}
    for key, reason, _ in rows:
        out.setdefault(key, set()).add(reason)
    return out


def evidence(engine, reason: str) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                sa.text(
                    "SELECT list_name, evidence_ref, evidence_date, source, detail"
                    " FROM instruction_holds WHERE reason = :r ORDER BY id"
                ),
                {"r": reason},
            )
        ]


def test_a_person_reported_dead_before_the_period_is_held_but_not_one_dead_during_it(engine):
    enrol(engine, [person(1), person(2)])
    refdata(
        engine,
        "deaths",
        [
            {
                "id_number": pid(1),
                "name": "人1",
                "death_date": date(2026, 10, 15),
                "source": "公安",
            },
            {"id_number": pid(2), "name": "人2", "death_date": date(2026, 11, 3), "source": "卫健"},
        ],
    )
    run(engine)
    assert held(engine) == {"R0000001": {"deceased"}}
    ((list_name, ref, day, source, detail),) = evidence(engine, "deceased")
    assert (list_name, source, detail) == ("ref_deaths", "公安", "人1")
    assert str(day)[:10] == "2026-10-15" and ref.endswith("row 2")
    # `batch list` says how many of the batch's two payments are held.
    with engine.connect() as connection:
        ((count, held_count),) = [
            (int(b.instruction_count), int(b.held)) for b in list_batches(connection)
        ]
    assert (count, held_count) == (2, 1)


def test_a_public_employee_on_the_latest_staff_list_is_held(engine):
    enrol(engine, [person(1), person(2)])
    row = {"name": "人1", "employer": "财政局", "account_numbers": []}
    refdata(engine, "staff", [{"id_number": pid(2), **row}])  # an older list...
    refdata(engine, "staff", [{"id_number": pid(1), **row}])  # ...replaced by this one
    run(engine)
    assert held(engine) == {"R0000001": {"public_employee"}}
    assert evidence(engine, "public_employee")[0][3] == "财政局"


def test_a_cadre_relative_not_filed_is_held_a_filed_one_is_not(engine):
    enrol(engine, [person(1), person(2)])
    base = {"cadre_id_number": pid(900), "cadre_name": "张科长", "employer": "民政局"}
    refdata(
        engine,
        "cadres",
        [
            {**base, "position": "科长", "relative_id_number": pid(1), "relative_name": "人1",
             "relation": "父亲", "filed": False},
            {**base, "position": "科长", "relative_id_number": pid(2), "relative_name": "人2",
             "relation": "母亲", "filed": True},
        ],
    )  # fmt: skip
    run(engine)
    assert held(engine) == {"R0000001": {"cadre_relative"}}
    assert evidence(engine, "cadre_relative")[0][4] == "张科长 科长 父亲"


def test_payments_by_programs_that_exclude_each_other_are_both_held(engine):
    enrol(engine, [person(1), person(1, program="tekun", amount_fen=900_00), person(2)])
    run(engine)
    assert held(engine) == {"R0000001": {"exclusive_program"}}
    assert {row[4] for row in evidence(engine, "exclusive_program")} == {"tekun", P}


def test_the_same_id_paid_in_two_townships_is_held(engine):
    enrol(
        engine,
        [person(1), person(1, program="orphan", township="T02", village="V0201"), person(2)],
    )
    run(engine)
    assert held(engine) == {"R0000001": {"duplicate_id"}}


def test_an_account_shared_by_two_households_is_held(engine):
    account = "6217000000000099999"
    enrol(engine, [person(1, account_number=account), person(2, account_number=account), person(3)])
    run(engine)
    assert held(engine) == {"R0000001": {"shared_account"}, "R0000002": {"shared_account"}}


def test_a_name_the_banks_gbk_file_cannot_hold_is_held_at_run_not_at_export(engine):
    enrol(
        engine,
        [
            person(1, name="𠮷田", bank="RCC"),  # fixed_gbk
            person(2, name="𠮷川"),  # ICBC: csv_gb18030 holds it
            person(3, name="王五", bank="RCC"),
        ],
    )
    run(engine)
    assert held(engine) == {"R0000001": {"name_unencodable"}}
    assert evidence(engine, "name_unencodable")[0][3:] == ("GBK", "𠮷")


def test_an_amount_above_the_programs_standard_is_held(engine):
    enrol(engine, [person(1, amount_fen=700_01), person(2, amount_fen=700_00)])
    run(engine)
    assert held(engine) == {"R0000001": {"above_standard"}}
    assert evidence(engine, "above_standard")[0][1:2] == ("70000",)


def _one_dead_of_three(engine):
    enrol(engine, [person(1), person(2, amount_fen=450_25), person(3, amount_fen=333_33)])
    fund(engine, {P})
    refdata(
        engine,
        "deaths",
        [{"id_number": pid(2), "name": "人2", "death_date": date(2026, 9, 1), "source": "殡葬"}],
    )
    return run(engine).created[0]


def _instruction(engine, key: str) -> tuple[int, str]:
    with engine.connect() as connection:
        row = connection.execute(
            sa.text(
                "SELECT i.id, i.status FROM payment_instructions i"
                " JOIN recipients r ON r.id = i.recipient_id WHERE r.key = :k"
            ),
            {"k": key},
        ).one()
    return int(row[0]), str(row[1])


def test_a_held_payment_is_neither_accrued_nor_exported_nor_funded(engine, tmp_path):
    batch = _one_dead_of_three(engine)
    assert (batch.count, batch.amount_fen_total) == (3, 600_00 + 450_25 + 333_33)
    with UnitOfWork(engine) as uow:
        payments.approve(uow, batch.id, operator="checker", today=date(2026, 11, 3))
    with engine.connect() as connection:
        assert account_balance(connection, f"Liabilities:Payable:{P}:R0000002") == 0
        assert account_balance(connection, f"Liabilities:Payable:{P}:R0000001") == -600_00
        assert account_balance(connection, f"Expenses:Assistance:{P}:T01") == 933_33
    with UnitOfWork(engine) as uow:
        exported = payments.export(
            uow, COUNTY, batch.id, tmp_path, operator="cashier", today=date(2026, 11, 4)
        )
    assert (exported.count, exported.amount_fen_total) == (2, 933_33)
    text = exported.path.read_bytes().decode("gb18030")
    assert pid(2) not in text and "人2" not in text
    assert text.splitlines()[0] == "总笔数,2,总金额(元),933.33"
    manifest = json.loads(exported.manifest_path.read_text("utf-8"))
    assert (manifest["count"], manifest["amount_fen_total"], manifest["held_count"]) == (
        2,
        933_33,
        1,
    )
    with engine.connect() as connection:
        assert account_balance(connection, "Assets:BankClearing:ICBC") == 933_33
        (status,) = reconciliation.status(connection, batch.id)
    assert _instruction(engine, "R0000002")[1] == "held"
    # `reconcile status` says which of the batch's three are held (in no file).
    assert (status["instruction_count"], status["held_count"], status["held_fen"]) == (
        3,
        1,
        450_25,
    )


def test_a_checker_releases_a_hold_with_a_reason_and_it_is_then_paid(engine, tmp_path):
    batch = _one_dead_of_three(engine)
    instruction, _ = _instruction(engine, "R0000002")
    with UnitOfWork(engine) as uow, pytest.raises(LedgerError, match="different operator"):
        holds.release(uow, batch.id, [instruction], operator="maker", reason="复核")
    with UnitOfWork(engine) as uow, pytest.raises(LedgerError, match="--reason"):
        holds.release(uow, batch.id, [instruction], operator="checker", reason=" ")
    other, _ = _instruction(engine, "R0000001")
    with UnitOfWork(engine) as uow, pytest.raises(LedgerError, match="is pending, not held"):
        holds.release(uow, batch.id, [instruction, other], operator="checker", reason="x")
    assert _instruction(engine, "R0000002")[1] == "held"
    with UnitOfWork(engine) as uow:
        released = holds.release(
            uow, batch.id, [instruction], operator="checker", reason="户籍系统误报，本人已到场核实"
        )
    assert released.amount_fen_total == 450_25
    assert _instruction(engine, "R0000002")[1] == "pending"
    with engine.connect() as connection:
        row = connection.execute(
            sa.text("SELECT reason, released_by FROM hold_releases WHERE instruction_id = :i"),
            {"i": instruction},
        ).one()
        event = connection.execute(
            sa.text("SELECT detail FROM audit_events WHERE action = 'batch.hold_released'")
        ).scalar_one()
    assert tuple(row) == ("户籍系统误报，本人已到场核实", "checker")
    assert f"{instruction}:deceased" in str(event)
    with UnitOfWork(engine) as uow:
        payments.approve(uow, batch.id, operator="checker", today=date(2026, 11, 3))
    with engine.connect() as connection:
        assert account_balance(connection, f"Liabilities:Payable:{P}:R0000002") == -450_25
    with UnitOfWork(engine) as uow:
        exported = payments.export(
            uow, COUNTY, batch.id, tmp_path, operator="cashier", today=date(2026, 11, 4)
        )
    assert (exported.count, exported.amount_fen_total) == (3, 1383_58)


def test_a_hold_cannot_be_released_once_the_batch_is_approved(engine):
    batch = _one_dead_of_three(engine)
    instruction, _ = _instruction(engine, "R0000002")
    with UnitOfWork(engine) as uow:
        payments.approve(uow, batch.id, operator="checker", today=date(2026, 11, 3))
    with UnitOfWork(engine) as uow, pytest.raises(LedgerError, match="batch reissue"):
        holds.release(uow, batch.id, [instruction], operator="checker", reason="x")


def test_a_batch_whose_every_payment_is_held_approves_without_accrual_and_exports_nothing(
    engine, tmp_path
):
    enrol(engine, [person(1, amount_fen=800_00)])
    fund(engine, {P})
    batch = run(engine).created[0]
    with UnitOfWork(engine) as uow:
        assert payments.approve(uow, batch.id, operator="checker") is None
    with UnitOfWork(engine) as uow, pytest.raises(LedgerError, match="every payment is held"):
        payments.export(uow, COUNTY, batch.id, tmp_path, operator="cashier")


def _statuses(engine, key: str) -> list[tuple[int, str, int | None, str]]:
    """(instruction id, status, reissue_of, batch kind) of one recipient, in id order."""
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT i.id, i.status, i.reissue_of, b.kind FROM payment_instructions i"
                " JOIN recipients r ON r.id = i.recipient_id JOIN batches b ON b.id = i.batch_id"
                " WHERE r.key = :k ORDER BY i.id"
            ),
            {"k": key},
        ).all()
    return [(int(a), str(b), None if c is None else int(c), str(d)) for a, b, c, d in rows]


def _reissue(engine, *, with_held: bool = True):
    with UnitOfWork(engine) as uow:
        return payments.reissue_failed(
            uow,
            COUNTY,
            "2026-11",
            operator="maker",
            with_held=with_held,
            now=datetime(2026, 11, 20, tzinfo=UTC),
        )


def test_a_held_payment_is_held_again_until_its_cause_is_cleared_then_paid_once(engine, tmp_path):
    enrol(engine, [person(1), person(2, amount_fen=450_25)])
    fund(engine, {P})
    staff = {"name": "人2", "employer": "财政局", "account_numbers": []}
    refdata(engine, "staff", [{"id_number": pid(2), **staff}])
    regular = run(engine).created[0]
    assert (regular.held_count, regular.held_fen) == (1, 450_25)
    with UnitOfWork(engine) as uow:
        payments.approve(uow, regular.id, operator="checker", today=date(2026, 11, 3))
    with UnitOfWork(engine) as uow:
        payments.export(uow, COUNTY, regular.id, tmp_path, operator="cashier")
    assert _reissue(engine, with_held=False).created == []  # held ones only when asked

    # Still on the staff list: the supplementary batch holds it again (re-hold).
    again = _reissue(engine).created[0]
    assert (again.count, again.held_count) == (1, 1)
    with UnitOfWork(engine) as uow:
        assert payments.approve(uow, again.id, operator="checker") is None  # nothing accrued
    with UnitOfWork(engine) as uow:
        payments.void(uow, again.id, operator="checker", reason="复核中")
    assert _reissue(engine, with_held=False).created == []

    # The next staff list no longer has the person: paid in a supplementary batch, once.
    refdata(engine, "staff", [{"id_number": pid(900), **staff}])
    paid = _reissue(engine).created[0]
    assert (paid.count, paid.amount_fen_total, paid.held_count) == (1, 450_25, 0)
    assert _reissue(engine).created == []  # its successor is live: not taken twice
    with UnitOfWork(engine) as uow:
        accrual = payments.approve(uow, paid.id, operator="checker", today=date(2026, 11, 21))
    assert accrual is not None
    with engine.connect() as connection:
        assert account_balance(connection, f"Liabilities:Payable:{P}:R0000002") == -450_25
        assert account_balance(connection, f"Liabilities:Payable:{P}:R0000001") == -600_00
        assert account_balance(connection, f"Expenses:Assistance:{P}:T01") == 1050_25
    with UnitOfWork(engine) as uow:
        exported = payments.export(uow, COUNTY, paid.id, tmp_path, operator="cashier")
    assert (exported.count, exported.amount_fen_total) == (1, 450_25)
    assert pid(2) in exported.path.read_bytes().decode("gb18030")
    first, rehold, last = _statuses(engine, "R0000002")
    assert (first[1], rehold[1], last[1]) == ("held", "voided", "pending")
    assert rehold[2] == last[2] == first[0] and (first[3], last[3]) == ("regular", "supplementary")


def test_a_failure_on_a_closed_account_is_re_issued_only_to_a_changed_account(engine, tmp_path):
    from ledger import reconciliation
    from tests.support.returns import csv_return

    enrol(engine, [person(1), person(2)])
    fund(engine, {P})
    batch_id = run(engine).created[0].id
    with UnitOfWork(engine) as uow:
        payments.approve(uow, batch_id, operator="checker", today=date(2026, 11, 3))
    with UnitOfWork(engine) as uow:
        exported = payments.export(uow, COUNTY, batch_id, tmp_path, operator="cashier")
    answer = csv_return(exported.path, tmp_path / "return.csv", {1: ("失败", "账户已销户")})
    with UnitOfWork(engine) as uow:
        reconciliation.import_return(uow, answer, operator="clerk", today=date(2026, 11, 6))
    result = _reissue(engine, with_held=False)
    assert result.created == [] and [b[1:] for b in result.blocked] == [
        ("R0000001", "ICBC", "AC04")
    ]
    # The command says which: closed (AC04), not "closed or frozen".
    said = CliRunner().invoke(
        cli,
        ["--db", engine.url.render_as_string(hide_password=False), "batch", "reissue",
         "--period", "2026-11", "--operator", "maker", "--county", str(example_path()),
         "--sheet-dir", str(tmp_path)],
    )  # fmt: skip
    assert "answered AC04 (account closed) and the account is unchanged" in said.stderr
    enrol(engine, [person(1, account_number="6217000000099999999")])  # the new card
    result = _reissue(engine, with_held=False)
    assert result.blocked == [] and result.created[0].count == 1
    assert [s[1] for s in _statuses(engine, "R0000001")] == ["reissued", "pending"]


def test_the_approval_sheet_lists_held_payments_first_with_their_evidence(engine):
    from ledger.sheets import render_sheet

    batch = _one_dead_of_three(engine)
    with engine.connect() as connection:
        zh = render_sheet(connection, COUNTY, batch.id, stage="draft")
        en = render_sheet(connection, COUNTY, batch.id, stage="draft", lang="en")
    held_at = zh.index("暂停发放（发放前筛查拦截）")
    assert held_at < zh.index("<h2>汇总</h2>")
    assert "死亡人员 (1)" in zh and "死亡名单（导入批次" in zh and "人2" in zh
    assert pid(2) not in zh and pid(2)[:6] + "********" + pid(2)[-4:] in zh
    assert "其中：暂停发放" in zh and "933.33" in zh  # paid: the two others
    assert "Held before payment" in en and "death registry (import" in en


def test_the_exception_report_counts_what_was_held_and_lists_every_release(engine, tmp_path):
    from ledger.findings.report import render_html

    batch = _one_dead_of_three(engine)
    instruction, _ = _instruction(engine, "R0000002")
    with engine.connect() as connection:
        before = render_html(connection, COUNTY, "2026-11", today=date(2026, 11, 20))
    assert "发放前筛查拦截" in before and "解除暂停并发放" not in before
    with UnitOfWork(engine) as uow:
        holds.release(uow, batch.id, [instruction], operator="checker", reason="本人到场核实")
    with engine.connect() as connection:
        zh = render_html(connection, COUNTY, "2026-11", today=date(2026, 11, 20))
        en = render_html(connection, COUNTY, "2026-11", lang="en", today=date(2026, 11, 20))
    section = zh[zh.index("发放前筛查拦截") : zh.index("二、图表")]
    assert '<td>死亡人员</td><td class="n">0</td><td class="n">0.00</td>' in section
    assert '<td class="n">1</td><td class="n">450.25</td>' in section
    assert "R0000002" in section and "checker" in section and "本人到场核实" in section
    assert "released by a checker with a written reason" in en


def test_the_database_refuses_to_pay_a_held_payment_without_a_recorded_release(engine):
    batch = _one_dead_of_three(engine)
    instruction, _ = _instruction(engine, "R0000002")
    refused = pytest.raises(sa.exc.DBAPIError, match="only after a recorded release")
    with refused, engine.begin() as connection:  # an insider with database access
        connection.execute(
            sa.text("UPDATE payment_instructions SET status = 'pending' WHERE id = :i"),
            {"i": instruction},
        )
    assert _instruction(engine, "R0000002")[1] == "held"
    with UnitOfWork(engine) as uow:  # the recorded release passes
        holds.release(uow, batch.id, [instruction], operator="checker", reason="本人到场核实")
    assert _instruction(engine, "R0000002")[1] == "pending"
