"""The statutory clock: working-day deadlines by China's official calendar (with 调休)."""
import functools
import logging
from datetime import date, timedelta

import chinese_calendar

logger = logging.getLogger(__name__)

# 行政强制法 Art. 69: periods of 10 days or less count working days.
WORKING_DAY_LIMIT = 10

# Fixed-date statutory holidays, used only for years the calendar package does not know yet
# (the State Council publishes each year's arrangement in the autumn before).
_FIXED_HOLIDAYS = {(1, 1), (5, 1), (10, 1), (10, 2), (10, 3)}


def is_working_day(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        _warn_no_calendar(day.year)
        return day.weekday() < 5 and (day.month, day.day) not in _FIXED_HOLIDAYS


@functools.lru_cache(maxsize=None)
def _warn_no_calendar(year):
    # Once per year and process: the fix is a newer chinesecalendar, not a log full of warnings.
    logger.warning("No official holiday calendar for %s yet; counting Monday-Friday minus fixed holidays", year)


def next_working_day_on_or_after(day: date) -> date:
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def deadline_from_days(start: date, days: int) -> date:
    """The deadline ``days`` after ``start`` (the day of service does not count).

    Ten days or fewer count working days; longer periods count calendar days; a deadline that
    falls on a rest day or holiday moves to the next working day.
    """
    if days < 1:
        raise ValueError("a period is at least one day")
    if days <= WORKING_DAY_LIMIT:
        day, counted = start, 0
        while counted < days:
            day += timedelta(days=1)
            if is_working_day(day):
                counted += 1
        return day
    return next_working_day_on_or_after(start + timedelta(days=days))
