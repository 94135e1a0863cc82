import pandas as pd
import pytest

from ledger.files.returns.amounts import bad_amounts, column_to_fen, fen_from_text


def test_a_return_column_refuses_full_width_and_other_non_ascii_digits():
    column = pd.Series(["650.00", "７００.００", "7٠٠", "12", "1e3", "0012"], dtype=object)
    assert bad_amounts(column, "yuan").tolist() == [1, 2, 4]
    assert bad_amounts(column, "fen").tolist() == [0, 1, 2, 4]
    good = column.iloc[[0, 3, 5]].reset_index(drop=True)
    assert column_to_fen(good, "yuan").tolist() == [65000, 1200, 1200]


@pytest.mark.parametrize("text", ["７００.００", "1e3", "1,000.00", "-5.00", "NaN"])
def test_one_return_amount_follows_the_one_parser(text):
    with pytest.raises(ValueError):
        fen_from_text(text)
