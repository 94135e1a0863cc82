"""docs/rules.md is generated from the rules' own RULE records, so it cannot drift:
regenerate it with `ledger findings rules --format markdown > docs/rules.md`."""

from pathlib import Path

from ledger.findings.catalogue import catalogue_markdown

ROOT = Path(__file__).resolve().parents[2]


def test_the_rules_catalogue_in_docs_is_the_generated_one():
    assert (ROOT / "docs" / "rules.md").read_text(encoding="utf-8") == catalogue_markdown()
