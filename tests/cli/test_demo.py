"""``ledger demo``: a small county end to end, its files, its ledger and its manifest."""

import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from ledger.cli import cli
from ledger.db.engine import database_url, make_engine
from ledger.db.verify import verify
from ledger.files.returns import read_return
from ledger.identity import mask

CATEGORIES = {"withheld", "diverted", "misappropriated", "fluctuation"}


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("demo") / "county"
    result = CliRunner().invoke(
        cli,
        [
            "demo",
            "--dir",
            str(directory),
            "--recipients",
            "300",
            "--months",
            "2",
            "--seed",
            "7",
            "--first-period",
            "2026-03",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Ledger verified: yes" in result.output
    # The planted/found table comes last, after the long list of files, where it is seen.
    output = result.output
    assert output.index("Files to open:") < output.index("Planted anomalies")
    assert output.index("Planted anomalies") < output.index("Ledger verified")
    return directory


def test_the_demo_writes_every_file_it_lists(demo_dir: Path) -> None:
    for name in (
        "county.toml",
        "ledger.db",
        "manifest.json",
        "refdata/deaths.csv",
        "refdata/staff.csv",
        "refdata/cadres.csv",
        "roster/roster-2026-03.csv",
        "roster/roster-2026-04.csv",
    ):
        assert (demo_dir / name).is_file(), name
    for period in ("2026-03", "2026-04"):
        assert list((demo_dir / "sheets" / period).glob("batch-*-draft-sheet.html"))
        bank_files = [
            p
            for p in (demo_dir / "bank" / period).iterdir()
            if p.suffix in (".csv", ".txt", ".xml")
        ]
        returns = list((demo_dir / "returns" / period).iterdir())
        assert {p.suffix for p in bank_files} == {".csv", ".txt", ".xml"}
        assert len(returns) == len(bank_files)


def test_the_demo_ledger_verifies_as_audit_verify_checks_it(demo_dir: Path) -> None:
    result = CliRunner().invoke(cli, ["--db", str(demo_dir / "ledger.db"), "audit", "verify"])
    assert result.exit_code == 0, result.output  # the journal's and the events' chains


def test_the_demo_ledger_verifies(demo_dir: Path) -> None:
    engine = make_engine(database_url(str(demo_dir / "ledger.db")), read_only=True)
    with engine.connect() as connection:
        assert verify(connection).ok
        batches = connection.execute(
            sa.text("SELECT state, COUNT(*) FROM batches GROUP BY state")
        ).all()
    engine.dispose()
    # Every return was reconciled; the planted stuck payments keep a few batches open.
    states = dict(batches)
    assert set(states) <= {"reconciled", "partially_reconciled"}
    assert states["reconciled"] > states.get("partially_reconciled", 0) > 0


def test_every_planted_anomaly_is_held_before_payment_or_found(demo_dir: Path) -> None:
    manifest = json.loads((demo_dir / "manifest.json").read_text(encoding="utf-8"))
    found, held = manifest["found"], manifest["held"]
    for item in manifest["planted"]:
        kind = item["kind"]
        if kind in held:  # screening stops these before the bank file: every one of them
            assert held[kind] == item["count"], (kind, held[kind])
        else:
            assert found[kind] >= item["count"], (kind, found[kind])
    for period in manifest["periods"]:
        report = demo_dir / "reports" / f"exceptions-{period}.html"
        assert 'class="finding ' in report.read_text(encoding="utf-8")


def test_the_asset_lists_hold_their_planted_people_and_none_of_their_near_misses(
    demo_dir: Path,
) -> None:
    manifest = json.loads((demo_dir / "manifest.json").read_text(encoding="utf-8"))
    reasons = {
        "owns_vehicle": "vehicle",
        "property_beyond_limit": "property",
        "registered_business": "business",
        "provident_fund_deposits": "provident_fund",
    }
    planted = {p["kind"]: p for p in manifest["planted"]}
    misses = {m["key"]: m["kind"] for m in manifest["near_misses"] if m["kind"] in reasons}
    assert sorted(misses.values()) == sorted(reasons)
    engine = make_engine(database_url(str(demo_dir / "ledger.db")), read_only=True)
    with engine.connect() as connection:
        holds = connection.execute(
            sa.text(
                "SELECT DISTINCT r.key, h.reason FROM instruction_holds h"
                " JOIN payment_instructions i ON i.id = h.instruction_id"
                " JOIN recipients r ON r.id = i.recipient_id"
            )
        ).all()
    engine.dispose()
    for kind, reason in reasons.items():
        expected = {s["key"] for s in planted[kind]["subjects"]}
        assert {key for key, r in holds if r == reason} == expected, kind
        assert manifest["held"][kind] == planted[kind]["count"] > 0
    assert not {key for key, _ in holds} & set(misses)
    for name in ("vehicles", "property", "business", "provident_fund"):
        assert (demo_dir / "refdata" / f"{name}.csv").is_file()


def test_no_planted_deceased_employee_or_cadre_relative_is_in_a_bank_file(demo_dir: Path) -> None:
    manifest = json.loads((demo_dir / "manifest.json").read_text(encoding="utf-8"))
    planted = {p["kind"]: p for p in manifest["planted"]}
    keys = {
        s["key"]
        for kind in ("paid_after_death", "public_employee", "cadre_relative_unfiled")
        for s in planted[kind]["subjects"]
    }
    assert len(keys) == 8
    engine = make_engine(database_url(str(demo_dir / "ledger.db")), read_only=True)
    with engine.connect() as connection:
        paid = connection.execute(
            sa.text(
                "SELECT r.key, i.status FROM payment_instructions i"
                " JOIN recipients r ON r.id = i.recipient_id"
                " JOIN batches b ON b.id = i.batch_id"
                " WHERE b.exported_at IS NOT NULL AND i.status <> 'held'"
            )
        ).all()
        released = connection.execute(sa.text("SELECT COUNT(*) FROM hold_releases")).scalar()
    engine.dispose()
    assert released == 0
    assert not [row for row in paid if row.key in keys]
    # The bank files themselves: no card of theirs in any line (cards compared masked, as
    # the manifest holds them).
    cards = {
        s["account_number"]
        for kind in ("paid_after_death", "public_employee", "cadre_relative_unfiled")
        for s in planted[kind]["subjects"]
    }
    encodings = {".csv": "gb18030", ".txt": "gbk", ".xml": "utf-8"}
    written: set[str] = set()
    for path in (demo_dir / "bank").rglob("*.*"):
        if path.suffix in encodings:
            text = path.read_bytes().decode(encodings[path.suffix])
            written |= {mask(card) for card in re.findall(r"[0-9]{16,19}", text)}
    assert len(written) > 250 and not cards & written


def test_every_return_file_reads_and_carries_the_planted_lines(demo_dir: Path) -> None:
    reasons: set[str] = set()
    settled = failed = pending = 0
    for path in sorted((demo_dir / "returns").rglob("*.*")):
        lines = read_return(path).lines
        reasons |= set(lines["reason_code"].dropna())
        settled += int((lines["status"] == "settled").sum())
        failed += int((lines["status"] == "failed").sum())
        pending += int((lines["status"] == "pending").sum())
    assert {"AC04", "AC06", "BE01"} <= reasons
    # 处理中 at the bank (clearing_unresolved) and 待领取 on the signed cash list.
    assert failed > 0 and pending == 2 + 1 and settled > 500
    manifest = json.loads((demo_dir / "manifest.json").read_text(encoding="utf-8"))
    planted = {p["kind"]: p for p in manifest["planted"]}
    diverted_card = planted["never_instructed"]["subjects"][0]["account_number"]
    reported_card = planted["tampered_account"]["subjects"][0]["reported_account"]
    csv_text = "".join(
        p.read_bytes().decode("gb18030") for p in (demo_dir / "returns" / "2026-03").glob("*.csv")
    )
    cards = {mask(card) for card in re.findall(r"[0-9]{16,19}", csv_text)}
    assert diverted_card in cards and reported_card in cards


def test_the_manifest_holds_no_full_id_or_card_number(demo_dir: Path) -> None:
    text = (demo_dir / "manifest.json").read_text(encoding="utf-8")
    engine = make_engine(database_url(str(demo_dir / "ledger.db")), read_only=True)
    with engine.connect() as connection:
        people = dict(connection.execute(sa.text("SELECT key, id_number FROM recipients")).all())
        cards = set(
            connection.execute(sa.text("SELECT DISTINCT account_number FROM enrolments")).scalars()
        )
    engine.dispose()
    numbers = set(people.values()) | (cards - {""})  # cash payees have no card
    numbers |= set(re.findall(r"[0-9]{17}[0-9X]", _bank_text(demo_dir)))
    assert len(numbers) > 600
    assert not [n for n in numbers if n in text]
    manifest = json.loads(text)
    subjects = [s for p in manifest["planted"] for s in p["subjects"] if "id_number" in s]
    assert len(subjects) > 20
    for subject in subjects:
        assert subject["id_number"] == mask(people[subject["key"]])
        assert re.fullmatch(r"[0-9]{6}\*+[0-9]{3}[0-9X]", subject["id_number"])
        # A card masked; a cash payee (现金发放) has none.
        assert re.fullmatch(r"([0-9]{6}\*+[0-9]{4})?", subject["account_number"])


def _bank_text(demo_dir: Path) -> str:
    """The bank files (the one place full numbers belong), as text."""
    return "".join(
        p.read_bytes().decode("gb18030", errors="replace")
        for p in (demo_dir / "bank").rglob("*.*")
        if p.suffix in (".csv", ".txt", ".xml")
    )


def test_the_manifest_counts_what_it_lists_in_every_category(demo_dir: Path) -> None:
    manifest = json.loads((demo_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["periods"] == ["2026-03", "2026-04"]
    kinds = {p["kind"]: p for p in manifest["planted"]}
    assert {p["category"] for p in manifest["planted"]} == CATEGORIES
    for kind, item in kinds.items():
        assert item["count"] == len(item["subjects"]) == manifest["counts"][kind] > 0, kind
    # Every planted person is in the ledger (the key was filled from the database).
    people = [s for p in manifest["planted"] for s in p["subjects"] if "id_number" in s]
    assert people and all(s["key"] for s in people)
    assert kinds["invalid_identity"]["inserted_directly"] is True
    assert kinds["above_program_cap"]["inserted_directly"] is True
    engine = make_engine(database_url(str(demo_dir / "ledger.db")), read_only=True)
    with engine.connect() as connection:
        above = connection.execute(
            sa.text(
                "SELECT COUNT(DISTINCT r.id_number) FROM enrolments e "
                "JOIN recipients r ON r.id = e.recipient_id "
                "WHERE e.valid_to_import IS NULL AND e.status = 'active' "
                "AND ((e.program = 'dibao_urban' AND e.amount_fen > 90000) "
                "  OR (e.program = 'dibao_rural' AND e.amount_fen > 70000) "
                "  OR (e.program = 'tekun' AND e.amount_fen > 120000))"
            )
        ).scalar_one()
        dead_paid = connection.execute(
            sa.text(
                "SELECT COUNT(DISTINCT r.id_number) FROM payment_instructions i "
                "JOIN entitlements t ON t.id = i.entitlement_id "
                "JOIN recipients r ON r.id = t.recipient_id "
                "JOIN ref_deaths d ON d.id_number = r.id_number"
            )
        ).scalar_one()
    engine.dispose()
    assert above == kinds["above_program_cap"]["count"]
    assert dead_paid == kinds["paid_after_death"]["count"]


def test_the_same_seed_writes_the_same_roster(demo_dir: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    result = CliRunner().invoke(
        cli,
        [
            "demo",
            "--dir",
            str(again),
            "--recipients",
            "300",
            "--months",
            "1",
            "--seed",
            "7",
            "--first-period",
            "2026-03",
        ],
    )
    assert result.exit_code == 0, result.output
    name = "roster/roster-2026-03.csv"
    assert (again / name).read_bytes() == (demo_dir / name).read_bytes()


def test_a_directory_that_holds_a_demo_is_refused(demo_dir: Path) -> None:
    result = CliRunner().invoke(cli, ["demo", "--dir", str(demo_dir)])
    assert result.exit_code == 1
    assert "already holds a demo" in result.output


def test_the_demo_roster_has_rare_character_names_and_unique_newcomer_households(tmp_path):
    import numpy as np

    from ledger.county import load_county
    from ledger.demo.county import RARE_NAMES, base_roster, county_toml, new_people

    path = tmp_path / "county.toml"
    path.write_text(county_toml(), encoding="utf-8")
    county = load_county(path)
    rng = np.random.default_rng(3)
    roster = base_roster(county, 200, rng, "2026-03")
    names = set(roster.frame["姓名"])
    assert set(RARE_NAMES) <= names
    assert any(ord(ch) > 0xFFFF for name in names for ch in name)  # 𠮷, outside the BMP
    rare = roster.frame[roster.frame["姓名"].isin(RARE_NAMES)]
    assert set(rare["开户银行"]) == {"ICBC"}  # GBK bank files cannot hold them
    known = set(roster.frame["身份证号"])
    households = [
        set(new_people(county, roster.frame, 3, rng, "2026-05", known, code)["户编号"])
        for code in county.townships
    ]
    assert sum(len(h) for h in households) == len(set().union(*households))


# The demo's funds (seed 7, 300 recipients, 2026-03 and 2026-04) per program × source, fen:
# opening, carried in, allocated, sent, returned, recovered, in the bank, disbursed,
# available. By hand: orphan pays 1,000.00 a month against 1,200.00 central + 800.00
# provincial allocated each 1st: March drains 1,000.00 of March's central allocation,
# April the 200.00 left of it and March's provincial 800.00 (FIFO by allocation date).
# disability holds only the idle county allocation of 2025-11 (opening, never spent).
# linshi (临时救助): March's one-off cases pay 3 x 2,000 + 4 x 1,500 + 10 x 800 =
# 20,000.00 (an 18th, 3,000.00 for a public employee, is held); 26,000.00 allocated
# (23,000.00 asked + 10%, whole thousands up), FIFO: central 15,600.00, provincial 4,400.00.
DEMO_FUNDS = {
    ("dibao_urban", "central"): (0, 0, 7200000, 7420900, 399800, 0, 0, 7021100, 178900),
    ("dibao_urban", "provincial"): (0, 0, 4800000, 2794540, 0, 0, 0, 2794540, 2005460),
    ("dibao_urban", "total"): (0, 0, 12000000, 10215440, 399800, 0, 0, 9815640, 2184360),
    ("dibao_rural", "central"): (0, 0, 12240000, 12467600, 227600, 0, 135500, 12104500, 0),
    ("dibao_rural", "provincial"): (0, 0, 8160000, 4306900, 210000, 0, 0, 4096900, 4063100),
    ("dibao_rural", "total"): (0, 0, 20400000, 16774500, 437600, 0, 135500, 16201400, 4063100),
    ("tekun", "central"): (0, 0, 4140000, 3771600, 120000, 0, 150000, 3501600, 488400),
    ("tekun", "provincial"): (0, 0, 2760000, 1360000, 0, 0, 0, 1360000, 1400000),
    ("tekun", "total"): (0, 0, 6900000, 5131600, 120000, 0, 150000, 4861600, 1888400),
    ("orphan", "central"): (0, 0, 240000, 120000, 0, 0, 0, 120000, 120000),
    ("orphan", "provincial"): (0, 0, 160000, 80000, 0, 0, 0, 80000, 80000),
    ("orphan", "total"): (0, 0, 400000, 200000, 0, 0, 0, 200000, 200000),
    ("linshi", "central"): (0, 0, 1560000, 1560000, 0, 0, 0, 1560000, 0),
    ("linshi", "provincial"): (0, 0, 1040000, 440000, 0, 0, 0, 440000, 600000),
    ("linshi", "total"): (0, 0, 2600000, 2000000, 0, 0, 0, 2000000, 600000),
    ("disability", "county"): (20000000, 0, 0, 0, 0, 0, 0, 0, 20000000),
    ("disability", "total"): (20000000, 0, 0, 0, 0, 0, 0, 0, 20000000),
}
MEASURES = ("opening", "carried_in", "allocated", "sent", "returned", "recovered", "in_bank")
MEASURES += ("disbursed", "available")


def _funds_json(demo_dir: Path, *args: str) -> dict:
    result = CliRunner().invoke(
        cli,
        ["--db", str(demo_dir / "ledger.db"), "funds", "status", "--as-of", "2026-04-30",
         "--format", "json", "--county", str(demo_dir / "county.toml"), *args],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_the_demo_funds_by_source_match_the_table_and_the_journal(demo_dir: Path) -> None:
    by_source = _funds_json(demo_dir, "--by", "source")
    table = {
        (r["program"], r["source"]): tuple(r[f"{m}_fen"] for m in MEASURES)
        for r in by_source["rows"]
    }
    assert table == DEMO_FUNDS
    # Elapsed: 120 days of 365 (the required pace is the default, 100% of it).
    assert (by_source["elapsed"], by_source["required"]) == ("32.87%", "32.87%")
    behind = {(r["program"], r["source"]) for r in by_source["rows"] if r["behind"]}
    assert behind == {("disability", "county"), ("disability", "total")}
    # The totals agree with the journal's own per-program figures (no lineage involved).
    journal = _funds_json(demo_dir)["programs"]
    for (program, source), row in DEMO_FUNDS.items():
        if source == "total":
            got = dict(zip(MEASURES, row, strict=True))
            entry = journal[program]
            assert got["disbursed"] == entry["disbursed"], program
            assert got["in_bank"] == entry["in_bank"], program
            assert got["available"] == entry["available"], program
            assert got["allocated"] + got["opening"] == entry["allocated"], program
        else:
            allocated = journal[program]["allocated_by_source"][source]
            assert row[0] + row[2] == allocated, (program, source)


def test_a_county_too_small_for_the_plants_is_one_clear_error(tmp_path: Path) -> None:
    from ledger.demo.run import DemoOptions, run_demo
    from ledger.errors import LedgerError

    # 100 recipients (seed 7) leave too few people for every plant; the command line's
    # --recipients starts at 150.
    with pytest.raises(LedgerError, match="too small to plant every kind of anomaly"):
        run_demo(DemoOptions(tmp_path / "tiny", 100, 2, 7, "2026-03"))
    result = CliRunner().invoke(cli, ["demo", "--dir", str(tmp_path / "t"), "--recipients", "100"])
    assert result.exit_code == 2 and "100<=x" not in result.output and "150<=x" in result.output
