"""ISO 20022 pain.001.001.09 (customer credit transfer initiation), written and validated.

One ``PmtInf`` per batch: the debtor is the program's special account (专户), category
purpose SSBE (social security benefit). One ``CdtTrfTxInf`` per instruction, on its own
line (instruction line N is file line N + ``HEAD_LINES``), with EndToEndId, InstdAmt in
CNY, the payee bank's CNAPS code in ``CdtrAgt/FinInstnId/ClrSysMmbId``, the holder's
name, the recipient's ID number (``Cdtr/Id/PrvtId/Othr``, scheme NIDN), the account in
``CdtrAcct/Id/Othr/Id`` and the remittance text.

The text is written directly (escaped), which is an order of magnitude faster than
building 10^6 element trees; the official XSD (vendored in ``xsd/``) then validates the
written file while streaming it with lxml, so memory stays flat.
"""

from collections.abc import Iterable
from datetime import timedelta, timezone
from importlib.resources import files
from pathlib import Path
from typing import Any, Protocol
from xml.sax.saxutils import escape

from lxml import etree

from ledger.errors import ValidationError
from ledger.money import format_yuan

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
CHINA_TIME = timezone(timedelta(hours=8))
HEAD_LINES = 2


class _Sink(Protocol):
    def write(self, data: bytes) -> None: ...


def _agent(cnaps: str) -> str:
    return (
        "<FinInstnId><ClrSysMmbId><ClrSysId><Cd>CNAPS</Cd></ClrSysId>"
        f"<MmbId>{escape(cnaps)}</MmbId></ClrSysMmbId></FinInstnId>"
    )


def write_pain001(
    context: Any, chunks: Iterable[list[tuple[Any, ...]]], sink: _Sink
) -> tuple[int, int]:
    created = context.exported_at.astimezone(CHINA_TIME).strftime("%Y-%m-%dT%H:%M:%S+08:00")
    total_text = format_yuan(context.amount_fen_total)
    debtor = escape(context.debtor_name)
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Document xmlns="{NAMESPACE}"><CstmrCdtTrfInitn>'
        f"<GrpHdr><MsgId>{context.message_id}</MsgId><CreDtTm>{created}</CreDtTm>"
        f"<NbOfTxs>{context.count}</NbOfTxs><CtrlSum>{total_text}</CtrlSum>"
        f"<InitgPty><Nm>{debtor}</Nm></InitgPty></GrpHdr>"
        f"<PmtInf><PmtInfId>{context.message_id}</PmtInfId><PmtMtd>TRF</PmtMtd>"
        f"<BtchBookg>true</BtchBookg><NbOfTxs>{context.count}</NbOfTxs>"
        f"<CtrlSum>{total_text}</CtrlSum>"
        "<PmtTpInf><CtgyPurp><Cd>SSBE</Cd></CtgyPurp></PmtTpInf>"
        f"<ReqdExctnDt><Dt>{context.pay_date.isoformat()}</Dt></ReqdExctnDt>"
        f"<Dbtr><Nm>{debtor}</Nm></Dbtr>"
        f"<DbtrAcct><Id><Othr><Id>{escape(context.debtor_account)}</Id></Othr></Id>"
        "<Ccy>CNY</Ccy></DbtrAcct>"
        f"<DbtrAgt>{_agent(context.debtor_bank_cnaps)}</DbtrAgt><ChrgBr>DEBT</ChrgBr>\n"
    )
    sink.write(head.encode("utf-8"))
    remittance = f"<RmtInf><Ustrd>{escape(context.remittance)}</Ustrd></RmtInf>"
    agents = {bank: _agent(cnaps) for bank, cnaps in context.bank_cnaps.items()}
    count = total = 0
    for chunk in chunks:
        lines = []
        for _line, _key, holder, id_number, account, amount, e2e, bank in chunk:
            lines.append(
                f"<CdtTrfTxInf><PmtId><EndToEndId>{e2e}</EndToEndId></PmtId>"
                f'<Amt><InstdAmt Ccy="CNY">{format_yuan(int(amount))}</InstdAmt></Amt>'
                f"<CdtrAgt>{agents[bank]}</CdtrAgt>"
                f"<Cdtr><Nm>{escape(holder)}</Nm><Id><PrvtId><Othr><Id>{escape(id_number)}</Id>"
                "<SchmeNm><Cd>NIDN</Cd></SchmeNm></Othr></PrvtId></Id></Cdtr>"
                f"<CdtrAcct><Id><Othr><Id>{escape(account)}</Id></Othr></Id></CdtrAcct>"
                f"{remittance}</CdtTrfTxInf>\n"
            )
            total += int(amount)
        count += len(chunk)
        sink.write("".join(lines).encode("utf-8"))
    sink.write(b"</PmtInf></CstmrCdtTrfInitn></Document>\n")
    return count, total


_schema: etree.XMLSchema | None = None


def schema() -> etree.XMLSchema:
    """The official pain.001.001.09 schema, vendored in the package (parsed once)."""
    global _schema
    if _schema is None:
        path = files("ledger.files").joinpath("xsd", "pain.001.001.09.xsd")
        with path.open("rb") as handle:
            _schema = etree.XMLSchema(etree.parse(handle))
    return _schema


TAIL = b"</PmtInf></CstmrCdtTrfInitn></Document>\n"


def validate(path: str | Path) -> None:
    """Validate a pain.001.001.09 file against the XSD while streaming it; raise
    ``ValidationError`` naming every line (and so instruction) at fault.

    libxml2 reports streaming validation errors only at the end, without a line, so a
    file that fails is checked again one transaction at a time (each in a small document
    with the file's header) to name the lines; that slower pass runs only on failure.
    """
    try:
        for _event, element in etree.iterparse(
            str(path),
            events=("end",),
            tag=f"{{{NAMESPACE}}}CdtTrfTxInf",
            schema=schema(),
            huge_tree=True,
        ):
            element.clear()
            parent = element.getparent()
            while element.getprevious() is not None and parent is not None:
                del parent[0]
    except etree.XMLSyntaxError as error:
        problems = _locate(Path(path)) or [str(error.msg)]
        raise ValidationError(
            f"{Path(path).name} does not validate against pain.001.001.09.xsd:", problems
        ) from None


def _locate(path: Path, limit: int = 20) -> list[str]:
    problems: list[str] = []
    with path.open("rb") as handle:
        head = handle.readline() + handle.readline()
        for index, line in enumerate(handle, start=HEAD_LINES + 1):
            if line == TAIL:
                break
            try:
                etree.fromstring(head + line + TAIL, etree.XMLParser(schema=schema()))
            except etree.XMLSyntaxError as error:
                if error.lineno and error.lineno <= HEAD_LINES:
                    return [f"line {error.lineno} (the group and payment header): {error.msg}"]
                problems.append(
                    f"line {index} (instruction line {index - HEAD_LINES}): {error.msg}"
                )
                if len(problems) >= limit:
                    problems.append("... (stopped after the first 20)")
                    break
    return problems
