"""The statutory clock: working days by China's official calendar (调休 included), calendar days beyond ten.

Dates checked against chinesecalendar 1.11: National Day 2026 is Oct 1–7 with Sun Sep 20 and Sat Oct 10
worked instead; the Mid-Autumn weekend Sep 26–27 is a holiday; Spring Festival 2026 is Feb 15–23 with
Sat Feb 14 and Sat Feb 28 worked instead.
"""
import logging
from datetime import date

import chinese_calendar
import pytest

from patrol import deadlines

from patrol.deadlines import deadline_from_days, is_working_day, next_working_day_on_or_after

pytestmark = pytest.mark.smoke


@pytest.fixture
def deadline_warnings():
    """Warnings of patrol.deadlines (the suite runs with ``-p no:logging``, so no caplog)."""
    records = []
    deadlines._warn_no_calendar.cache_clear()  # it warns once per year and process
    handler = logging.Handler(level=logging.WARNING)
    handler.emit = records.append
    logger = logging.getLogger("patrol.deadlines")
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


def test_the_calendar_package_knows_the_2026_national_day_arrangement():
    # The premises of the tests below, so a calendar update that changes them fails here, plainly.
    assert not any(chinese_calendar.is_workday(date(2026, 10, d)) for d in range(1, 8))
    assert chinese_calendar.is_workday(date(2026, 9, 20))  # a Sunday, worked
    assert chinese_calendar.is_workday(date(2026, 10, 10))  # a Saturday, worked
    assert not chinese_calendar.is_workday(date(2026, 10, 11))


@pytest.mark.parametrize("day, working", [
    (date(2026, 9, 19), False),  # Saturday
    (date(2026, 9, 20), True),  # Sunday, adjusted working day
    (date(2026, 9, 30), True),
    (date(2026, 10, 1), False),
    (date(2026, 10, 5), False),  # Monday inside the holiday
    (date(2026, 10, 7), False),
    (date(2026, 10, 8), True),
    (date(2026, 10, 10), True),  # Saturday, adjusted working day
    (date(2026, 10, 11), False),
])
def test_working_days_follow_the_official_calendar_not_monday_to_friday(day, working):
    assert is_working_day(day) is working


def test_five_working_days_from_before_national_day_end_on_the_adjusted_saturday():
    # Served Mon Sep 28: Tue 29 (1), Wed 30 (2), Oct 1–7 holiday, Thu 8 (3), Fri 9 (4), Sat 10 worked (5).
    assert deadline_from_days(date(2026, 9, 28), 5) == date(2026, 10, 10)


def test_an_adjusted_working_sunday_counts_as_a_working_day():
    # Served Fri Sep 18: Sat 19 is a rest day, Sun 20 is worked.
    assert deadline_from_days(date(2026, 9, 18), 1) == date(2026, 9, 20)


def test_an_adjusted_working_saturday_counts_as_a_working_day():
    assert deadline_from_days(date(2026, 10, 9), 1) == date(2026, 10, 10)


def test_a_short_period_skips_the_mid_autumn_weekend():
    # Served Fri Sep 25: Sep 26–27 are holidays; Mon 28 (1), Tue 29 (2), Wed 30 (3).
    assert deadline_from_days(date(2026, 9, 25), 3) == date(2026, 9, 30)


def test_ten_days_or_fewer_count_working_days():
    # Mon Mar 2 2026, no holidays: ten working days are two calendar weeks.
    assert deadline_from_days(date(2026, 3, 2), 10) == date(2026, 3, 16)
    assert deadline_from_days(date(2026, 3, 2), 1) == date(2026, 3, 3)


def test_more_than_ten_days_count_calendar_days():
    # Eleven calendar days end sooner than ten working days: the law draws the line at ten.
    assert deadline_from_days(date(2026, 3, 2), 11) == date(2026, 3, 13)
    assert deadline_from_days(date(2026, 3, 2), 15) == date(2026, 3, 17)


def test_a_calendar_day_deadline_falling_in_national_day_moves_to_the_next_working_day():
    assert deadline_from_days(date(2026, 9, 16), 15) == date(2026, 10, 8)  # Oct 1 → Thu Oct 8
    assert deadline_from_days(date(2026, 9, 20), 11) == date(2026, 10, 8)


def test_a_calendar_day_deadline_falling_on_a_weekend_moves_to_monday():
    assert deadline_from_days(date(2026, 3, 2), 12) == date(2026, 3, 16)  # Sat Mar 14 → Mon Mar 16


def test_a_calendar_day_deadline_on_an_adjusted_working_day_stays():
    assert deadline_from_days(date(2026, 9, 28), 12) == date(2026, 10, 10)


def test_working_days_across_spring_festival_2026():
    # Served Thu Feb 12: Fri 13 (1), Sat 14 worked (2), Feb 15–23 holiday, Tue 24 (3).
    assert deadline_from_days(date(2026, 2, 12), 3) == date(2026, 2, 24)
    # Served Tue Feb 10, ten working days: Feb 11, 12, 13, 14, 24, 25, 26, 27, Sat 28 (worked), Mon Mar 2.
    assert deadline_from_days(date(2026, 2, 10), 10) == date(2026, 3, 2)


def test_a_calendar_day_deadline_in_spring_festival_moves_past_it():
    assert deadline_from_days(date(2026, 2, 5), 14) == date(2026, 2, 24)  # Thu Feb 19 is a holiday


def test_next_working_day_on_or_after_keeps_a_working_day():
    assert next_working_day_on_or_after(date(2026, 10, 8)) == date(2026, 10, 8)
    assert next_working_day_on_or_after(date(2026, 10, 1)) == date(2026, 10, 8)


@pytest.mark.parametrize("days", [0, -3])
def test_a_period_of_less_than_one_day_is_refused(days):
    with pytest.raises(ValueError):
        deadline_from_days(date(2026, 3, 2), days)


def test_a_year_the_calendar_does_not_know_falls_back_to_weekdays_minus_fixed_holidays(deadline_warnings):
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 3, 1))  # the premise: no 2027 data in this package
    assert is_working_day(date(2027, 3, 1))  # a Monday
    assert not is_working_day(date(2027, 3, 6))  # a Saturday
    assert not is_working_day(date(2027, 1, 1))  # New Year's Day, a Friday
    assert not is_working_day(date(2027, 10, 1))
    # Served Wed Sep 29 2027: Thu 30 (1), Oct 1–3 fixed holidays, Mon 4 (2), Tue 5 (3).
    assert deadline_from_days(date(2027, 9, 29), 3) == date(2027, 10, 5)
    assert len(deadline_warnings) == 1, "the fallback must say it is guessing, once"
    assert all(r.levelno == logging.WARNING and "2027" in r.getMessage() for r in deadline_warnings)


def test_the_fallback_is_not_used_for_a_year_the_calendar_knows(deadline_warnings):
    deadline_from_days(date(2026, 9, 28), 5)
    assert deadline_warnings == []
