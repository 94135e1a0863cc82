"""The roster's 供养机构 column and `ledger batch residents`, on SQLite and PostgreSQL:
the institution read by code or name into ``enrolments.institution`` (a change is a new
version), an unknown one refuses the file naming file, row and column; the residents
attachment of a batch lists the institution's line with its residents."""

from pathlib import Path

from ledger.db.engine import make_engine
from ledger.db.uow import UnitOfWork
from tests.helpers import post_lines
from tests.roster_support import (
    counts,
    county_file,
    import_roster,
    query,
    roster_frame,
    run,
    write_csv,
)

HOMES = (
    "SELECT r.id_number, e.institution FROM enrolments e"
    " JOIN recipients r ON r.id = e.recipient_id WHERE e.valid_to_import IS NULL ORDER BY e.id"
)


def _frame(n: int):
    frame = roster_frame(n)
    frame["救助项目"] = "tekun"
    frame["开户银行"] = "ICBC"
    return frame


def test_the_institution_is_read_by_code_or_name_and_a_change_is_a_new_version(
    db_url: str, tmp_path: Path
) -> None:
    frame = _frame(3)
    frame["供养机构"] = ["JLY01", "示范县中心敬老院", ""]
    county = county_file(tmp_path)
    first = import_roster(db_url, county, write_csv(frame, tmp_path / "a.csv"))
    assert first.exit_code == 0, first.output + first.stderr
    ids = frame["身份证号"].tolist()
    assert query(db_url, HOMES) == [(ids[0], "JLY01"), (ids[1], "JLY01"), (ids[2], None)]
    frame["供养机构"] = ["", "JLY01", ""]
    second = import_roster(db_url, county, write_csv(frame, tmp_path / "b.csv"))
    assert second.exit_code == 0, second.output + second.stderr
    assert "1 changed" in second.output
    assert dict(query(db_url, HOMES)) == {ids[0]: None, ids[1]: "JLY01", ids[2]: None}


def test_an_unknown_institution_refuses_the_file_naming_file_row_and_column(
    db_url: str, tmp_path: Path
) -> None:
    frame = _frame(4)
    frame["供养机构"] = ""
    frame.loc[2, "供养机构"] = "河口乡敬老院"
    before = counts(db_url)
    result = import_roster(db_url, county_file(tmp_path), write_csv(frame, tmp_path / "bad.csv"))
    assert result.exit_code == 1
    assert "bad.csv, row 4, column 供养机构: unknown institution" in result.stderr
    assert "'河口乡敬老院'" in result.stderr
    assert "nothing was changed" in result.stderr
    assert counts(db_url) == before


def test_a_resident_at_another_bank_than_the_institution_refuses_the_file(
    db_url: str, tmp_path: Path
) -> None:
    frame = _frame(3)
    frame["供养机构"] = ["JLY01", "", ""]
    frame.loc[0, "开户银行"] = "RCC"
    before = counts(db_url)
    result = import_roster(db_url, county_file(tmp_path), write_csv(frame, tmp_path / "bank.csv"))
    assert result.exit_code == 1
    assert "bank.csv, row 2, column 供养机构: the institution's account is at another bank" in (
        result.stderr
    )
    assert counts(db_url) == before


def test_batch_residents_writes_the_attachment_of_the_institution_line(
    db_url: str, tmp_path: Path
) -> None:
    frame = _frame(3)
    frame["供养机构"] = ["JLY01", "JLY01", ""]
    county = county_file(tmp_path)
    assert import_roster(db_url, county, write_csv(frame, tmp_path / "a.csv")).exit_code == 0
    ran = run(
        db_url, "batch", "run", "--period", "2026-11", "--operator", "maker",
        "--county", county, "--sheet-dir", tmp_path,
    )  # fmt: skip
    assert ran.exit_code == 0, ran.output + ran.stderr
    (batch_id,) = [b for (b,) in query(db_url, "SELECT id FROM batches")]
    out = tmp_path / "residents.html"
    result = run(db_url, "batch", "residents", batch_id, "--out", out, "--county", county)
    assert result.exit_code == 0, result.output + result.stderr
    assert f"residents attachment of batch {batch_id}: {out}" in result.output
    text = out.read_text(encoding="utf-8")
    assert "示范县中心敬老院" in text and "集中供养人员明细" in text
    names = frame["姓名"].tolist()
    assert names[0] in text and names[1] in text and names[2] not in text
    assert frame["身份证号"][0] not in text  # masked by default
    sheet = (tmp_path / f"batch-{batch_id:06d}-draft-sheet.html").read_text(encoding="utf-8")
    assert "其中：集中供养（机构）" in sheet and "1 个机构 / 2 人" in sheet
    # The export writes the attachment beside the bank file.
    engine = make_engine(db_url)
    with UnitOfWork(engine) as uow:
        post_lines(
            uow.connection,
            [
                ("Assets:Treasury:tekun", 10_000_00),
                ("Income:Appropriation:central:tekun", -10_000_00),
            ],
        )
        uow.commit()
    engine.dispose()
    assert run(db_url, "batch", "approve", batch_id, "--operator", "checker").exit_code == 0
    exported = run(
        db_url, "batch", "export", batch_id, "--out", tmp_path / "out", "--operator", "cashier",
        "--county", county,
    )  # fmt: skip
    assert exported.exit_code == 0, exported.output + exported.stderr
    beside = tmp_path / "out" / f"batch-{batch_id:06d}-residents.html"
    assert f"residents attachment (集中供养) {beside}" in exported.output
    assert beside.read_text(encoding="utf-8") == text
