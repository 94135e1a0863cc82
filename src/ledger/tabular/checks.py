"""Vectorised checks of a chunk's columns (``Checker``): IDs, months, days, choices."""

from datetime import date

import numpy as np
import pandas as pd

from ledger.columns import ROW
from ledger.identity import ascii_digits, birth_dates, id_check_ok
from ledger.money import parse_yuan
from ledger.tabular.model import Problems
from ledger.tabular.values import per_unique

_MONTH = r"(\d{4})[-/.]?(\d{1,2})(?:[-/.]\d{1,2})?"
_DAY = r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})|(\d{4})(\d{2})(\d{2})"


class Checker:
    """Vectorised checks of a chunk's columns: boolean masks become problems with row
    numbers and column labels; each check returns the normalised values (None where
    the value failed)."""

    def __init__(self, frame: pd.DataFrame, labels: dict[str, str], problems: Problems) -> None:
        self.frame = frame
        self.labels = labels
        self.problems = problems

    def flag(self, mask: pd.Series, key: str, message: str, *, warning: bool = False) -> None:
        mask = mask.fillna(False).astype(bool)
        if mask.any():
            rows = self.frame.loc[mask, ROW].tolist()
            self.problems.add_rows(rows, self.labels[key], message, warning=warning)

    def flag_index(self, index: pd.Index, key: str, message: str, *, warning: bool = False) -> None:
        if len(index):
            rows = self.frame.loc[index, ROW].tolist()
            self.problems.add_rows(rows, self.labels[key], message, warning=warning)

    def lookup(self, values: pd.Series, table: dict[str, str], key: str, message: str) -> pd.Series:
        folded = {k.lower(): v for k, v in table.items()}
        found = per_unique(values, lambda u: u.str.lower().map(folded))
        unknown = (values != "") & found.isna()
        if unknown.any():
            for value in values[unknown].unique()[:50]:
                rows = self.frame.loc[unknown & (values == value), ROW].tolist()
                self.problems.add_rows(rows, self.labels[key], f"{message} {value!r}")
        return found.where(found.notna(), None)

    def month(self, values: pd.Series, key: str) -> pd.Series:
        """ "YYYY-MM" (also YYYY/MM, YYYYMM, a spreadsheet date YYYY-MM-DD); None if not."""
        parsed = per_unique(values, _parse_months)
        self.flag((values != "") & parsed.isna(), key, "not a month (YYYY-MM)")
        return parsed

    def day(self, values: pd.Series, key: str) -> pd.Series:
        """ISO date text (also YYYY/MM/DD, YYYYMMDD); None if not a real date."""
        parsed = per_unique(values, _parse_days)
        self.flag((values != "") & parsed.isna(), key, "not a date (YYYY-MM-DD)")
        return parsed

    def id_numbers(
        self, values: pd.Series, key: str, province_prefix: str | None = None
    ) -> tuple[pd.Series, pd.Series]:
        """GB 11643 ID numbers: format, check character, real birth date (1900 to
        today); outside ``province_prefix``: a warning. Returns the valid IDs (upper-case
        X) and their birth dates (ISO), None elsewhere. Empty cells are not flagged."""
        ids = values.str.upper()
        present = ids != ""
        well_formed = pd.Series(ascii_digits(ids.tolist(), 18, last_x=True), index=ids.index)
        fifteen = pd.Series(ascii_digits(ids.tolist(), 15), index=ids.index)
        self.flag(
            present & fifteen,
            key,
            "a 15-digit ID number: write the 18-digit number (GB 11643) instead",
        )
        self.flag(
            present & ~well_formed & ~fifteen,
            key,
            "not an ID number: 18 characters, 17 digits then a digit or X "
            "(an ID stored as a spreadsheet number loses digits: store it as text)",
        )
        good = ids[well_formed]
        checksum = pd.Series(id_check_ok(good.tolist()), index=good.index, dtype=bool)
        self.flag_index(checksum.index[~checksum], key, "wrong check character (GB 11643)")
        births = pd.Series(birth_dates(good.tolist()), index=good.index)
        today = pd.Timestamp(date.today())
        impossible = births.isna() | (births > today) | (births < pd.Timestamp(1900, 1, 1))
        self.flag_index(births.index[impossible], key, "impossible birth date in the ID number")
        if province_prefix is not None:
            outside = good.str.slice(0, 2) != province_prefix
            self.flag_index(
                outside.index[outside],
                key,
                f"region code outside the province ({province_prefix}xxxx)",
                warning=True,
            )
        valid = pd.Series(False, index=values.index)
        valid[checksum.index[checksum]] = True
        valid[births.index[impossible]] = False
        birth_text = (
            pd.Series(
                np.datetime_as_string(births.to_numpy(), unit="D"), index=births.index, dtype=object
            )
            .where(births.notna(), None)
            .reindex(values.index)
        )
        return _or_none(ids.where(valid)), _or_none(birth_text.where(valid))

    def yuan(self, values: pd.Series, key: str) -> pd.Series:
        """Yuan text (``ledger.money.parse_yuan``: thousands commas and a ¥ allowed, no
        sign) as int fen, None where empty or not an amount. Each distinct malformed
        amount is flagged with the parser's reason (the first 50; any others with a
        general message), so a file of typos does not cost a loop per row."""
        parsed = per_unique(values, _parse_fen)
        bad = (values != "") & parsed.isna()
        if bad.any():
            distinct = values[bad].unique()
            for value in distinct[:50]:
                self.flag(bad & (values == value), key, _refusal(value))
            if len(distinct) > 50:
                self.flag(
                    bad & ~values.isin(distinct[:50]),
                    key,
                    "not a yuan amount with at most 2 decimals (e.g. 550.00)",
                )
        return parsed


def _parse_fen(values: pd.Series) -> pd.Series:
    out: list[int | None] = []
    for text in values:
        try:
            out.append(parse_yuan(text) if text != "" else None)
        except ValueError:
            out.append(None)
    return pd.Series(out, dtype=object)


def _refusal(text: str) -> str:
    """Why ``parse_yuan`` refuses ``text`` (which it does)."""
    try:
        parse_yuan(text)
    except ValueError as error:
        return str(error)
    raise AssertionError(f"{text!r} was flagged but parses")


def _or_none(series: pd.Series) -> pd.Series:
    """An object column with None for missing values (what the database drivers want)."""
    as_object = series.astype(object)
    return as_object.where(series.notna(), None)


def _parse_months(values: pd.Series) -> pd.Series:
    parts = values.str.extract(rf"^{_MONTH}$")
    ok = parts[0].notna()
    month = parts[1].where(ok, "0").astype("int64")
    ok &= (month >= 1) & (month <= 12)
    text = parts[0] + "-" + parts[1].str.zfill(2)
    return text.astype(object).where(ok, None)


def _parse_days(values: pd.Series) -> pd.Series:
    parts = values.str.extract(rf"^(?:{_DAY})$")
    year = parts[0].fillna(parts[3])
    month = parts[1].fillna(parts[4])
    day = parts[2].fillna(parts[5])
    text = year + "-" + month.str.zfill(2) + "-" + day.str.zfill(2)
    parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    return parsed.dt.strftime("%Y-%m-%d").astype(object).where(parsed.notna(), None)
