"""Funds by source, the funds report and the year end, on SQLite and PostgreSQL.

The year 2025: central 1,000.00 (10-01), provincial 500.00 (10-15), county 500.00
(10-20); the November batch pays 600.00 + 699.50 + 450.00 (FIFO: central 1,000.00,
provincial 500.00, county 249.50); the bank fails the 699.50 (back to central 400.00 and
provincial 299.50) and has not answered for the 450.00 by 11-10.
"""

import json
from dataclasses import replace
from datetime import date

import pytest
import sqlalchemy as sa

from ledger import payments, reconciliation, wording, wording_summaries
from ledger.db.funds_positions import elapsed_bp
from ledger.db.periods_store import close_period
from ledger.db.uow import UnitOfWork
from ledger.errors import LedgerError
from ledger.funds_policy import FundsConfig
from ledger.funds_report import report_context, write_report
from ledger.funds_year import close_year
from tests.integration.test_fund_lineage import allocate, instructions, lineage, remaining
from tests.support.books import COUNTY, PEOPLE, TREASURY, Books, P
from tests.support.findings import detect
from tests.support.returns import csv_return
from tests.support.roster import add_people

RETURNING = replace(COUNTY, funds=FundsConfig(year_end={"county": "return"}))
Y2025 = [
    ("central", 1000_00, date(2025, 10, 1), "民财〔2025〕1号"),
    ("provincial", 500_00, date(2025, 10, 15), "冀财社〔2025〕2号"),
    ("county", 500_00, date(2025, 10, 20), "县财〔2025〕3号"),
]
KEYS = ("opening", "carried_in", "allocated", "sent", "returned", "recovered", "in_bank")
KEYS += ("disbursed", "available")


@pytest.fixture
def books(engine, tmp_path) -> Books:
    return Books(engine, tmp_path)


def year_2025(books: Books) -> None:
    allocate(books, Y2025)
    with UnitOfWork(books.engine) as uow:
        add_people(uow.connection, [replace(p, start_month="2025-01") for p in PEOPLE])
        uow.commit()
    with UnitOfWork(books.engine) as uow:
        (created,) = payments.run_batches(uow, COUNTY, "2025-11", operator="maker").created
    with UnitOfWork(books.engine) as uow:
        payments.approve(uow, created.id, operator="checker", today=date(2025, 11, 3))
    with UnitOfWork(books.engine) as uow:
        exported = payments.export(
            uow, COUNTY, created.id, books.tmp / "out", operator="exporter",
            today=date(2025, 11, 5),
        )  # fmt: skip
    (_, _, _), (_, _, second), (_, _, third) = instructions(books)
    path = csv_return(
        exported.path,
        books.tmp / "return.csv",
        {second: ("失败", "户名不符"), third: ("处理中", "")},
    )
    with UnitOfWork(books.engine) as uow:
        reconciliation.import_return(uow, path, operator="reconciler", today=date(2025, 11, 10))


def table(books: Books, day: date, **kwargs) -> dict[tuple[str, str], tuple]:
    with books.engine.connect() as c:
        context = report_context(c, kwargs.pop("county", COUNTY), as_of=day, **kwargs)
    return {
        (r["program"], r["source"]): (
            tuple(r["amounts"][k] for k in [k for k, _ in context["measures"]]),
            r["progress_bp"],
            r["behind"],
        )
        for r in context["rows"]
    }


def test_by_source_every_measure_to_the_fen_with_progress_against_the_year(books: Books) -> None:
    year_2025(books)
    assert elapsed_bp(date(2025, 11, 10)) == 314 * 10000 // 365  # 86.02%
    #            opening carried allocated sent returned recovered in_bank disbursed available
    assert table(books, date(2025, 11, 10)) == {
        (P, "central"): ((0, 0, 1000_00, 1000_00, 400_00, 0, 0, 600_00, 400_00), 6000, True),
        (P, "provincial"): ((0, 0, 500_00, 500_00, 299_50, 0, 200_50, 0, 299_50), 4010, True),
        (P, "county"): ((0, 0, 500_00, 249_50, 0, 0, 249_50, 0, 250_50), 4990, True),
        (P, "total"): ((0, 0, 2000_00, 1749_50, 699_50, 0, 450_00, 600_00, 950_00), 5250, True),
    }
    assert books.balance(TREASURY) == 950_00
    # With a required pace of 45% of the elapsed time (38.70%), only provincial lags.
    slow = replace(COUNTY, funds=FundsConfig(required_pace_bp=4500))
    flags = {k: v[2] for k, v in table(books, date(2025, 11, 10), county=slow).items()}
    assert flags == {
        (P, "central"): False,
        (P, "provincial"): False,
        (P, "county"): False,
        (P, "total"): False,
    }
    slow = replace(COUNTY, funds=FundsConfig(required_pace_bp=5000))  # 43.01%
    flags = {k: v[2] for k, v in table(books, date(2025, 11, 10), county=slow).items()}
    assert [k[1] for k, behind in flags.items() if behind] == ["provincial"]


def test_close_year_carries_over_or_returns_each_source_and_the_next_year_draws_on_it(
    books: Books,
) -> None:
    year_2025(books)
    with UnitOfWork(books.engine) as uow, pytest.raises(LedgerError, match="close 2025-12 first"):
        close_year(uow, RETURNING, 2025, operator="checker")
    with UnitOfWork(books.engine) as uow:
        close_period(uow.connection, "2025-12", operator="checker")
        uow.commit()
    with UnitOfWork(books.engine) as uow:
        entries = close_year(uow, RETURNING, 2025, operator="checker")
    assert [(e.source, e.action, e.amount_fen) for e in entries] == [
        ("central", "carry", 400_00),
        ("provincial", "carry", 299_50),
        ("county", "return", 250_50),
    ]
    carry_c, carry_p, refund = (e.transaction_id for e in entries)
    assert [r for r in lineage(books) if r[0] in (carry_c, carry_p, refund)] == [
        (carry_c, "carry_out", "central", 400_00),
        (carry_p, "carry_out", "provincial", 299_50),
        (refund, "refund", "county", 250_50),
    ]
    # The county's rest left the special account; the carried money is next year's.
    assert books.balance(TREASURY) == 699_50
    assert books.balance(f"Income:Carryover:central:{P}") == -400_00
    assert books.balance(f"Income:Appropriation:county:{P}") == -249_50
    assert remaining(books) == {"central": 400_00, "provincial": 299_50}
    with UnitOfWork(books.engine) as uow:
        assert close_year(uow, RETURNING, 2025, operator="checker") == []
    # The final accounts (决算) of 2025 and the opening of 2026.
    with books.engine.connect() as c:
        final = report_context(c, RETURNING, as_of=date(2025, 12, 31), final=True)
    closing = {
        (r["source"]): (r["amounts"]["carry_out"], r["amounts"]["refund"]) for r in final["rows"]
    }
    assert closing == {
        "central": (400_00, 0),
        "provincial": (299_50, 0),
        "county": (0, 250_50),
        "total": (699_50, 250_50),
    }
    # Still at the bank since November: in the bank, but not disbursed in 2026.
    assert table(books, date(2026, 1, 1)) == {
        (P, "central"): ((0, 400_00, 0, 0, 0, 0, 0, 0, 400_00), 0, True),
        (P, "provincial"): ((0, 299_50, 0, 0, 0, 0, 200_50, 0, 299_50), 0, True),
        (P, "county"): ((0, 0, 0, 0, 0, 0, 249_50, 0, 0), None, False),
        (P, "total"): ((0, 699_50, 0, 0, 0, 0, 450_00, 0, 699_50), 0, True),
    }
    # The re-issue of the failed payment in 2026 draws on the carried-over money.
    with UnitOfWork(books.engine) as uow:
        (created,) = payments.reissue_failed(uow, COUNTY, "2025-11", operator="maker").created
    with UnitOfWork(books.engine) as uow:
        payments.approve(uow, created.id, operator="checker", today=date(2026, 1, 5))
    with UnitOfWork(books.engine) as uow:
        exported = payments.export(
            uow, COUNTY, created.id, books.tmp / "out", operator="exporter",
            today=date(2026, 1, 6),
        )  # fmt: skip
    assert [r for r in lineage(books) if r[0] == exported.funding_transaction_id] == [
        (exported.funding_transaction_id, "draw", "central", 400_00),
        (exported.funding_transaction_id, "draw", "provincial", 299_50),
    ]
    with books.engine.connect() as c:
        docs = c.execute(
            sa.text("SELECT source, doc_number FROM allocations WHERE doc_number = '结转2025'")
        ).all()
    assert sorted(docs) == [("central", "结转2025"), ("provincial", "结转2025")]


def test_the_report_is_written_in_chinese_html_and_xlsx(books: Books) -> None:
    from openpyxl import load_workbook

    year_2025(books)
    html = books.tmp / "funds.html"
    xlsx = books.tmp / "funds.xlsx"
    with books.engine.connect() as c:
        write_report(c, COUNTY, html, as_of=date(2025, 11, 10))
        write_report(c, COUNTY, xlsx, as_of=date(2025, 11, 10), lang="en")
    text = html.read_text(encoding="utf-8")
    for words in ("资金支出进度表", "农村最低生活保障", "中央", "省级", "县级", "合计", "滞后",
                  "86.02%", "1,000.00", "699.50", "60.00%"):  # fmt: skip
        assert words in text
    sheet = load_workbook(xlsx).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:4] == ["program", "source", "opening balance", "carried in"]
    by_source = {r[1]: r for r in rows[1:]}
    assert by_source["central"][4] == 1000  # allocated: a number, shown as money
    assert by_source["provincial"][6] == 299.5  # returned
    assert sheet.cell(row=2, column=5).number_format == '"¥"#,##0.00'
    assert by_source["provincial"][-2:] == ["40.10%", "yes"]


def test_w06_reports_the_county_matching_shortfall_to_the_fen(books: Books) -> None:
    allocate(books, Y2025)
    short = replace(COUNTY, funds=FundsConfig(matching_bp={P: 6000}))
    # 60% of central + provincial 1,500.00 = 900.00 required; the county gave 500.00.
    assert detect(books.engine, "W06", "2025-11", date(2025, 11, 20), short) == {TREASURY: 400_00}
    with books.engine.connect() as c:
        (text,) = c.execute(sa.text("SELECT summary FROM findings WHERE rule = 'W06'")).one()
    assert text == (
        "county matching funds 500.00 of 900.00 yuan required (60.00% of 1500.00 from the "
        "tiers above in 2025)"
    )
    assert wording_summaries.summary(short, "W06", text, "zh", "") == (
        "2025年县级配套资金500.00元，按上级资金1500.00元的60.00%应配套900.00元"
    )


def test_w06_near_miss_a_share_met_to_the_fen_is_no_finding(books: Books) -> None:
    allocate(books, Y2025)
    # 33.33% of 1,500.00 is 499.95 (rounded up: 499.95); the county gave 500.00.
    met = replace(COUNTY, funds=FundsConfig(matching_bp={P: 3333}))
    assert detect(books.engine, "W06", "2025-11", date(2025, 11, 20), met) == {}
    # Before the county's allocation (10-20) the whole share is missing.
    assert detect(books.engine, "W06", "2025-10", date(2025, 10, 19), met) == {TREASURY: 499_95}


def test_w04_lists_idle_money_per_source_and_age_by_its_lineage(books: Books) -> None:
    year_2025(books)
    # On 2026-01-20 every 2025 allocation is older than 90 days. The failed 699.50 went
    # back to central and provincial: 950.00 lies idle, 400.00 of it central money.
    assert detect(books.engine, "W04", "2026-01", date(2026, 1, 20)) == {TREASURY: 950_00}
    with books.engine.connect() as c:
        (evidence,) = c.execute(sa.text("SELECT evidence FROM findings WHERE rule = 'W04'")).one()
    idle = json.loads(evidence)["idle_by_source"]
    assert [(i["source"], i["date"], i["age_days"], i["idle_fen"]) for i in idle] == [
        ("central", "2025-10-01", 111, 400_00),
        ("provincial", "2025-10-15", 97, 299_50),
        ("county", "2025-10-20", 92, 250_50),
    ]
    facts = wording.evidence_facts(COUNTY, json.loads(evidence), "zh")
    assert "中央 民财〔2025〕1号（2025-10-01）闲置400.00元，111天" in facts


def test_funds_sources_names_the_allocations_a_payment_drew_on(books: Books) -> None:
    from tests.roster_support import run

    year_2025(books)
    (_, _, _), (second, _, _), _ = instructions(books)
    url = books.engine.url.render_as_string(hide_password=False)
    result = run(url, "funds", "sources", "--instruction", second, "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [(r["source"], r["doc_number"], r["amount"], r["returned"]) for r in rows] == [
        ("central", "民财〔2025〕1号", "400.00", True),
        ("provincial", "冀财社〔2025〕2号", "299.50", True),
    ]
