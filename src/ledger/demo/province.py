"""``ledger demo province``: several demo counties of one province, with cross-county
cases planted, each county run for one month through the services and extracted.

Each county is a real ledger (``DIR/county-<code>/``: county.toml, ledger.db, files) with
the demo's roster generator (``ledger.demo.county.base_roster``) and operators; the month
is run as in ``ledger demo``: roster import, reference lists, allocations, batch run,
approval, export, the simulated bank's return (every line paid), reconciliation. Then the
auditor writes each county's province extract to ``DIR/extracts`` with the demo key.

Planted (``DIR/manifest.json``, one entry per case with its rule, both counties and the
amount at risk in fen) and near misses: ``ledger.demo.province_cases``.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ledger import payments, reconciliation, refdata
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
from ledger.demo.province_cases import plant
from ledger.demo.roles import AUDITOR, CHECKER, CIVIL_AFFAIRS, MAKER
from ledger.errors import LedgerError
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
    near_misses: list[dict[str, Any]]


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
    codes = [c.code for c in made]
    return ProvinceResult(directory, extracts, path, period, codes, planted, near)
