# ruff: noqa: E501 (XML fixtures read better on one line)
"""The round trip against a real counterparty: pain.001 to mock-bank, its answers through our parsers."""

from pathlib import Path

import pytest
from lxml import etree

from ledger.errors import ValidationError
from ledger.files import pain001
from ledger.files.returns import ReturnStatus, Scope, read_return
from tests.support.mock_bank import MockBank, mock_bank  # noqa: F401

# The official schema as vendored in the package (test_bank_files checks that it is
# byte for byte the shared copy), so that this test runs in any checkout.
XSD = Path(pain001.__file__).parent / "xsd" / "pain.001.001.09.xsd"
DEBTOR = "1100000000000001"  # the program's special account (专户), held by the bank
BANK_ROUTING = "999999992"  # mock-bank's own clearing id: creditors it holds sit behind it
OTHER_BANK = "102100099996"  # a CNAPS code the mock does not hold: payments there settle

# (EndToEndId, yuan, creditor bank, name, card number)
PAYMENTS = [
    ("B202611DB0000001", "650.00", OTHER_BANK, "张三", "6222020200000000001"),
    ("B202611DB0000002", "650.00", BANK_ROUTING, "李四", "62220000000000002"),  # closed
    ("B202611DB0000003", "500.50", BANK_ROUTING, "王五", "62220000000000003"),  # bad bank id
    ("B202611DB0000004", "501.00", OTHER_BANK, "赵六", "6222020200000000004"),  # returned later
]


def pain001() -> bytes:
    transactions = "".join(
        f"""<CdtTrfTxInf><PmtId><EndToEndId>{e2e}</EndToEndId></PmtId>
      <Amt><InstdAmt Ccy="CNY">{yuan}</InstdAmt></Amt>
      <CdtrAgt><FinInstnId><ClrSysMmbId><MmbId>{bank}</MmbId></ClrSysMmbId></FinInstnId></CdtrAgt>
      <Cdtr><Nm>{name}</Nm></Cdtr><CdtrAcct><Id><Othr><Id>{card}</Id></Othr></Id></CdtrAcct>
      <RmtInf><Ustrd>2026年11月农村低保金</Ustrd></RmtInf></CdtTrfTxInf>"""
        for e2e, yuan, bank, name, card in PAYMENTS
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"><CstmrCdtTrfInitn>
 <GrpHdr><MsgId>LEDGER-B202611-0001</MsgId><CreDtTm>2026-11-02T09:00:00</CreDtTm>
  <NbOfTxs>4</NbOfTxs><CtrlSum>2301.50</CtrlSum><InitgPty><Nm>某县民政局</Nm></InitgPty></GrpHdr>
 <PmtInf><PmtInfId>B202611-DB</PmtInfId><PmtMtd>TRF</PmtMtd><NbOfTxs>4</NbOfTxs><CtrlSum>2301.50</CtrlSum>
  <PmtTpInf><CtgyPurp><Cd>SSBE</Cd></CtgyPurp></PmtTpInf><ReqdExctnDt><Dt>2026-11-03</Dt></ReqdExctnDt>
  <Dbtr><Nm>某县低保资金专户</Nm></Dbtr>
  <DbtrAcct><Id><Othr><Id>{DEBTOR}</Id></Othr></Id><Ccy>CNY</Ccy></DbtrAcct>
  <DbtrAgt><FinInstnId><ClrSysMmbId><MmbId>{BANK_ROUTING}</MmbId></ClrSysMmbId></FinInstnId></DbtrAgt>
  {transactions}
 </PmtInf></CstmrCdtTrfInitn></Document>
""".encode()


def save(tmp_path: Path, messages: list[dict[str, object]]) -> list[Path]:
    paths = []
    for message in messages:
        path = tmp_path / f"{message['id']}-{message['type']}.xml"
        path.write_text(str(message["body"]), encoding="utf-8")
        paths.append(path)
    return paths


def test_mock_bank_answers_read_through_our_parsers_to_the_fen(
    tmp_path: Path,
    mock_bank: MockBank,  # noqa: F811 (the fixture imported above)
) -> None:
    document = pain001()
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    assert schema.validate(etree.fromstring(document)), schema.error_log

    mock_bank.open_account(
        "DIBAO",
        DEBTOR,
        "某县低保资金专户",
        balance=100_000_000,
        behaviour="return-later",
        parameters={"days": 2, "reason": "MD07", "end_to_end_id": "B202611DB0000004"},
    )
    mock_bank.open_account("LISI", "62220000000000002", "李四", closed=True)
    mock_bank.open_account("WANGWU", "62220000000000003", "王五", behaviour="bad-bank-id")

    answer = mock_bank.send_payments(document)
    assert (answer["status"], answer["accepted"], answer["rejected"]) == ("PART", 2, 2)

    (status_path,) = save(tmp_path, mock_bank.collect("pain.002"))
    report = read_return(status_path)
    assert report.format == "pain.002" and report.anomalies == ()
    tx = report.lines[report.lines["scope"] == Scope.TRANSACTION.value].set_index("end_to_end_id")
    # ACCP is accepted, not settled: pending until the booking says otherwise.
    assert tx["status"].astype(str).to_dict() == {
        "B202611DB0000001": "pending",
        "B202611DB0000002": "failed",
        "B202611DB0000003": "failed",
        "B202611DB0000004": "pending",
    }
    assert tx["reason_code"].to_dict()["B202611DB0000002"] == "AC04"
    assert tx["reason_code"].to_dict()["B202611DB0000003"] == "RC01"

    mock_bank.advance("2026-11-07")  # settles on the 3rd, returns on the 5th, statements daily
    notifications = [read_return(p) for p in save(tmp_path, mock_bank.collect("camt.054"))]
    lines = {
        (r.end_to_end_id, r.status, r.is_return, r.amount_fen, r.reason_code)
        for n in notifications
        for r in n.records()
    }
    assert lines == {
        ("B202611DB0000001", ReturnStatus.SETTLED, False, 65000, None),
        ("B202611DB0000004", ReturnStatus.SETTLED, False, 50100, None),
        ("B202611DB0000004", ReturnStatus.FAILED, True, 50100, "MD07"),
    }
    assert all(n.format == "camt.054" and n.anomalies == () for n in notifications)

    (return_path,) = save(tmp_path, mock_bank.collect("pacs.004"))
    (returned,) = read_return(return_path).records()
    assert (
        returned.end_to_end_id,
        returned.amount_fen,
        returned.reason_code,
        returned.status,
        returned.is_return,
        returned.holder_name,
    ) == ("B202611DB0000004", 50100, "MD07", ReturnStatus.FAILED, True, "赵六")

    statements = []
    for path in save(tmp_path, mock_bank.collect("camt.053")):
        # A day without movements gives a statement with no entries: nothing to read.
        if b"<Ntry>" not in path.read_bytes():
            with pytest.raises(ValidationError, match=r"the statement has no entries \(Ntry\)"):
                read_return(path)
            continue
        statements.append(read_return(path))
    assert all(s.format == "camt.053" and s.anomalies == () for s in statements)
    booked = [r for s in statements for r in s.records()]
    assert sorted((r.end_to_end_id, r.status.value, r.amount_fen) for r in booked) == [
        ("B202611DB0000001", "settled", 65000),
        ("B202611DB0000004", "failed", 50100),
        ("B202611DB0000004", "settled", 50100),
    ]
    assert sum(r.amount_fen for r in booked if r.status is ReturnStatus.SETTLED) == 115100
