# ruff: noqa: E501 (XML fixtures read better on one line)
"""ISO 20022 returns read by local element names: pain.002 (.03/.10/.12), camt.053/.054, pacs.004."""

from pathlib import Path

import pandas as pd
import pytest

from ledger.errors import ValidationError
from ledger.files.returns import (
    AnomalyKind,
    ReturnStatus,
    Scope,
    detect_format,
    fallback_statuses,
    file_sha256,
    read_return,
)


def write(tmp_path: Path, name: str, xml: str) -> Path:
    path = tmp_path / name
    path.write_text(xml, encoding="utf-8")
    return path


def pain002(
    version: str, *, group: str, pmt: str, txs: str, nb: int = 3, ctrl: str = "1800.00"
) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.{version}">
 <CstmrPmtStsRpt>
  <GrpHdr><MsgId>BANK-STS-1</MsgId><CreDtTm>2026-11-03T10:00:00</CreDtTm></GrpHdr>
  <OrgnlGrpInfAndSts>
   <OrgnlMsgId>LEDGER-B202611-0001</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId>
   <OrgnlNbOfTxs>{nb}</OrgnlNbOfTxs><OrgnlCtrlSum>{ctrl}</OrgnlCtrlSum>
   {group}
  </OrgnlGrpInfAndSts>
  <OrgnlPmtInfAndSts>
   <OrgnlPmtInfId>PMT-1</OrgnlPmtInfId>
   {pmt}
   {txs}
  </OrgnlPmtInfAndSts>
 </CstmrPmtStsRpt>
</Document>
"""


def tx(e2e: str, status: str, amount: str = "600.00", reason: str = "") -> str:
    why = (
        f"<StsRsnInf><Rsn><Cd>{reason}</Cd></Rsn><AddtlInf>账户已销户</AddtlInf></StsRsnInf>"
        if reason
        else ""
    )
    return f"""<TxInfAndSts><OrgnlEndToEndId>{e2e}</OrgnlEndToEndId><TxSts>{status}</TxSts>{why}
     <OrgnlTxRef><Amt><InstdAmt Ccy="CNY">{amount}</InstdAmt></Amt>
      <Cdtr><Nm>张三</Nm></Cdtr><CdtrAcct><Id><Othr><Id>6222000000000001</Id></Othr></Id></CdtrAcct>
     </OrgnlTxRef></TxInfAndSts>"""


@pytest.mark.parametrize("version", ["03", "10", "12"])
def test_pain002_of_each_version_maps_transaction_statuses(tmp_path: Path, version: str) -> None:
    txs = tx("E1", "ACSC") + tx("E2", "RJCT", reason="AC04") + tx("E3", "ACSP")
    path = write(
        tmp_path,
        "sts.xml",
        pain002(version, group="<GrpSts>PART</GrpSts>", pmt="<PmtInfSts>PART</PmtInfSts>", txs=txs),
    )
    result = read_return(path)
    assert result.format == "pain.002"
    assert result.anomalies == ()
    lines = result.lines[result.lines["scope"] == Scope.TRANSACTION.value]
    assert lines["end_to_end_id"].tolist() == ["E1", "E2", "E3"]
    assert lines["status"].astype(str).tolist() == ["settled", "failed", "pending"]
    assert lines["amount_fen"].tolist() == [60000, 60000, 60000]
    failed = result.records()[3]
    assert (failed.reason_code, failed.reason_text, failed.account) == (
        "AC04",
        "账户已销户",
        "6222000000000001",
    )
    assert failed.element.endswith("/OrgnlPmtInfAndSts/TxInfAndSts[2]")
    assert failed.line > 1


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ACSC", "settled"),
        ("ACCC", "settled"),
        ("RJCT", "failed"),
        ("ACTC", "pending"),
        ("ACCP", "pending"),
        ("ACSP", "pending"),
        ("PDNG", "pending"),
        ("ACWC", "pending"),
        ("XYZW", "pending"),
    ],
)
def test_pain002_status_codes_map_conservatively(tmp_path: Path, code: str, status: str) -> None:
    path = write(
        tmp_path, "s.xml", pain002("10", group="", pmt="", txs=tx("E1", code), nb=1, ctrl="600.00")
    )
    assert read_return(path).lines["status"].astype(str).tolist() == [status]


def test_a_transaction_missing_from_pain002_takes_the_group_status(tmp_path: Path) -> None:
    path = write(tmp_path, "rj.xml", pain002("10", group="<GrpSts>RJCT</GrpSts>", pmt="", txs=""))
    result = read_return(path)
    instructions = pd.DataFrame(
        {
            "end_to_end_id": ["E1", "E2"],
            "msg_id": ["LEDGER-B202611-0001"] * 2,
            "pmt_inf_id": ["PMT-1"] * 2,
        }
    )
    assert fallback_statuses(result.lines, instructions).tolist() == [ReturnStatus.FAILED] * 2


def test_a_listed_transaction_wins_over_payment_information_and_group(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "mix.xml",
        pain002(
            "12",
            group="<GrpSts>ACCP</GrpSts>",
            pmt="<PmtInfSts>ACSC</PmtInfSts>",
            txs=tx("E2", "RJCT", reason="AC01"),
        ),
    )
    instructions = pd.DataFrame(
        {
            "end_to_end_id": ["E1", "E2", "E9"],
            "msg_id": ["LEDGER-B202611-0001"] * 2 + ["OTHER"],
            "pmt_inf_id": ["PMT-1", "PMT-1", "PMT-9"],
        }
    )
    statuses = fallback_statuses(read_return(path).lines, instructions).tolist()
    assert statuses == [ReturnStatus.SETTLED, ReturnStatus.FAILED, ReturnStatus.PENDING]


def test_pain002_original_totals_contradicting_the_listed_transactions_are_anomalies(
    tmp_path: Path,
) -> None:
    txs = tx("E1", "ACSC") + tx("E2", "ACSC") + tx("E3", "ACSC")
    path = write(tmp_path, "s.xml", pain002("10", group="", pmt="", txs=txs, nb=3, ctrl="1800.01"))
    result = read_return(path)
    assert [a.kind for a in result.anomalies] == [AnomalyKind.CONTROL_SUM]
    assert "OrgnlCtrlSum says 180001 fen, the listed transactions sum to 180000 fen" in str(
        result.anomalies[0]
    )
    path = write(tmp_path, "c.xml", pain002("10", group="", pmt="", txs=txs, nb=2))
    assert [a.kind for a in read_return(path).anomalies] == [AnomalyKind.CONTROL_COUNT]


def camt(kind: str, entries: str, summary: str = "") -> str:
    root, box, ns = {
        "053": ("BkToCstmrStmt", "Stmt", "camt.053.001.08"),
        "054": ("BkToCstmrDbtCdtNtfctn", "Ntfctn", "camt.054.001.08"),
    }[kind]
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:{ns}"><{root}>
 <GrpHdr><MsgId>BANK-{kind}-1</MsgId><CreDtTm>2026-11-04T18:00:00</CreDtTm></GrpHdr>
 <{box}><Id>S1</Id><Acct><Id><Othr><Id>1100000000000001</Id></Othr></Id><Ccy>CNY</Ccy></Acct>
  {summary}
  {entries}
 </{box}></{root}></Document>
"""


def details(e2e: str, amount: str, direction: str = "DBIT", ret: str = "") -> str:
    rtr = f"<RtrInf><Rsn><Cd>{ret}</Cd></Rsn><AddtlInf>户主死亡</AddtlInf></RtrInf>" if ret else ""
    return f"""<TxDtls><Refs><MsgId>LEDGER-B202611-0001</MsgId><PmtInfId>PMT-1</PmtInfId>
     <EndToEndId>{e2e}</EndToEndId></Refs><Amt Ccy="CNY">{amount}</Amt><CdtDbtInd>{direction}</CdtDbtInd>
     <RltdPties><Cdtr><Pty><Nm>李四</Nm></Pty></Cdtr><CdtrAcct><Id><Othr><Id>6222{e2e}</Id></Othr></Id></CdtrAcct></RltdPties>
     {rtr}</TxDtls>"""


def entry(amount: str, direction: str, status: str, txdtls: str, batch: str = "") -> str:
    return f"""<Ntry><Amt Ccy="CNY">{amount}</Amt><CdtDbtInd>{direction}</CdtDbtInd><Sts><Cd>{status}</Cd></Sts>
   <BookgDt><Dt>2026-11-03</Dt></BookgDt><ValDt><Dt>2026-11-03</Dt></ValDt>
   <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
   <NtryDtls>{batch}{txdtls}</NtryDtls></Ntry>"""


def test_a_batch_booked_camt054_entry_gives_one_settled_line_per_txdtls(tmp_path: Path) -> None:
    many = "".join(details(f"E{i}", "100.01") for i in range(1, 51))
    batch = "<Btch><NbOfTxs>50</NbOfTxs></Btch>"
    path = write(tmp_path, "n.xml", camt("054", entry("5000.50", "DBIT", "BOOK", many, batch)))
    result = read_return(path)
    assert result.format == "camt.054" and result.anomalies == ()
    lines = result.lines
    assert len(lines) == 50
    assert (lines["status"] == "settled").all()
    assert int(lines["amount_fen"].sum()) == 500050
    assert lines["end_to_end_id"].iloc[49] == "E50"
    assert lines["booking_date"].iloc[0] == pd.Timestamp("2026-11-03")


def test_a_batch_entry_whose_details_do_not_add_up_is_an_anomaly(tmp_path: Path) -> None:
    many = details("E1", "100.00") + details("E2", "100.00")
    batch = "<Btch><NbOfTxs>3</NbOfTxs></Btch>"
    result = read_return(
        write(tmp_path, "n.xml", camt("054", entry("200.01", "DBIT", "BOOK", many, batch)))
    )
    assert sorted(a.kind for a in result.anomalies) == [
        AnomalyKind.CONTROL_COUNT,
        AnomalyKind.ENTRY_DETAILS,
    ]


def test_camt053_return_entries_are_failed_returns_with_their_reason(tmp_path: Path) -> None:
    entries = (
        entry("650.00", "DBIT", "BOOK", details("E1", "650.00"))
        + entry("501.00", "CRDT", "BOOK", details("E4", "501.00", "CRDT", ret="MD07"))
        + entry("10.00", "DBIT", "PDNG", details("E5", "10.00"))
    )
    summary = (
        "<TxsSummry><TtlNtries><NbOfNtries>3</NbOfNtries><Sum>1161.00</Sum></TtlNtries>"
        "<TtlDbtNtries><NbOfNtries>2</NbOfNtries><Sum>660.00</Sum></TtlDbtNtries></TxsSummry>"
    )
    result = read_return(write(tmp_path, "s.xml", camt("053", entries, summary)))
    assert result.format == "camt.053" and result.anomalies == ()
    records = result.records()
    assert [r.status for r in records] == [
        ReturnStatus.SETTLED,
        ReturnStatus.FAILED,
        ReturnStatus.PENDING,
    ]
    assert (records[1].is_return, records[1].reason_code, records[1].reason_text) == (
        True,
        "MD07",
        "户主死亡",
    )
    assert records[1].credit_debit == "CRDT" and records[1].amount_fen == 50100


def test_camt_entry_totals_that_contradict_the_entries_are_anomalies(tmp_path: Path) -> None:
    summary = (
        "<TxsSummry><TtlNtries><NbOfNtries>2</NbOfNtries><Sum>650.01</Sum></TtlNtries></TxsSummry>"
    )
    result = read_return(
        write(
            tmp_path,
            "s.xml",
            camt("053", entry("650.00", "DBIT", "BOOK", details("E1", "650.00")), summary),
        )
    )
    assert sorted(a.kind for a in result.anomalies) == [
        AnomalyKind.CONTROL_COUNT,
        AnomalyKind.CONTROL_SUM,
    ]


PACS004 = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.004.001.09"><PmtRtr>
 <GrpHdr><MsgId>R1</MsgId><CreDtTm>2026-11-07T00:00:00</CreDtTm><NbOfTxs>{nb}</NbOfTxs>
  <CtrlSum>501.00</CtrlSum><IntrBkSttlmDt>2026-11-05</IntrBkSttlmDt></GrpHdr>
 <OrgnlGrpInf><OrgnlMsgId>LEDGER-B202611-0001</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId></OrgnlGrpInf>
 <TxInf><RtrId>RTR-4</RtrId><OrgnlEndToEndId>E4</OrgnlEndToEndId>
  <RtrdIntrBkSttlmAmt Ccy="CNY">{amount}</RtrdIntrBkSttlmAmt>
  <RtrRsnInf><Rsn><Cd>MD07</Cd></Rsn></RtrRsnInf>
  <OrgnlTxRef><Cdtr><Pty><Nm>赵六</Nm></Pty></Cdtr><CdtrAcct><Id><Othr><Id>6222000000000004</Id></Othr></Id></CdtrAcct></OrgnlTxRef>
 </TxInf></PmtRtr></Document>
"""


def test_pacs004_is_a_failed_return_after_settlement(tmp_path: Path) -> None:
    result = read_return(write(tmp_path, "r.xml", PACS004.format(nb=1, amount="501.00")))
    assert result.format == "pacs.004" and result.anomalies == ()
    (record,) = result.records()
    assert (record.end_to_end_id, record.amount_fen, record.status, record.is_return) == (
        "E4",
        50100,
        ReturnStatus.FAILED,
        True,
    )
    assert (record.reason_code, record.holder_name, record.account) == (
        "MD07",
        "赵六",
        "6222000000000004",
    )
    assert record.value_date is not None and record.value_date.isoformat() == "2026-11-05"
    assert record.original_msg_id == "LEDGER-B202611-0001"


def test_pacs004_totals_that_contradict_its_returns_are_anomalies(tmp_path: Path) -> None:
    result = read_return(write(tmp_path, "r.xml", PACS004.format(nb=2, amount="500.00")))
    assert sorted(a.kind for a in result.anomalies) == [
        AnomalyKind.CONTROL_COUNT,
        AnomalyKind.CONTROL_SUM,
    ]


def test_truncated_xml_is_refused_with_its_line(tmp_path: Path) -> None:
    text = PACS004.format(nb=1, amount="501.00")
    path = write(tmp_path, "r.xml", text[: text.index("<RtrRsnInf>")])
    with pytest.raises(ValidationError) as caught:
        read_return(path)
    message = str(caught.value)
    assert str(path) in message and "r.xml:8: not well-formed XML (truncated?)" in message


@pytest.mark.parametrize(
    ("amount", "reason"),
    [
        ("50l.00", "amount '50l.00' is not a number of yuan"),
        ("501.001", "amount '501.001' is not a whole number of fen"),
    ],
)
def test_a_bad_xml_amount_is_refused_naming_the_element(
    tmp_path: Path, amount: str, reason: str
) -> None:
    path = write(tmp_path, "r.xml", PACS004.format(nb=1, amount=amount))
    with pytest.raises(ValidationError) as caught:
        read_return(path)
    assert f"r.xml:7 /Document/PmtRtr/TxInf/RtrdIntrBkSttlmAmt: {reason}" in str(caught.value)


def test_every_foreign_currency_amount_is_listed_and_refuses_the_file(tmp_path: Path) -> None:
    entries = entry(
        "650.00", "DBIT", "BOOK", details("E1", "650.00").replace('Ccy="CNY"', 'Ccy="EUR"')
    ) + entry("1.00", "DBIT", "BOOK", details("E2", "1.00")).replace('Ccy="CNY"', 'Ccy="USD"')
    with pytest.raises(ValidationError) as caught:
        read_return(write(tmp_path, "s.xml", camt("053", entries)))
    message = str(caught.value)
    assert "currency EUR: this ledger pays in CNY" in message
    assert "currency USD: this ledger pays in CNY" in message


def test_iso_messages_are_detected_by_their_message_element(tmp_path: Path) -> None:
    assert detect_format(write(tmp_path, "a", PACS004.format(nb=1, amount="1.00"))) == "pacs.004"
    assert detect_format(write(tmp_path, "b", camt("053", ""))) == "camt.053"
    assert detect_format(write(tmp_path, "c", camt("054", ""))) == "camt.054"
    assert (
        detect_format(write(tmp_path, "d", pain002("03", group="", pmt="", txs=""))) == "pain.002"
    )
    other = write(tmp_path, "e", '<Document xmlns="urn:x"><CstmrCdtTrfInitn/></Document>')
    with pytest.raises(ValidationError, match="'CstmrCdtTrfInitn' is not a bank return we read"):
        detect_format(other)


def test_the_file_hash_is_the_sha256_of_its_bytes(tmp_path: Path) -> None:
    import hashlib

    path = write(tmp_path, "r.xml", PACS004.format(nb=1, amount="501.00"))
    assert (
        file_sha256(path)
        == hashlib.sha256(path.read_bytes()).hexdigest()
        == read_return(path).sha256
    )
