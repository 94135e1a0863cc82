"""Chinese bank failure reasons (失败原因) mapped to ISO 20022 reason codes.

The table is read top to bottom and the first row whose keyword occurs in the text
wins, so a text naming two causes gets the earlier row's code. Text that matches no
row gets ``NARR`` (narrative) and is always kept verbatim in ``reason_text``.

| keywords (any, as a substring)       | code | meaning                               |
|--------------------------------------|------|---------------------------------------|
| 户名不符, 户名不一致, 姓名不符       | BE01 | name does not match the account       |
| 账号不存在, 无此账户, 无此账号, 账户不存在 | AC01 | no such account                  |
| 已销户, 已清户, 已关户               | AC04 | account closed                        |
| 冻结, 止付, 挂失, 状态异常           | AC06 | account blocked (frozen, stopped...)  |
| 户主死亡, 死亡                       | MD07 | account holder deceased               |
| 重复                                 | AM05 | duplicate payment                     |
| (anything else)                      | NARR | see the text                          |
"""

from __future__ import annotations

NARRATIVE = "NARR"

REASON_TABLE: tuple[tuple[tuple[str, ...], str], ...] = (
    (("户名不符", "户名不一致", "姓名不符"), "BE01"),
    (("账号不存在", "无此账户", "无此账号", "账户不存在"), "AC01"),
    (("已销户", "已清户", "已关户"), "AC04"),
    (("冻结", "止付", "挂失", "状态异常"), "AC06"),
    (("户主死亡", "死亡"), "MD07"),
    (("重复",), "AM05"),
)


def reason_code(text: str) -> str:
    """The ISO reason code for a bank's Chinese failure text (``NARR`` when none fits)."""
    for keywords, code in REASON_TABLE:
        if any(keyword in text for keyword in keywords):
            return code
    return NARRATIVE
