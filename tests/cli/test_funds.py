"""Allocations and `funds status`, with bank postings made through the journal API."""

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy.engine import Engine

from ledger.db.accounts_store import open_accounts
from ledger.db.journal_store import post
from tests.helpers import new_tx
from tests.roster_support import counts, county_file, query, run, write_csv


def _allocate(db_url: str, county: Path, *extra: str):  # type: ignore[no-untyped-def]
    return run(
        db_url, "funds", "allocate", "--county", county, "--operator", "dora",
        "--source", "central", "--program", "dibao_rural", "--amount", "1200000.00",
        "--doc", "财社〔2026〕12号", "--date", "2026-01-15", *extra,
    )  # fmt: skip


def test_an_allocation_posts_treasury_and_appropriation_once(db_url: str, tmp_path: Path) -> None:
    county = county_file(tmp_path)
    first = _allocate(db_url, county)
    assert first.exit_code == 0, first.stderr
    assert "transaction 1" in first.output
    again = _allocate(db_url, county)
    assert again.exit_code == 0
    assert "already recorded as transaction 1" in again.output
    assert counts(db_url)["transactions"] == 1
    postings = query(
        db_url,
        "SELECT a.name, p.amount_fen FROM postings p JOIN accounts a ON a.id = p.account_id "
        "ORDER BY p.amount_fen DESC",
    )
    assert postings == [
        ("Assets:Treasury:dibao_rural", 120000000),
        ("Income:Appropriation:central:dibao_rural", -120000000),
    ]
    assert query(db_url, "SELECT doc_number FROM allocations") == [("财社〔2026〕12号",)]
    description = query(db_url, "SELECT description FROM transactions")[0][0]
    assert "财社〔2026〕12号" in description


def test_a_bad_allocation_names_every_problem(db_url: str, tmp_path: Path) -> None:
    result = run(
        db_url, "funds", "allocate", "--county", county_file(tmp_path), "--operator", "dora",
        "--source", "moon", "--program", "nope", "--amount", "1.234", "--doc", " ",
        "--date", "2026-02-30",
    )  # fmt: skip
    assert result.exit_code == 1
    for words in ("--source: unknown fund source", "--program: unknown program",
                  "--amount: not a yuan amount", "--doc:", "--date: not a date"):  # fmt: skip
        assert words in result.stderr
    assert counts(db_url)["transactions"] == 0


def test_an_allocation_file_is_all_or_nothing(db_url: str, tmp_path: Path) -> None:
    county = county_file(tmp_path)
    good = pd.DataFrame(
        {
            "资金来源": ["中央", "省级", "county"],
            "救助项目": ["dibao_rural", "农村最低生活保障", "tekun"],
            "金额(元)": ["1,000,000.00", "250000.50", "80000"],
            "文号": ["财社〔2026〕1号", "冀财社〔2026〕7号", "县财〔2026〕3号"],
            "日期": ["2026-01-10", "2026-01-20", "2026-02-01"],
        }
    )
    bad = pd.concat([good, good.iloc[[0]]], ignore_index=True)
    bad.loc[1, "金额(元)"] = "-5"
    refused = run(db_url, "funds", "import", write_csv(bad, tmp_path / "bad.csv"),
                  "--county", county, "--operator", "dora")  # fmt: skip
    assert refused.exit_code == 1
    assert "bad.csv, row 3, column 金额(元): not a yuan amount: '-5': a negative" in refused.stderr
    assert "row 5: the same allocation as row 2" in refused.stderr
    assert counts(db_url)["transactions"] == 0
    path = write_csv(good, tmp_path / "alloc.csv", encoding="gb18030")
    result = run(db_url, "funds", "import", path, "--county", county, "--operator", "dora")
    assert result.exit_code == 0, result.stderr
    assert "3 posted (1,330,000.50)" in result.output
    again = run(db_url, "funds", "import", path, "--county", county, "--operator", "dora")
    assert again.exit_code == 0, again.stderr
    assert "alloc.csv: already imported: its 3 allocation(s) were all recorded before" in (
        again.output
    )
    assert counts(db_url)["allocations"] == 3


def _bank_events(engine: Engine) -> None:
    """Export 3000.00 of dibao_rural to the bank; the bank pays 1000.00 to one recipient
    and fails 500.00 (returned to the treasury); 1500.00 still pending."""
    with engine.begin() as connection:
        open_accounts(
            connection,
            [
                "Expenses:Assistance:dibao_rural:T01",
                "Liabilities:Payable:dibao_rural:R0000001",
                "Liabilities:Payable:dibao_rural:R0000002",
                "Liabilities:Payable:dibao_rural:R0000003",
                "Assets:BankClearing:ICBC",
            ],
        )
        steps = [
            [("Expenses:Assistance:dibao_rural:T01", 300000),
             ("Liabilities:Payable:dibao_rural:R0000001", -100000),
             ("Liabilities:Payable:dibao_rural:R0000002", -50000),
             ("Liabilities:Payable:dibao_rural:R0000003", -150000)],
            [("Assets:BankClearing:ICBC", 300000), ("Assets:Treasury:dibao_rural", -300000)],
            [("Liabilities:Payable:dibao_rural:R0000001", 100000),
             ("Assets:BankClearing:ICBC", -100000)],
            [("Assets:Treasury:dibao_rural", 50000), ("Assets:BankClearing:ICBC", -50000)],
        ]  # fmt: skip
        for index, lines in enumerate(steps):
            post(connection, new_tx(lines, day=date(2026, 2, 5 + index)))


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_funds_status_shows_allocated_disbursed_in_bank_and_available(
    db_url: str, engine: Engine, tmp_path: Path, fmt: str
) -> None:
    county = county_file(tmp_path)
    assert _allocate(db_url, county).exit_code == 0
    run(db_url, "funds", "allocate", "--county", county, "--operator", "dora",
        "--source", "provincial", "--program", "dibao_rural", "--amount", "300000",
        "--doc", "冀财〔2026〕2号", "--date", "2026-01-20")  # fmt: skip
    _bank_events(engine)
    result = run(db_url, "funds", "status", "--county", county, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    lines = result.output.strip().splitlines()
    assert lines[1] == 'dibao_rural,central,"1,200,000.00",,,'
    assert lines[2] == 'dibao_rural,provincial,"300,000.00",,,'
    # disbursed 1000.00; in the bank 3000 - 500 - 1000 = 1500.00; available 1,500,000 - 2500
    assert lines[3] == 'dibao_rural,合计/total,"1,500,000.00","1,000.00","1,500.00","1,497,500.00"'
    earlier = run(db_url, "funds", "status", "--county", county, "--as-of", "2026-01-16",
                  "--format", fmt)  # fmt: skip
    assert "1,200,000.00" in earlier.output or "120000000" in earlier.output
    assert "300,000.00" not in earlier.output
    listed = run(db_url, "funds", "list")
    assert "冀财〔2026〕2号" in listed.output


@pytest.mark.parametrize(
    ("amount", "reason"),
    [
        ("92233720368547758.08", "'92233720368547758.08' is too large"),
        ("9e18", "'9e18': exponent notation is not accepted"),
        ("92233720368547758.07", "92233720368547758.07 is above the ceiling of 100,000,000.00"),
        ("100000000.01", "100000000.01 is above the ceiling of 100,000,000.00"),
        ("2000,50", "'2000,50': commas may only separate groups of three digits"),
        ("1,0,0", "'1,0,0': commas may only separate groups of three digits"),
        ("７００.００", "'７００.００': full-width"),
    ],
)
def test_an_allocation_file_with_an_impossible_amount_is_refused_naming_it(
    db_url: str, tmp_path: Path, amount: str, reason: str
) -> None:
    frame = pd.DataFrame(
        {"资金来源": ["中央"], "救助项目": ["dibao_rural"], "金额(元)": [amount],
         "文号": ["财社〔2026〕1号"], "日期": ["2026-01-10"]}
    )  # fmt: skip
    path = write_csv(frame, tmp_path / "alloc.csv")
    result = run(db_url, "funds", "import", path, "--county", county_file(tmp_path),
                 "--operator", "dora")  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "alloc.csv, row 2, column 金额(元): " in result.stderr
    assert reason in result.stderr
    assert counts(db_url)["transactions"] == 0


def test_a_typed_amount_with_a_decimal_comma_is_refused_not_booked_as_a_hundredfold(
    db_url: str, tmp_path: Path
) -> None:
    county = county_file(tmp_path)
    result = run(
        db_url, "funds", "allocate", "--county", county, "--operator", "dora",
        "--source", "central", "--program", "dibao_rural", "--amount", "2000,50",
        "--doc", "财社〔2026〕12号", "--date", "2026-01-15",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "--amount: not a yuan amount: '2000,50'" in result.stderr
    assert counts(db_url)["transactions"] == 0


def test_the_allocation_ceiling_is_set_in_the_county_configuration(
    db_url: str, tmp_path: Path
) -> None:
    county = county_file(tmp_path)
    text = county.read_text(encoding="utf-8")
    county.write_text(
        text.replace('allocation_max = "100000000.00"', 'allocation_max = "1000000.00"'),
        encoding="utf-8",
    )
    refused = _allocate(db_url, county)  # 1,200,000.00
    assert refused.exit_code == 1
    assert "1200000.00 is above the ceiling of 1,000,000.00 yuan" in refused.stderr
    county.write_text(text, encoding="utf-8")
    assert _allocate(db_url, county).exit_code == 0


def test_an_allocation_dated_after_today_is_refused_by_the_county_margin(
    db_url: str, tmp_path: Path
) -> None:
    county = county_file(tmp_path)
    ahead = (date.today() + timedelta(days=2)).isoformat()
    refused = run(
        db_url, "funds", "allocate", "--county", county, "--operator", "dora",
        "--source", "central", "--program", "dibao_rural", "--amount", "100.00",
        "--doc", "财社〔2026〕99号", "--date", ahead,
    )  # fmt: skip
    assert refused.exit_code == 1
    assert f"the effective date {ahead} is in the future" in refused.stderr
    assert "limits.future_days = 1" in refused.stderr
    assert counts(db_url)["transactions"] == 0
    text = county.read_text(encoding="utf-8")
    county.write_text(text.replace("future_days = 1", "future_days = 3"), encoding="utf-8")
    accepted = run(
        db_url, "funds", "allocate", "--county", county, "--operator", "dora",
        "--source", "central", "--program", "dibao_rural", "--amount", "100.00",
        "--doc", "财社〔2026〕99号", "--date", ahead,
    )  # fmt: skip
    assert accepted.exit_code == 0, accepted.stderr


def test_status_by_source_report_and_close_year_from_the_command_line(
    db_url: str, tmp_path: Path
) -> None:
    county = county_file(tmp_path)
    assert _allocate(db_url, county).exit_code == 0  # central 1,200,000.00 on 2026-01-15
    result = run(
        db_url, "funds", "status", "--by", "source", "--as-of", "2026-07-02", "--county", county
    )
    assert result.exit_code == 0, result.stderr
    assert "elapsed 50.13% of the year, required progress 50.13%" in result.output
    central = next(line for line in result.output.splitlines() if " central " in line)
    assert "1,200,000.00" in central and "0.00%" in central and "BEHIND" in central
    out = tmp_path / "进度.html"
    result = run(db_url, "funds", "report", "--out", out, "--as-of", "2026-07-02",
                 "--county", county)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "1 program × source row(s) behind the pace" in result.output
    assert "资金支出进度表" in out.read_text(encoding="utf-8")
    bad = run(db_url, "funds", "report", "--out", tmp_path / "r.pdf", "--county", county)
    assert bad.exit_code == 1 and "written as .html or .xlsx" in bad.stderr
    # The year end needs a finance checker and the year's last period closed.
    refused = run(db_url, "funds", "close-year", "2025", "--county", county, "--operator", "dora")
    assert refused.exit_code == 1 and "finance_checker" in refused.stderr
    early = run(db_url, "funds", "close-year", "2025", "--county", county, "--operator", "fin")
    assert early.exit_code == 1 and "close 2025-12 first" in early.stderr
    assert run(db_url, "journal", "close-period", "2025-12", "--operator", "fin").exit_code == 0
    nothing = run(db_url, "funds", "close-year", "2025", "--county", county, "--operator", "fin")
    assert nothing.exit_code == 0, nothing.stderr
    assert "nothing left to carry over or return" in nothing.output
    assert counts(db_url)["transactions"] == 1
