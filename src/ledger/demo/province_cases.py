"""The cross-county cases ``ledger demo province`` plants (``plant``), and the near
misses that must not be found; the counties they are planted in are
``ledger.demo.province``'s (anything with a code, an ``enrol`` and reference lists).

Planted, one entry per case with its rule, both counties and the amount at risk in fen:
the same ID enrolled in two counties (P01), one account paying people of two counties
(P02), a death listed by one county and paid by another (P03), an unfiled relative of
one county's cadre paid by another (P04), one county's staff member (P05) and salary
account (P06) paid in another, one person under two IDs one digit apart (P07); a death
(P03) and a cadre's relative (P04) listed by one county with one digit of the ID wrong,
same name and birth date, paid by another (``match: near``). Near misses: a person who
moved (closed in the first county the month before the second county's first payment);
deaths listed near a recipient of another county: same name and birth date, ID two
digits apart; same name, ID one digit apart in the birth date; ID one sequence digit
apart, same birth date, another name.
"""

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from ledger import synth
from ledger.batches import shift_period
from ledger.identity import birth_date, id_check_char


class PlantedCounty(Protocol):
    code: str
    lists: dict[str, list[dict[str, str]]]

    def enrol(
        self, id_number: str, name: str, account: str, amount_fen: int, start: str, **more: str
    ) -> None: ...


def _ids(rng: np.random.Generator, n: int, region: str) -> list[str]:
    return [str(i) for i in synth.id_numbers(rng, n, region)]


def _one_digit_apart(id_number: str) -> str:
    """The same ID with its last sequence digit changed (and a valid check character)."""
    return _typed(id_number, {16: 2})


def _typed(id_number: str, steps: dict[int, int]) -> str:
    """The ID with digit ``p`` of the body raised by ``steps[p]`` (mod 10), a valid check
    character: an ID typed wrong where the checks cannot tell."""
    body = list(id_number[:17])
    for position, step in steps.items():
        body[position] = str((int(body[position]) + step) % 10)
    text = "".join(body)
    return text + id_check_char(text)


def _birth_year_typed(id_number: str) -> str:
    """The ID with the last digit of the birth year wrong (still a real date)."""
    for step in range(1, 10):
        typed = _typed(id_number, {9: step})
        if birth_date(typed) is not None:
            return typed
    raise AssertionError(id_number)  # pragma: no cover: only 29 February fails, not every year


def plant(
    counties: Sequence[PlantedCounty], rng: np.random.Generator, period: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Plant one case of each rule between pairs of counties; return (planted, near misses)."""
    n = len(counties)
    planted: list[dict[str, Any]] = []
    ids = iter(_ids(rng, 40, counties[0].code))
    names = iter(str(v) for v in synth.names(rng, 40, rare_rate=0.0))
    cards = iter(str(c) for c in synth.card_numbers(rng, np.array(["ICBC"] * 40, dtype=object)))
    earlier = shift_period(period, -30)
    fen = iter(range(50_100, 60_000, 100))  # distinct amounts: 501.00, 502.00 ... yuan

    def pair(k: int) -> tuple[PlantedCounty, PlantedCounty]:
        return counties[k % n], counties[(k + 1) % n]

    def case(
        rule: str, a: PlantedCounty, b: PlantedCounty, amount: int, how: str, **who: Any
    ) -> None:
        planted.append(
            {
                "rule": rule,
                "county_a": a.code,
                "county_b": b.code,
                "amount_fen": amount,
                "how": how,
                **who,
            }
        )

    # P01: enrolled and paid in two counties (the second enrolment is later).
    for k in range(2):
        a, b = pair(k)
        person, name = next(ids), next(names)
        a.enrol(person, name, next(cards), next(fen), earlier)
        amount = next(fen)
        b.enrol(person, name, next(cards), amount, period)
        case("P01", a, b, amount, "same ID on both rosters", subjects=[{"id_number": person}])
    # P02: one card paying a person of each of two counties.
    a, b = pair(2)
    card = next(cards)
    first, second = next(fen), next(fen)
    p, q = next(ids), next(ids)
    a.enrol(p, next(names), card, first, earlier)
    b.enrol(q, next(names), card, second, earlier)
    low, high = sorted((a, b), key=lambda c: c.code)  # P02 names the counties in order
    case(
        "P02",
        low,
        high,
        first + second,
        "one card on both rosters",
        subjects=[{"id_number": p}, {"id_number": q}],
    )
    # P03: died two months ago, listed in A, still paid in B.
    a, b = pair(3)
    dead, name, amount = next(ids), next(names), next(fen)
    b.enrol(dead, name, next(cards), amount, earlier)
    death = f"{shift_period(period, -2)}-15"
    a.lists["deaths"].append(
        {"身份证号": dead, "姓名": name, "死亡日期": death, "数据来源": "公安"}
    )
    case(
        "P03",
        a,
        b,
        amount,
        f"died {death}, on the death list of {a.code}",
        subjects=[{"id_number": dead}],
    )
    # P04: an unfiled relative of A's cadre paid in B.
    a, b = pair(4)
    cadre, relative, rname, amount = next(ids), next(ids), next(names), next(fen)
    b.enrol(relative, rname, next(cards), amount, earlier)
    a.lists["cadres"].append(
        {
            "干部身份证号": cadre,
            "干部姓名": next(names),
            "工作单位": "示范县民政局",
            "职务": "股长",
            "亲属身份证号": relative,
            "亲属姓名": rname,
            "关系": "子女",
            "是否备案": "否",
        }
    )
    case("P04", a, b, amount, "relative of a cadre, not filed", subjects=[{"id_number": relative}])
    # P05 and P06: A's staff member paid in B; A's staff salary account receiving in B.
    a, b = pair(5)
    staff, sname, amount = next(ids), next(names), next(fen)
    b.enrol(staff, sname, next(cards), amount, earlier)
    a.lists["staff"].append(
        {"身份证号": staff, "姓名": sname, "工作单位": "示范县财政局", "银行账号": ""}
    )
    case(
        "P05",
        a,
        b,
        amount,
        "on the staff roster of the other county",
        subjects=[{"id_number": staff}],
    )
    a, b = pair(6)
    salary, amount = next(cards), next(fen)
    b.enrol(next(ids), next(names), salary, amount, earlier)
    a.lists["staff"].append(
        {"身份证号": next(ids), "姓名": next(names), "工作单位": "示范县教育局", "银行账号": salary}
    )
    case("P06", a, b, amount, "paid into a staff salary account of the other county")
    # P07: the same person and birth date, IDs one digit apart, in two counties.
    a, b = pair(7)
    person, name = next(ids), next(names)
    a.enrol(person, name, next(cards), next(fen), earlier)
    amount = next(fen)
    typo = _one_digit_apart(person)
    b.enrol(typo, name, next(cards), amount, period)
    case(
        "P07",
        a,
        b,
        amount,
        "last sequence digit differs",
        subjects=[{"id_number": person}, {"id_number": typo}],
    )
    # The near miss: moved from A to B, closed in A the month before B's first payment.
    a, b = pair(8)
    mover, name = next(ids), next(names)
    before = shift_period(period, -1)
    a.enrol(
        mover,
        name,
        next(cards),
        next(fen),
        earlier,
        **{"终止月份": before, "退出日期": f"{before}-20", "状态": "退出"},
    )
    b.enrol(mover, name, next(cards), next(fen), period)
    near: list[dict[str, Any]] = [
        {
            "rule": "P01",
            "county_a": a.code,
            "county_b": b.code,
            "id_number": mover,
            "how": f"moved: closed in {a.code} from {period}, first paid in {b.code} in {period}",
        }
    ]
    # P03 and P04 by near match: A's death registry holds a death, A's cadre roster an
    # unfiled relative, each typed one digit wrong (a sequence digit, a region digit),
    # with the right name and birth date; B pays the person under the right ID.
    a, b = pair(9)
    dead, name, amount = next(ids), next(names), next(fen)
    b.enrol(dead, name, next(cards), amount, earlier)
    typed = _typed(dead, {15: 3})
    a.lists["deaths"].append(
        {"身份证号": typed, "姓名": name, "死亡日期": death, "数据来源": "公安"}
    )
    case(
        "P03",
        a,
        b,
        amount,
        f"died {death}, on the death list of {a.code} with one sequence digit wrong",
        match="near",
        subjects=[{"id_number": dead}, {"id_number": typed}],
    )
    a, b = pair(10)
    relative, rname, amount = next(ids), next(names), next(fen)
    b.enrol(relative, rname, next(cards), amount, earlier)
    typed = _typed(relative, {5: 1})
    a.lists["cadres"].append(
        {
            "干部身份证号": next(ids),
            "干部姓名": next(names),
            "工作单位": "示范县民政局",
            "职务": "科员",
            "亲属身份证号": typed,
            "亲属姓名": rname,
            "关系": "配偶",
            "是否备案": "否",
        }
    )
    case(
        "P04",
        a,
        b,
        amount,
        "relative of a cadre, not filed, listed with one region digit wrong",
        match="near",
        subjects=[{"id_number": relative}, {"id_number": typed}],
    )
    # Decoys (no finding): deaths listed in A near a person B pays: the same name and
    # birth date, IDs two digits apart; the same name, one digit apart in the birth year;
    # one sequence digit apart, same birth date, another name.
    a, b = pair(11)
    for how, change, same_name in (
        (
            "same name and birth date, IDs two digits apart",
            lambda v: _typed(v, {5: 1, 16: 2}),
            True,
        ),
        ("same name, IDs one digit apart in the birth year", _birth_year_typed, True),
        ("IDs one sequence digit apart, same birth date, another name", _one_digit_apart, False),
    ):
        alive, name = next(ids), next(names)
        b.enrol(alive, name, next(cards), next(fen), earlier)
        listed = change(alive)
        a.lists["deaths"].append(
            {
                "身份证号": listed,
                "姓名": name if same_name else next(names),
                "死亡日期": death,
                "数据来源": "公安",
            }
        )
        near.append(
            {
                "rule": "P03",
                "county_a": a.code,
                "county_b": b.code,
                "id_number": alive,
                "how": f"paid in {b.code}, a death listed in {a.code}: {how}",
                "subjects": [{"id_number": alive}, {"id_number": listed}],
            }
        )
    return planted, near
