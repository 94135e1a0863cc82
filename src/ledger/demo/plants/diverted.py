"""Planted diversion (DESIGN §6, 截留挪用 to another payee): money paid to someone else.

Account holders who are not the recipient (the bank's BE01, or the roster's own
户名), one card for unrelated recipients, a staff member's salary card as payee, cards
changed days before a payment, and return files tampered with (amount, account, a
payment never instructed).
"""

import numpy as np
import pandas as pd

from ledger import synth
from ledger.demo.catalogue import COUNTS, NEGLECTED_BANK
from ledger.demo.county import COUNTY_CODE
from ledger.demo.plan import Planting, person
from ledger.identity import mask


def plant(p: Planting, changed: list[int], new_cards: list[str]) -> None:
    """Every diverted kind, in order; ``changed`` and ``new_cards`` (picked with the
    misappropriated kinds) are the people whose card the month-2 roster changes."""
    plant_holders_and_shared_cards(p)
    plant_staff_cards_and_returns(p, changed, new_cards)


def plant_holders_and_shared_cards(p: Planting) -> None:
    """Holders the bank (BE01) or the roster names instead of the recipient; groups of
    recipients paid to one card (the roster frame is edited)."""
    frame, plan, rng = p.frame, p.plan, p.rng
    be01 = p.pick(COUNTS["holder_mismatch_be01"], not_bank=NEGLECTED_BANK)
    other_names = synth.names(rng, len(be01), rare_rate=0.0)
    for k, i in enumerate(be01):
        plan.bank_holders[str(frame.loc[i, "银行账号"])] = str(other_names[k])
    plan.add(
        "diverted",
        "holder_mismatch_be01",
        "户名不符 (BE01) / account holder is not the recipient",
        "the bank has another holder on file for the card: every payment fails 户名不符",
        subjects=[person(frame, i, bank_holder=str(other_names[k])) for k, i in enumerate(be01)],
    )
    differs = p.pick(COUNTS["holder_differs_in_roster"])
    holder_names = synth.names(rng, len(differs), rare_rate=0.0)
    for k, i in enumerate(differs):
        frame.loc[i, "账户户名"] = holder_names[k]
        plan.bank_holders[str(frame.loc[i, "银行账号"])] = str(holder_names[k])
    plan.add(
        "diverted",
        "holder_differs_in_roster",
        "代领: 账户户名与本人不符 / holder differs",
        "the roster's 账户户名 names someone else (the import warns); the bank pays",
        subjects=[
            person(frame, i, account_holder=str(holder_names[k])) for k, i in enumerate(differs)
        ],
    )
    subjects = []
    for g in range(COUNTS["shared_account"]):
        group = p.pick(3, not_bank=NEGLECTED_BANK)
        owner = group[0]
        for i in group[1:]:
            frame.at[i, "银行账号"] = str(frame.at[owner, "银行账号"])
            frame.at[i, "开户银行"] = str(frame.at[owner, "开户银行"])
        subjects += [person(frame, i, group=g + 1) for i in group]
    plan.add(
        "diverted",
        "shared_account",
        "多人一卡 / one account for unrelated recipients",
        "groups of 3 recipients of different households paid to one card",
        subjects=subjects,
    )


def plant_staff_cards_and_returns(p: Planting, changed: list[int], new_cards: list[str]) -> None:
    """Recipients paid to a staff member's salary card (the staff list), cards changed
    before the month-2 payment, and the tampered lines of month 1's ICBC return."""
    frame, plan, rng = p.frame, p.plan, p.rng
    staff_cards = p.pick(COUNTS["payee_is_staff_account"])
    staff_ids = synth.id_numbers(rng, len(staff_cards) + 1, COUNTY_CODE)
    staff_names = synth.names(rng, len(staff_cards) + 1, rare_rate=0.0)
    for k, i in enumerate(staff_cards):
        p.staff_rows.append(
            (staff_ids[k], staff_names[k], "示范县民政局", frame.loc[i, "银行账号"])
        )
    diverted_card = str(synth.card_numbers(rng, np.array(["ICBC"], dtype=object))[0])
    p.staff_rows.append((staff_ids[-1], staff_names[-1], "示范县财政局", diverted_card))
    plan.staff = pd.DataFrame(p.staff_rows, columns=["身份证号", "姓名", "工作单位", "银行账号"])
    plan.add(
        "diverted",
        "payee_is_staff_account",
        "收款账户属于工作人员 / payee account is staff's",
        "the recipient's card is a staff member's salary account (staff list)",
        subjects=[
            person(frame, i, staff_name=str(staff_names[k])) for k, i in enumerate(staff_cards)
        ],
    )
    if p.months >= 2:
        plan.account_changes = dict(zip(changed, new_cards, strict=True))
        plan.add(
            "diverted",
            "account_changed_before_payment",
            "发放前变更账户 / account changed",
            "the month-2 roster gives a new card, days before the payment",
            subjects=[person(frame, i, new_account=plan.account_changes[i]) for i in changed],
            month=plan.periods[1],
        )
    icbc = p.pick(3, bank="ICBC")
    tampered_card = str(synth.card_numbers(rng, np.array(["ICBC"], dtype=object))[0])
    plan.tampering[p.first] = [
        ("amount", str(frame.loc[icbc[0], "银行账号"]), "-100.00"),
        ("account", str(frame.loc[icbc[1], "银行账号"]), tampered_card),
        ("never_instructed", diverted_card, "800.00"),
    ]
    plan.add(
        "diverted",
        "tampered_amount",
        "回盘金额被篡改 / return line with another amount",
        "the ICBC return of month 1 reports the payment 100.00 lower than instructed (成功): "
        "also 'paid less than entitled'",
        subjects=[person(frame, icbc[0], bank="ICBC")],
        month=p.first,
    )
    plan.add(
        "diverted",
        "tampered_account",
        "回盘账号被篡改 / return line to another account",
        f"the ICBC return of month 1 reports the payment to card {mask(tampered_card)} (成功)",
        subjects=[person(frame, icbc[1], reported_account=tampered_card)],
        month=p.first,
    )
    plan.add(
        "diverted",
        "never_instructed",
        "未指令的付款 / payment we never instructed",
        "an extra 成功 line in the ICBC return of month 1: 800.00 to a finance-bureau "
        "staff member's card, with a 业务流水号 we never issued",
        subjects=[
            {
                "type": "account",
                "account_number": diverted_card,
                "amount_fen": 80000,
                "staff_name": str(staff_names[-1]),
            }
        ],
        month=p.first,
    )
