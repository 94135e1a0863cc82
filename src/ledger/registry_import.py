"""The roster import as a service: a roster file becomes new enrolment versions.

The one path of an import (``ledger registry import``, the demo, the bench):

- ``run_import`` (a unit of work): ``import_roster``, then the audit event
  ``roster.imported`` and the commit (none for a dry run: the unit of work rolls back);
- ``import_roster`` (a connection): the file's rows validated chunk by chunk
  (``ledger.roster``, in a worker process one chunk ahead for large files) and staged,
  the checks across rows (``ledger.db.registry_checks``), the apply and the import's
  records (``ledger.db.registry_store``): SQL only.

Every problem names the file, row and column; an error refuses the whole file
(``ValidationError``, nothing written), warnings are kept with the import. A file
imported before (same SHA-256) raises ``AlreadyImported``.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Required, TypedDict, Unpack

import pandas as pd
import sqlalchemy as sa

from ledger import roster
from ledger.batches import shift_period
from ledger.county import County
from ledger.db import registry_checks, registry_queries, registry_store
from ledger.db.events import record_event
from ledger.db.roster_warnings import store_warnings
from ledger.db.uow import UnitOfWork
from ledger.errors import AlreadyImported, LedgerError
from ledger.tabular import Problems, Table


@dataclass
class ImportResult:
    import_id: int
    row_count: int
    added: int
    changed: int
    exited: int
    unchanged: int
    warning_count: int
    warnings: list[str]
    townships: list[dict[str, Any]] = field(default_factory=list)


class ImportOptions(TypedDict, total=False):
    """What ``run_import`` passes on to ``import_roster``, as its keywords."""

    file_name: Required[str]
    file_sha256: Required[str]
    operator: Required[str]
    roster_month: Required[str]
    partial: bool
    progress: Callable[[int], None] | None
    now: datetime | None


def run_import(
    uow: UnitOfWork,
    table: Table,
    county: County,
    *,
    dry_run: bool = False,
    **options: Unpack[ImportOptions],
) -> ImportResult:
    """Import a roster file in ``uow`` (``import_roster`` with ``options``), record
    ``roster.imported`` and commit, or with ``dry_run`` leave the commit out (the
    caller's unit of work rolls back)."""
    result = import_roster(uow.connection, table, county, **options)
    if dry_run:
        return result
    record_event(
        uow.connection,
        operator=options["operator"],
        action="roster.imported",
        subject_type="roster_import",
        subject_id=result.import_id,
        detail={
            "file": options["file_name"],
            "sha256": options["file_sha256"],
            "month": options["roster_month"],
            "partial": options.get("partial", False),
            "rows": result.row_count,
            "added": result.added,
            "changed": result.changed,
            "exited": result.exited,
            "unchanged": result.unchanged,
            "warnings": result.warning_count,
        },
    )
    uow.commit()
    return result


def import_roster(
    connection: sa.Connection,
    table: Table,
    county: County,
    *,
    file_name: str,
    file_sha256: str,
    operator: str,
    roster_month: str,
    partial: bool = False,
    progress: Callable[[int], None] | None = None,
    now: datetime | None = None,
    read_ahead: bool | None = None,
) -> ImportResult:
    """Validate and apply a roster file; raise ``ValidationError`` (nothing written)
    listing every problem if any row is wrong, ``AlreadyImported`` for a file (same
    SHA-256) imported before. ``now`` is the recorded import time
    (default: the clock), which the findings rules compare with pay dates.
    ``read_ahead``: see ``roster.validated_chunks`` (default: by the file's size).
    Nothing is committed here."""
    earlier = registry_store.previous_import_of(connection, file_sha256)
    if earlier is not None:
        raise AlreadyImported(
            f"{file_name}: already imported: this exact file is roster import {earlier.id} "
            f"({earlier.imported_at:%Y-%m-%d %H:%M}); nothing changed",
            int(earlier.id),
        )
    problems = Problems(file_name)
    registry_store.create_staging(connection)
    row_count = 0
    program_set: set[str] = set()
    township_set: set[str] = set()
    for normalised in roster.validated_chunks(table, county, problems, read_ahead=read_ahead):
        registry_store.stage_rows(connection, roster.STAGED, _tuples(normalised))
        row_count += len(normalised)
        program_set.update(normalised["program"].dropna().unique())
        township_set.update(normalised["township"].dropna().unique())
        if progress is not None:
            progress(len(normalised))
    if row_count == 0:
        raise LedgerError(f"{file_name}: the file has a header but no rows; nothing was changed")
    registry_store.index_staging(connection)
    programs = sorted(program_set)
    townships = sorted(township_set) if partial else None
    _check_across_rows(connection, county, table.labels, problems, programs)
    _check_backpay_window(connection, county, roster_month, table.labels, problems)
    problems.raise_if_errors("the roster import was")

    now = now or datetime.now(UTC)
    import_id = registry_store.insert_import(
        connection,
        file_name=file_name,
        file_sha256=file_sha256,
        row_count=row_count,
        operator=operator,
        imported_at=now,
    )
    applied = registry_store.apply(
        connection, import_id, now, roster_month, programs, townships, roster.VERSIONED
    )
    problems.add_rows(
        applied.renamed_rows,
        table.labels["name"],
        "differs from the name registered for this ID (the registered name is kept)",
        warning=True,
    )
    registry_store.insert_details(
        connection,
        import_id,
        roster_month=roster_month,
        programs=",".join(programs),
        townships=None if townships is None else ",".join(townships),
        encoding=table.encoding,
        warning_count=problems.warning_count,
        **{f"{k}_count": v for k, v in applied.counts.items()},
    )
    store_warnings(connection, import_id, problems.all_warnings)
    registry_store.drop_staging(connection)
    return ImportResult(
        import_id=import_id,
        row_count=row_count,
        warning_count=problems.warning_count,
        warnings=problems.grouped_warning_lines(),
        townships=import_diff(connection, import_id),
        **applied.counts,
    )


def import_diff(
    connection: sa.Connection, import_id: int, *, program: str | None = None
) -> list[dict[str, Any]]:
    """What an import changed, per township (``registry_queries.import_diff`` over the
    roster's versioned fields)."""
    return registry_queries.import_diff(
        connection, import_id, versioned=roster.VERSIONED, program=program
    )


def _tuples(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    columns = []
    for name in roster.STAGED:
        series = frame[name]
        if series.dtype == object:
            columns.append(series.tolist())
        else:
            columns.append(series.astype(object).where(series.notna(), None).tolist())
    return list(zip(*columns, strict=True))


def _check_across_rows(
    connection: sa.Connection,
    county: County,
    labels: dict[str, str],
    problems: Problems,
    programs: list[str],
) -> None:
    """Duplicate ID + program, one ID with two names, programs that exclude each other.

    Only IDs on more than one row (a few: people in two programs) can fail the checks
    within the file; the store's queries look at their rows only.
    """
    id_label, program_label, name_label = labels["id_number"], labels["program"], labels["name"]
    for row_no, first in registry_checks.duplicate_rows(connection):
        problems.add(
            row_no, id_label, f"the same ID and {program_label} as row {first} (duplicate row)"
        )
    for row_no, first in registry_checks.renamed_in_file(connection):
        problems.add(row_no, name_label, f"the same ID has another name in row {first}")
    _check_exclusions(connection, county, program_label, problems, programs)


def _check_backpay_window(
    connection: sa.Connection,
    county: County,
    roster_month: str,
    labels: dict[str, str],
    problems: Problems,
) -> None:
    """A person new in a program with a start month so early that months the ledger ran
    without them lie before the back-pay window ([backpay] window_months, counted back
    from the roster's month): refused, since `batch run` would back-pay only the months
    inside it. The start month is corrected, or the county widens the window."""
    window = county.backpay_window
    if window <= 0:  # back pay is off: nothing is owed for past months
        return
    start = shift_period(roster_month, -window)
    for row_no, program, first, months in registry_checks.backpay_beyond_window(connection, start):
        problems.add(
            row_no,
            labels["start_month"],
            f"{program} was run for {months} month(s) from {first} without this person, "
            f"before the back-pay window ([backpay] window_months = {window}, from {start}): "
            f"they would not be back-paid; set the start month to {start} or later, or "
            "widen the window",
        )


def _check_exclusions(
    connection: sa.Connection,
    county: County,
    label: str,
    problems: Problems,
    programs: list[str],
) -> None:
    """Programs that exclude each other (低保 and 特困...) for one person: a warning, in
    the file or against current enrolments in programs the file does not cover."""
    excluded = {(p.code, other) for p in county.programs.values() for other in p.excludes}
    excluded |= {(b, a) for a, b in excluded}
    if not excluded:
        return
    for row_no, program, other, other_row in registry_checks.programs_in_file(connection):
        if (program, other) in excluded:
            problems.add(
                row_no,
                label,
                f"{program} excludes {other}, which this person also has in row {other_row}",
                warning=True,
            )
    # Only enrolments in programs outside the file that exclude one inside it matter.
    others = sorted({b for a, b in excluded if a in programs and b not in programs})
    if not others:
        return
    for row_no, program, other in registry_checks.current_enrolments_in(connection, others):
        if (program, other) in excluded:
            problems.add(
                row_no,
                label,
                f"{program} excludes {other}, in which this person is enrolled",
                warning=True,
            )
