"""An account's running balance, and the trial balance as a tree that rolls up:
program → township → recipient.

The tree sums the balances ``ledger.db.balances.trial_balance`` gives (int fen, so the
levels add up exactly): a program shows its treasury, its appropriations, the assistance
recognised and what is still owed; a township its assistance (the expense account) and
what its recipients are still owed; a recipient the payable account. The recipients of a
township are listed when it is opened (``?open=PROGRAM:TOWNSHIP``).
"""

import calendar
from datetime import date
from typing import Any

from flask import Blueprint, abort, g, request, url_for

from ledger.db import kept_reads, web_queries
from ledger.db.balances import Balance, RolledUp, roll_up, trial_balance
from ledger.db.journal_queries import account_statement
from ledger.db.kept_reads import PayableSum
from ledger.errors import LedgerError
from ledger.web import guard
from ledger.web.render import as_of_arg, show
from ledger.web.runtime import context, reading
from ledger.web.tables import Column, Table
from ledger.web.trail_links import SIGNED_AMOUNT, TRANSACTION

blueprint = Blueprint("money", __name__)


def _period_range(period: str | None) -> tuple[date | None, date | None]:
    if not period:
        return None, None
    try:
        year, month = (int(x) for x in period.split("-"))
        last = calendar.monthrange(year, month)[1]
        return date(year, month, 1), date(year, month, last)
    except ValueError:
        raise LedgerError(f"period {period!r}: give YYYY-MM") from None


@blueprint.route("/accounts/<path:name>")
@guard.page()
def account(name: str) -> Any:
    period = request.args.get("period") or None
    start, end = _period_range(period)
    download = bool(request.args.get("download"))
    limit = context().settings.page_rows
    with reading() as connection:
        try:
            opening, rows = account_statement(connection, name, date_from=start, date_to=end)
        except LedgerError:
            abort(404)
    table = Table(
        "statement",
        [
            Column("effective_date", "日期", "date"),
            TRANSACTION,
            Column("type", "类型", "type"),
            Column("description", "摘要", "description"),
            SIGNED_AMOUNT,
            Column("balance_fen", "余额", "balance", "money"),
            Column("instruction_id", "指令", "instruction", "int"),
        ],
        shown=None if download else limit,
    )
    balance = opening
    for r in rows:
        balance += int(r.amount_fen)
        links = {"transaction_id": url_for("trail.transaction", tx=r.transaction_id)}
        if r.instruction_id:
            links["instruction_id"] = url_for("trail.instruction", instruction_id=r.instruction_id)
        table.add(
            {
                "effective_date": str(r.effective_date),
                "transaction_id": r.transaction_id,
                "type": r.type,
                "description": r.description,
                "amount_fen": int(r.amount_fen),
                "balance_fen": balance,
                "instruction_id": r.instruction_id,
            },
            links,
        )
    return show(
        "account.html.j2",
        {"statement": table},
        title=name,
        name=name,
        period=period,
        opening=opening,
        closing=balance,
    )


def _node() -> dict[str, int]:
    return {"treasury": 0, "income": 0, "expense": 0, "accrued": 0, "cleared": 0, "owed": 0}


def _leaf(b: Balance) -> dict[str, int]:
    return {**_node(), "accrued": -b.credits_fen, "cleared": b.debits_fen, "owed": -b.balance_fen}


Sources = tuple[list[Balance], list[PayableSum], list[tuple[str, Balance]]]


def _tree_sources(connection: Any, as_of: date | None, opened: str, limit: int | None) -> Sources:
    """The accounts that are not payables, the payables per program and township, and
    the first ``limit`` of the opened township (``PROGRAM:TOWNSHIP``, ``?`` for none).
    Today's from the kept balances and roll-up; as of a past day from the postings."""
    program, _, town = opened.partition(":")
    if as_of is None:
        members = []
        if opened:
            township = None if town == "?" else town
            members = kept_reads.payables_of_township(connection, program, township, limit)
        return (
            kept_reads.shared_balances(connection),
            kept_reads.payables_by_township(connection),
            members,
        )
    townships = web_queries.payable_townships(connection)
    shared: list[Balance] = []
    groups: dict[tuple[str, str | None], list[int]] = {}
    people: list[tuple[str, Balance]] = []
    for b in trial_balance(connection, as_of=as_of):
        parts = b.account.split(":")
        if parts[:2] != ["Liabilities", "Payable"] or len(parts) != 4:
            shared.append(b)
            continue
        township = townships.get((parts[2], parts[3]))
        group = groups.setdefault((parts[2], township), [0, 0, 0, 0])
        for i, value in enumerate((b.balance_fen, b.debits_fen, b.credits_fen, 1)):
            group[i] += value
        if opened and (parts[2], township or "?") == (program, town):
            people.append((parts[3], b))
    sums = [PayableSum(p, t, *v) for (p, t), v in groups.items()]
    return shared, sums, sorted(people, key=lambda item: item[0])[:limit]


def _kinds(shared: list[Balance], sums: list[PayableSum]) -> list[RolledUp]:
    """The trial balance by account kind: the shared accounts' and the payables'."""
    kinds = {k.account: k for k in roll_up(shared, 1)}
    if sums:
        payables = RolledUp(
            "Liabilities",
            "Liabilities",
            sum(s.balance_fen for s in sums),
            sum(s.debits_fen for s in sums),
            sum(s.credits_fen for s in sums),
            sum(s.accounts for s in sums),
        )
        old = kinds.get("Liabilities")
        if old is not None:
            payables = RolledUp(
                old.account,
                old.kind,
                old.balance_fen + payables.balance_fen,
                old.debits_fen + payables.debits_fen,
                old.credits_fen + payables.credits_fen,
                old.accounts + payables.accounts,
            )
        kinds["Liabilities"] = payables
    return [kinds[name] for name in sorted(kinds)]


@blueprint.route("/trial-balance")
@guard.page()
def trial_balance_tree() -> Any:
    as_of = as_of_arg()
    opened = request.args.get("open") or ""
    # A township's recipients: a page's worth on the page, all of them in the download.
    limit = None if request.args.get("download") else context().settings.page_rows
    with reading() as connection:
        shared, sums, members = _tree_sources(connection, as_of, opened, limit)
    listed = {(s.program, s.township or "?"): s.accounts for s in sums}
    kinds = _kinds(shared, sums)
    programs: dict[str, dict[str, int]] = {}
    towns: dict[tuple[str, str], dict[str, int]] = {}
    people: dict[tuple[str, str], list[tuple[str, str, dict[str, int]]]] = {}
    for b in shared:
        parts = b.account.split(":")
        if parts[:2] == ["Assets", "Treasury"] and len(parts) == 3:
            programs.setdefault(parts[2], _node())["treasury"] += b.balance_fen
        elif parts[:2] == ["Income", "Appropriation"] and len(parts) == 4:
            programs.setdefault(parts[3], _node())["income"] -= b.balance_fen
        elif parts[:2] == ["Expenses", "Assistance"] and len(parts) == 4:
            for node in (
                programs.setdefault(parts[2], _node()),
                towns.setdefault((parts[2], parts[3]), _node()),
            ):
                node["expense"] += b.balance_fen
    for s in sums:
        town = s.township or "?"
        for node in (
            programs.setdefault(s.program, _node()),
            towns.setdefault((s.program, town), _node()),
        ):
            node["accrued"] -= s.credits_fen
            node["cleared"] += s.debits_fen
            node["owed"] -= s.balance_fen
    if members:
        program, _, town = opened.partition(":")
        people[(program, town)] = [(key, b.account, _leaf(b)) for key, b in members]
    columns = [
        Column("level", "层级", "level"),
        Column("name", "名称", "name"),
        Column("treasury", "专户余额", "treasury", "money"),
        Column("income", "拨入资金", "appropriated", "money"),
        Column("expense", "已确认救助支出", "assistance recognised", "money"),
        Column("accrued", "应付（计提）", "accrued", "money"),
        Column("cleared", "已付或核销", "paid or cancelled", "money"),
        Column("owed", "尚欠", "still owed", "money"),
    ]
    table = Table("trial_balance_tree", columns)
    county = context().county
    zh = g.lang != "en"
    for program in sorted(programs):
        node = programs[program]
        info = county.programs.get(program)
        label = (info.name_zh if zh else info.name_en) if info else program
        table.add(
            {"level": "项目" if zh else "program", "name": f"{label} ({program})", **node},
            {"treasury": url_for("money.account", name=f"Assets:Treasury:{program}")},
        )
        for (p, town), tnode in sorted(towns.items()):
            if p != program:
                continue
            place = county.townships.get(town)
            key = f"{program}:{town}"
            toggle = url_for("money.trial_balance_tree", open="" if opened == key else key)
            links = dict.fromkeys(("name", "accrued", "cleared", "owed"), toggle)
            if town != "?":
                links["expense"] = url_for(
                    "money.account", name=f"Expenses:Assistance:{program}:{town}"
                )
            table.add(
                {
                    "level": "  乡镇" if zh else "  township",
                    "name": f"{place.name if place else town} ({town})",
                    **tnode,
                },
                links,
            )
            shown = sorted(people.get((program, town), []))
            for person, account_name, leaf in shown:
                table.add(
                    {"level": "    对象" if zh else "    recipient", "name": person, **leaf},
                    {
                        "name": url_for("trail.person", key=person),
                        **dict.fromkeys(
                            ("accrued", "cleared", "owed"),
                            url_for("money.account", name=account_name),
                        ),
                    },
                )
            if shown and len(shown) < listed.get((program, town), 0):
                more = f"{len(shown)} / {listed[(program, town)]}"
                table.add(
                    {
                        "level": "    …",
                        "name": f"{more}（全部见下载）" if zh else f"{more} (all in the download)",
                    }
                )
    kind_table = Table(
        "trial_balance",
        [
            Column("account", "科目类别", "kind"),
            Column("debits_fen", "借方合计", "debits", "money"),
            Column("credits_fen", "贷方合计", "credits", "money"),
            Column("balance_fen", "余额", "balance", "money"),
            Column("accounts", "账户数", "accounts", "int"),
        ],
    )
    for kind in kinds:
        kind_table.add(
            {
                "account": kind.account,
                "debits_fen": kind.debits_fen,
                "credits_fen": -kind.credits_fen,
                "balance_fen": kind.balance_fen,
                "accounts": kind.accounts,
            }
        )
    total = sum(k.balance_fen for k in kinds)
    return show(
        "trial_balance.html.j2",
        {"trial_balance": kind_table, "trial_balance_tree": table},
        title="试算平衡" if zh else "Trial balance",
        as_of=as_of,
        balanced=total == 0,
        opened=opened,
    )
