"""Month arithmetic on periods (YYYY-MM): the one function, checked against dates."""

from datetime import date, timedelta

from ledger.batches import period_start, previous_period, shift_period


def test_shifting_a_period_agrees_with_the_calendar_for_every_month_of_two_centuries():
    for year in range(1950, 2150):
        for month in range(1, 13):
            period = f"{year:04d}-{month:02d}"
            following = (period_start(period) + timedelta(days=31)).replace(day=1)
            assert shift_period(period, 1) == f"{following:%Y-%m}"
            assert previous_period(shift_period(period, 1)) == period
            assert shift_period(shift_period(period, 25), -25) == period


def test_a_shift_crosses_years_both_ways():
    assert shift_period("2026-01", -1) == "2025-12"
    assert shift_period("2026-12", 1) == "2027-01"
    assert shift_period("2026-03", -15) == "2024-12"
    assert shift_period("2026-03", 0) == "2026-03"
    assert period_start(shift_period("2000-02", 12)) == date(2001, 2, 1)
