# ruff: noqa: E501 (XML fixtures read better on one line)
"""Bank return files built the way a bank would: from our exported file, or as ISO XML.

``Line`` is what the bank says about one payment; the builders write real bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ledger.files.profiles import FIXED_GBK
from ledger.money import format_yuan


@dataclass(frozen=True)
class Line:
    e2e: str | None
    amount_fen: int
    status: str  # ISO code (ACSC, RJCT, ...) or 成功/失败/处理中 for text returns
    reason: str = ""  # ISO code (XML) or Chinese text (text returns)
    account: str = "6217000000000000001"
    name: str = "王䶮"


def csv_return(
    export: Path, out: Path, statuses: dict[int, tuple[str, str]], *, header: bool = True
) -> Path:
    """Our exported CSV (GB18030) with 状态 and 失败原因 appended; ``statuses`` maps a
    line number (序号) to (状态, 失败原因); other lines 成功."""
    text = export.read_bytes().decode("gb18030")
    lines = text.rstrip("\r\n").split("\r\n")
    head, titles, body = lines[0], lines[1], lines[2:]
    out_lines = [head] if header else []
    out_lines.append(titles + ",状态,失败原因")
    for row in body:
        number = int(row.split(",", 1)[0])
        status, reason = statuses.get(number, ("成功", ""))
        out_lines.append(f"{row},{status},{reason}")
    out.write_bytes(("\r\n".join(out_lines) + "\r\n").encode("gb18030"))
    return out


def fixed_return(export: Path, out: Path, statuses: dict[int, tuple[str, str]]) -> Path:
    """Our exported fixed-width file (GBK) with 状态 (6 bytes) and 失败原因 (60) appended."""
    widths = {f.title: f.width for f in FIXED_GBK.return_columns}
    records = export.read_bytes().rstrip(b"\r\n").split(b"\r\n")
    out_records = [records[0]]
    for record in records[1:]:
        number = int(record[1:7])
        status, reason = statuses.get(number, ("成功", ""))
        out_records.append(
            record
            + status.encode("gbk").ljust(widths["状态"])
            + reason.encode("gbk").ljust(widths["失败原因"])
        )
    out.write_bytes(b"\r\n".join(out_records) + b"\r\n")
    return out


def _yuan(fen: int) -> str:
    return format_yuan(fen)


def pain002(lines: list[Line], *, msg_id: str, group: str = "", ctrl: bool = True) -> str:
    txs = "".join(
        f"""<TxInfAndSts><OrgnlEndToEndId>{x.e2e}</OrgnlEndToEndId><TxSts>{x.status}</TxSts>"""
        + (f"<StsRsnInf><Rsn><Cd>{x.reason}</Cd></Rsn></StsRsnInf>" if x.reason else "")
        + f"""<OrgnlTxRef><Amt><InstdAmt Ccy="CNY">{_yuan(x.amount_fen)}</InstdAmt></Amt>
      <Cdtr><Nm>{x.name}</Nm></Cdtr><CdtrAcct><Id><Othr><Id>{x.account}</Id></Othr></Id></CdtrAcct>
     </OrgnlTxRef></TxInfAndSts>"""
        for x in lines
    )
    totals = (
        f"<OrgnlNbOfTxs>{len(lines)}</OrgnlNbOfTxs><OrgnlCtrlSum>{_yuan(sum(x.amount_fen for x in lines))}</OrgnlCtrlSum>"
        if ctrl and lines
        else ""
    )
    group_status = f"<GrpSts>{group}</GrpSts>" if group else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10">
 <CstmrPmtStsRpt>
  <GrpHdr><MsgId>BANK-STS-1</MsgId><CreDtTm>2026-11-03T10:00:00</CreDtTm></GrpHdr>
  <OrgnlGrpInfAndSts><OrgnlMsgId>{msg_id}</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId>{totals}{group_status}</OrgnlGrpInfAndSts>
  <OrgnlPmtInfAndSts><OrgnlPmtInfId>{msg_id}</OrgnlPmtInfId>{txs}</OrgnlPmtInfAndSts>
 </CstmrPmtStsRpt>
</Document>
"""


def _details(x: Line, direction: str, msg_id: str) -> str:
    rtr = (
        f"<RtrInf><Rsn><Cd>{x.reason}</Cd></Rsn><AddtlInf>户主死亡</AddtlInf></RtrInf>"
        if direction == "CRDT"
        else ""
    )
    return f"""<TxDtls><Refs><MsgId>{msg_id}</MsgId><PmtInfId>{msg_id}</PmtInfId>
     <EndToEndId>{x.e2e}</EndToEndId></Refs><Amt Ccy="CNY">{_yuan(x.amount_fen)}</Amt><CdtDbtInd>{direction}</CdtDbtInd>
     <RltdPties><Cdtr><Pty><Nm>{x.name}</Nm></Pty></Cdtr><CdtrAcct><Id><Othr><Id>{x.account}</Id></Othr></Id></CdtrAcct></RltdPties>
     {rtr}</TxDtls>"""


def camt(
    kind: str,
    booked: list[Line],
    returned: list[Line] | None = None,
    *,
    msg_id: str = "",
    sum_fen: int | None = None,
) -> str:
    """camt.053/.054: one batch-booked DBIT entry for ``booked``; a CRDT return entry
    each for ``returned``. ``sum_fen`` overrides the stated total (an anomaly)."""
    root, box, ns = {
        "053": ("BkToCstmrStmt", "Stmt", "camt.053.001.08"),
        "054": ("BkToCstmrDbtCdtNtfctn", "Ntfctn", "camt.054.001.08"),
    }[kind]
    entries = ""
    if booked:
        total = sum(x.amount_fen for x in booked)
        entries += f"""<Ntry><Amt Ccy="CNY">{_yuan(total)}</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
   <BookgDt><Dt>2026-11-03</Dt></BookgDt><ValDt><Dt>2026-11-03</Dt></ValDt>
   <NtryDtls><Btch><NbOfTxs>{len(booked)}</NbOfTxs></Btch>{"".join(_details(x, "DBIT", msg_id) for x in booked)}</NtryDtls></Ntry>"""
    returned = returned or []
    for x in returned:
        entries += f"""<Ntry><Amt Ccy="CNY">{_yuan(x.amount_fen)}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
   <BookgDt><Dt>2026-11-05</Dt></BookgDt><NtryDtls>{_details(x, "CRDT", msg_id)}</NtryDtls></Ntry>"""
    count = (1 if booked else 0) + len(returned)
    stated = sum(x.amount_fen for x in [*booked, *returned]) if sum_fen is None else sum_fen
    summary = f"<TxsSummry><TtlNtries><NbOfNtries>{count}</NbOfNtries><Sum>{_yuan(stated)}</Sum></TtlNtries></TxsSummry>"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:{ns}"><{root}>
 <GrpHdr><MsgId>BANK-{kind}-1</MsgId><CreDtTm>2026-11-04T18:00:00</CreDtTm></GrpHdr>
 <{box}><Id>S1</Id><Acct><Id><Othr><Id>0402020109300012345</Id></Othr></Id><Ccy>CNY</Ccy></Acct>
  {summary}
  {entries}
 </{box}></{root}></Document>
"""


def pacs004(returned: list[Line], *, msg_id: str) -> str:
    txs = "".join(
        f"""<TxInf><RtrId>RTR-{i}</RtrId><OrgnlEndToEndId>{x.e2e}</OrgnlEndToEndId>
  <RtrdIntrBkSttlmAmt Ccy="CNY">{_yuan(x.amount_fen)}</RtrdIntrBkSttlmAmt>
  <RtrRsnInf><Rsn><Cd>{x.reason or "MD07"}</Cd></Rsn></RtrRsnInf>
  <OrgnlTxRef><Cdtr><Pty><Nm>{x.name}</Nm></Pty></Cdtr><CdtrAcct><Id><Othr><Id>{x.account}</Id></Othr></Id></CdtrAcct></OrgnlTxRef>
 </TxInf>"""
        for i, x in enumerate(returned, 1)
    )
    total = sum(x.amount_fen for x in returned)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.004.001.09"><PmtRtr>
 <GrpHdr><MsgId>R1</MsgId><CreDtTm>2026-11-07T00:00:00</CreDtTm><NbOfTxs>{len(returned)}</NbOfTxs>
  <CtrlSum>{_yuan(total)}</CtrlSum><IntrBkSttlmDt>2026-11-05</IntrBkSttlmDt></GrpHdr>
 <OrgnlGrpInf><OrgnlMsgId>{msg_id}</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId></OrgnlGrpInf>
 {txs}</PmtRtr></Document>
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
