"""The asset lists (房子、车子、票子) at batch run and after payment, on both databases:
a recipient beyond the county's limits on the latest vehicle, property, business or
provident-fund list is held with the evidence, and found (M11-M14) once paid."""

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from ledger import payments, wording, wording_summaries
from ledger.county import County
from ledger.db.uow import UnitOfWork
from ledger.screening_limits import Screening
from tests.integration.test_holds import evidence, held
from tests.support.findings import (
    COUNTY,
    detect,
    enrol,
    fund,
    pay_period,
    person,
    pid,
    refdata,
)


def run(engine, county: County = COUNTY) -> None:
    with UnitOfWork(engine) as uow:
        payments.run_batches(
            uow, county, "2026-11", operator="maker", now=datetime(2026, 11, 2, tzinfo=UTC)
        )


def findings_evidence(engine, rule: str) -> list[dict[str, object]]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT evidence FROM findings WHERE rule = :r"), {"r": rule}
        ).scalars()
        return [json.loads(r) if isinstance(r, str) else r for r in rows]


def summaries(engine, rule: str) -> list[str]:
    with engine.connect() as connection:
        return [
            str(s)
            for s in connection.execute(
                sa.text("SELECT summary FROM findings WHERE rule = :r"), {"r": rule}
            ).scalars()
        ]


def vehicle(n: int, plate: str, **values: object) -> dict[str, object]:
    row: dict[str, object] = {"id_number": pid(n), "name": f"人{n}", "plate": plate}
    row.update({"vehicle_type": "小型轿车", "active": True, **values})
    return row


def home(n: int, certificate: str, area_dm2: int, **values: object) -> dict[str, object]:
    row: dict[str, object] = {"id_number": pid(n), "certificate_no": certificate}
    row.update({"area_dm2": area_dm2, "usage": "住宅", "active": True, **values})
    return row


def firm(n: int, code: str, capital_fen: int | None, **values: object) -> dict[str, object]:
    row: dict[str, object] = {"id_number": pid(n), "credit_code": code, "company": f"公司{n}"}
    row.update({"role": "法定代表人", "capital_fen": capital_fen, "active": True, **values})
    return row


def deposit(n: int, monthly_fen: int, **values: object) -> dict[str, object]:
    row: dict[str, object] = {"id_number": pid(n), "employer": "某公司"}
    row.update({"monthly_deposit_fen": monthly_fen, "paid_to": "2026-10", "active": True})
    row.update(values)
    return row


def test_a_vehicle_worth_more_than_the_limit_holds_an_exempt_or_cheap_or_scrapped_one_not(
    engine,
):
    enrol(engine, [person(n) for n in range(1, 7)])
    refdata(
        engine,
        "vehicles",
        [
            vehicle(1, "冀A12345", value_fen=50_000_01, registered_on=date(2020, 5, 1)),
            vehicle(2, "冀A12346", value_fen=50_000_00),  # at the limit: not above it
            vehicle(3, "冀A12347", value_fen=None),  # no value stated: held
            vehicle(4, "冀A12348", value_fen=90_000_00, vehicle_type="摩托车"),  # exempt
            vehicle(5, "冀A12349", value_fen=90_000_00, active=False, status="报废"),
        ],
    )
    run(engine)
    assert held(engine) == {"R0000001": {"vehicle"}, "R0000003": {"vehicle"}}
    first, second = evidence(engine, "vehicle")
    assert first[0] == "ref_vehicles" and first[1].endswith("row 2")
    assert str(first[2])[:10] == "2020-05-01"
    assert first[3:] == ("冀A12345", "小型轿车 50000.01")
    assert second[3:] == ("冀A12347", "小型轿车")


def test_only_the_latest_vehicle_list_counts(engine):
    enrol(engine, [person(1), person(2)])
    refdata(engine, "vehicles", [vehicle(2, "冀B00001", value_fen=200_000_00)])
    refdata(engine, "vehicles", [vehicle(1, "冀B00002", value_fen=200_000_00)])
    run(engine)
    assert held(engine) == {"R0000001": {"vehicle"}}


def test_more_properties_or_more_area_than_the_limits_hold(engine):
    enrol(engine, [person(n) for n in range(1, 6)])
    refdata(
        engine,
        "property",
        [
            home(1, "冀(2021)示范县不动产权第0000001号", 60_00),
            home(1, "冀(2021)示范县不动产权第0000002号", 55_50),  # a second home: held
            home(2, "冀(2021)示范县不动产权第0000003号", 150_01),  # above 150 m2: held
            home(3, "冀(2021)示范县不动产权第0000004号", 150_00),  # at the limit
            home(3, "冀(2021)示范县不动产权第0000005号", 12_00, usage="车位"),  # exempt use
            home(4, "冀(2021)示范县不动产权第0000006号", 80_00),
            home(4, "冀(2021)示范县不动产权第0000007号", 80_00, active=False, status="注销"),
        ],
    )
    run(engine)
    assert held(engine) == {"R0000001": {"property"}, "R0000002": {"property"}}
    first, second = evidence(engine, "property")
    assert first[3:] == ("冀(2021)示范县不动产权第0000001号", "2 / 115.50 m2")
    assert second[4] == "1 / 150.01 m2"


def test_a_business_with_capital_above_the_limit_or_none_stated_holds(engine):
    enrol(engine, [person(n) for n in range(1, 6)])
    refdata(
        engine,
        "business",
        [
            firm(1, "91130123MA0000001X", 100_000_01),
            firm(2, "91130123MA0000002X", 100_000_00),  # at the limit
            firm(3, "92130123MA0000003X", None, role="经营者"),  # 个体户, no capital: held
            firm(4, "91130123MA0000004X", 900_000_00, active=False, status="注销"),
        ],
    )
    run(engine)
    assert held(engine) == {"R0000001": {"business"}, "R0000003": {"business"}}
    first, second = evidence(engine, "business")
    assert first[3:] == ("91130123MA0000001X", "公司1 法定代表人 100000.01")
    assert second[4] == "公司3 经营者"


def test_a_current_provident_fund_deposit_holds_a_sealed_account_does_not(engine):
    enrol(engine, [person(1), person(2), person(3)])
    refdata(
        engine,
        "provident_fund",
        [deposit(1, 360_00), deposit(2, 480_00, active=False, status="封存")],
    )
    run(engine)
    assert held(engine) == {"R0000001": {"provident_fund"}}
    assert evidence(engine, "provident_fund")[0][3:] == ("某公司", "360.00 2026-10")


@pytest.mark.parametrize(
    ("limits", "expected"),
    [
        (Screening(provident_fund_monthly_max_fen=360_00), {}),
        (Screening(provident_fund_monthly_max_fen=359_99), {"R0000001": {"provident_fund"}}),
    ],
)
def test_the_countys_provident_fund_limit_decides(engine, limits, expected):
    enrol(engine, [person(1)])
    refdata(engine, "provident_fund", [deposit(1, 360_00)])
    run(engine, county=replace(COUNTY, screening=limits))
    assert held(engine) == expected


def test_the_countys_vehicle_limits_decide(engine):
    enrol(engine, [person(1), person(2)])
    refdata(
        engine,
        "vehicles",
        [
            vehicle(1, "冀C00001", value_fen=80_000_00),
            vehicle(2, "冀C00002", value_fen=20_000_00, vehicle_type="摩托车"),
        ],
    )
    limits = Screening(vehicle_value_max_fen=10_000_00, vehicle_exempt_types=())
    run(engine, county=replace(COUNTY, screening=limits))
    assert held(engine) == {"R0000001": {"vehicle"}, "R0000002": {"vehicle"}}


def test_the_staff_category_is_in_the_evidence(engine):
    enrol(engine, [person(1)])
    refdata(
        engine,
        "staff",
        [{"id_number": pid(1), "name": "人1", "employer": "教育局", "category": "离退休",
          "account_numbers": []}],
    )  # fmt: skip
    run(engine)
    assert held(engine) == {"R0000001": {"public_employee"}}
    assert evidence(engine, "public_employee")[0][3:] == ("教育局", "人1 离退休")


ASSET_CASES = [
    (
        "M11",
        "vehicles",
        [vehicle(1, "冀A88888", value_fen=120_000_00)],
        "owns vehicle 冀A88888 (小型轿车, 120000.00), above the vehicle limit",
        "名下有车辆冀A88888（小型轿车，价值120000.00元），超过车辆标准",
    ),
    (
        "M12",
        "property",
        [home(1, "P-1", 90_00), home(1, "P-2", 90_00)],
        "owns 2 properties of 180.00 m2 in total, beyond the property limits",
        "名下不动产2处，建筑面积合计180.00平方米，超过住房标准",
    ),
    (
        "M13",
        "business",
        [firm(1, "91130123MA0000001X", None)],
        "法定代表人 of 公司1 (91130123MA0000001X), registered capital no stated value",
        "为公司1（91130123MA0000001X）的法定代表人，注册资本未登记",
    ),
    (
        "M14",
        "provident_fund",
        [deposit(1, 600_00)],
        "deposits 600.00 yuan a month into a housing provident fund through 某公司",
        "通过某公司每月缴存住房公积金600.00元",
    ),
]


@pytest.mark.parametrize(("rule", "kind", "rows", "said", "zh"), ASSET_CASES)
def test_a_list_imported_after_the_payment_makes_it_a_finding(
    engine, tmp_path: Path, rule, kind, rows, said, zh
):
    enrol(engine, [person(1, amount_fen=512_34), person(2)])
    fund(engine, {"dibao_rural"})
    pay_period(engine, tmp_path)
    refdata(engine, kind, rows)  # the list arrives after the money has gone
    assert detect(engine, rule) == {"R0000001": 512_34}
    assert summaries(engine, rule) == [said]
    assert wording_summaries.summary(COUNTY, rule, said, "zh", "?") == zh
    (evidence_row,) = findings_evidence(engine, rule)
    facts = wording.evidence_facts(COUNTY, evidence_row, "zh")
    assert "比对：" + wording.REFERENCES[str(evidence_row["reference"])] in facts
    assert "第2行" in facts and len(facts) >= 3
    assert not any(
        "_fen" in f or "_dm2" in f for f in wording.evidence_facts(COUNTY, evidence_row, "en")
    )


def test_a_list_below_the_limits_makes_no_finding(engine, tmp_path: Path):
    enrol(engine, [person(1)])
    fund(engine, {"dibao_rural"})
    pay_period(engine, tmp_path)
    refdata(engine, "vehicles", [vehicle(1, "冀A77777", value_fen=30_000_00)])
    refdata(engine, "property", [home(1, "P-9", 100_00)])
    refdata(engine, "business", [firm(1, "91130123MA0000009X", 50_000_00)])
    refdata(engine, "provident_fund", [deposit(1, 0)])
    assert [detect(engine, rule) for rule in ("M11", "M12", "M13", "M14")] == [{}, {}, {}, {}]
