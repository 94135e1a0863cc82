"""``ledger batch list``, ``show`` and ``verify-file``: what batches there are, one
batch in full, and whether a file is exactly a bank file this ledger exported
(registered on the ``batch`` group)."""

from typing import Any

import click

from ledger.batches import BatchState
from ledger.cli_support import AppContext, emit, format_option, pass_app
from ledger.db import batches_store as store
from ledger.db.batch_list import list_batches
from ledger.money import format_yuan


@click.command("verify-file")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False))
@pass_app
def verify_file(app: AppContext, path: str) -> None:
    """Say whether FILE is exactly (byte for byte) a bank file this ledger exported.

    Exits 1 when it is not.
    """
    from ledger import payments

    with app.reader() as uow:
        verdict = payments.verify_file(uow.connection, path)
    if not verdict.ok:
        raise click.ClickException(verdict.message)
    click.echo(verdict.message)


_LIST_COLUMNS = [
    "id",
    "period",
    "program",
    "bank",
    "kind",
    "state",
    "count",
    "total",
    "created_by",
    "approved_by",
    "exported_by",
    "held",
]


def _summary(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "period": row.period,
        "program": row.program,
        "bank": row.bank,
        "kind": row.kind if row.kind == "regular" else f"{row.kind} #{row.sequence}",
        "state": row.state,
        "count": row.instruction_count,
        "total": format_yuan(int(row.amount_fen_total)),
        "amount_fen_total": int(row.amount_fen_total),
        "created_by": row.created_by,
        "approved_by": row.approved_by or "",
        "exported_by": row.exported_by or "",
    }


@click.command("list")
@click.option("--period", default=None, help="Only this period (YYYY-MM).")
@click.option(
    "--state",
    type=click.Choice([s.value for s in BatchState]),
    default=None,
    help="Only this state.",
)
@format_option
@pass_app
def list_(app: AppContext, period: str | None, state: str | None, output_format: str) -> None:
    """List batches with their state and totals; `held`: how many of a batch's payments
    (counted in `count`) the screening holds, outside its bank file (`batch show`)."""
    with app.reader() as uow:
        rows = list_batches(uow.connection, period=period, state=state)
    emit([_summary(r) | {"held": int(r.held)} for r in rows], _LIST_COLUMNS, output_format)


@click.command()
@click.argument("batch_id", metavar="BATCH", type=int)
@format_option
@pass_app
def show(app: AppContext, batch_id: int, output_format: str) -> None:
    """Show one batch: state, totals by township, who did what when, its file, and the
    payments the screening held."""
    from ledger import holds

    with app.reader() as uow:
        row = store.load_batch(uow.connection, batch_id)
        towns = store.township_totals(uow.connection, batch_id)
        held = holds.held_listing(uow.connection, batch_id, "en")
    steps = [
        ("created", row.created_by, row.created_at, None),
        ("approved", row.approved_by, row.approved_at, row.accrual_transaction_id),
        ("exported", row.exported_by, row.exported_at, row.funding_transaction_id),
        ("voided", row.voided_by, row.voided_at, row.void_transaction_id),
    ]
    document = _summary(row) | {
        "steps": [
            {"step": s, "by": by, "at": str(at), "transaction": tx}
            for s, by, at, tx in steps
            if by is not None
        ],
        "townships": [
            {"township": t, "count": n, "amount": format_yuan(s), "amount_fen": s}
            for t, n, s in towns
        ],
        "profile": row.profile,
        "file_name": row.file_name,
        "file_sha256": row.file_sha256,
        "pay_date": str(row.pay_date) if row.pay_date else None,
        "void_reason": row.void_reason,
        "held": [
            {
                "instruction_id": r["instruction_id"],
                "key": r["key"],
                "township": r["township"],
                "amount": r["amount"].replace(",", ""),
                "amount_fen": r["amount_fen"],
                "reasons": [x["code"] for x in r["reasons"]],
                "evidence": [x["evidence"] for x in r["reasons"]],
                "released": r["released"],
            }
            for g in held
            for r in g.rows
        ],
    }
    if output_format == "json":
        emit([], [], "json", json_document=document)
        return
    if output_format == "table":
        click.echo(
            f"batch {row.id}  {row.period} {row.program} {row.bank}  {document['kind']}  "
            f"{row.state}\n  {payments_text(int(row.instruction_count))}, "
            f"{format_yuan(int(row.amount_fen_total), thousands=True)} yuan"
        )
        for s, by, at, tx in steps:
            if by is not None:
                posted = f"  (transaction {tx})" if tx else ""
                click.echo(f"  {s:<9} by {by} at {at}{posted}")
        if row.file_name:
            click.echo(f"  file {row.file_name} ({row.profile}) sha256 {row.file_sha256}")
        if row.void_reason:
            click.echo(f"  void reason: {row.void_reason}")
        for group in held:
            click.echo(f"  held: {group.title} ({group.count})")
            for r in group.rows:
                state = (
                    f"released by {r['released']['by']}: {r['released']['reason']}"
                    if r["released"]
                    else "held"
                )
                click.echo(
                    f"    instruction {r['instruction_id']}  {r['key']}  {r['township']}  "
                    f"{r['amount']}  {state}\n      "
                    + "\n      ".join(x["evidence"] for x in r["reasons"])
                )
        click.echo("")
    emit(document["townships"], ["township", "count", "amount"], output_format)


def payments_text(count: int) -> str:
    return f"{count} payment" + ("" if count == 1 else "s")
