"""The root command's groups, each imported when it is first used.

``ledger --help`` lists every group with its one-line help; importing all of them (and
SQLAlchemy, pandas, the demo...) only to print that list took most of a second. The
table below names each group's module and its one-line help (a test checks that each
line is the group's own); the group's module, and the modules that add commands to it,
are imported when the command line names the group, or when a caller asks for it
(``cli.commands[name]``).
"""

import importlib
from collections.abc import Iterator
from dataclasses import dataclass

import click


@dataclass(frozen=True)
class Lazy:
    module: str  # under ledger.batch
    attribute: str
    summary: str  # the first paragraph of the group's help
    extras: tuple[str, ...] = ()  # modules (ledger.batch) that add commands to it


LAZY: dict[str, Lazy] = {
    "audit": Lazy("audit", "audit", "Verify the journal, and query balances as of any date."),
    "batch": Lazy(
        "payments",
        "batch",
        "Monthly payment batches: run, approve (maker-checker), export bank files.",
        ("kinds",),
    ),
    "config": Lazy(
        "config",
        "config",
        "The county configuration (县级配置: townships, programs, banks, thresholds).",
    ),
    "db": Lazy("db", "db", "Create, upgrade and inspect the database schema."),
    "demo": Lazy(
        "demo",
        "demo",
        "Create a synthetic county in DIR and run MONTHS months of it end to end.",
        ("province",),
    ),
    "findings": Lazy(
        "findings",
        "findings",
        "Exception findings (问题线索): withheld, diverted, misappropriated funds and "
        "fluctuations; detection, assignment, rectification and verification (整改销号).",
        ("findings_close",),
    ),
    "funds": Lazy(
        "funds",
        "funds",
        "Fund allocations (资金拨付) and the position of each program's money.",
        ("funds_year",),
    ),
    "journal": Lazy(
        "journal", "journal", "Show transactions, reverse one, close an accounting period."
    ),
    "oneoff": Lazy(
        "oneoff",
        "oneoff_group",
        "临时救助 one-off assistance: cases approved by checkers, paid once.",
    ),
    "operators": Lazy(
        "operators",
        "operators",
        "Operators (经办人员) and their roles: who may do what in this ledger.",
    ),
    "province": Lazy(
        "province",
        "province",
        "The province (省级): county extracts and cross-county detection on Spark.",
    ),
    "reconcile": Lazy(
        "reconcile",
        "reconcile",
        "Bank returns (回盘): import, cancel failed payments, status, report.",
    ),
    "refdata": Lazy(
        "refdata",
        "refdata",
        "Reference lists for audits: deaths, staff/payroll, cadres and near relatives, "
        "vehicles, property, business registrations, provident fund.",
    ),
    "registry": Lazy(
        "registry",
        "registry",
        "The recipient roster (救助对象名册): import it, follow each person's history.",
        ("kinds",),
    ),
    "report": Lazy(
        "report",
        "report",
        "Reports and printable documents: the exception report, recipient statements, "
        "public-disclosure lists.",
        ("report_documents",),
    ),
    "web": Lazy(
        "web",
        "web",
        "Serve the auditors' console over this ledger (docs/web.md): overview, findings and "
        "their lifecycle, a person's history, batches, bank lines and answers, accounts, the "
        "trial balance, search, CSV/XLSX downloads.",
    ),
}


def load(name: str) -> click.Command:
    """Import the group ``name`` and the modules that add commands to it."""
    entry = LAZY[name]
    command = getattr(importlib.import_module(f"ledger.batch.{entry.module}"), entry.attribute)
    for extra in entry.extras:
        module = importlib.import_module(f"ledger.batch.{extra}")
        if name == "demo" and extra == "province":  # `ledger demo province`
            command.add_command(module.demo_province)
    return command


class Commands(dict[str, click.Command]):
    """The root's commands by name: each group is imported when it is first looked up;
    iterating names every group without importing any."""

    def __missing__(self, name: str) -> click.Command:
        if name not in LAZY:
            raise KeyError(name)
        command = load(name)
        self[name] = command
        return command

    def get(self, name: str, default: click.Command | None = None) -> click.Command | None:  # type: ignore[override]
        try:
            return self[name]
        except KeyError:
            return default

    def __contains__(self, name: object) -> bool:
        return dict.__contains__(self, name) or name in LAZY

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(set(dict.keys(self)) | set(LAZY)))

    def __len__(self) -> int:
        return len(set(dict.keys(self)) | set(LAZY))

    def keys(self) -> list[str]:  # type: ignore[override]
        return list(self)

    def values(self) -> list[click.Command]:  # type: ignore[override]
        return [self[name] for name in self]

    def items(self) -> list[tuple[str, click.Command]]:  # type: ignore[override]
        return [(name, self[name]) for name in self]

    def loaded(self, name: str) -> bool:
        return dict.__contains__(self, name)
