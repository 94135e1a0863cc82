"""The approval sheet: totals, 大写, changes since last month, masking."""

from datetime import date

from ledger import payments, sheets
from ledger.county import example_path, load_county
from ledger.db.uow import UnitOfWork
from tests.support.roster import Person, add_people

COUNTY = load_county(example_path())


def test_the_sheet_shows_totals_in_capital_figures_and_the_changes_since_last_month(engine):
    october = [
        Person("R0000001", "王䶮", "130123198001011234", account_number="6217000000000000001"),
        Person("R0000002", "李四", "130123198001012222", account_number="6217000000000000002"),
        Person(
            "R0000003",
            "张三",
            "130123198001013333",
            account_number="6217000000000000003",
            exit_date=date(2026, 10, 20),
            status="exited",
        ),
    ]
    with UnitOfWork(engine) as uow:
        add_people(uow.connection, october)
        uow.commit()
    with UnitOfWork(engine) as uow:
        payments.run_batches(uow, COUNTY, "2026-10", operator="maker")
    with UnitOfWork(engine) as uow:
        add_people(
            uow.connection,
            [
                Person(
                    "R0000002",
                    "李四",
                    "130123198001012222",
                    amount_fen=650_00,
                    account_number="6217000000000000002",
                ),
                Person(
                    "R0000001", "王䶮", "130123198001011234", account_number="6228000000000000009"
                ),
                Person(
                    "R0000004",
                    "𠮷田花",
                    "13012319750505432X",
                    township="T02",
                    village="V0201",
                    account_number="6217000000000000004",
                ),
            ],
        )
        uow.commit()
    with UnitOfWork(engine) as uow:
        november = payments.run_batches(uow, COUNTY, "2026-11", operator="maker").created[0]

    with engine.connect() as connection:
        context = sheets.sheet_context(connection, COUNTY, november.id)
        html = sheets.render_sheet(connection, COUNTY, november.id, stage="draft")
        english = sheets.render_sheet(connection, COUNTY, november.id, stage="export", lang="en")
    changes = context["changes"]
    assert [r["key"] for r in changes["new"]["rows"]] == ["R0000004"]
    assert [r["key"] for r in changes["exited"]["rows"]] == ["R0000003"]
    assert [(r["key"], r["amount_prev"], r["amount"]) for r in changes["amount"]["rows"]] == [
        ("R0000002", "600.00", "650.00")
    ]
    assert [r["key"] for r in changes["account"]["rows"]] == ["R0000001"]
    assert context["total"] == "1,850.00"
    assert "壹仟捌佰伍拾元整" in html
    assert "草稿" in html and "城关镇" in html and "审核人（签字）" in html
    assert "6228000000000000009" not in html and "622800*********0009" in html
    assert "<style>" in html and "<link" not in html and "<script" not in html
    assert "Changes since 2026-10" in english and "Checked by (signature)" in english
