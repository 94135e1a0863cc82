"""county.toml [institutions.CODE] (集中供养 care institutions): read, and every bad key
named as one problem."""

from pathlib import Path

import pytest

from ledger.county import example_path, load_county
from ledger.errors import ValidationError

GOOD = """
[institutions.JLY01]
name = "示范县中心敬老院"
township = "T01"
bank = "ICBC"
account_number = "0402020109300056789"
account_holder = "示范县中心敬老院"
credit_code = "12130123MB0000001X"
"""


def _county(tmp_path: Path, institutions: str) -> Path:
    text = example_path().read_text(encoding="utf-8")
    start = text.index("[institutions.JLY01]")
    end = text.index("\n\n", start)
    path = tmp_path / "county.toml"
    path.write_text(text[:start] + institutions.strip() + text[end:], encoding="utf-8")
    return path


def test_the_example_has_the_county_home_and_it_is_read(tmp_path: Path):
    home = load_county(_county(tmp_path, GOOD)).institutions["JLY01"]
    assert (home.name, home.township, home.bank) == ("示范县中心敬老院", "T01", "ICBC")
    assert (home.account_number, home.credit_code) == ("0402020109300056789", "12130123MB0000001X")
    assert load_county(example_path()).institutions["JLY01"] == home


def test_every_bad_key_of_an_institution_is_named(tmp_path: Path):
    bad = """
[institutions.JLY01]
name = "示范县中心敬老院"
township = "T09"
bank = "CCB"
account_number = "6217-12"
account_holder = ""
credit_code = "123"
beds = 120

[institutions.JLY02]
name = "示范县中心敬老院"
township = "T02"
bank = "RCC"
account_number = "62170000000000000002"
account_holder = "河口乡敬老院"
"""
    with pytest.raises(ValidationError) as caught:
        load_county(_county(tmp_path, bad))
    problems = caught.value.problems
    for start in (
        "institutions.JLY01.township: unknown township 'T09'",
        "institutions.JLY01.bank: unknown bank 'CCB'",
        "institutions.JLY01.account_number: must be 8 to 32 digits, got '6217-12'",
        "institutions.JLY01.account_holder: missing or empty",
        "institutions.JLY01.credit_code: must be the 18-character",
        "institutions.JLY01.beds: unknown key",
        "institutions.JLY02.name: '示范县中心敬老院' is also the name of institutions.JLY01",
    ):
        assert sum(p.startswith(start) for p in problems) == 1, (start, problems)
    assert len(problems) == 7, problems


def test_a_county_without_institutions_has_none(tmp_path: Path):
    assert load_county(_county(tmp_path, "")).institutions == {}
