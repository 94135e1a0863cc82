"""The roster file: its columns and the validation of its rows (DESIGN §2, §6).

Validation is vectorised over a chunk of rows (a pandas frame of text cells) and returns
the rows normalised to what the registry stores: codes instead of names, fen instead of
yuan, "YYYY-MM" months, ISO dates. Every problem is reported with its row and column;
errors refuse the whole file, warnings are shown and kept.

Rules, in the order they are checked for each row:
- required cells present (ID, name, program, township, village, household id and size,
  amount, bank, account number, account holder, start month);
- ID number: 18 characters (17 digits and a digit or X), GB 11643 check character, a
  real birth date (1900 to today); region prefix outside the county's province: warning;
  sex column disagreeing with the ID: warning;
- program, township, village (of that township) and bank: known codes or names;
- household size a whole number 1-99; 是否户主 (household head) 是/否, yes/no, 1/0 or
  empty (否): the 户主 whose card a household program (``pay_to = "household"``) pays;
  供养机构 (care institution) empty or a county.toml [institutions] code or name;
  amount an exact fen amount (at most 2 decimals), not above the program's monthly cap;
- account number 8-32 digits (spaces ignored); failing Luhn: warning (passbooks may not
  pass); account holder different from the name: warning;
- months "YYYY-MM" (end not before start), exit date a real date, status
  正常/暂停/退出 (active/suspended/exited; empty: active, or exited with an exit date);
  an exited row needs an exit date or end month; an exit date needs status exited.
Checks across rows (duplicate ID+program, one ID with two names, programs that
exclude each other) run in the database over the whole file (``ledger.registry_import``;
their SQL in ``ledger.db.registry_checks``).
"""

from collections.abc import Iterator

import numpy as np
import pandas as pd

from ledger.county import County
from ledger.identity import ascii_digits_between, luhn_ok
from ledger.money import format_yuan
from ledger.readahead import ReadAhead
from ledger.tabular import DEFAULT_CHUNK_ROWS, ROW, Checker, Column, Problems, Table, per_unique

COLUMNS: tuple[Column, ...] = (
    Column("id_number", "身份证号", also=("公民身份号码", "身份证号码")),
    Column("name", "姓名"),
    Column("sex", "性别", required=False),
    Column("program", "救助项目"),
    Column("township", "乡镇", also=("乡镇(街道)", "乡镇（街道）")),
    Column("village", "村", also=("村(社区)", "村（社区）")),
    Column("household_id", "户编号"),
    Column("household_size", "家庭人口"),
    Column("household_head", "是否户主", required=False, also=("户主标识",)),
    Column("institution", "供养机构", required=False, also=("集中供养机构",)),
    Column("monthly_amount", "月发放金额(元)", also=("月发放金额（元）", "月发放金额")),
    Column("bank", "开户银行"),
    Column("account_number", "银行账号"),
    Column("account_holder", "账户户名"),
    Column("start_month", "起始月份"),
    Column("end_month", "终止月份", required=False),
    Column("exit_date", "退出日期", required=False),
    Column("status", "状态", required=False),
)

# The stored fields of an enrolment version: a difference in any of them is a new version.
VERSIONED = (
    "township",
    "village",
    "household_id",
    "household_size",
    "amount_fen",
    "bank",
    "account_number",
    "account_holder",
    "start_month",
    "end_month",
    "exit_date",
    "status",
    "household_head",
    "institution",
)
# The normalised row the registry stores, in staging-table order.
STAGED = (
    "row_no",
    "id_number",
    "name",
    "sex",
    "birth_date",
    "program",
    *VERSIONED,
)

STATUS_WORDS = {
    "正常": "active",
    "active": "active",
    "暂停": "suspended",
    "suspended": "suspended",
    "退出": "exited",
    "exited": "exited",
}
HEAD_WORDS = {
    "是": True,
    "yes": True,
    "y": True,
    "1": True,
    "户主": True,
    "否": False,
    "no": False,
    "n": False,
    "0": False,
    "": False,
}
"""是否户主 (household head): empty is 否 (not the head)."""
SEX_WORDS = {"男": "M", "m": "M", "male": "M", "女": "F", "f": "F", "female": "F"}


# From this size on a file is read and validated in a worker process, one chunk ahead
# of the database: about 230,000 rows. Measured: at 10^5 rows the worker's start costs
# 0.3 s more than it saves, at 3x10^5 it saves 0.4 s, at 10^6 about 4 s.
READ_AHEAD_BYTES = 32_000_000


def validated_chunks(
    table: Table,
    county: County,
    problems: Problems,
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    read_ahead: bool | None = None,
) -> Iterator[pd.DataFrame]:
    """The file's rows, chunk by chunk, validated and normalised (``STAGED`` columns);
    their problems go to ``problems``.

    With ``read_ahead`` (default: for files of ``READ_AHEAD_BYTES`` and more) a worker
    process reads and validates the next chunk while the caller stores this one; the
    chunks, values and problems are the same either way.
    """
    if read_ahead is None:
        read_ahead = table.path.stat().st_size >= READ_AHEAD_BYTES
    if not read_ahead:
        for chunk in table.chunks(chunk_rows):
            yield validate_chunk(chunk, county, table.labels, problems)
        return
    worker = ReadAhead(_validate_parts, table, county, chunk_rows, problems.file, problems.limit)
    try:
        for normalised, found in worker:
            problems.absorb(found)
            yield normalised
    finally:
        worker.close()


def _validate_parts(
    table: Table, county: County, chunk_rows: int, file: str, limit: int
) -> Iterator[tuple[pd.DataFrame, Problems]]:
    """The read-ahead worker's job: each chunk normalised, with its own problems."""
    for chunk in table.chunks(chunk_rows):
        found = Problems(file, limit)
        yield validate_chunk(chunk, county, table.labels, found), found


MISSING = "required value is missing"


def validate_chunk(
    frame: pd.DataFrame, county: County, labels: dict[str, str], problems: Problems
) -> pd.DataFrame:
    """Check one chunk; add its problems; return its rows normalised (``STAGED`` columns).

    Values that failed a check are None in the result; the caller refuses the file then.
    """
    check = Checker(frame, labels, problems)
    out = pd.DataFrame({"row_no": frame[ROW].astype("int64")})

    # Cash payees (a bank with cash = true: 现金发放) have no account number.
    cash_names = {b.code for b in county.banks.values() if b.cash}
    cash_names |= {b.name for b in county.banks.values() if b.cash}
    cash = frame["bank"].isin(cash_names) if cash_names else pd.Series(False, index=frame.index)
    for key in (c.key for c in COLUMNS if c.required):
        missing = frame[key] == ""
        check.flag(missing & ~cash if key == "account_number" else missing, key, MISSING)

    # Identity
    valid_ids, births = check.id_numbers(frame["id_number"], "id_number", county.province_prefix)
    valid_id = valid_ids.notna()
    out["id_number"] = valid_ids
    out["birth_date"] = births
    id_sex = valid_ids[valid_id].str.slice(16, 17).astype(int).mod(2).map({1: "M", 0: "F"})

    out["name"] = frame["name"].where(frame["name"] != "", None)
    check.flag(frame["name"].str.len() > 64, "name", "longer than 64 characters")

    sex_text = per_unique(frame["sex"], lambda u: u.str.lower())
    sex = sex_text.map(SEX_WORDS)
    check.flag((sex_text != "") & sex.isna(), "sex", "must be 男/女 or M/F")
    disagrees = (
        sex.notna() & id_sex.reindex(frame.index).notna() & (sex != id_sex.reindex(frame.index))
    )
    check.flag(disagrees, "sex", "disagrees with the ID number's sex digit", warning=True)
    out["sex"] = id_sex.reindex(frame.index).where(valid_id, sex).astype(object)
    out["sex"] = out["sex"].where(out["sex"].notna(), None)

    # Codes: program, township, village, bank
    programs = {p.code: p.code for p in county.programs.values()}
    programs |= {p.name_zh: p.code for p in county.programs.values()}
    out["program"] = check.lookup(frame["program"], programs, "program", "unknown program")
    townships = {t.code: t.code for t in county.townships.values()}
    townships |= {t.name: t.code for t in county.townships.values()}
    out["township"] = check.lookup(frame["township"], townships, "township", "unknown township")
    villages: dict[str, str] = {}
    for t in county.townships.values():
        for v in t.villages:
            villages[f"{t.code}\x1f{v.code}"] = v.code
            villages[f"{t.code}\x1f{v.name}"] = v.code
    village_key = out["township"].fillna("?") + "\x1f" + frame["village"]
    village = village_key.map(villages)
    check.flag(
        (frame["village"] != "") & out["township"].notna() & village.isna(),
        "village",
        "unknown village (not a village of that township)",
    )
    out["village"] = village.where(village.notna(), None)
    banks = {b.code: b.code for b in county.banks.values()}
    banks |= {b.name: b.code for b in county.banks.values()}
    out["bank"] = check.lookup(frame["bank"], banks, "bank", "unknown bank")

    out["household_id"] = frame["household_id"].where(frame["household_id"] != "", None)
    check.flag(frame["household_id"].str.len() > 64, "household_id", "longer than 64 characters")
    size = per_unique(frame["household_size"], _parse_size)
    check.flag(
        (frame["household_size"] != "") & size.isna(),
        "household_size",
        "must be a whole number of people from 1 to 99",
    )
    out["household_size"] = size
    head_text = per_unique(frame["household_head"], lambda u: u.str.strip().str.lower())
    head = head_text.map(HEAD_WORDS)
    check.flag(head.isna(), "household_head", "must be 是/否 (yes/no), or empty (否)")
    out["household_head"] = head.where(head.notna(), False).astype(bool)
    # 供养机构: a care institution of county.toml (code or name); empty for everyone else.
    institutions = {i.code: i.code for i in county.institutions.values()}
    institutions |= {i.name: i.code for i in county.institutions.values()}
    out["institution"] = check.lookup(
        frame["institution"],
        institutions,
        "institution",
        "unknown institution (county.toml [institutions])",
    )
    home_bank = out["institution"].map({i.code: i.bank for i in county.institutions.values()})
    check.flag(
        home_bank.notna() & out["bank"].notna() & (home_bank != out["bank"]),
        "institution",
        "the institution's account is at another bank than this row's 开户银行 "
        "(its residents are paid in the batch of the institution's bank)",
    )

    # Money: exact fen, at most the program's cap
    parsed_fen = check.yuan(frame["monthly_amount"], "monthly_amount")
    amount_ok = parsed_fen.notna()
    fen = parsed_fen.where(amount_ok, 0).astype("int64")
    caps = out["program"].map({p.code: p.monthly_cap_fen for p in county.programs.values()})
    above = amount_ok & caps.notna() & (fen > caps.fillna(0).astype("int64"))
    for program in county.programs.values():
        mask = above & (out["program"] == program.code)
        check.flag(
            mask,
            "monthly_amount",
            f"above the monthly cap of {program.code} ({format_yuan(program.monthly_cap_fen)})",
        )
    out["amount_fen"] = fen.astype(object).where(amount_ok, None)

    # Bank account
    account = frame["account_number"]
    plain = pd.Series(ascii_digits_between(account.tolist(), 8, 32), index=account.index)
    if not plain.all():
        # Only cells that are not plain digits pay for the regex (blanks, dashes).
        spaced = account[~plain].str.replace(r"[\s-]", "", regex=True)
        account = account.copy()
        account[~plain] = spaced
        plain[~plain] = ascii_digits_between(spaced.tolist(), 8, 32)
    account_ok = plain & ~cash
    check.flag((account != "") & ~plain & ~cash, "account_number", "must be 8 to 32 digits")
    check.flag(
        cash & (account != ""),
        "account_number",
        "a cash payee (现金发放) has no account number: leave it empty or name a bank",
    )
    good_accounts = account[account_ok]
    luhn = pd.Series(luhn_ok(good_accounts.tolist()), index=good_accounts.index, dtype=bool)
    check.flag_index(
        luhn.index[~luhn],
        "account_number",
        "fails the Luhn check: verify it (passbook numbers may not pass)",
        warning=True,
    )
    out["account_number"] = account.where(account_ok, None).mask(cash & (account == ""), "")
    holder = frame["account_holder"]
    out["account_holder"] = holder.where(holder != "", None)
    check.flag(holder.str.len() > 64, "account_holder", "longer than 64 characters")
    check.flag(
        (holder != "") & (frame["name"] != "") & (holder != frame["name"]),
        "account_holder",
        "differs from the recipient's name (account held by someone else?)",
        warning=True,
    )

    # Months, exit date, status
    start = check.month(frame["start_month"], "start_month")
    end = check.month(frame["end_month"], "end_month")
    check.flag(start.notna() & end.notna() & (end < start), "end_month", "before the start month")
    exit_day = check.day(frame["exit_date"], "exit_date")
    status_text = per_unique(frame["status"], lambda u: u.str.lower())
    status = status_text.map(STATUS_WORDS)
    check.flag(
        (status_text != "") & status.isna(),
        "status",
        "must be 正常/暂停/退出 (active/suspended/exited)",
    )
    implied = pd.Series(
        np.where(exit_day.notna(), "exited", "active"), index=frame.index, dtype=str
    )
    status = status.where(status_text != "", implied)
    check.flag(
        (status == "exited") & exit_day.isna() & end.isna() & (frame["exit_date"] == ""),
        "status",
        "退出 (exited) needs an exit date or an end month",
    )
    check.flag(
        exit_day.notna() & status.isin(["active", "suspended"]),
        "exit_date",
        "an exit date is given but the status is not 退出 (exited)",
    )
    exit_month = exit_day.str.slice(0, 7)
    check.flag(
        exit_day.notna() & start.notna() & (exit_month < start),
        "exit_date",
        "before the start month",
    )
    end = end.where(end.notna() | (status != "exited"), exit_month)
    out["start_month"] = start.where(start.notna(), None)
    out["end_month"] = end.where(end.notna(), None)
    out["exit_date"] = exit_day.where(exit_day.notna(), None)
    out["status"] = status.where(status.notna(), None)
    return out[list(STAGED)]


def _parse_size(values: pd.Series) -> pd.Series:
    out = []
    for text in values:
        number = int(text) if text.isascii() and text.isdigit() else 0
        out.append(number if 1 <= number <= 99 else None)
    return pd.Series(out, dtype=object)
