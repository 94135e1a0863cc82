"""分类施保 category supplements at batch run, on both databases: each its own
entitlement and line, from the current categories list, itemised on the sheet and the
statement; bad categories lists and county settings refused naming what is wrong."""

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from ledger import payments, sheets, supplements
from ledger.db.audit_reads import load_history
from ledger.db.balances import account_balance
from ledger.db.uow import UnitOfWork
from ledger.documents import statement_context
from ledger.errors import ValidationError
from ledger.kinds_rules import parse_supplements
from tests.support.findings import COUNTY, enrol, fund, person, pid

P = "dibao_rural"


def run(engine, period="2026-11", county=COUNTY):
    now = datetime(int(period[:4]), int(period[5:]), 2, tzinfo=UTC)
    with UnitOfWork(engine) as uow:
        return payments.run_batches(uow, county, period, operator="maker", now=now)


def categories(engine, tmp_path, rows, name="categories.csv"):
    path = tmp_path / name
    path.write_text(
        "身份证号,救助项目,类别\n" + "".join(f"{a},{b},{c}\n" for a, b, c in rows),
        encoding="utf-8",
    )
    with UnitOfWork(engine) as uow:
        return supplements.import_categories(uow, COUNTY, path, operator="clerk")


def lines(engine, batch_id):
    with engine.connect() as connection:
        return connection.execute(
            sa.text(
                "SELECT i.line_number, r.key, t.kind, t.supplement, i.amount_fen"
                " FROM payment_instructions i JOIN entitlements t ON t.id = i.entitlement_id"
                " JOIN recipients r ON r.id = i.recipient_id WHERE i.batch_id = :b"
                " ORDER BY i.line_number"
            ),
            {"b": batch_id},
        ).all()


def three_people(engine, tmp_path):
    enrol(
        engine,
        [person(1, amount_fen=600_05), person(2, amount_fen=512_34), person(3)],
    )
    categories(
        engine,
        tmp_path,
        [
            (pid(1), P, "severe_disability"),  # 10 % of 600.05 = 60.005 -> 60.01 (half up)
            (pid(1), "农村最低生活保障", "aged_80"),  # by the program's Chinese name: 50.00
            (pid(2), P, "aged_80"),
        ],
    )


def test_each_supplement_is_its_own_line_after_the_regular_ones(engine, tmp_path):
    three_people(engine, tmp_path)
    fund(engine, {P})
    (batch,) = run(engine).created
    assert lines(engine, batch.id) == [
        (1, "R0000001", "regular", None, 600_05),
        (2, "R0000002", "regular", None, 512_34),
        (3, "R0000003", "regular", None, 600_00),
        (4, "R0000001", "supplement", "gaoling", 50_00),
        (5, "R0000001", "supplement", "zhongcan", 60_01),
        (6, "R0000002", "supplement", "gaoling", 50_00),
    ]
    assert batch.amount_fen_total == 600_05 + 512_34 + 600_00 + 50_00 + 60_01 + 50_00
    with UnitOfWork(engine) as uow:
        payments.approve(uow, batch.id, operator="checker", today=date(2026, 11, 3))
    with engine.connect() as connection:
        # Accrued like any other line: the payable is owed the regular + the supplements.
        assert account_balance(connection, f"Liabilities:Payable:{P}:R0000001") == -(
            600_05 + 50_00 + 60_01
        )
        assert account_balance(connection, f"Expenses:Assistance:{P}:T01") == (
            batch.amount_fen_total
        )
    # Once a month: December pays them again, November never twice.
    assert [k for _, _, k, _, _ in lines(engine, run(engine, "2026-12").created[0].id)].count(
        "supplement"
    ) == 3


def test_the_newest_categories_list_is_the_current_one(engine, tmp_path):
    three_people(engine, tmp_path)
    categories(engine, tmp_path, [(pid(3), P, "aged_80")], name="later.csv")
    (batch,) = run(engine).created
    assert [(k, s) for _, k, kind, s, _ in lines(engine, batch.id) if kind == "supplement"] == [
        ("R0000003", "gaoling")
    ]


def test_the_sheet_and_the_statement_itemise_supplements(engine, tmp_path):
    three_people(engine, tmp_path)
    (batch,) = run(engine).created
    with engine.connect() as connection:
        html = sheets.render_sheet(connection, COUNTY, batch.id, stage="draft")
        english = sheets.render_sheet(connection, COUNTY, batch.id, stage="draft", lang="en")
        raw = load_history(connection, pid(1))
    section = html.index("分类施保：3 笔")
    assert section < html.index("汇总")
    part = html[section : html.index("汇总")]
    assert '<td>gaoling</td><td>高龄</td><td>50.00</td><td class="n">2</td>' in part
    assert '<td>zhongcan</td><td>重度残疾</td><td>10%</td><td class="n">1</td>' in part
    assert "100.00" in part and "60.01" in part
    assert "Category supplements" in english and "severe disability" in english
    rows = statement_context(raw, COUNTY, 2026)["rows"]
    assert [(r["program"], r["entitled"]) for r in rows] == [
        ("农村最低生活保障", "600.05"),
        ("农村最低生活保障（分类施保：重度残疾）", "60.01"),
        ("农村最低生活保障（分类施保：高龄）", "50.00"),
    ]


def test_a_categories_list_with_an_unknown_category_or_person_is_refused(engine, tmp_path):
    enrol(engine, [person(1)])
    with pytest.raises(ValidationError) as refused:
        categories(
            engine,
            tmp_path,
            [
                (pid(1), P, "blind"),
                (pid(1), "nope", "aged_80"),
                (pid(1), "tekun", "severe_disability"),
            ],
        )
    text = str(refused.value) + " ".join(refused.value.problems)
    assert "categories.csv" in text
    assert "row 2" in text and "类别" in text and "unknown category 'blind'" in text
    assert "row 3" in text and "unknown program 'nope'" in text
    assert "row 4" in text and "for tekun" in text  # zhongcan is not a tekun supplement
    with pytest.raises(ValidationError) as refused:
        categories(engine, tmp_path, [(pid(1), P, "aged_80"), (pid(9), P, "aged_80")])
    assert any("row 3" in p and "no recipient" in p for p in refused.value.problems)
    with engine.connect() as connection:  # nothing was kept
        assert connection.execute(sa.text("SELECT COUNT(*) FROM category_imports")).scalar() == 0


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"amount": "10.00", "percent_bp": 100}, "give exactly one of amount"),
        ({}, "give exactly one of amount"),
        ({"amount": "-5.00"}, "supplements[0].amount: must be more than 0"),
        ({"amount": "abc"}, "supplements[0].amount:"),
        ({"percent_bp": 0}, "supplements[0].percent_bp: a whole number of basis points"),
        ({"percent_bp": 12.5}, "supplements[0].percent_bp: a whole number of basis points"),
        ({"percent_bp": 100, "programs": ["nope"]}, "unknown program 'nope'"),
        ({"percent_bp": 100, "category": ""}, "supplements[0].category"),
        ({"percent_bp": 100, "colour": "red"}, "supplements[0].colour: unknown key"),
    ],
)
def test_bad_supplement_settings_are_refused_naming_the_key(item, message):
    base = {"code": "x", "name_zh": "某类", "category": "c", "programs": [P]}
    problems: list[str] = []
    assert parse_supplements([{**base, **item}], {P}, problems) == ()
    assert any(message in p for p in problems), problems


def test_a_supplement_on_top_of_the_standard_is_not_above_it(engine, tmp_path):
    from tests.support.findings import detect, pay_period

    enrol(engine, [person(1, amount_fen=690_00)])  # the cap of dibao_rural is 700.00
    categories(engine, tmp_path, [(pid(1), P, "severe_disability")])
    fund(engine, {P})
    pay_period(engine, tmp_path / "out")
    assert detect(engine, "M09") == {}  # 690.00 + 69.00, the supplement paid on top
