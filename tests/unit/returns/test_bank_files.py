# ruff: noqa: E501 (XML fixtures read better on one line)
"""Bank returns as real banks write them (issue 24), read on the parse path.

Each case is written in several versions (tests/support/bank_xml.py puts amounts, names
and statuses where each version does); every line is checked for its EndToEndId,
status, amount to the fen, reason and booking date. The .08 camt and .03/.12 pain.002
fixtures are validated against the official schemas first.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from ledger.errors import ValidationError
from ledger.files.returns import AnomalyKind, ReturnFile, detect_format, read_return
from tests.support.bank_xml import Entry, Tx, Wrapping, camt, pacs004, pain002

SCHEMAS = Path("/work/shared/iso20022")
MSG = "130123202611B00000001"
CAMT_VERSIONS = ["02", "04", "08"]


def read(tmp_path: Path, data: bytes, name: str = "bank.xml") -> ReturnFile:
    path = tmp_path / name
    path.write_bytes(data)
    return read_return(path)


def rows(result: ReturnFile) -> list[tuple[object, ...]]:
    """(EndToEndId, status, amount in fen, reason code, booking date) per transaction line."""
    out = []
    for r in result.records():
        if r.scope.value != "transaction":
            continue
        booked = r.booking_date.isoformat() if r.booking_date else None
        out.append((r.end_to_end_id, r.status.value, r.amount_fen, r.reason_code, booked))
    return out


def refusal(tmp_path: Path, data: bytes, name: str = "bank.xml") -> str:
    with pytest.raises(ValidationError) as caught:
        read(tmp_path, data, name)
    return str(caught.value)


def validate(schema: str, data: bytes) -> None:
    xsd = etree.XMLSchema(etree.parse(str(SCHEMAS / schema)))
    assert xsd.validate(etree.fromstring(data)), xsd.error_log


# --- the fixtures are real -----------------------------------------------------------


def test_the_08_camt_and_pain002_fixtures_validate_against_the_official_schemas() -> None:
    if not SCHEMAS.is_dir():
        pytest.skip("the ISO 20022 schemas are not on this machine")
    entries = [
        Entry("655.50", "DBIT", (Tx("E1", "650.0000", direction="DBIT"), Tx("E2", "5.50")), batch=True),
        Entry("8.850", "CRDT", (Tx("E3", "8.850", reason="AC01", family="RRTN"),), reversal="1", family="RRTN"),
    ]  # fmt: skip
    summary = "<TtlDbtNtries><NbOfNtries>1</NbOfNtries><Sum>-655.50</Sum></TtlDbtNtries>"
    for kind in ("053", "054"):
        for how in (Wrapping(), Wrapping(comment=True)):
            validate(
                f"camt.{kind}.001.08.xsd",
                camt(kind, "08", entries, msg_id=MSG, summary=summary, how=how),
            )
    txs = [
        Tx("E1", "650.00"),
        Tx("E2", "5.0100", status="RJCT", reason="AC04", reason_text="已销户"),
    ]
    for version in ("03", "12"):
        validate(
            f"pain.002.001.{version}.xsd",
            pain002(version, txs, msg_id=MSG, group="PART", count="2", control_sum="-655.01"),
        )


# --- return evidence wins over RvslInd; RvslInd is xs:boolean ------------------------


@pytest.mark.parametrize("kind", ["053", "054"])
@pytest.mark.parametrize("version", CAMT_VERSIONS)
@pytest.mark.parametrize("reversal", ["true", "1", "false", None])
def test_a_booked_return_entry_is_failed_whatever_rvslind_says(
    tmp_path: Path, kind: str, version: str, reversal: str | None
) -> None:
    entries = [
        # Return information in the details (RtrInf), and the bank transaction code.
        Entry("501.00", "CRDT", (Tx("E4", "501.00", reason="AC01", reason_text="账号不存在"),),
              reversal=reversal, family="RRTN", booked="2026-11-05"),
        # Only the bank transaction code says it (no RtrInf): still a return.
        Entry("450.00", "CRDT", (Tx("E5", "450.00", family="RRTN"),), reversal=reversal,
              booked="2026-11-06"),
    ]  # fmt: skip
    result = read(tmp_path, camt(kind, version, entries, msg_id=MSG))
    assert rows(result) == [
        ("E4", "failed", 50100, "AC01", "2026-11-05"),
        ("E5", "failed", 45000, "NARR", "2026-11-06"),
    ]
    assert all(r.is_return for r in result.records())
    assert result.records()[0].reason_text == "账号不存在"


@pytest.mark.parametrize("version", CAMT_VERSIONS)
@pytest.mark.parametrize(("reversal", "status"), [("1", "pending"), ("true", "pending"),
                                                  ("0", "settled"), ("false", "settled")])  # fmt: skip
def test_a_reversed_booked_debit_never_settles(
    tmp_path: Path, version: str, reversal: str, status: str
) -> None:
    entries = [Entry("650.00", "DBIT", (Tx("E1", "650.00"),), reversal=reversal)]
    result = read(tmp_path, camt("054", version, entries, msg_id=MSG))
    assert rows(result) == [("E1", status, 65000, None, "2026-11-03")]


@pytest.mark.parametrize("version", CAMT_VERSIONS)
def test_a_return_entry_not_yet_booked_is_pending(tmp_path: Path, version: str) -> None:
    entries = [
        Entry("501.00", "CRDT", (Tx("E4", "501.00", reason="AC04"),), status="PDNG", family="RRTN")
    ]
    result = read(tmp_path, camt("054", version, entries, msg_id=MSG))
    assert rows(result) == [("E4", "pending", 50100, "AC04", "2026-11-03")]


def test_txdtls_cdtdbtind_is_honoured_where_present(tmp_path: Path) -> None:
    # A booked debit batch whose details carry their own direction: a credit among them
    # (money coming in, not a return) settles nothing.
    txs = (Tx("E1", "650.00", direction="DBIT"), Tx("E2", "50.00", direction="CRDT"),
           Tx("E3", "700.50"))  # fmt: skip
    result = read(
        tmp_path, camt("053", "08", [Entry("1300.50", "DBIT", txs, batch=True)], msg_id=MSG)
    )
    assert rows(result) == [
        ("E1", "settled", 65000, None, "2026-11-03"),
        ("E2", "pending", 5000, None, "2026-11-03"),
        ("E3", "settled", 70050, None, "2026-11-03"),
    ]
    assert [r.credit_debit for r in result.records()] == ["DBIT", "CRDT", "DBIT"]


# --- amounts: where each version puts them; exact beyond two decimals -----------------


@pytest.mark.parametrize("kind", ["052", "053", "054"])
@pytest.mark.parametrize("version", CAMT_VERSIONS)
def test_batch_entry_amounts_are_read_where_each_version_puts_them(
    tmp_path: Path, kind: str, version: str
) -> None:
    txs = (Tx("E1", "650.00"), Tx("E2", "700.50"), Tx("E3", "450.00"))
    result = read(
        tmp_path, camt(kind, version, [Entry("1800.50", "DBIT", txs, batch=True)], msg_id=MSG)
    )
    assert result.anomalies == ()
    assert rows(result) == [
        ("E1", "settled", 65000, None, "2026-11-03"),
        ("E2", "settled", 70050, None, "2026-11-03"),
        ("E3", "settled", 45000, None, "2026-11-03"),
    ]


@pytest.mark.parametrize("version", CAMT_VERSIONS)
def test_a_batch_line_with_no_amount_is_an_anomaly_of_that_line(
    tmp_path: Path, version: str
) -> None:
    txs = (Tx("E1", "650.00"), Tx("E2", None), Tx("E3", "450.00"))
    result = read(
        tmp_path, camt("054", version, [Entry("1800.50", "DBIT", txs, batch=True)], msg_id=MSG)
    )
    assert rows(result) == [
        ("E1", "settled", 65000, None, "2026-11-03"),
        ("E2", "settled", None, None, "2026-11-03"),
        ("E3", "settled", 45000, None, "2026-11-03"),
    ]
    (anomaly,) = result.anomalies
    assert anomaly.kind is AnomalyKind.ENTRY_DETAILS
    assert (
        anomaly.element.endswith("TxDtls[2]")
        and "no amount for this transaction" in anomaly.message
    )
    assert anomaly.line == result.records()[1].line


@pytest.mark.parametrize("version", CAMT_VERSIONS)
@pytest.mark.parametrize(("text", "fen"), [("5.0100", 501), ("200.0000", 20000), ("8.850", 885),
                                           ("650", 65000), ("0.00001", None)])  # fmt: skip
def test_camt_amounts_with_more_decimals_are_read_when_exact_in_fen(
    tmp_path: Path, version: str, text: str, fen: int | None
) -> None:
    data = camt("054", version, [Entry(text, "DBIT", (Tx("E1", text),))], msg_id=MSG)
    if fen is None:
        assert "is not a whole number of fen" in refusal(tmp_path, data)
    else:
        assert rows(read(tmp_path, data)) == [("E1", "settled", fen, None, "2026-11-03")]


@pytest.mark.parametrize("version", ["03", "10", "12"])
def test_pain002_amounts_beyond_two_decimals_inexact_in_fen_are_refused_with_the_line(
    tmp_path: Path, version: str
) -> None:
    txs = [Tx("E1", "8.850"), Tx("E2", "8.855")]
    message = refusal(tmp_path, pain002(version, txs, msg_id=MSG), "sts.xml")
    assert (
        "sts.xml:2 /Document/CstmrPmtStsRpt/OrgnlPmtInfAndSts/TxInfAndSts[2]/OrgnlTxRef/Amt/InstdAmt"
        in message
    )
    assert "'8.855' is not a whole number of fen" in message and "8.850" not in message
    read_ok = read(tmp_path, pain002(version, txs[:1], msg_id=MSG), "ok.xml")
    assert rows(read_ok) == [("E1", "settled", 885, None, None)]


def test_an_amount_with_an_exponent_is_refused_naming_file_line_and_element(tmp_path: Path) -> None:
    message = refusal(tmp_path, pacs004("09", [Tx("E1", "5.01E2")], msg_id=MSG), "rtn.xml")
    assert "rtn.xml:2 /Document/PmtRtr/TxInf/RtrdIntrBkSttlmAmt" in message
    assert "written with an exponent" in message


# --- control sums are anomalies, never refusals ---------------------------------------


@pytest.mark.parametrize("version", CAMT_VERSIONS)
def test_camt_control_sums_negative_or_wrong_are_anomalies(tmp_path: Path, version: str) -> None:
    entries = [Entry("509.12", "DBIT", (Tx("E1", "509.12"),))]
    consistent = "<TtlDbtNtries><NbOfNtries>1</NbOfNtries><Sum>-509.12</Sum></TtlDbtNtries>"
    assert (
        read(tmp_path, camt("053", version, entries, msg_id=MSG, summary=consistent)).anomalies
        == ()
    )
    wrong = "<TtlNtries><NbOfNtries>1</NbOfNtries><Sum>-509.13</Sum></TtlNtries>"
    unreadable = "<TtlDbtNtries><NbOfNtries>1</NbOfNtries><Sum>5.0912E2</Sum></TtlDbtNtries>"
    result = read(tmp_path, camt("053", version, entries, msg_id=MSG, summary=wrong + unreadable))
    assert [a.kind for a in result.anomalies] == [AnomalyKind.CONTROL_SUM] * 2
    assert "says -50913 fen, the entries sum to 50912 fen (-1)" in result.anomalies[0].message
    assert "cannot be read" in result.anomalies[1].message
    assert rows(result) == [("E1", "settled", 50912, None, "2026-11-03")]


@pytest.mark.parametrize("version", ["03", "10", "12"])
@pytest.mark.parametrize("control", ["-1150.50", "1150.49", "1,150.50"])
def test_pain002_control_sums_that_do_not_fit_are_anomalies(
    tmp_path: Path, version: str, control: str
) -> None:
    txs = [Tx("E1", "700.50"), Tx("E2", "450.00", status="RJCT", reason="AC04")]
    result = read(tmp_path, pain002(version, txs, msg_id=MSG, count="2", control_sum=control))
    expected = [] if control == "-1150.50" else [AnomalyKind.CONTROL_SUM]
    assert [a.kind for a in result.anomalies] == expected
    assert rows(result) == [
        ("E1", "settled", 70050, None, None),
        ("E2", "failed", 45000, "AC04", None),
    ]


# --- what is around the message: comments, envelopes, encodings -----------------------


WRAPPINGS = [
    Wrapping(comment=True),
    Wrapping(envelope="bizmsg"),
    Wrapping(envelope="clearing", comment=True),
    Wrapping(encoding="utf-16"),
    Wrapping(envelope="bizmsg", encoding="utf-16", comment=True),
]


def _ids(how: Wrapping) -> str:
    return f"{how.envelope or 'bare'}-{how.encoding}{'-comment' if how.comment else ''}"


@pytest.mark.parametrize("how", WRAPPINGS, ids=_ids)
@pytest.mark.parametrize("version", CAMT_VERSIONS)
def test_camt_is_read_whatever_surrounds_the_message(
    tmp_path: Path, how: Wrapping, version: str
) -> None:
    entries = [
        Entry("650.00", "DBIT", (Tx("E1", "650.00"),)),
        Entry("501.00", "CRDT", (Tx("E4", "501.00", reason="MD07", reason_text="户主死亡"),),
              family="RRTN", booked="2026-11-05"),
    ]  # fmt: skip
    data = camt("054", version, entries, msg_id=MSG, how=how)
    path = tmp_path / "n.xml"
    path.write_bytes(data)
    assert detect_format(path) == "camt.054"
    result = read_return(path)
    assert rows(result) == [
        ("E1", "settled", 65000, None, "2026-11-03"),
        ("E4", "failed", 50100, "MD07", "2026-11-05"),
    ]
    assert result.records()[1].reason_text == "户主死亡"
    assert result.header_message_id == (how.header_id if how.envelope else None)


@pytest.mark.parametrize("how", WRAPPINGS, ids=_ids)
@pytest.mark.parametrize("version", ["03", "10", "12"])
def test_pain002_is_read_whatever_surrounds_the_message(
    tmp_path: Path, how: Wrapping, version: str
) -> None:
    txs = [
        Tx("E1", "700.50", name="𠮷田花"),
        Tx("E2", "450.00", status="RJCT", reason="AC04", reason_text="账户已销户"),
    ]
    result = read(tmp_path, pain002(version, txs, msg_id=MSG, how=how))
    assert result.format == "pain.002"
    assert rows(result) == [
        ("E1", "settled", 70050, None, None),
        ("E2", "failed", 45000, "AC04", None),
    ]
    first, second = result.records()
    assert (first.holder_name, first.account, second.reason_text) == (
        "𠮷田花",
        "6217000000000000001",
        "账户已销户",
    )
    assert result.header_message_id == (how.header_id if how.envelope else None)


@pytest.mark.parametrize("how", [Wrapping(), *WRAPPINGS], ids=_ids)
@pytest.mark.parametrize("version", ["02", "09", "10", "11"])
def test_pacs004_account_and_name_are_read_wherever_the_version_puts_them(
    tmp_path: Path, how: Wrapping, version: str
) -> None:
    txs = [
        Tx(
            "E4",
            "501.00",
            account="6217000000000000004",
            name="赵六",
            reason="MD07",
            reason_text="户主死亡",
        )
    ]
    result = read(tmp_path, pacs004(version, txs, msg_id=MSG, control_sum="501.00", how=how))
    assert result.anomalies == ()
    (record,) = result.records()
    assert (record.end_to_end_id, record.status.value, record.amount_fen, record.reason_code) == (
        "E4", "failed", 50100, "MD07",
    )  # fmt: skip
    assert (record.account, record.holder_name, record.reason_text) == (
        "6217000000000000004",
        "赵六",
        "户主死亡",
    )
    assert record.is_return and record.value_date is not None
    assert record.value_date.isoformat() == "2026-11-05"


# --- what is refused, and how it is said -----------------------------------------------


@pytest.mark.parametrize(
    ("namespace", "said"),
    [
        ("urn:iso:std:iso:20022:tech:xsd:pain.002.001.99", "pain.002 version pain.002.001.99"),
        ("urn:iso:std:iso:20022:tech:xsd:pain.002.001.02", "pain.002 version pain.002.001.02"),
        ("urn:iso:std:iso:20022:tech:xsd:camt.054.001.08", "is not that of a pain.002 message"),
        ("urn:example:bank", "'urn:example:bank' is not that of a pain.002 message"),
        ("", "has no namespace"),
    ],
)
def test_a_message_of_a_version_we_do_not_read_is_refused_naming_its_namespace(
    tmp_path: Path, namespace: str, said: str
) -> None:
    data = pain002("10", [Tx("E1", "650.00")], msg_id=MSG).replace(
        b' xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"',
        f' xmlns="{namespace}"'.encode() if namespace else b"",
    )
    for check in (read_return, detect_format):
        path = tmp_path / "v.xml"
        path.write_bytes(data)
        with pytest.raises(ValidationError) as caught:
            check(path)
        assert said in str(caught.value) and "we read pain.002.001.03 to .12" in str(caught.value)


@pytest.mark.parametrize("kind", ["053", "054"])
def test_unknown_camt_versions_are_refused(tmp_path: Path, kind: str) -> None:
    data = camt(kind, "08", [Entry("1.00", "DBIT", (Tx("E1", "1.00"),))], msg_id=MSG)
    message = refusal(tmp_path, data.replace(b".001.08", b".001.42"))
    assert f"camt.{kind}.001.42" in message and f"we read camt.{kind}.001.02 to .12" in message


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!-- a bank file -->\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(2, 10)
    ).replace("&lol1;", "&lol;")
    + ']>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><CstmrPmtStsRpt>'
    "<OrgnlGrpInfAndSts><OrgnlMsgId>&lol9;</OrgnlMsgId></OrgnlGrpInfAndSts></CstmrPmtStsRpt></Document>"
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_any_doctype_is_refused_as_an_entity_expansion_risk(tmp_path: Path, encoding: str) -> None:
    harmless = pain002("10", [Tx("E1", "650.00")], msg_id=MSG).replace(
        b"?>\n", b'?>\n<!DOCTYPE Document SYSTEM "file:///etc/passwd">\n', 1
    )
    for data in (BILLION_LAUGHS.encode(encoding), harmless.decode().encode(encoding)):
        for check in (read_return, detect_format):
            path = tmp_path / "x.xml"
            path.write_bytes(data)
            with pytest.raises(ValidationError) as caught:
                check(path)
            message = str(caught.value)
            assert "a DOCTYPE (document type / entity declarations) is not allowed" in message
            assert "entity-expansion attack" in message and "column" not in message
    assert "x.xml:3:" in message or "x.xml:2:" in message


def test_deep_xml_is_refused_naming_file_and_line(tmp_path: Path) -> None:
    deep = '<?xml version="1.0"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><CstmrPmtStsRpt>\n'
    deep += "<a>" * 5000 + "</a>" * 5000 + "</CstmrPmtStsRpt></Document>"
    message = refusal(tmp_path, deep.encode(), "deep.xml")
    assert "deep.xml:3: XML nested more than" in message and "use XML_PARSE_HUGE" not in message


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (camt("053", "08", [], msg_id=MSG), "the statement has no entries (Ntry)"),
        (camt("054", "02", [], msg_id=MSG), "the notification has no entries (Ntry)"),
        (pacs004("09", [], msg_id=MSG), "the payment return has no returned transactions"),
        (pain002("10", [], msg_id=MSG), "lists no transaction and gives no group"),
        (b'<?xml version="1.0"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><!-- only a comment --></Document>',
         "the Document has no message in it"),
        (b'<?xml version="1.0"?>\n<Envelope><AppHdr><BizMsgIdr>X</BizMsgIdr></AppHdr></Envelope>',
         "no ISO 20022 Document in it"),
    ],
)  # fmt: skip
def test_a_file_with_no_lines_is_refused_never_read_as_empty(
    tmp_path: Path, data: bytes, said: str
) -> None:
    assert said in refusal(tmp_path, data)


def test_an_envelope_with_two_documents_is_refused_not_read_in_part(tmp_path: Path) -> None:
    one = pain002("10", [Tx("E1", "650.00")], msg_id=MSG, how=Wrapping(envelope="clearing"))
    document = one[one.index(b"<Document") : one.index(b"</Document>") + len(b"</Document>")]
    two = one.replace(b"</Envelope>", document + b"</Envelope>")
    assert "2 Documents in one file: import each message as its own file" in refusal(tmp_path, two)


@pytest.mark.parametrize("version", CAMT_VERSIONS)
def test_an_entry_whose_one_transaction_states_another_amount_is_an_anomaly(
    tmp_path: Path, version: str
) -> None:
    entries = [Entry("650.00", "DBIT", (Tx("E1", "600.00"),))]
    result = read(tmp_path, camt("054", version, entries, msg_id=MSG))
    assert [a.kind for a in result.anomalies] == [AnomalyKind.ENTRY_DETAILS]
    assert "entry amount 65000 fen, its 1 TxDtls sum to 60000 fen" in result.anomalies[0].message
    assert rows(result) == [("E1", "settled", 60000, None, "2026-11-03")]
