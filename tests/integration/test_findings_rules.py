"""Every exception rule on a dataset where it must fire (with the exact amount at risk)
and a near miss where it must not. Real databases: SQLite and PostgreSQL."""

from datetime import UTC, date, datetime

import sqlalchemy as sa

from ledger import payments
from ledger.db.uow import UnitOfWork
from ledger.findings import RULES
from tests.helpers import post_lines
from tests.support.findings import (
    COUNTY,
    detect,
    enrol,
    fund,
    instructions,
    pay_period,
    person,
    pid,
    refdata,
    set_status,
)
from tests.support.guards import triggers_off

R1, R2, R3, R4 = "R0000001", "R0000002", "R0000003", "R0000004"


def test_the_catalogue_has_every_rule_of_design_section_6_documented():
    ids = [r.id for r in RULES]
    assert ids == [
        *(f"W0{i}" for i in range(1, 8)),
        *(f"D0{i}" for i in range(1, 7)),
        *(f"M{i:02d}" for i in range(1, 18)),
        "F01",
    ]
    for rule in RULES:
        assert rule.title_zh and rule.title_en and rule.checks and rule.data
        assert rule.category in ("withheld", "diverted", "misappropriated", "fluctuation")
        for threshold in rule.thresholds:
            assert threshold in COUNTY.thresholds or threshold.startswith(
                ("programs.", "funds.", "screening.", "oneoff.")
            )


def _two(engine, **second):
    enrol(engine, [person(1, amount_fen=600_00), person(2, amount_fen=450_00, **second)])
    fund(engine, {"dibao_rural"})


def test_w01_unpaid_fires_only_after_the_threshold(engine, tmp_path):
    _two(engine)
    pay_period(engine, tmp_path, "2026-10", export=False)
    assert detect(engine, "W01", "2026-10", as_of=date(2026, 11, 30)) == {}
    assert detect(engine, "W01", "2026-10", as_of=date(2026, 12, 1)) == {R1: 600_00, R2: 450_00}


def test_w02_clearing_counts_only_unconfirmed_payments_after_the_threshold(engine, tmp_path):
    _two(engine)
    ids = pay_period(engine, tmp_path)
    set_status(engine, ids[R2], "settled")
    assert detect(engine, "W02", as_of=date(2026, 11, 11)) == {}  # 7 days after export
    assert detect(engine, "W02", as_of=date(2026, 11, 12)) == {"1": 600_00}


def test_w03_failed_payment_not_followed_up(engine, tmp_path):
    _two(engine)
    ids = pay_period(engine, tmp_path)
    failed_at = datetime(2026, 11, 5, 9, tzinfo=UTC)
    set_status(engine, ids[R1], "failed", failed_at=failed_at, reason_code="AC04")
    set_status(engine, ids[R2], "reissued", failed_at=failed_at, reason_code="AC04")
    assert detect(engine, "W03", as_of=date(2026, 12, 5)) == {}
    assert detect(engine, "W03", as_of=date(2026, 12, 6)) == {R1: 600_00}


def test_w04_idle_funds_are_what_old_allocations_left_unspent(engine, tmp_path):
    _two(engine)
    pay_period(engine, tmp_path)  # funds 1 050.00 out of 1 000 000.00 allocated 2026-10-20
    assert detect(engine, "W04", as_of=date(2027, 1, 18)) == {}  # exactly 90 days
    assert detect(engine, "W04", as_of=date(2027, 1, 19)) == {
        "Assets:Treasury:dibao_rural": 1_000_000_00 - 1050_00
    }


def _return_file(connection, name="return-1.csv") -> int:
    return int(
        connection.execute(
            sa.text(
                "INSERT INTO return_files (file_name, file_sha256, format, line_count,"
                " settled_count, failed_count, pending_count, exception_count, imported_by,"
                " imported_at) VALUES (:n, :s, 'csv_gb18030', 2, 1, 0, 0, 1, 'clerk', :t)"
                " RETURNING id"
            ).bindparams(sa.bindparam("t", type_=sa.DateTime(timezone=True))),
            {"n": name, "s": name.ljust(64, "f")[:64], "t": datetime(2026, 11, 15, tzinfo=UTC)},
        ).scalar_one()
    )


def test_w05_paid_less_than_entitled(engine, tmp_path):
    _two(engine)
    ids = pay_period(engine, tmp_path)
    set_status(engine, ids[R1] + ids[R2], "settled")
    with engine.begin() as connection:
        file_id = _return_file(connection)
        for key, amount in ((R1, 550_00), (R2, 450_00)):
            connection.execute(
                sa.text(
                    "INSERT INTO instruction_outcomes (instruction_id, return_file_id, line,"
                    " outcome, amount_fen, recorded_at) VALUES (:i, :f, :l, 'settled', :a, :t)"
                ).bindparams(sa.bindparam("t", type_=sa.DateTime(timezone=True))),
                {"i": ids[key][0], "f": file_id, "l": 2, "a": amount, "t": datetime.now(UTC)},
            )
    assert detect(engine, "W05") == {R1: 50_00}


def test_d01_account_holder_is_not_the_recipient_or_bank_says_be01(engine, tmp_path):
    enrol(
        engine,
        [
            person(1, account_holder="李代领"),
            person(2),
            person(3),
        ],
    )
    fund(engine, {"dibao_rural"})
    ids = pay_period(engine, tmp_path)
    set_status(engine, ids[R3], "failed", reason_code="BE01")
    assert detect(engine, "D01") == {R1: 600_00, R3: 600_00}


def test_d02_one_account_for_unrelated_recipients_but_not_one_household(engine, tmp_path):
    shared, family = "6217000000099990001", "6217000000099990002"
    enrol(
        engine,
        [
            person(1, account_number=shared, amount_fen=500_00),
            person(2, account_number=shared, account_holder="人1", amount_fen=300_00),
            person(3, account_number=family, amount_fen=400_00),
            person(4, account_number=family, account_holder="人3", amount_fen=200_00),
        ],
    )
    with engine.begin() as connection, triggers_off(connection, "enrolments"):
        connection.execute(
            sa.text(
                "UPDATE enrolments SET household_id = 'HF' WHERE recipient_id IN"
                " (SELECT id FROM recipients WHERE key IN ('R0000003', 'R0000004'))"
            )
        )
    fund(engine, {"dibao_rural"})
    pay_period(engine, tmp_path)
    assert detect(engine, "D02") == {shared: 300_00}


def test_d03_payee_account_of_a_public_employee(engine, tmp_path):
    _two(engine)
    pay_period(engine, tmp_path)
    staff = pid(901, "19800101")
    refdata(
        engine,
        "staff",
        [
            {
                "id_number": staff,
                "name": "干部甲",
                "employer": "民政局",
                "account_numbers": ["621700000000000002"],
            }
        ],
    )  # an older list naming R2's account...
    refdata(
        engine,
        "staff",
        [
            {
                "id_number": staff,
                "name": "干部甲",
                "employer": "民政局",
                "account_numbers": ["6217000000000000001"],
            }
        ],
    )  # ...and the current one naming R1's
    with engine.begin() as connection, triggers_off(connection, "payment_instructions"):
        connection.execute(
            sa.text(
                "UPDATE payment_instructions SET account_number = '621700000000000002'"
                " WHERE recipient_id = 2"
            )
        )
    assert detect(engine, "D03") == {R1: 600_00}


def test_d04_account_changed_shortly_before_payment(engine, tmp_path):
    enrol(engine, [person(1), person(2)])
    enrol(engine, [person(1, account_number="6217000000055550001")])
    enrol(engine, [person(2, account_number="6217000000055550002")])
    # R2's change was recorded 70 days before paying
    with engine.begin() as connection, triggers_off(connection, "roster_imports"):
        connection.execute(
            sa.text("UPDATE roster_imports SET imported_at = :t WHERE id = 3").bindparams(
                sa.bindparam("t", type_=sa.DateTime(timezone=True))
            ),
            {"t": datetime(2026, 9, 1, tzinfo=UTC)},
        )
    fund(engine, {"dibao_rural"})
    pay_period(engine, tmp_path)
    assert detect(engine, "D04") == {R1: 600_00}  # changed 2026-11-01, paid 2026-11-10


def test_d05_return_file_reports_payments_never_instructed_or_to_another_account(engine, tmp_path):
    _two(engine)
    ids = pay_period(engine, tmp_path)
    with engine.begin() as connection:
        file_id = _return_file(connection)
        stamp = sa.bindparam("t", type_=sa.DateTime(timezone=True))
        for kind, instruction, account, amount, line in (
            ("unmatched", None, "6222999900001111", 800_00, 3),
            ("account_mismatch", ids[R1][0], "6222999900002222", 600_00, 4),
            ("control_total", None, None, 50_00, 1),
            ("duplicate_confirmation", ids[R2][0], None, 450_00, 5),
        ):
            connection.execute(
                sa.text(
                    "INSERT INTO reconciliation_exceptions (return_file_id, line, kind,"
                    " instruction_id, account_number, amount_fen, detail, created_at)"
                    " VALUES (:f, :l, :k, :i, :a, :m, 'x', :t)"
                ).bindparams(stamp),
                {
                    "f": file_id,
                    "l": line,
                    "k": kind,
                    "i": instruction,
                    "a": account,
                    "m": amount,
                    "t": datetime(2026, 11, 15, tzinfo=UTC),
                },
            )
    assert detect(engine, "D05") == {"6222999900001111": 800_00, "1": 600_00}


def test_d06_treasury_outflow_that_funds_no_batch(engine, tmp_path):
    _two(engine)
    pay_period(engine, tmp_path)
    with UnitOfWork(engine) as uow:
        post_lines(
            uow.connection,
            [("Assets:BankClearing:ICBC", 300_00), ("Assets:Treasury:dibao_rural", -300_00)],
            type_="funding",
            day=date(2026, 11, 12),
        )
        post_lines(  # a surplus returned to its source is not a finding
            uow.connection,
            [
                ("Income:Appropriation:central:dibao_rural", 100_00),
                ("Assets:Treasury:dibao_rural", -100_00),
            ],
            type_="surplus_return",
            day=date(2026, 11, 13),
        )
        uow.commit()
    assert detect(engine, "D06") == {"Assets:Treasury:dibao_rural": 300_00}


def test_m01_paid_for_a_period_after_death_but_not_in_the_month_of_death(engine, tmp_path):
    _two(engine)
    pay_period(engine, tmp_path)
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
    assert detect(engine, "M01") == {R1: 600_00}


def test_m02_paid_after_an_exit_recorded_later(engine, tmp_path):
    _two(engine)
    pay_period(engine, tmp_path)
    enrol(
        engine,
        [
            person(1, exit_date=date(2026, 10, 20), status="exited"),
            person(2, amount_fen=450_00, exit_date=date(2026, 11, 15), status="exited"),
        ],
    )
    assert detect(engine, "M02") == {R1: 600_00}


def test_m03_an_entitlement_paid_twice(engine, tmp_path):
    _two(engine)
    ids = pay_period(engine, tmp_path)
    set_status(engine, ids[R1] + ids[R2], "failed", reason_code="AC04")
    with UnitOfWork(engine) as uow:
        result = payments.reissue_failed(uow, COUNTY, "2026-11", operator="maker")
    for batch in result.created:
        with UnitOfWork(engine) as uow:
            payments.approve(uow, batch.id, operator="checker", today=date(2026, 11, 20))
    after = instructions(engine, "2026-11")
    set_status(engine, after[R1] + [after[R2][1]], "settled")  # R1's original settled too
    set_status(engine, [after[R2][0]], "reissued")
    assert detect(engine, "M03") == {R1: 600_00}


def test_m04_mutually_exclusive_programs(engine, tmp_path):
    enrol(engine, [person(1, amount_fen=600_00), person(2, amount_fen=500_00)])
    enrol(
        engine,
        [
            person(1, program="tekun", amount_fen=900_00),
            person(2, program="orphan", amount_fen=800_00, id_number=pid(2, "20150101")),
        ],
    )
    fund(engine, {"dibao_rural", "tekun", "orphan"})
    pay_period(engine, tmp_path)
    assert detect(engine, "M04") == {R1: 600_00}


def test_m05_paid_in_two_townships(engine, tmp_path):
    enrol(engine, [person(1, amount_fen=600_00), person(2, amount_fen=500_00)])
    enrol(
        engine,
        [
            person(1, program="tekun", amount_fen=400_00, township="T02", village="V0201"),
            person(2, program="tekun", amount_fen=400_00),
        ],
    )
    fund(engine, {"dibao_rural", "tekun"})
    pay_period(engine, tmp_path)
    assert detect(engine, "M05") == {R1: 400_00}


def test_m06_invalid_identity_checksum_birth_date_and_region(engine, tmp_path):
    good = pid(1)
    bad_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    other_region = pid(4, region="110101")
    enrol(
        engine,
        [
            person(1, id_number=bad_check),
            person(2, id_number=pid(3, "19750505")),
            person(3, id_number=pid(5, "20991301")),
            person(4, id_number=other_region),
        ],
    )
    fund(engine, {"dibao_rural"})
    pay_period(engine, tmp_path)
    assert detect(engine, "M06") == {R1: 600_00, R3: 600_00, R4: 600_00}


def test_m07_public_employee(engine, tmp_path):
    _two(engine)
    pay_period(engine, tmp_path)
    refdata(
        engine,
        "staff",
        [{"id_number": pid(2), "name": "人2", "employer": "乡政府", "account_numbers": []}],
    )
    refdata(
        engine,
        "staff",
        [{"id_number": pid(1), "name": "人1", "employer": "县医院", "account_numbers": []}],
    )
    assert detect(engine, "M07") == {R1: 600_00}


def test_m08_cadre_relative_without_filing(engine, tmp_path):
    _two(engine)
    pay_period(engine, tmp_path)
    cadre = pid(900, "19650101")
    base = {
        "cadre_id_number": cadre,
        "cadre_name": "张科长",
        "employer": "民政局",
        "position": "科长",
    }
    refdata(
        engine,
        "cadres",
        [
            {
                **base,
                "relative_id_number": pid(1),
                "relative_name": "人1",
                "relation": "父亲",
                "filed": False,
            },
            {
                **base,
                "relative_id_number": pid(2),
                "relative_name": "人2",
                "relation": "母亲",
                "filed": True,
            },
        ],
    )
    assert detect(engine, "M08") == {R1: 600_00}


def test_m09_household_above_the_program_standard(engine, tmp_path):
    enrol(
        engine,
        [
            person(1, amount_fen=400_00),
            person(2, amount_fen=400_00),
            person(3, amount_fen=700_00),
        ],
    )
    with engine.begin() as connection, triggers_off(connection, "enrolments"):
        connection.execute(
            sa.text("UPDATE enrolments SET household_id = 'H12' WHERE recipient_id IN (1, 2)")
        )
    fund(engine, {"dibao_rural"})
    pay_period(engine, tmp_path)
    assert detect(engine, "M09") == {R1: 100_00}  # 800.00 against a cap of 700.00


def test_m10_orphan_aged_18_at_the_start_of_the_period(engine, tmp_path):
    enrol(
        engine,
        [
            person(1, program="orphan", amount_fen=1000_00, id_number=pid(1, "20081015")),
            person(2, program="orphan", amount_fen=1000_00, id_number=pid(2, "20081102")),
        ],
    )
    fund(engine, {"orphan"})
    pay_period(engine, tmp_path)
    assert detect(engine, "M10") == {R1: 1000_00}


def test_f01_township_swing_beyond_the_threshold_but_not_at_it(engine, tmp_path):
    t2 = {"township": "T02", "village": "V0201"}
    enrol(
        engine,
        [person(n) for n in range(1, 6)]
        + [person(n, **t2) for n in range(6, 11)]
        + [person(11, start_month="2026-11")]
        + [person(n, start_month="2026-11", **t2) for n in (12, 13)],
    )
    fund(engine, {"dibao_rural"})
    pay_period(engine, tmp_path, "2026-10")
    pay_period(engine, tmp_path, "2026-11")
    assert detect(engine, "F01") == {"T02": 1200_00}  # T01 +20% exactly, T02 +40%
