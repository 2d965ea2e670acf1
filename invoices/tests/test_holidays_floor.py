"""The `holidays` floor in pyproject.toml (>=0.64) is the first release that knows Christmas Eve
(24 December) is a Polish public holiday from 2025 (Dz.U. 2024 poz. 1965). An older release would
make 24 December a business day, so a document issued on 27 December 2025 would take the NBP rate
of the 24th, a day NBP publishes no table. These tests go through the very call the rate rule uses
(`invoices.services.rates._polish_holidays`, i.e. `holidays.country_holidays("PL", years=...)`).
"""

from datetime import date

import holidays
import pytest

from invoices.services import rates


@pytest.mark.parametrize("year", [2025, 2026])
def test_christmas_eve_is_a_polish_public_holiday_from_2025(year):
    christmas_eve = date(year, 12, 24)

    assert christmas_eve in rates._polish_holidays(year)
    assert christmas_eve in holidays.country_holidays("PL", years=year)
    assert not rates.is_business_day(christmas_eve)


def test_christmas_eve_2024_was_a_business_day():
    christmas_eve = date(2024, 12, 24)  # a Tuesday, before the law took effect

    assert christmas_eve not in rates._polish_holidays(2024)
    assert rates.is_business_day(christmas_eve)


def test_rate_for_a_document_issued_after_christmas_2025_is_from_before_christmas_eve():
    # 24 (Wed, Christmas Eve), 25 and 26 (Christmas) are holidays; the 23rd (Tue) is the last
    # business day before an issue on Saturday 27 December 2025
    assert rates.rate_date_for_issue(date(2025, 12, 27)) == date(2025, 12, 23)
    # 2024: Christmas Eve was still a business day
    assert rates.rate_date_for_issue(date(2024, 12, 25)) == date(2024, 12, 24)
