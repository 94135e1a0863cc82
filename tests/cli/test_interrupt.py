"""Ctrl-C: the command says whether anything had been saved, and exits 130.

The interrupt is raised where a real one lands (the import's last step before its commit,
and the printing after it) by replacing that step; the database is real.
"""

import os
import signal
from pathlib import Path
from typing import Any

import pytest

from ledger import registry_import
from ledger.batch import registry as registry_commands
from ledger.db import uow
from tests.roster_support import county_file, import_roster, query, roster_frame, write_csv


def _interrupt(*_args: Any, **_kwargs: Any) -> None:
    raise KeyboardInterrupt


@pytest.mark.parametrize(
    ("step", "message", "imports"),
    [
        # The import's last step before its commit: everything is rolled back.
        ("record_event", "Interrupted: the work in progress was rolled back; nothing was saved", 0),
        # The printing after the commit: the import is in the ledger, and the user is told.
        ("_emit_diff", "Interrupted after 1 change(s) had been saved: they are in the ledger", 1),
    ],
)
def test_an_interrupt_says_whether_the_import_was_saved(
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    step: str,
    message: str,
    imports: int,
) -> None:
    # The import's service records the event; the command prints the diff.
    module = registry_import if step == "record_event" else registry_commands
    monkeypatch.setattr(module, step, _interrupt)
    path = write_csv(roster_frame(5), tmp_path / "roster.csv")
    result = import_roster(db_url, county_file(tmp_path), path)
    assert result.exit_code == 130
    assert message in result.stderr
    assert query(db_url, "SELECT COUNT(*) FROM roster_imports") == [(imports,)]


def test_a_ctrl_c_during_a_commit_is_held_until_the_commit_is_counted() -> None:
    before = uow.commits()
    reached = False
    with pytest.raises(KeyboardInterrupt):
        with uow._interrupts_held():
            os.kill(os.getpid(), signal.SIGINT)
            reached = True  # the signal is held: no KeyboardInterrupt here
        raise AssertionError("the held interrupt must arrive when the block ends")
    assert reached
    assert uow.commits() == before
