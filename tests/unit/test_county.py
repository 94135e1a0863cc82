from pathlib import Path

import pytest

from ledger.county import example_path, load_county
from ledger.errors import ValidationError


def test_the_shipped_example_is_valid():
    county = load_county(example_path())
    assert county.code == "130123"
    assert county.programs["tekun"].excludes == ("dibao_urban", "dibao_rural")
    assert county.programs["dibao_rural"].monthly_cap_fen == 70000
    assert county.banks["ICBC"].cnaps == "102100099996"


def test_every_problem_in_a_bad_configuration_is_named(tmp_path: Path):
    text = example_path().read_text(encoding="utf-8")
    text = text.replace('code = "130123"', 'code = "13012"')
    text = text.replace('monthly_cap = "700.00"', 'monthly_cap = "700.001"')
    text = text.replace('excludes = ["tekun"]\nspecial', 'excludes = ["nosuch"]\nspecial', 1)
    text = text.replace('cnaps = "402100000018"', 'cnaps = "4021"')
    path = tmp_path / "county.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        load_county(path)
    problems = caught.value.problems
    assert any(p.startswith("county.code:") for p in problems)
    assert any(p.startswith("programs.dibao_rural.monthly_cap:") for p in problems)
    assert any("unknown program 'nosuch'" in p for p in problems)
    assert any(p.startswith("banks.RCC.cnaps:") for p in problems)
    assert str(path) in str(caught.value)


def test_a_file_that_is_not_toml_is_refused_with_its_name(tmp_path: Path):
    path = tmp_path / "county.toml"
    path.write_text("[county\nname=", encoding="utf-8")
    with pytest.raises(ValidationError, match="not valid TOML"):
        load_county(path)


def test_the_limits_default_to_a_hundred_million_yuan_and_one_day():
    county = load_county(example_path())
    assert county.allocation_max_fen == 100_000_000_00
    assert county.future_days == 1


def test_the_limits_are_read_from_the_configuration_and_checked(tmp_path: Path):
    text = example_path().read_text(encoding="utf-8")
    path = tmp_path / "county.toml"
    path.write_text(
        text.replace('allocation_max = "100000000.00"', 'allocation_max = "5,000,000.00"').replace(
            "future_days = 1", "future_days = 0"
        ),
        encoding="utf-8",
    )
    county = load_county(path)
    assert (county.allocation_max_fen, county.future_days) == (5_000_000_00, 0)
    path.write_text(
        text.replace('allocation_max = "100000000.00"', "allocation_max = 1e9")
        .replace("future_days = 1", "future_days = 400")
        .replace("[limits]", "[limits]\nmax_payment = 3"),
        encoding="utf-8",
    )
    with pytest.raises(ValidationError) as caught:
        load_county(path)
    problems = caught.value.problems
    assert any(p.startswith("limits.allocation_max: not a positive yuan amount") for p in problems)
    assert any(p.startswith("limits.future_days: must be a whole number") for p in problems)
    assert any(p.startswith("limits.max_payment: unknown key") for p in problems)


def test_the_screening_limits_default_to_the_documented_values(tmp_path: Path):
    from ledger.screening_limits import DEFAULTS

    assert load_county(example_path()).screening == DEFAULTS
    text = example_path().read_text(encoding="utf-8")
    start = text.index("[screening]")
    without = text[:start] + text[text.index("# Approval of payment batches") :]
    path = tmp_path / "county.toml"
    path.write_text(without, encoding="utf-8")
    limits = load_county(path).screening
    assert limits == DEFAULTS
    assert (limits.vehicle_value_max_fen, limits.property_area_max_dm2) == (50_000_00, 150_00)


def test_the_screening_limits_are_read_and_every_bad_one_named(tmp_path: Path):
    text = example_path().read_text(encoding="utf-8")
    good = text.replace('vehicle_value_max = "50000.00"', 'vehicle_value_max = "80,000.50"')
    good = good.replace('property_area_max = "150.00"', 'property_area_max = "120.5"')
    good = good.replace("property_count_max = 1", "property_count_max = 2")
    good = good.replace('provident_fund_monthly_max = "0.00"', 'provident_fund_monthly_max = "300"')
    path = tmp_path / "county.toml"
    path.write_text(good, encoding="utf-8")
    limits = load_county(path).screening
    assert limits.vehicle_value_max_fen == 8_000_050
    assert (limits.property_count_max, limits.property_area_max_dm2) == (2, 12_050)
    assert limits.provident_fund_monthly_max_fen == 300_00
    bad = text.replace('vehicle_value_max = "50000.00"', "vehicle_value_max = 50000.0")
    bad = bad.replace('property_area_max = "150.00"', 'property_area_max = "150.005"')
    bad = bad.replace("property_count_max = 1", "property_count_max = -1")
    bad = bad.replace('business_capital_max = "100000.00"', 'business_capital_max = "-1"')
    bad = bad.replace('vehicle_exempt_types = ["摩托车"', 'vehicle_exempt_types = [1, "摩托车"')
    bad = bad.replace("[screening]\n", "[screening]\nhouse_max = 3\n")
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        load_county(path)
    problems = caught.value.problems
    for key in (
        "vehicle_value_max: not a yuan amount: write it as text",
        "property_area_max: '150.005' is not an area",
        "property_count_max: must be a whole number",
        "business_capital_max: not a yuan amount: '-1': a negative amount",
        "vehicle_exempt_types: must be a list of names",
        "house_max: unknown setting",
    ):
        assert any(p.startswith("screening." + key) for p in problems), (key, problems)
