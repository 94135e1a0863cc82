"""Synthetic rosters for tests, demos and benches: seeded, realistic, valid by default.

Names are Chinese, including rare characters (䶮, 𠮷 outside the BMP) that break naive
encodings; ID numbers are valid GB 11643 numbers with the county's own region code and
unique birth date + sequence; card numbers start with a real-looking BIN per bank and
pass Luhn. Everything is generated column-wise with numpy, so 10^6 rows take seconds.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from ledger.county import County
from ledger.money import format_yuan

SURNAMES = [
    *"王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕",
    *"丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴",
    "欧阳",
    "司马",
    "诸葛",
    "上官",
]
GIVEN = list(
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍鹏辉玲红建国桂兰志强"
    "春梅淑珍丹凤海燕晓东文彬子涵梓萱浩然雨轩欣怡一诺俊杰思远婷婷佳怡宇航"
)
RARE = ["䶮", "𠮷", "堃", "喆", "犇", "淼", "昇", "甯", "珺", "彧"]
BINS = {"ICBC": "622202", "RCC": "623191", "ABC": "622848", "CCB": "621700", "BOC": "621661"}
_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_CHECK = np.array(list("10X98765432"))


def id_numbers(rng: np.random.Generator, n: int, region: str) -> np.ndarray:
    """``n`` distinct valid 18-digit ID numbers of ``region`` (6 digits)."""
    start = np.datetime64("1930-01-01")
    days = int((np.datetime64("2020-12-31") - start).astype(int))
    chosen: np.ndarray = np.zeros(0, dtype=np.int64)
    while len(chosen) < n:
        extra = rng.integers(0, days * 1000, size=int((n - len(chosen)) * 1.1) + 10)
        chosen = np.unique(np.concatenate([chosen, extra]))
    chosen = rng.permutation(chosen)[:n]
    births = (start + (chosen // 1000).astype("timedelta64[D]")).astype("datetime64[D]")
    text = pd.Series(births.astype(str)).str.replace("-", "", regex=False)
    seq = pd.Series(chosen % 1000).astype(str).str.zfill(3)
    body = region + text + seq
    raw = np.frombuffer("".join(body.tolist()).encode("ascii"), dtype=np.uint8)
    digits = raw.reshape(-1, 17).astype(np.int64) - ord("0")
    check = _CHECK[(digits @ _WEIGHTS) % 11]
    return (body + check).to_numpy(dtype=object)


def card_numbers(rng: np.random.Generator, banks: np.ndarray, luhn_rate: float = 1.0) -> np.ndarray:
    """19-digit card numbers with each bank's BIN, passing Luhn (a ``1 - luhn_rate``
    share are passbook-style numbers that do not)."""
    n = len(banks)
    bins = pd.Series(banks).map(lambda b: BINS.get(b, "621999")).to_numpy(dtype=object)
    body_digits = rng.integers(0, 10, size=(n, 12))
    bin_digits = np.frombuffer("".join(bins).encode("ascii"), dtype=np.uint8).reshape(n, 6)
    digits = np.concatenate([bin_digits.astype(np.int64) - ord("0"), body_digits], axis=1)
    # Luhn over body (18 digits): from the right of the body, positions 0, 2, ... doubled.
    rev = digits[:, ::-1].copy()
    rev[:, 0::2] *= 2
    rev[rev > 9] -= 9
    check = (10 - rev.sum(axis=1) % 10) % 10
    broken = rng.random(n) > luhn_rate
    check = np.where(broken, (check + 1) % 10, check)
    all_digits = np.concatenate([digits, check[:, None]], axis=1) + ord("0")
    return np.array(
        [row.tobytes().decode("ascii") for row in all_digits.astype(np.uint8)], dtype=object
    )


def names(rng: np.random.Generator, n: int, rare_rate: float = 0.002) -> np.ndarray:
    surname = np.array(SURNAMES, dtype=object)[rng.integers(0, len(SURNAMES), n)]
    given = np.array(GIVEN, dtype=object)
    first = given[rng.integers(0, len(GIVEN), n)]
    second = given[rng.integers(0, len(GIVEN), n)]
    rare = rng.random(n) < rare_rate
    second = np.where(rare, np.array(RARE, dtype=object)[rng.integers(0, len(RARE), n)], second)
    two = rng.random(n) < 0.7
    return surname + first + np.where(two, second, "")


def roster(
    county: County, n: int, *, seed: int = 1, month: str = "2026-01", luhn_rate: float = 1.0
) -> pd.DataFrame:
    """A roster of ``n`` enrolments with the file's Chinese headers, as text cells."""
    rng = np.random.default_rng(seed)
    ids = id_numbers(rng, n, county.code)
    person_names = names(rng, n)
    villages = [(t, v) for t in county.townships.values() for v in t.villages]
    place = rng.integers(0, len(villages), n)
    programs = [p for p in county.programs.values() if p.code != "orphan"] or list(
        county.programs.values()
    )
    program_index = rng.integers(0, len(programs), n)
    banks = [code for code in county.banks if code not in county.cash_banks]  # all carded
    bank = np.array(banks, dtype=object)[rng.integers(0, len(banks), n)]
    size = rng.integers(1, 6, n)
    caps = np.array([p.monthly_cap_fen for p in programs])[program_index]
    amount = np.minimum(caps, size * rng.integers(150, 400, n) * 100)
    start_year = rng.integers(2018, int(month[:4]) + 1, n)
    start_month = rng.integers(1, 13, n)
    start = [f"{y}-{m:02d}" for y, m in zip(start_year, start_month, strict=True)]
    start = [min(s, month) for s in start]
    frame = pd.DataFrame(
        {
            "身份证号": ids,
            "姓名": person_names,
            "性别": np.where(
                pd.Series(ids).str.slice(16, 17).astype(int).to_numpy() % 2 == 1, "男", "女"
            ),
            "救助项目": np.array([p.code for p in programs], dtype=object)[program_index],
            "乡镇": np.array([t.name for t, _ in villages], dtype=object)[place],
            "村": np.array([v.name for _, v in villages], dtype=object)[place],
            "户编号": [f"H{county.code}{i:08d}" for i in range(1, n + 1)],
            "家庭人口": size.astype(str),
            "月发放金额(元)": [format_yuan(int(a)) for a in amount],
            "开户银行": bank,
            "银行账号": card_numbers(rng, bank, luhn_rate),
            "账户户名": person_names.copy(),
            "起始月份": start,
            "终止月份": "",
            "退出日期": "",
            "状态": "正常",
        }
    )
    return frame


def next_month(frame: pd.DataFrame, *, seed: int = 2, change_rate: float = 0.05) -> pd.DataFrame:
    """The same roster a month later: a share of amounts and accounts changed, a share
    of people gone, and new people (with fresh valid IDs) in their place."""
    rng = np.random.default_rng(seed)
    out = frame.copy()
    n = len(out)
    amount_changed = rng.random(n) < change_rate
    fen = out["月发放金额(元)"].str.replace(".", "", regex=False).astype("int64")
    out.loc[amount_changed, "月发放金额(元)"] = [
        format_yuan(int(max(100, v - 1000))) for v in fen[amount_changed]
    ]
    account_changed = rng.random(n) < change_rate / 2
    out.loc[account_changed, "银行账号"] = card_numbers(
        rng, out.loc[account_changed, "开户银行"].to_numpy(dtype=object)
    )
    gone = rng.random(n) < change_rate / 2
    kept = out[~gone]
    region = str(frame["身份证号"].iloc[0])[:6]
    fresh = frame.sample(n=int(gone.sum()), random_state=seed).copy()
    new_ids = id_numbers(rng, len(fresh) + n, region)
    known = set(frame["身份证号"])
    new_ids = np.array([i for i in new_ids if i not in known][: len(fresh)], dtype=object)
    fresh["身份证号"] = new_ids
    fresh["性别"] = np.where(
        pd.Series(new_ids).str.slice(16, 17).astype(int).to_numpy() % 2 == 1, "男", "女"
    )
    fresh["户编号"] = [f"N{i:09d}" for i in range(len(fresh))]
    return pd.concat([kept, fresh], ignore_index=True)


def write_roster_csv(frame: pd.DataFrame, path: str | Path, *, encoding: str = "utf-8") -> Path:
    """Write a roster as CSV; ``encoding`` "gb18030" writes what Chinese banks and
    government systems export."""
    path = Path(path)
    frame.to_csv(path, index=False, encoding=encoding, lineterminator="\n")
    return path
