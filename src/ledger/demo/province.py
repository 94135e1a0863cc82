"""``ledger demo province``: several demo counties of one province, with cross-county
cases planted, each county run for one month through the services and extracted.

Each county is a real ledger (``DIR/county-<code>/``: county.toml, ledger.db, files) with
the demo's roster generator (``ledger.demo.county.base_roster``) and operators; the month
is run as in ``ledger demo``: roster import, reference lists, allocations, batch run,
approval, export, the simulated bank's return (every line paid), reconciliation. Then the
auditor writes each county's province extract to ``DIR/extracts`` with the demo key.

Planted (``DIR/manifest.json``, one entry per case with its rule, both counties and the
amount at risk in fen): the same ID enrolled in two counties (P01), one account paying
people of two counties (P02), a death listed by one county and paid by another (P03), an
unfiled relative of one county's cadre paid by another (P04), one county's staff member
(P05) and salary account (P06) paid in another, one person under two IDs one digit
apart (P07). The near miss: a person who moved, closed in the first county the month
before the second county's first payment (no finding).
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ledger import payments, reconciliation, refdata, synth
from ledger.batches import shift_period
from ledger.county import County, load_county
from ledger.db.engine import database_url, make_engine
from ledger.db.migrate import upgrade
from ledger.db.uow import UnitOfWork
from ledger.demo.anomalies import masked
from ledger.demo.bank import SimulatedBank
from ledger.demo.commands import (
    allocate,
    import_reference_list,
    import_roster,
    register_operators,
)
from ledger.demo.county import COUNTY_CODE, base_roster, county_toml
from ledger.demo.roles import AUDITOR, CHECKER, CIVIL_AFFAIRS, MAKER
from ledger.errors import LedgerError
from ledger.identity import id_check_char
from ledger.province.extract import extract

CODES = tuple(f"1301{n:02d}" for n in range(23, 32))
DEMO_KEY = "demo-province-extract-key-2026"
PROGRAM = "dibao_rural"


@dataclass
class ProvinceResult:
    directory: Path
    extracts: Path
    manifest: Path
    period: str
    counties: list[str]
    planted: list[dict[str, Any]]


def _at(period: str, day: int, hour: int = 9) -> datetime:
    return datetime(int(period[:4]), int(period[5:7]), day, hour, tzinfo=UTC)


class _County:
    def __init__(self, root: Path, code: str, index: int, n: int, period: str, seed: int):
        self.code, self.period = code, period
        self.dir = root / f"county-{code}"
        self.rng = np.random.default_rng(seed + index)
        self.dir.mkdir(parents=True)
        text = county_toml().replace(f'code = "{COUNTY_CODE}"', f'code = "{code}"', 1)
        text = text.replace('name = "示范县"', f'name = "示范{index + 1}县"', 1)
        self.county_path = self.dir / "county.toml"
        self.county_path.write_text(text, encoding="utf-8")
        self.county: County = load_county(self.county_path)
        self.frame = base_roster(self.county, n, self.rng, period).frame
        self.extra: list[dict[Any, Any]] = []
        self.lists: dict[str, list[dict[str, str]]] = {"deaths": [], "staff": [], "cadres": []}

    def enrol(
        self, id_number: str, name: str, account: str, amount_fen: int, start: str, **more: str
    ) -> None:
        """One planted roster row (program dibao_rural, the first township, ICBC)."""
        row = self.frame.iloc[0].to_dict()
        row.update(
            {
                "身份证号": id_number,
                "姓名": name,
                "账户户名": name,
                "性别": "男" if int(id_number[16]) % 2 else "女",
                "救助项目": PROGRAM,
                "户编号": f"P{self.code}{len(self.extra):05d}",
                "家庭人口": "1",
                "月发放金额(元)": f"{amount_fen // 100}.{amount_fen % 100:02d}",
                "开户银行": "ICBC",
                "银行账号": account,
                "起始月份": start,
                "终止月份": "",
                "退出日期": "",
                "状态": "正常",
                **more,
            }
        )
        self.extra.append(row)

    def run(self) -> None:
        """The month, as ``ledger demo`` runs it, every bank line paid."""
        engine = make_engine(database_url(str(self.dir / "ledger.db")))
        upgrade(engine)
        register_operators(engine)
        folder = self.dir / "refdata"
        folder.mkdir()
        headers = {
            "deaths": refdata.headers("deaths"),
            "staff": ["身份证号", "姓名", "工作单位", "银行账号"],
            "cadres": refdata.headers("cadres"),
        }
        for kind, rows in self.lists.items():
            path = folder / f"{kind}.csv"
            pd.DataFrame(rows, columns=headers[kind]).to_csv(path, index=False, encoding="utf-8")
            if rows:
                import_reference_list(engine, kind, path, operator=CIVIL_AFFAIRS)
        roster = pd.concat([self.frame, pd.DataFrame(self.extra)], ignore_index=True)
        (self.dir / "roster").mkdir()
        path = self.dir / "roster" / f"roster-{self.period}.csv"
        roster.to_csv(path, index=False, encoding="gb18030", lineterminator="\r\n")
        import_roster(
            engine,
            self.county,
            path,
            month=self.period,
            operator=CIVIL_AFFAIRS,
            now=_at(self.period, 1),
        )
        fen = roster["月发放金额(元)"].str.replace(".", "", regex=False).astype("int64")
        for program, total in fen.groupby(roster["救助项目"]).sum().items():
            allocate(
                engine,
                self.county,
                source="central",
                program=str(program),
                amount=f"{int(total) // 100 + 1000}.00",
                doc=f"冀财社〔{self.period[:4]}〕1号",
                day=_at(self.period, 1).date(),
            )
        with UnitOfWork(engine) as uow:
            result = payments.run_batches(
                uow, self.county, self.period, operator=MAKER, now=_at(self.period, 5)
            )
        bank = SimulatedBank()
        for created in result.created:
            with UnitOfWork(engine) as uow:
                payments.approve(
                    uow,
                    created.id,
                    operator=CHECKER,
                    today=_at(self.period, 6).date(),
                    now=_at(self.period, 6),
                )
            with UnitOfWork(engine) as uow:
                done = payments.export(
                    uow,
                    self.county,
                    created.id,
                    self.dir / "bank",
                    operator=MAKER,
                    today=_at(self.period, 8).date(),
                    now=_at(self.period, 8),
                )
            answer = bank.answer(done.path, self.dir / "returns", now=_at(self.period, 11))
            with UnitOfWork(engine) as uow:
                reconciliation.import_return(
                    uow,
                    answer.path,
                    operator=CIVIL_AFFAIRS,
                    county_path=self.county_path,
                    today=_at(self.period, 12).date(),
                    now=_at(self.period, 12),
                )
        self.engine = engine


def _ids(rng: np.random.Generator, n: int, region: str) -> list[str]:
    return [str(i) for i in synth.id_numbers(rng, n, region)]


def _one_digit_apart(id_number: str) -> str:
    """The same ID with its last sequence digit changed (and a valid check character)."""
    body = id_number[:16] + str((int(id_number[16]) + 2) % 10)
    return body + id_check_char(body)


def plant(
    counties: list[_County], rng: np.random.Generator, period: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Plant one case of each rule between pairs of counties; return (planted, near misses)."""
    n = len(counties)
    planted: list[dict[str, Any]] = []
    ids = iter(_ids(rng, 40, counties[0].code))
    names = iter(str(v) for v in synth.names(rng, 40, rare_rate=0.0))
    cards = iter(str(c) for c in synth.card_numbers(rng, np.array(["ICBC"] * 40, dtype=object)))
    earlier = shift_period(period, -30)
    fen = iter(range(50_100, 60_000, 100))  # distinct amounts: 501.00, 502.00 ... yuan

    def pair(k: int) -> tuple[_County, _County]:
        return counties[k % n], counties[(k + 1) % n]

    def case(rule: str, a: _County, b: _County, amount: int, how: str, **who: Any) -> None:
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
    near = [
        {
            "rule": "P01",
            "county_a": a.code,
            "county_b": b.code,
            "id_number": mover,
            "how": f"moved: closed in {a.code} from {period}, first paid in {b.code} in {period}",
        }
    ]
    return planted, near


def run_province(
    directory: Path,
    *,
    counties: int,
    recipients: int,
    period: str,
    seed: int,
    progress: Any = lambda _m: None,
) -> ProvinceResult:
    if directory.exists() and any(directory.iterdir()):
        raise LedgerError(f"{directory} is not empty: choose another --dir or remove it")
    if not 2 <= counties <= len(CODES):
        raise LedgerError(f"--counties: 2 to {len(CODES)}")
    rng = np.random.default_rng(seed)
    made = [
        _County(directory, code, k, recipients, period, seed)
        for k, code in enumerate(CODES[:counties])
    ]
    planted, near = plant(made, rng, period)
    extracts = directory / "extracts"
    for county in made:
        progress(f"county {county.code}: the month {period}")
        county.run()
        with UnitOfWork(county.engine) as uow:
            extract(
                uow.connection,
                county=county.code,
                period=period,
                out=extracts,
                key=DEMO_KEY,
                operator=AUDITOR,
                now=_at(period, 26),
            )
        county.engine.dispose()
    document = {
        "generated_by": "ledger demo province",
        "seed": seed,
        "period": period,
        "recipients_per_county": recipients,
        "counties": [c.code for c in made],
        "extracts": str(extracts),
        "id_key": DEMO_KEY,
        "planted": planted,
        "near_misses": near,
    }
    path = directory / "manifest.json"
    path.write_text(
        json.dumps(masked(document), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return ProvinceResult(directory, extracts, path, period, [c.code for c in made], planted)
