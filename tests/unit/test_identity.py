"""ID numbers and card numbers, checked against python-stdnum as an independent oracle."""

import numpy as np
from stdnum import luhn
from stdnum.cn import ric

from ledger import synth
from ledger.identity import (
    ascii_digits,
    birth_dates,
    id_check_char,
    id_check_ok,
    luhn_ok,
    mask,
)


def test_generated_id_numbers_pass_python_stdnum_and_our_vectorised_check() -> None:
    ids = synth.id_numbers(np.random.default_rng(7), 5000, "130123").tolist()
    assert len(set(ids)) == 5000
    assert all(ric.calc_check_digit(i) == i[17] for i in ids)
    assert id_check_ok(ids).all()
    for number in ids[:500]:
        assert id_check_char(number[:17]) == ric.calc_check_digit(number)
    # stdnum also checks the birth date and the region against its own region table.
    beijing = synth.id_numbers(np.random.default_rng(9), 2000, "110105").tolist()
    assert all(ric.is_valid(i) for i in beijing)
    assert id_check_ok(beijing).all()


def test_a_wrong_check_character_is_caught_by_both_checks() -> None:
    ids = synth.id_numbers(np.random.default_rng(8), 2000, "130123").tolist()
    chars = "0123456789X"
    broken = [i[:17] + chars[(chars.index(i[17]) + 1) % 11] for i in ids]
    assert not id_check_ok(broken).any()
    assert not any(ric.calc_check_digit(b) == b[17] for b in broken)


def test_generated_cards_pass_luhn_as_stdnum_sees_it() -> None:
    rng = np.random.default_rng(3)
    cards = synth.card_numbers(rng, np.array(["ICBC", "RCC"] * 500, dtype=object)).tolist()
    assert luhn_ok(cards).all()
    assert all(luhn.is_valid(c) for c in cards)
    passbooks = synth.card_numbers(rng, np.array(["RCC"] * 200, dtype=object), luhn_rate=0.0)
    assert not luhn_ok(passbooks.tolist()).any()
    assert not any(luhn.is_valid(c) for c in passbooks)


def test_impossible_birth_dates_are_not_dates() -> None:
    good = "11010519491231002X"
    feb30 = "110105" + "19490230" + "0021"
    leap = "110105" + "20000229" + "0021"
    not_leap = "110105" + "19000229" + "0021"
    found = birth_dates([good, feb30, leap, not_leap])
    assert str(found[0]) == "1949-12-31"
    assert np.isnat(found[1]) and not np.isnat(found[2]) and np.isnat(found[3])


def test_ascii_digits_accepts_a_final_x_only_where_asked() -> None:
    values = ["12345678901234567X", "123456789012345678", "12345678901234567Y", "１２３", ""]
    assert ascii_digits(values, 18, last_x=True).tolist() == [True, True, False, False, False]
    assert ascii_digits(values, 18).tolist() == [False, True, False, False, False]


def test_masking_keeps_the_first_six_and_last_four() -> None:
    assert mask("13012319900101123X") == "130123********123X"
    assert mask("6222021234567890123") == "622202*********0123"
    assert mask("") == ""
