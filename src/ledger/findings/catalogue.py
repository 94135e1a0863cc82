"""The rule catalogue as Markdown, generated from the RULE records."""

from ledger.county import DEFAULT_THRESHOLDS
from ledger.findings import CATEGORIES, CATEGORY_TITLES, RULES
from ledger.screening_limits import DEFAULT_TEXT


def catalogue_markdown() -> str:
    lines = ["# Exception rules (问题线索规则)", ""]
    lines.append(
        "Generated from the RULE records in `src/ledger/findings/` "
        "(`ledger findings rules --format markdown`)."
    )
    for category in CATEGORIES:
        zh, en = CATEGORY_TITLES[category]
        lines += ["", f"## {en} ({zh})", ""]
        for rule in (r for r in RULES if r.category == category):
            lines += [f"### {rule.id} {rule.title_zh} / {rule.title_en}", ""]
            lines.append(f"- **Checks:** {rule.checks}")
            lines.append(f"- **Data:** {', '.join(rule.data)}")
            if rule.thresholds:
                defaults = {**DEFAULT_THRESHOLDS, **DEFAULT_TEXT}
                shown = [
                    f"`{t}` (default {defaults[t]})" if t in defaults else f"`{t}`"
                    for t in rule.thresholds
                ]
                lines.append(f"- **Thresholds:** {', '.join(shown)}")
            lines.append(f"- **Subject:** {rule.subject}; **severity:** {rule.severity}")
            if rule.amount:
                lines.append(f"- **Amount at risk:** {rule.amount}")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
