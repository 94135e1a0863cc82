"""What counts as an English sentence in a Chinese document (the zh documents test).

The visible text of an HTML page (not <style>, <script>, <code>: commands and hashes are
code) is scanned for *three or more consecutive ASCII words*: runs of ASCII letters
(one letter is a word: "a") standing alone, not part of an id, code or amount such as
``R0000001``, ``BE01``, ``Assets:Treasury``, ``batch-000001.csv``, separated only by
spaces and ``, ; ( ) ' "``.
"the bank rejected" is a sentence; "SHA-256", "ICBC", "T01" and "2026-11" are not.
"""

import re
from html.parser import HTMLParser

_HIDDEN = {"style", "script", "code"}
WORD = r"(?<![\w.:/@\-])[A-Za-z]+(?![\w.:/@\-])"
SENTENCE = re.compile(WORD + r"(?:[ ,;()'\"]+" + WORD + r"){2,}")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hidden = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in _HIDDEN:
            self.hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "\n".join(parser.parts)


def english_sentences(text: str) -> list[str]:
    """Every English sentence in ``text`` (already visible text, or a table cell)."""
    return [m.group(0) for m in SENTENCE.finditer(text)]


def english_in_html(html: str) -> list[str]:
    return english_sentences(visible_text(html))
