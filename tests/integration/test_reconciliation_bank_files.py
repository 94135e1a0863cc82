"""Bank returns as real banks write them (issues 24 and 13), through a full
``ledger reconcile import`` on a real SQLite file and a real PostgreSQL database.

Each test exports a real pain.001 batch, writes the bank's answer in a given version
and wrapping (tests/support/bank_xml.py) with our EndToEndIds, imports it with the
command a clerk types, and checks every line's status, amount to the fen, reason and
booking date in the database, and what was (not) recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from ledger.cli import cli
from ledger.county import example_path
from tests.support.bank_xml import Entry, Tx, Wrapping, camt, pacs004, pain002
from tests.support.books import CLEARING, COUNTY, FUNDS, TREASURY, Books, P


@dataclass(frozen=True)
class Paid:
    """One instruction of the exported batch, as the bank would name it."""

    e2e: str
    fen: int
    account: str

    @property
    def yuan(self) -> str:
        return f"{self.fen // 100}.{self.fen % 100:02d}"


class Clerk:
    """The books plus the command line, on the same database."""

    def __init__(self, books: Books, runner: CliRunner) -> None:
        self.books = books
        self.runner = runner
        exported = books.export(profile="pain001")
        self.batch_id = exported.batch_id
        self.msg_id = f"{COUNTY.code}202611B{exported.batch_id:08d}"
        self.paid = [self._paid(n) for n in (1, 2, 3)]

    def _paid(self, line: int) -> Paid:
        e2e = self.books.e2e(line)
        row = self.rows(
            "SELECT amount_fen, account_number FROM payment_instructions WHERE end_to_end_id = :e",
            e=e2e,
        )[0]
        return Paid(e2e, int(row[0]), str(row[1]))

    def tx(self, n: int, amount: str | None = "", **kwargs: str) -> Tx:
        paid = self.paid[n]
        return Tx(paid.e2e, paid.yuan if amount == "" else amount, account=paid.account, **kwargs)

    def write(self, name: str, data: bytes) -> Path:
        path = self.books.tmp / name
        path.write_bytes(data)
        return path

    def import_(self, path: Path) -> Result:
        return self.runner.invoke(cli, ["reconcile", "import", str(path), "--operator", "clerk"])

    def rows(self, sql: str, **params: object) -> list[tuple[object, ...]]:
        with self.books.engine.connect() as c:
            return [tuple(r) for r in c.execute(sa.text(sql), params)]

    def outcomes(self, file_id: int | None = None) -> list[tuple[object, ...]]:
        """(EndToEndId, outcome, amount in fen, reason code, booking date) per line, in order."""
        where = "" if file_id is None else f" WHERE o.return_file_id = {int(file_id)}"
        rows = self.rows(
            "SELECT i.end_to_end_id, o.outcome, o.amount_fen, o.reason_code, o.booking_date"
            " FROM instruction_outcomes o JOIN payment_instructions i ON i.id = o.instruction_id"
            f"{where} ORDER BY o.id"
        )
        return [(e, o, a, r, None if d is None else str(d)[:10]) for e, o, a, r, d in rows]

    def statuses(self) -> list[tuple[object, ...]]:
        """(status, reason code) of instructions 1, 2, 3."""
        found = dict(
            (e, (s, r))
            for e, s, r in self.rows(
                "SELECT end_to_end_id, status, reason_code FROM payment_instructions"
            )
        )
        return [found[p.e2e] for p in self.paid]

    def last_file(self) -> tuple[object, ...]:
        return self.rows(
            "SELECT id, format, line_count, exception_count, header_message_id FROM return_files"
            " ORDER BY id DESC LIMIT 1"
        )[0]


@pytest.fixture
def clerk(engine, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Clerk:
    monkeypatch.setenv("LEDGER_DATABASE_URL", db_url)
    monkeypatch.setenv("LEDGER_COUNTY", str(example_path()))
    return Clerk(Books(engine, tmp_path), CliRunner())


@pytest.mark.parametrize("version", ["02", "04", "08"])
@pytest.mark.parametrize("reversal", ["true", "1"])
def test_a_camt054_return_entry_with_rvslind_fails_the_payment_through_import(
    clerk: Clerk, version: str, reversal: str
) -> None:
    one, two, three = clerk.paid
    entries = [
        Entry(
            f"{(one.fen + two.fen) // 100}.{(one.fen + two.fen) % 100:02d}",
            "DBIT",
            (clerk.tx(0, f"{one.yuan}00"), clerk.tx(1)),
            batch=True,
        ),
        Entry(
            three.yuan,
            "CRDT",
            (clerk.tx(2, reason="AC01", reason_text="账号不存在"),),
            reversal=reversal,
            family="RRTN",
            booked="2026-11-05",
        ),
    ]
    path = clerk.write("n.xml", camt("054", version, entries, msg_id=clerk.msg_id))
    result = clerk.import_(path)
    assert result.exit_code == 0, result.output + result.stderr
    assert "2 settled, 0 failed, 1 returned, 0 pending, 0 exceptions" in result.output
    assert clerk.outcomes() == [
        (one.e2e, "settled", one.fen, None, "2026-11-03"),
        (two.e2e, "settled", two.fen, None, "2026-11-03"),
        (three.e2e, "returned", three.fen, "AC01", "2026-11-05"),
    ]
    assert clerk.statuses() == [("settled", None), ("settled", None), ("failed", "AC01")]
    # The returned money is back in the treasury, the recipient still owed: re-payable.
    assert clerk.books.balance(TREASURY) == FUNDS - one.fen - two.fen
    assert clerk.books.balance(CLEARING) == 0
    assert clerk.books.state(clerk.batch_id) == "reconciled"
    clerk.books.verify()


@pytest.mark.parametrize("version", ["02", "04"])
def test_a_batch_line_without_an_amount_is_recorded_as_an_anomaly_not_a_refusal(
    clerk: Clerk, version: str
) -> None:
    one, two, three = clerk.paid
    total = one.fen + two.fen + three.fen
    txs = (clerk.tx(0), clerk.tx(1, None), clerk.tx(2))
    entry = Entry(f"{total // 100}.{total % 100:02d}", "DBIT", txs, batch=True)
    result = clerk.import_(clerk.write("s.xml", camt("053", version, [entry], msg_id=clerk.msg_id)))
    assert result.exit_code == 0, result.output + result.stderr
    assert "3 settled" in result.output and "1 exceptions" in result.output
    assert clerk.outcomes() == [
        (one.e2e, "settled", one.fen, None, "2026-11-03"),
        (two.e2e, "settled", None, None, "2026-11-03"),
        (three.e2e, "settled", three.fen, None, "2026-11-03"),
    ]
    ((kind, line, element, detail),) = clerk.rows(
        "SELECT kind, line, element, detail FROM reconciliation_exceptions"
    )
    assert (kind, line) == ("control_total", 2)
    assert str(element).endswith("/NtryDtls/TxDtls[2]")
    assert str(detail).startswith("entry_details: no amount for this transaction")
    assert clerk.books.balance(CLEARING) == 0


@pytest.mark.parametrize(
    "how",
    [
        Wrapping(envelope="bizmsg", comment=True),
        Wrapping(envelope="clearing", encoding="utf-16"),
        Wrapping(encoding="utf-16", comment=True),
    ],
    ids=["bizmsg-comment", "clearing-utf16", "utf16-comment"],
)
@pytest.mark.parametrize("version", ["02", "08"])
def test_a_camt053_in_an_envelope_or_utf16_is_imported_and_keeps_the_header_id(
    clerk: Clerk, how: Wrapping, version: str
) -> None:
    entries = [
        Entry(p.yuan, "DBIT", (clerk.tx(n),), booked=f"2026-11-0{n + 3}")
        for n, p in enumerate(clerk.paid)
    ]
    result = clerk.import_(
        clerk.write("s.xml", camt("053", version, entries, msg_id=clerk.msg_id, how=how))
    )
    assert result.exit_code == 0, result.output + result.stderr
    assert clerk.outcomes() == [
        (p.e2e, "settled", p.fen, None, f"2026-11-0{n + 3}") for n, p in enumerate(clerk.paid)
    ]
    header = how.header_id if how.envelope else None
    assert clerk.last_file()[1:] == ("camt.053", 3, 0, header)
    assert (f"Envelope message id (AppHdr): {header}." in result.output) == bool(header)
    (detail,) = clerk.rows("SELECT detail FROM audit_events WHERE action = 'reconcile.imported'")
    assert (f'"header_message_id": "{header}"' in str(detail)) == bool(header)


@pytest.mark.parametrize("version", ["03", "10", "12"])
def test_pain002_with_iso_amounts_and_a_negative_control_sum_imports_to_the_fen(
    clerk: Clerk, version: str
) -> None:
    one, two, three = clerk.paid
    txs = [
        clerk.tx(0, f"{one.yuan}000"),
        clerk.tx(1, status="RJCT", reason="AC04", reason_text="账户已销户"),
        clerk.tx(2, status="ACSP"),
    ]
    total = one.fen + two.fen + three.fen
    data = pain002(
        version, txs, msg_id=clerk.msg_id, group="PART", count="3",
        control_sum=f"-{total // 100}.{total % 100:02d}1",  # unreadable in fen: an anomaly
        how=Wrapping(comment=True),
    )  # fmt: skip
    result = clerk.import_(clerk.write("sts.xml", data))
    assert result.exit_code == 0, result.output + result.stderr
    assert "1 settled, 1 failed, 0 returned, 1 pending, 1 exceptions" in result.output
    assert clerk.outcomes() == [
        (one.e2e, "settled", one.fen, None, None),
        (two.e2e, "failed", two.fen, "AC04", None),
        (three.e2e, "pending", three.fen, None, None),
    ]
    assert clerk.statuses() == [("settled", None), ("failed", "AC04"), ("pending", None)]
    ((detail,),) = clerk.rows("SELECT detail FROM reconciliation_exceptions")
    assert "control_sum: the control sum cannot be read" in str(detail)


@pytest.mark.parametrize("version", ["02", "09", "10", "11"])
def test_pacs004_returns_after_settlement_reopen_the_payable_in_every_version(
    clerk: Clerk, version: str
) -> None:
    entries = [Entry(p.yuan, "DBIT", (clerk.tx(n),)) for n, p in enumerate(clerk.paid)]
    settled = clerk.import_(clerk.write("n.xml", camt("054", "08", entries, msg_id=clerk.msg_id)))
    assert settled.exit_code == 0 and "3 settled" in settled.output
    back = clerk.paid[2]
    data = pacs004(
        version,
        [clerk.tx(2, reason="MD07", reason_text="户主死亡")],
        msg_id=clerk.msg_id,
        control_sum=back.yuan,
        how=Wrapping(envelope="clearing"),
    )
    result = clerk.import_(clerk.write("r.xml", data))
    assert result.exit_code == 0, result.output + result.stderr
    assert "1 returned, 0 pending, 0 exceptions" in result.output
    file_id = int(str(clerk.last_file()[0]))
    assert clerk.outcomes(file_id) == [(back.e2e, "returned", back.fen, "MD07", None)]
    assert clerk.statuses()[2] == ("failed", "MD07")
    assert clerk.books.balance(TREASURY) == FUNDS - clerk.paid[0].fen - clerk.paid[1].fen
    key = clerk.rows(
        "SELECT r.key FROM payment_instructions i JOIN recipients r ON r.id = i.recipient_id"
        " WHERE i.end_to_end_id = :e",
        e=back.e2e,
    )[0][0]
    assert clerk.books.balance(f"Liabilities:Payable:{P}:{key}") == -back.fen


@pytest.mark.parametrize("version", ["08", "10"])
def test_txdtls_direction_and_signed_control_sums_through_import(
    clerk: Clerk, version: str
) -> None:
    one, two, three = clerk.paid
    # A booked debit batch whose second transaction is, by its own CdtDbtInd, a credit
    # (not a return): it settles nothing. The debit total is written negative.
    txs = (clerk.tx(0, direction="DBIT"), clerk.tx(1, direction="CRDT"), clerk.tx(2))
    total = one.fen + two.fen + three.fen
    yuan = f"{total // 100}.{total % 100:02d}"
    summary = (
        f"<TtlNtries><NbOfNtries>1</NbOfNtries><Sum>{total // 100 + 1}.00</Sum></TtlNtries>"
        f"<TtlDbtNtries><NbOfNtries>1</NbOfNtries><Sum>-{yuan}</Sum></TtlDbtNtries>"
    )
    entry = Entry(yuan, "DBIT", txs, batch=True)
    data = camt("053", version, [entry], msg_id=clerk.msg_id, summary=summary)
    result = clerk.import_(clerk.write("s.xml", data))
    assert result.exit_code == 0, result.output + result.stderr
    assert "2 settled, 0 failed, 0 returned, 1 pending, 1 exceptions" in result.output
    assert clerk.outcomes() == [
        (one.e2e, "settled", one.fen, None, "2026-11-03"),
        (two.e2e, "pending", two.fen, None, "2026-11-03"),
        (three.e2e, "settled", three.fen, None, "2026-11-03"),
    ]
    assert clerk.statuses() == [("settled", None), ("pending", None), ("settled", None)]
    ((kind, detail),) = clerk.rows("SELECT kind, detail FROM reconciliation_exceptions")
    assert kind == "control_total" and str(detail).startswith("control_sum: Sum says")
    assert clerk.books.balance(CLEARING) == two.fen


# --- refused: nothing recorded, exit 1, the reason said ---------------------------------


def _refused(clerk: Clerk, path: Path, *said: str) -> None:
    before = clerk.books.counts()
    statuses = clerk.statuses()
    result = clerk.import_(path)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output + result.stderr
    for text in said:
        assert text in result.stderr, result.stderr
    assert clerk.books.counts() == before
    assert clerk.statuses() == statuses


def test_a_return_of_another_countys_payments_is_refused_and_nothing_recorded(clerk: Clerk) -> None:
    paid = Tx("999999202611DB0000001", "650.00", account="6222999900000001")
    back = Tx("999999202611DB0000002", "501.00", reason="AC04")
    strangers = [
        Entry("650.00", "DBIT", (paid,)),
        Entry("501.00", "CRDT", (back,), family="RRTN"),
    ]
    path = clerk.write("other.xml", camt("054", "08", strangers, msg_id="999999202611B00000001"))
    _refused(
        clerk, path, "refused, nothing recorded: none of its 2 line(s) matches", "another county"
    )


def test_a_pain002_group_status_for_a_message_not_ours_is_refused(clerk: Clerk) -> None:
    data = pain002("10", [], msg_id="999999202611B00000042", group="RJCT")
    _refused(clerk, clerk.write("g.xml", data), "none of its 1 line(s) matches")


def test_a_return_that_matches_in_part_is_imported_with_exceptions(clerk: Clerk) -> None:
    entries = [
        Entry(clerk.paid[0].yuan, "DBIT", (clerk.tx(0),)),
        Entry("650.00", "DBIT", (Tx("999999202611DB0000001", "650.00"),)),
    ]
    result = clerk.import_(clerk.write("part.xml", camt("054", "08", entries, msg_id=clerk.msg_id)))
    assert result.exit_code == 0, result.output + result.stderr
    assert "1 settled" in result.output and "1 exceptions" in result.output
    assert clerk.rows("SELECT kind FROM reconciliation_exceptions") == [("unmatched",)]


def test_a_header_only_csv_return_is_refused_naming_its_line(clerk: Clerk) -> None:
    titles = "序号,户名,身份证号,卡号,金额(元),摘要,业务流水号,状态,失败原因"
    path = clerk.write("h.csv", f"总笔数,0,总金额(元),0.00\r\n{titles}\r\n".encode("gb18030"))
    _refused(clerk, path, "h.csv:2: the file has no payment lines")


def test_an_empty_statement_is_refused(clerk: Clerk) -> None:
    path = clerk.write("quiet.xml", camt("053", "08", [], msg_id=clerk.msg_id))
    _refused(clerk, path, "the statement has no entries (Ntry)")


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        (b"pain.002.001.10", b"pain.002.001.99", "version pain.002.001.99"),
        (b' xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"', b"", "has no namespace"),
    ],
)
def test_a_pain002_of_an_unknown_version_is_refused_naming_the_namespace(
    clerk: Clerk, old: bytes, new: bytes, said: str
) -> None:
    data = pain002("10", [clerk.tx(0)], msg_id=clerk.msg_id).replace(old, new)
    _refused(clerk, clerk.write("v.xml", data), said, "we read pain.002.001.03 to .12")


def test_a_doctype_is_refused_as_an_entity_expansion_risk(clerk: Clerk) -> None:
    data = pain002("10", [clerk.tx(0)], msg_id=clerk.msg_id).replace(
        b"?>\n", b'?>\n<!DOCTYPE d [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>\n', 1
    )
    _refused(clerk, clerk.write("d.xml", data), "d.xml:2: a DOCTYPE", "entity-expansion attack")


@pytest.mark.parametrize(
    ("data", "said"),
    [
        ("序号,户名\r\n1,张三\r\n".encode("utf-16"), "u.csv:1: the file is UTF-16"),
        (b"PK\x03\x04\x00\x00binary", "u.csv:1: binary data (a NUL byte on line 1)"),
    ],
)
def test_utf16_or_binary_text_returns_are_refused_naming_file_and_line(
    clerk: Clerk, data: bytes, said: str
) -> None:
    _refused(clerk, clerk.write("u.csv", data), said)


def test_the_same_return_again_exits_0_and_changes_nothing(clerk: Clerk) -> None:
    entries = [Entry(p.yuan, "DBIT", (clerk.tx(n),)) for n, p in enumerate(clerk.paid)]
    path = clerk.write("n.xml", camt("054", "02", entries, msg_id=clerk.msg_id))
    assert clerk.import_(path).exit_code == 0
    before = clerk.books.counts()
    again = clerk.import_(path)
    assert again.exit_code == 0 and "already imported" in again.output
    assert "nothing changed" in again.output
    assert clerk.books.counts() == before
