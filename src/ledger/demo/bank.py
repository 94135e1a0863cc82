"""A simulated bank for the demo: it reads the bank file we exported and answers with a
return file in the same profile's return layout (CSV GB18030, fixed-width GBK) or, for a
pain.001, a pain.002 status report.

It knows only what a bank knows: the file and its own accounts. Closed accounts fail
(已销户, AC04), frozen ones fail once (账户冻结, AC06; unfrozen after the holder's visit,
so a re-issue settles), a card whose holder on file is not the 户名 in our file fails
(户名不符, BE01), some lines stay 处理中. The planted tampering (a changed amount, a
changed account, a line we never instructed) is written as 成功 lines. Every return it
writes reads with ``ledger.files.returns.read_return``.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from lxml import etree

from ledger.files.profiles import CASH_RECEIPT as CASH_EXPORT
from ledger.files.profiles import CSV_GB18030 as CSV_EXPORT
from ledger.files.profiles import FIXED_GBK as FIXED_EXPORT
from ledger.files.profiles import Profile
from ledger.money import format_yuan, parse_yuan

# Our fixed_gbk export's detail record widths, in GBK bytes.
_FIXED_DETAIL = tuple(f.width for f in FIXED_EXPORT.columns)
PAIN002_NS = "urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"
REASONS = {
    "AC04": "账户已销户",
    "AC06": "账户已冻结",
    "BE01": "户名不符",
}


@dataclass
class Line:
    sequence: int
    holder: str
    id_number: str
    account: str
    amount_fen: int
    memo: str
    end_to_end_id: str
    status: str = "成功"  # 成功 / 失败 / 处理中
    reason_code: str = ""
    tampered: str = ""

    @property
    def reason(self) -> str:
        return REASONS.get(self.reason_code, "")


@dataclass
class BankFile:
    profile: str
    lines: list[Line]
    msg_id: str = ""
    pmt_inf_id: str = ""
    # The header line of a CSV or fixed-width file, which the bank echoes.
    header_line: str = ""


@dataclass
class Answer:
    path: Path
    profile: str
    lines: list[Line]

    def count(self, status: str) -> int:
        return sum(1 for line in self.lines if line.status == status)

    @property
    def tampered(self) -> list[Line]:
        return [line for line in self.lines if line.tampered]


@dataclass
class SimulatedBank:
    """The bank's own view: holders on file, closed, frozen and slow accounts."""

    holders: dict[str, str] = field(default_factory=dict)
    closed: set[str] = field(default_factory=set)
    frozen: set[str] = field(default_factory=set)
    pending: set[str] = field(default_factory=set)
    # Cash lists (现金发放): the ID numbers whose line comes back 待领取 (not collected).
    uncollected: set[str] = field(default_factory=set)
    # (kind, account, detail): amount (detail: "-100.00"), account (detail: reported
    # card) or never_instructed (account: payee card, detail: amount in yuan).
    tampering: list[tuple[str, str, str]] = field(default_factory=list)

    def answer(self, bank_file: Path, out_dir: Path, *, now: datetime) -> Answer:
        """Read ``bank_file`` and write its return into ``out_dir``."""
        parsed = read_bank_file(bank_file)
        out_dir.mkdir(parents=True, exist_ok=True)
        stem = bank_file.name.rsplit(".", 1)[0]
        if parsed.profile == "cash_receipt":  # not a bank: the township's signed list
            for line in parsed.lines:
                line.status = "待领取" if line.id_number in self.uncollected else "已领取"
            path = out_dir / f"{stem}-signed.csv"
            path.write_bytes(csv_return(parsed, CASH_EXPORT))
            return Answer(path, parsed.profile, parsed.lines)
        for line in parsed.lines:
            self._decide(line)
        self._tamper(parsed)
        if parsed.profile == "pain001":
            path = out_dir / f"{stem}-pain002.xml"
            path.write_bytes(pain002(parsed, now))
        elif parsed.profile == "fixed_gbk":
            path = out_dir / f"{stem}-return.txt"
            path.write_bytes(fixed_return(parsed))
        else:
            path = out_dir / f"{stem}-return.csv"
            path.write_bytes(csv_return(parsed))
        return Answer(path, parsed.profile, parsed.lines)

    def _decide(self, line: Line) -> None:
        if line.account in self.pending:
            line.status = "处理中"
        elif line.account in self.closed:
            line.status, line.reason_code = "失败", "AC04"
        elif line.account in self.frozen:
            line.status, line.reason_code = "失败", "AC06"
            self.frozen.discard(line.account)
        elif line.account in self.holders and self.holders[line.account] != line.holder:
            line.status, line.reason_code = "失败", "BE01"

    def _tamper(self, parsed: BankFile) -> None:
        remaining = []
        by_account = {line.account: line for line in parsed.lines if line.status == "成功"}
        for kind, account, detail in self.tampering:
            line = by_account.get(account)
            if kind == "amount" and line is not None:
                line.amount_fen += parse_yuan(detail, signed=True)  # a change: may be negative
                line.tampered = "amount"
            elif kind == "account" and line is not None:
                line.account, line.tampered = detail, "account"
            elif kind == "never_instructed" and parsed.lines and parsed.profile != "pain001":
                last = parsed.lines[-1]
                parsed.lines.append(
                    Line(
                        last.sequence + 1,
                        "收款人",
                        last.id_number[:6] + "198001010011",
                        account,
                        parse_yuan(detail),
                        last.memo,
                        last.end_to_end_id[:12] + "9" * (len(last.end_to_end_id) - 12),
                        tampered="never_instructed",
                    )
                )
            else:
                remaining.append((kind, account, detail))
        self.tampering = remaining


def read_bank_file(path: Path) -> BankFile:
    """Our exported file, in any of the three built-in profiles."""
    data = path.read_bytes()
    if data.lstrip().startswith(b"<"):
        return _read_pain001(data)
    if data.startswith(b"H"):
        return _read_fixed(data)
    return _read_csv(data)


def _read_csv(data: bytes) -> BankFile:
    rows = list(csv.reader(io.StringIO(data.decode("gb18030"), newline="")))
    titles = rows[1]
    cash = "领取人签字" in titles  # a cash receipt list: a name, no card
    lines = []
    for row in rows[2:]:
        if not row:
            continue
        cell = dict(zip(titles, row, strict=True))
        lines.append(
            Line(
                int(cell["序号"]),
                cell["姓名" if cash else "户名"],
                cell["身份证号"],
                "" if cash else cell["卡号"],
                parse_yuan(cell["金额(元)"]),
                cell["摘要"],
                cell["业务流水号"],
            )
        )
    header = data.decode("gb18030").split("\r\n", 1)[0]
    return BankFile("cash_receipt" if cash else "csv_gb18030", lines, header_line=header)


def _read_fixed(data: bytes) -> BankFile:
    lines = []
    for record in data.split(b"\r\n"):
        if not record.startswith(b"D"):
            continue
        fields, start = [], 0
        for width in _FIXED_DETAIL:
            fields.append(record[start : start + width].decode("gbk").strip())
            start += width
        _, seq, holder, id_number, account, fen, memo, e2e = fields
        lines.append(Line(int(seq), holder, id_number, account, int(fen), memo, e2e))
    header = data.split(b"\r\n", 1)[0].decode("gbk")
    return BankFile("fixed_gbk", lines, header_line=header)


def _read_pain001(data: bytes) -> BankFile:
    root = etree.fromstring(data)

    def first(element: etree._Element, path: str) -> str:
        found = element.xpath(path)
        return str(found[0]) if found else ""

    msg_id = first(root, "//*[local-name()='GrpHdr']/*[local-name()='MsgId']/text()")
    pmt_inf_id = first(root, "//*[local-name()='PmtInfId']/text()")
    lines = []
    for n, tx in enumerate(root.xpath("//*[local-name()='CdtTrfTxInf']"), start=1):
        lines.append(
            Line(
                n,
                first(tx, "*[local-name()='Cdtr']/*[local-name()='Nm']/text()"),
                first(tx, ".//*[local-name()='PrvtId']//*[local-name()='Id']/text()"),
                first(tx, "*[local-name()='CdtrAcct']//*[local-name()='Id']/text()"),
                parse_yuan(first(tx, ".//*[local-name()='InstdAmt']/text()")),
                first(tx, ".//*[local-name()='Ustrd']/text()"),
                first(tx, ".//*[local-name()='EndToEndId']/text()"),
            )
        )
    return BankFile("pain001", lines, msg_id, pmt_inf_id)


def _cells(line: Line) -> dict[str, str]:
    """A return line's values by the profile field source they fill."""
    return {
        "line_number": str(line.sequence),
        "account_holder": line.holder,
        "id_number": line.id_number,
        "account_number": line.account,
        "amount_yuan": format_yuan(line.amount_fen),
        "amount_fen": str(line.amount_fen),
        "remittance": line.memo,
        "end_to_end_id": line.end_to_end_id,
        "status": line.status,
        "reason": line.reason,
    }


def csv_return(parsed: BankFile, export: Profile = CSV_EXPORT) -> bytes:
    """A CSV return layout (csv_gb18030's unless told): our header line echoed, the
    return column titles, then one line per payment with its status and reason (see
    ledger.files.profiles)."""
    out = [parsed.header_line, ",".join(f.title for f in export.return_columns)]
    for line in parsed.lines:
        cells = _cells(line)
        out.append(",".join(cells[f.source] for f in export.return_columns))
    return ("\r\n".join(out) + "\r\n").encode("gb18030")


def _fit(text: str, width: int, align: str = "left", fill: str = " ") -> bytes:
    raw = text.encode("gbk")
    pad = fill.encode("ascii") * (width - len(raw))
    return pad + raw if align == "right" else raw + pad


def fixed_return(parsed: BankFile) -> bytes:
    """The fixed_gbk return layout: our header record echoed, then each detail record
    with 状态 (6 bytes) and 失败原因 (60) appended; widths are GBK bytes."""
    out = [parsed.header_line.encode("gbk")]
    for line in parsed.lines:
        cells = _cells(line)
        out.append(
            b"".join(
                f.source.removeprefix("literal:").encode("ascii")
                if f.source.startswith("literal:")
                else _fit(cells[f.source], f.width, f.align, f.fill)
                for f in FIXED_EXPORT.return_columns
            )
        )
    return b"\r\n".join(out) + b"\r\n"


def pain002(parsed: BankFile, now: datetime) -> bytes:
    """A pain.002.001.10 status report: ACSC / RJCT (with reason) / PDNG per transaction."""
    ns = PAIN002_NS

    def sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
        element = etree.SubElement(parent, f"{{{ns}}}{tag}")
        if text is not None:
            element.text = text
        return element

    document = etree.Element(f"{{{ns}}}Document", nsmap={None: ns})
    report = sub(document, "CstmrPmtStsRpt")
    header = sub(report, "GrpHdr")
    sub(header, "MsgId", f"STS{parsed.msg_id}"[:35])
    sub(header, "CreDtTm", now.strftime("%Y-%m-%dT%H:%M:%S+08:00"))
    group = sub(report, "OrgnlGrpInfAndSts")
    sub(group, "OrgnlMsgId", parsed.msg_id)
    sub(group, "OrgnlMsgNmId", "pain.001.001.09")
    sub(group, "OrgnlNbOfTxs", str(len(parsed.lines)))
    sub(group, "OrgnlCtrlSum", format_yuan(sum(x.amount_fen for x in parsed.lines)))
    payment = sub(report, "OrgnlPmtInfAndSts")
    sub(payment, "OrgnlPmtInfId", parsed.pmt_inf_id)
    codes = {"成功": "ACSC", "失败": "RJCT", "处理中": "PDNG"}
    for line in parsed.lines:
        tx = sub(payment, "TxInfAndSts")
        sub(tx, "OrgnlEndToEndId", line.end_to_end_id)
        sub(tx, "TxSts", codes[line.status])
        if line.reason_code:
            info = sub(tx, "StsRsnInf")
            sub(sub(info, "Rsn"), "Cd", line.reason_code)
            sub(info, "AddtlInf", line.reason)
        ref = sub(tx, "OrgnlTxRef")
        amount = sub(sub(ref, "Amt"), "InstdAmt", format_yuan(line.amount_fen))
        amount.set("Ccy", "CNY")
        sub(sub(sub(ref, "Cdtr"), "Pty"), "Nm", line.holder)
        sub(sub(sub(sub(ref, "CdtrAcct"), "Id"), "Othr"), "Id", line.account)
    return etree.tostring(document, xml_declaration=True, encoding="UTF-8", pretty_print=True)
