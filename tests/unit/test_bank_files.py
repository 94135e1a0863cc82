"""Bank file profiles, byte for byte, without a database."""

import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from lxml import etree

from ledger.batches import end_to_end_id, mask, remittance_text
from ledger.errors import ValidationError
from ledger.files import pain001
from ledger.files.bankfile import FileContext, write_bank_file
from ledger.files.profiles import BUILT_IN, load_county_profiles

SHARED_XSD = Path(__file__).resolve().parents[3] / "shared" / "iso20022" / "pain.001.001.09.xsd"


def context(count: int, total: int) -> FileContext:
    return FileContext(
        batch_id=7,
        county_code="130123",
        period="2026-11",
        program="dibao_rural",
        remittance=remittance_text("2026-11", "农村最低生活保障"),
        count=count,
        amount_fen_total=total,
        debtor_account="0402020109300012345",
        debtor_name="示范县财政局社会保障资金专户",
        debtor_bank_cnaps="102100099996",
        bank_cnaps={"ICBC": "102100099996", "RCC": "402100000018"},
        exported_at=datetime(2026, 11, 5, 1, 30, tzinfo=UTC),
        pay_date=date(2026, 11, 10),
    )


# line_number, recipient key, holder, ID number, account, amount_fen, EndToEndId, bank
RARE = [
    (
        1,
        "R0000001",
        "王䶮",
        "130123198001011234",
        "6217000000000000001",
        600_00,
        end_to_end_id("130123", "2026-11", 1, 1),
        "ICBC",
    ),
    (
        2,
        "R0000002",
        "𠮷田花",
        "13012319750505432X",
        "6217000000000000002",
        700_50,
        end_to_end_id("130123", "2026-11", 2, 1),
        "ICBC",
    ),
]
COMMON = [
    (
        1,
        "R0000003",
        "张三",
        "130123196001011111",
        "6228480000000000003",
        450_00,
        end_to_end_id("130123", "2026-11", 3, 1),
        "RCC",
    ),
    (
        2,
        "R0000004",
        "欧阳娜娜",
        "130123199912312222",
        "6228480000000000004",
        1_234_56,
        end_to_end_id("130123", "2026-11", 4, 1),
        "RCC",
    ),
]


def write(profile: str, rows: list[tuple], ctx: FileContext | None = None) -> bytes:
    out = io.BytesIO()
    ctx = ctx or context(len(rows), sum(r[5] for r in rows))
    written = write_bank_file(BUILT_IN[profile], ctx, [rows], out)
    assert written.byte_count == len(out.getvalue())
    return out.getvalue()


def test_end_to_end_ids_are_digits_unique_and_at_most_35_characters():
    assert end_to_end_id("130123", "2026-11", 42, 1) == "130123202611000000004201"
    assert end_to_end_id("130123", "2026-11", 42, 2) != end_to_end_id("130123", "2026-11", 42, 1)
    assert len(end_to_end_id("130123", "2026-11", 10**20, 99)) <= 35


def test_masking_keeps_the_first_six_and_last_four():
    assert mask("130123198001011234") == "130123********1234"
    assert mask("6217000000000000001") == "621700*********0001"


def test_the_csv_profile_writes_gb18030_with_rare_characters_byte_for_byte():
    expected = (
        # 总笔数,2,总金额(元),1300.50
        b"\xd7\xdc\xb1\xca\xca\xfd,2,\xd7\xdc\xbd\xf0\xb6\xee(\xd4\xaa),1300.50\r\n"
        + "序号,户名,身份证号,卡号,金额(元),摘要,业务流水号\r\n".encode("gb18030")
        + b"1,\xcd\xf5\xfe\x9f,130123198001011234,6217000000000000001,600.00,"  # 王䶮
        + "2026年11月农村最低生活保障金".encode("gb18030")
        + b",130123202611000000000101\r\n"
        + b"2,\x954\xb25\xcc\xef\xbb\xa8,13012319750505432X,6217000000000000002,700.50,"  # 𠮷田花
        + "2026年11月农村最低生活保障金".encode("gb18030")
        + b",130123202611000000000201\r\n"
    )
    assert write("csv_gb18030", RARE) == expected


def test_the_fixed_width_profile_pads_chinese_names_by_gbk_bytes():
    remit = "2026年11月农村最低生活保障金".encode("gbk")
    assert len(remit) == 28
    expected = (
        b"H0000000002000000000000168456"
        + b"0402020109300012345".ljust(32)
        + b"20261120261110\r\n"
        + b"D000001"
        + "张三".encode("gbk").ljust(30)  # 4 bytes + 26 spaces
        + b"130123196001011111"
        + b"6228480000000000003".ljust(32)
        + b"000000000045000"
        + remit.ljust(40)
        + b"130123202611000000000301".ljust(35)
        + b"\r\n"
        + b"D000002"
        + "欧阳娜娜".encode("gbk").ljust(30)
        + b"130123199912312222"
        + b"6228480000000000004".ljust(32)
        + b"000000000123456"
        + remit.ljust(40)
        + b"130123202611000000000401".ljust(35)
        + b"\r\n"
    )
    data = write("fixed_gbk", COMMON)
    assert data == expected
    assert {len(line) for line in data.split(b"\r\n")[1:-1]} == {
        1 + 6 + 30 + 18 + 32 + 15 + 40 + 35
    }


def test_the_fixed_width_profile_refuses_names_gbk_cannot_hold_and_names_the_recipients():
    with pytest.raises(ValidationError) as caught:
        write("fixed_gbk", RARE)
    message = str(caught.value)
    assert "2 problem(s)" in message
    assert "line 1 (recipient R0000001): 户名" in message and "U+4DAE" in message
    assert "line 2 (recipient R0000002): 户名" in message and "U+20BB7" in message
    assert "csv_gb18030" in message


def test_a_name_wider_than_its_fixed_width_field_is_refused():
    long_name = [(1, "R0000009", "欧" * 16, *COMMON[0][3:])]
    with pytest.raises(ValidationError, match="is 32 bytes in GBK, the field holds 30"):
        write("fixed_gbk", long_name)


def test_pain001_is_written_byte_for_byte_and_validates_against_the_official_xsd(tmp_path):
    data = write("pain001", RARE)
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"><CstmrCdtTrfInitn>'
        "<GrpHdr><MsgId>130123202611B00000007</MsgId><CreDtTm>2026-11-05T09:30:00+08:00</CreDtTm>"
        "<NbOfTxs>2</NbOfTxs><CtrlSum>1300.50</CtrlSum>"
        "<InitgPty><Nm>示范县财政局社会保障资金专户</Nm></InitgPty></GrpHdr>"
        "<PmtInf><PmtInfId>130123202611B00000007</PmtInfId><PmtMtd>TRF</PmtMtd>"
        "<BtchBookg>true</BtchBookg><NbOfTxs>2</NbOfTxs><CtrlSum>1300.50</CtrlSum>"
        "<PmtTpInf><CtgyPurp><Cd>SSBE</Cd></CtgyPurp></PmtTpInf>"
        "<ReqdExctnDt><Dt>2026-11-10</Dt></ReqdExctnDt>"
        "<Dbtr><Nm>示范县财政局社会保障资金专户</Nm></Dbtr>"
        "<DbtrAcct><Id><Othr><Id>0402020109300012345</Id></Othr></Id><Ccy>CNY</Ccy></DbtrAcct>"
        "<DbtrAgt><FinInstnId><ClrSysMmbId><ClrSysId><Cd>CNAPS</Cd></ClrSysId>"
        "<MmbId>102100099996</MmbId></ClrSysMmbId></FinInstnId></DbtrAgt><ChrgBr>DEBT</ChrgBr>\n"
    )
    first = (
        "<CdtTrfTxInf><PmtId><EndToEndId>130123202611000000000101</EndToEndId></PmtId>"
        '<Amt><InstdAmt Ccy="CNY">600.00</InstdAmt></Amt>'
        "<CdtrAgt><FinInstnId><ClrSysMmbId><ClrSysId><Cd>CNAPS</Cd></ClrSysId>"
        "<MmbId>102100099996</MmbId></ClrSysMmbId></FinInstnId></CdtrAgt>"
        "<Cdtr><Nm>王䶮</Nm><Id><PrvtId><Othr><Id>130123198001011234</Id>"
        "<SchmeNm><Cd>NIDN</Cd></SchmeNm></Othr></PrvtId></Id></Cdtr>"
        "<CdtrAcct><Id><Othr><Id>6217000000000000001</Id></Othr></Id></CdtrAcct>"
        "<RmtInf><Ustrd>2026年11月农村最低生活保障金</Ustrd></RmtInf></CdtTrfTxInf>\n"
    )
    second = first.replace("000101", "000201").replace("600.00", "700.50")
    second = second.replace("王䶮", "𠮷田花").replace("130123198001011234", "13012319750505432X")
    second = second.replace("6217000000000000001", "6217000000000000002")
    tail = "</PmtInf></CstmrCdtTrfInitn></Document>\n"
    assert data == (head + first + second + tail).encode("utf-8")

    path = tmp_path / "batch.xml"
    path.write_bytes(data)
    pain001.validate(path)  # the vendored schema
    if SHARED_XSD.exists():
        shared = etree.XMLSchema(etree.parse(str(SHARED_XSD)))
        assert shared.validate(etree.parse(str(path))), shared.error_log
        vendored = Path(pain001.__file__).parent / "xsd" / "pain.001.001.09.xsd"
        assert vendored.read_bytes() == SHARED_XSD.read_bytes()


def test_a_pain001_file_that_breaks_the_schema_is_refused_naming_the_line(tmp_path):
    rows = [
        COMMON[0],
        (
            2,
            "R0000004",
            "欧阳娜娜",
            "130123199912312222",
            "6" * 40,
            1_234_56,
            "130123202611000000000401",
            "RCC",
        ),
    ]
    path = tmp_path / "bad.xml"
    path.write_bytes(write("pain001", rows))
    with pytest.raises(ValidationError, match=r"line 4 \(instruction line 2\).*maxLength"):
        pain001.validate(path)


def test_a_county_can_add_a_profile_in_its_configuration(tmp_path):
    path = tmp_path / "county.toml"
    path.write_text(
        """
[bank_profiles.abc_csv]
format = "csv"
encoding = "gb18030"
line_ending = "lf"
header = [{ title = "笔数", source = "count" }]
columns = [
  { title = "账号", source = "account_number" },
  { title = "金额", source = "amount_fen" },
  { title = "流水号", source = "end_to_end_id" },
]
""",
        encoding="utf-8",
    )
    profile = load_county_profiles(path)["abc_csv"]
    out = io.BytesIO()
    write_bank_file(profile, context(1, 450_00), [[COMMON[0]]], out)
    assert out.getvalue() == (
        "笔数,1\n账号,金额,流水号\n6228480000000000003,45000,130123202611000000000301\n"
    ).encode("gb18030")


def test_a_bad_county_profile_is_refused_with_every_problem(tmp_path):
    path = tmp_path / "county.toml"
    path.write_text(
        '[bank_profiles.x]\nformat = "fixed"\ncolumns = [{ title = "a", source = "nope" }]\n',
        encoding="utf-8",
    )
    with pytest.raises(ValidationError) as caught:
        load_county_profiles(path)
    assert "unknown 'nope'" in str(caught.value)
    assert "needs a width" in str(caught.value)
