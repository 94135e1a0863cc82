"""``ledger audit history`` and ``ledger audit batch``: a person's whole record and a
batch's trail, as auditors read them (registered on the ``audit`` group)."""

import click

from ledger.cli_support import (
    DAY,
    AppContext,
    emit,
    format_option,
    pass_app,
    to_date,
    unmask_option,
)
from ledger.db.audit_reads import load_history
from ledger.db.batch_trail_reads import load_batch_trail


@click.command("history")
@click.argument("who", metavar="ID_NUMBER")
@click.option(
    "--as-of",
    type=DAY,
    default=None,
    help="Show only what was known at the end of this day (YYYY-MM-DD): roster versions "
    "by import time, batches by creation, bank outcomes by the time recorded, postings "
    "by effective date.",
)
@unmask_option
@format_option
@pass_app
def history_command(
    app: AppContext, who: str, as_of: object, unmask: bool, output_format: str
) -> None:
    """One person's whole history, in date order: enrolments and roster changes (with
    bank account changes and who imported them), entitlements, payment instructions
    with their batch and bank file (SHA-256), bank outcomes and reasons, re-issues,
    cancellations, recoveries and every ledger posting, with what is owed, paid and
    recovered.

    ID_NUMBER is the 18-character ID number or the recipient key (R0000001). ID and
    card numbers are masked unless --unmask. The JSON is documented in docs/audit.md.
    """
    from ledger.history import EVENT_COLUMNS, TABLE_COLUMNS, build_history

    day = to_date(as_of)
    with app.reader() as uow:
        raw = load_history(uow.connection, who)
    document = build_history(raw, as_of=day, unmask=unmask)
    if output_format == "json":
        emit([], [], "json", json_document=document)
        return
    if output_format == "csv":
        emit(document["events"], EVENT_COLUMNS, "csv")
        return
    person = document["recipient"]
    cut = f" as of {document['as_of']}" if document["as_of"] else ""
    click.echo(f"{person['name']}  {person['id_number']}  {person['key']}{cut}")
    for e in document["enrolments"]:
        if e["current"]:
            click.echo(
                f"  {e['program']}: {e['township']}/{e['village']}, {e['amount']} a month, "
                f"{e['bank']} {e['account_number']}, {e['status']}"
            )
    emit(document["events"], TABLE_COLUMNS, "table")
    b = document["balances"]
    click.echo(
        f"accrued {b['accrued']}  paid {b['paid']}  cancelled {b['cancelled']}  "
        f"owed {b['owed']}  recovery due {b['recovery_due']}  recovered {b['recovered']}  "
        f"outstanding {b['recovery_outstanding']}"
    )


@click.command("batch")
@click.argument("batch_id", metavar="BATCH", type=int)
@unmask_option
@format_option
@pass_app
def batch_command(app: AppContext, batch_id: int, unmask: bool, output_format: str) -> None:
    """A batch's trail: who created, approved and exported it, the bank file and its
    SHA-256, the return files imported for it, the outcome of its instructions and its
    BankClearing balance (0 once every instruction is settled or failed).

    --format csv lists every instruction; json holds the whole trail (docs/audit.md).
    """
    from ledger.history import INSTRUCTION_COLUMNS, build_batch_trail

    with app.reader() as uow:
        raw = load_batch_trail(uow.connection, batch_id, with_instructions=output_format != "table")
    document = build_batch_trail(raw, unmask=unmask)
    if output_format == "json":
        emit([], [], "json", json_document=document)
        return
    if output_format == "csv":
        emit(document["instructions"], INSTRUCTION_COLUMNS, "csv")
        return
    b = document["batch"]
    click.echo(
        f"batch {b['id']}: {b['period']} {b['program']} {b['bank']} {b['kind']} "
        f"#{b['sequence']}, {b['state']}, {b['instruction_count']} instructions, "
        f"{b['amount_total']} yuan"
    )
    steps = [
        ("created", b["created_by"], b["created_at"], ""),
        ("approved", b["approved_by"], b["approved_at"], _tx(b["accrual_transaction_id"])),
        (
            "exported",
            b["exported_by"],
            b["exported_at"],
            f"{b['file_name']} SHA-256 {b['file_sha256']} profile {b['profile']} "
            f"pay date {b['pay_date']}{_tx(b['funding_transaction_id'])}"
            if b["exported_at"]
            else "",
        ),
        ("voided", b["voided_by"], b["voided_at"], b["void_reason"] or ""),
    ]
    emit(
        [
            {"step": step, "by": by, "at": at, "detail": detail}
            for step, by, at, detail in steps
            if at is not None
        ],
        ["step", "by", "at", "detail"],
        "table",
    )
    click.echo("")
    click.echo("return files:" if document["return_files"] else "return files: none imported")
    if document["return_files"]:
        emit(
            document["return_files"],
            [
                "id",
                "file_name",
                "format",
                "imported_by",
                "imported_at",
                "lines",
                "settled",
                "failed",
                "pending",
                "returned",
                "file_sha256",
            ],
            "table",
        )
    click.echo("")
    emit(document["outcomes"], ["status", "reason_code", "count", "amount"], "table")
    click.echo("")
    clearing = document["clearing"]
    if clearing["lines"]:
        emit(
            clearing["lines"],
            ["transaction_id", "effective_date", "type", "operator", "postings", "amount"],
            "table",
        )
    click.echo(f"clearing balance for the batch: {clearing['balance']}")


def _tx(transaction_id: object) -> str:
    return "" if transaction_id is None else f" (transaction {transaction_id})"
