"""Spreadsheet safety for cells written to CSV/XLSX that people open in Excel/WPS."""

import re

_NUMBER = re.compile(r"[-+]?[0-9][0-9,]*(\.[0-9]+)?")


def neutralise_cell(value: object) -> str:
    """The cell as text that a spreadsheet will not run as a formula.

    Text starting with = + - @ (or a tab/carriage return) gets a leading apostrophe;
    numbers such as "-12.50" stay numbers.
    """
    text = "" if value is None else str(value)
    if text and text[0] in "=+-@\t\r" and _NUMBER.fullmatch(text) is None:
        return "'" + text
    return text
