"""Legal periods: working days by China's official calendar (调休 included), calendar days, months.

Dates checked against chinesecalendar 1.11 (the newest release; it knows 2004–2026, not 2027 yet):
National Day 2026 is Oct 1–7 with Sun Sep 20 and Sat Oct 10 worked instead; the Mid-Autumn weekend
Sep 25–27 is a holiday; Spring Festival 2026 is Feb 15–23 with Sat Feb 14 and Sat Feb 28 worked instead;
Labour Day 2026 is May 1–5 with Sat May 9 worked instead.
"""
import logging
from datetime import date

import chinese_calendar
import pytest

from patrol import deadlines, periods
from patrol.choices import ServiceMethod
from patrol.errors import InvalidInput, RuleViolation
from patrol.periods import deadline_from_days, is_working_day, next_working_day_on_or_after

pytestmark = pytest.mark.smoke


@pytest.fixture
def deadline_warnings():
    """Warnings of patrol.periods (the suite runs with ``-p no:logging``, so no caplog)."""
    records = []
    periods._warn_no_calendar.cache_clear()  # it warns once per year and process
    handler = logging.Handler(level=logging.WARNING)
    handler.emit = records.append
    logger = logging.getLogger("patrol.periods")
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


def test_a_year_the_calendar_does_not_know_counts_the_usual_holidays_as_rest_days(deadline_warnings):
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 3, 1))  # the premise: no 2027 data in this package
    assert is_working_day(date(2027, 3, 1))  # a Monday
    assert not is_working_day(date(2027, 3, 6))  # a Saturday
    assert not is_working_day(date(2027, 1, 1))  # New Year's Day, a Friday
    assert not any(is_working_day(date(2027, 10, d)) for d in range(1, 8))  # National Day week
    assert not any(is_working_day(date(2027, 5, d)) for d in range(1, 6))  # Labour Day
    # Served Wed Sep 29 2027: Thu 30 (1), Oct 1–7 taken as the holiday, Fri 8 (2), Mon 11 (3).
    assert deadline_from_days(date(2027, 9, 29), 3) == date(2027, 10, 11)
    assert len(deadline_warnings) == 1, "the fallback must say it is guessing, once"
    assert all(r.levelno == logging.WARNING and "2027" in r.getMessage() for r in deadline_warnings)


def test_a_year_the_calendar_does_not_know_rests_around_the_lunar_new_year(deadline_warnings):
    # 正月初一 2027 is Sat Feb 6: Thu Feb 4 (腊月廿八) to Fri Feb 12 (正月初七) are taken as rest days.
    assert is_working_day(date(2027, 2, 3))
    assert not any(is_working_day(date(2027, 2, d)) for d in range(4, 13))
    assert is_working_day(date(2027, 2, 15))
    # So a 催告 served Tue Feb 2 2027 cannot reach the court before ten real working days have passed:
    # Wed 3 (1), Feb 4–14 rest, Mon 15 (2) … Fri 19 (6), Mon 22 (7) … Thu 25 (10).
    assert periods.end_of("reminder_wait", date(2027, 2, 2)) == date(2027, 2, 25)


def test_the_fallback_is_not_used_for_a_year_the_calendar_knows(deadline_warnings):
    deadline_from_days(date(2026, 9, 28), 5)
    assert deadline_warnings == []


def test_the_old_deadlines_module_still_gives_the_same_functions_to_its_callers():
    assert deadlines.deadline_from_days is periods.deadline_from_days
    assert deadlines.is_working_day is periods.is_working_day
    assert deadlines.next_working_day_on_or_after is periods.next_working_day_on_or_after


def test_the_calendar_package_knows_the_2026_spring_festival_and_labour_day_arrangements():
    assert not any(chinese_calendar.is_workday(date(2026, 2, d)) for d in range(15, 24))
    assert chinese_calendar.is_workday(date(2026, 2, 14))  # a Saturday, worked
    assert chinese_calendar.is_workday(date(2026, 2, 28))  # a Saturday, worked
    assert not any(chinese_calendar.is_workday(date(2026, 5, d)) for d in range(1, 6))
    assert chinese_calendar.is_workday(date(2026, 5, 9))  # a Saturday, worked


# --- the table --------------------------------------------------------------------------------------

def test_every_period_counts_from_a_start_date_and_names_its_article():
    for period in periods.PERIODS.values():
        counted, end = period.end(date(2026, 3, 2), length=period.length or 5)
        assert date(2026, 3, 2) < counted <= end, period.name
        assert is_working_day(end), period.name
        assert "第" in str(period.source) and "条" in str(period.source), period.name


def test_a_period_the_document_or_jurisdiction_sets_needs_a_length():
    with pytest.raises(ValueError):
        periods.end_of("statement", date(2026, 3, 2))
    assert periods.end_of("statement", date(2026, 3, 2), length=3) == date(2026, 3, 5)


def test_an_unknown_period_is_a_programming_error():
    with pytest.raises(KeyError):
        periods.clock("appeal", date(2026, 3, 2))


# --- working-day periods of 行政处罚法 (第64条, 第85条) ------------------------------------------------

def test_the_hearing_request_window_skips_spring_festival_and_counts_the_worked_saturday():
    # 告知书 served Fri Feb 13: Sat 14 worked (1), Feb 15–23 holiday, Tue 24 (2), 25 (3), 26 (4), Fri 27 (5).
    assert periods.end_of("hearing_request", date(2026, 2, 13)) == date(2026, 2, 27)


def test_the_hearing_request_window_ends_on_the_worked_saturday_after_national_day():
    # Served Mon Sep 28: 29 (1), 30 (2), Oct 1–7 holiday, Thu 8 (3), Fri 9 (4), Sat 10 worked (5).
    assert periods.end_of("hearing_request", date(2026, 9, 28)) == date(2026, 10, 10)


def test_the_hearing_notice_runs_seven_working_days_and_the_hearing_comes_after_them():
    # Notice served Thu Sep 24: Sep 25–27 Mid-Autumn, Mon 28 (1), 29 (2), 30 (3), Oct 1–7 National Day,
    # Thu 8 (4), Fri 9 (5), Sat 10 worked (6), Sun 11 rest, Mon 12 (7).
    notice = periods.clock("hearing_notice", date(2026, 9, 24))
    assert notice.end == date(2026, 10, 12)
    assert notice.first_day_after == date(2026, 10, 13)


def test_the_statement_window_counts_the_working_days_the_jurisdiction_sets():
    # Served Thu Apr 30: May 1–5 Labour Day, Wed 6 (1), Thu 7 (2), Fri 8 (3), Sat 9 worked (4), Mon 11 (5).
    assert periods.end_of("statement", date(2026, 4, 30), length=5) == date(2026, 5, 11)
    assert periods.end_of("statement", date(2026, 4, 30), length=3) == date(2026, 5, 8)


# --- calendar-day periods ----------------------------------------------------------------------------

def test_the_decision_period_of_ninety_days_ending_on_national_day_moves_to_the_next_working_day():
    decision = periods.clock("decision", date(2026, 7, 3))  # 立案 Fri Jul 3
    assert decision.counted_end == date(2026, 10, 1)
    assert decision.end == date(2026, 10, 8)


def test_the_decision_period_is_the_jurisdictions_length_when_it_sets_one():
    assert periods.end_of("decision", date(2026, 3, 2), length=60) == date(2026, 5, 6)  # May 1 → Wed May 6


def test_a_recorded_extension_moves_the_end_of_the_decision_period_later():
    decision = periods.clock("decision", date(2026, 3, 2), extended_to=date(2026, 7, 31))
    assert decision.end == date(2026, 7, 31)
    assert decision.extended


def test_an_extension_cannot_shorten_the_statutory_period():
    decision = periods.clock("decision", date(2026, 3, 2), extended_to=date(2026, 4, 1))
    assert decision.end == date(2026, 6, 1)  # May 31 is a Sunday
    assert not decision.extended


def test_the_reconsideration_window_of_sixty_days_ending_in_labour_day_moves_past_it():
    # Served Mon Mar 2: day 60 is Fri May 1, a holiday until May 5.
    reconsideration = periods.clock("reconsideration", date(2026, 3, 2))
    assert reconsideration.counted_end == date(2026, 5, 1)
    assert reconsideration.end == date(2026, 5, 6)


def test_the_time_to_sue_over_illegally_occupied_land_is_fifteen_days():
    # 土地管理法 第83条: served Wed Sep 16, day 15 is Oct 1 → Thu Oct 8.
    assert periods.end_of("litigation_land", date(2026, 9, 16)) == date(2026, 10, 8)


# --- months ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("start, months, end", [
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year
    (date(2026, 8, 31), 6, date(2027, 2, 28)),
    (date(2023, 8, 31), 6, date(2024, 2, 29)),  # leap year
    (date(2026, 3, 31), 6, date(2026, 9, 30)),
    (date(2026, 12, 15), 1, date(2027, 1, 15)),  # across the year
    (date(2026, 5, 15), 6, date(2026, 11, 15)),
])
def test_months_end_on_the_same_day_or_the_last_day_of_a_shorter_month(start, months, end):
    assert periods.add_months(start, months) == end


def test_six_months_to_sue_from_august_31_end_on_february_28_and_move_off_the_sunday(deadline_warnings):
    litigation = periods.clock("litigation", date(2026, 8, 31))
    assert litigation.counted_end == date(2027, 2, 28)
    # Sun Feb 28 2027 is a rest day (2027 is still counted by the fallback calendar): Mon Mar 1.
    assert litigation.end == date(2027, 3, 1)


def test_six_months_to_sue_in_a_leap_year_end_on_february_29():
    litigation = periods.clock("litigation", date(2023, 8, 31))
    assert litigation.end == litigation.counted_end == date(2024, 2, 29)  # a Thursday


def test_a_month_period_ending_on_the_worked_spring_festival_saturday_stays_there():
    # 3 months from Nov 30 2025: there is no Feb 30, so Feb 28 2026, a Saturday that is worked.
    application = periods.clock("court_application", date(2025, 11, 30))
    assert application.end == application.counted_end == date(2026, 2, 28)


def test_a_month_period_ending_in_spring_festival_moves_past_it():
    application = periods.clock("court_application", date(2025, 11, 17))
    assert application.counted_end == date(2026, 2, 17)
    assert application.end == date(2026, 2, 24)


# --- 行政强制法 第53–54条 -----------------------------------------------------------------------------

def test_the_court_may_be_applied_to_only_after_ten_working_days_from_the_reminder():
    # 催告 served Tue Feb 10 2026: Feb 11, 12, 13, Sat 14, 24, 25, 26, 27, Sat 28, Mon Mar 2 (10).
    wait = periods.clock("reminder_wait", date(2026, 2, 10))
    assert wait.end == date(2026, 3, 2)
    assert wait.first_day_after == date(2026, 3, 3)


# --- clocks ------------------------------------------------------------------------------------------

def test_a_clock_counts_the_days_left_down_to_zero_on_its_last_day_and_below_after():
    window = periods.clock("hearing_request", date(2026, 9, 28))  # ends Sat Oct 10
    assert window.days_left(date(2026, 10, 8)) == 2
    assert window.days_left(date(2026, 10, 10)) == 0 and not window.is_over(date(2026, 10, 10))
    assert window.days_left(date(2026, 10, 11)) == -1 and window.is_over(date(2026, 10, 11))


def _names(clocks):
    return [c.name for c in clocks]


def test_a_filed_case_runs_the_decision_clock_until_it_is_decided():
    assert _names(periods.running_clocks(periods.CaseDates(filed_on=date(2026, 3, 2)))) == ["decision"]
    decided = periods.CaseDates(filed_on=date(2026, 3, 2), decided_on=date(2026, 5, 20))
    assert "decision" not in _names(periods.running_clocks(decided))


def test_a_decision_is_to_be_served_within_seven_working_days_and_the_clock_stops_when_it_is():
    # Decided Thu Apr 30: May 1–5 Labour Day, 6 (1), 7 (2), 8 (3), Sat 9 worked (4), 11 (5), 12 (6), 13 (7).
    decided = periods.CaseDates(filed_on=date(2026, 3, 2), decided_on=date(2026, 4, 30))
    [service] = periods.running_clocks(decided)
    assert (service.name, service.end) == ("decision_service", date(2026, 5, 13))
    served = periods.CaseDates(filed_on=date(2026, 3, 2), decided_on=date(2026, 4, 30),
                               decision_served_on=date(2026, 5, 6))
    assert "decision_service" not in _names(periods.running_clocks(served))


def test_the_decision_clock_uses_the_jurisdictions_period_and_the_recorded_extension():
    [decision] = periods.running_clocks(periods.CaseDates(filed_on=date(2026, 3, 2)), decision_days=60)
    assert decision.end == date(2026, 5, 6)
    extended = periods.CaseDates(filed_on=date(2026, 3, 2), decision_extended_to=date(2026, 8, 31))
    [decision] = periods.running_clocks(extended)
    assert decision.end == date(2026, 8, 31) and decision.extended


def test_a_late_decision_clock_stays_listed_as_over():
    [decision] = periods.running_clocks(periods.CaseDates(filed_on=date(2026, 3, 2)))
    assert decision.is_over(date(2026, 6, 2))


def test_the_notice_of_intent_starts_the_statement_and_hearing_windows_until_review():
    dates = periods.CaseDates(filed_on=date(2026, 3, 2), intent_served_on=date(2026, 4, 30))
    clocks = {c.name: c for c in periods.running_clocks(dates, statement_days=3)}
    assert set(clocks) == {"decision", "statement", "hearing_request"}
    assert clocks["statement"].end == date(2026, 5, 8)
    assert clocks["hearing_request"].end == date(2026, 5, 11)
    reviewed = periods.CaseDates(filed_on=date(2026, 3, 2), intent_served_on=date(2026, 4, 30),
                                 review_submitted_on=date(2026, 5, 12))
    assert _names(periods.running_clocks(reviewed)) == ["decision"]


def test_a_served_hearing_notice_runs_until_the_hearing():
    dates = periods.CaseDates(hearing_notice_served_on=date(2026, 9, 24))
    assert _names(periods.running_clocks(dates)) == ["hearing_notice"]
    held = periods.CaseDates(hearing_notice_served_on=date(2026, 9, 24), hearing_held_on=date(2026, 10, 13))
    assert periods.running_clocks(held) == []


DECIDED = dict(filed_on=date(2026, 3, 2), decided_on=date(2026, 5, 20), decision_served_on=date(2026, 5, 22),
               reminder_served_on=date(2026, 12, 1))


def test_a_served_decision_under_the_planning_law_runs_sixty_days_and_six_months_and_no_court_clocks():
    clocks = {c.name: c for c in periods.running_clocks(periods.CaseDates(**DECIDED), legal_basis="planning_art65")}
    assert set(clocks) == {"reconsideration", "litigation"}
    assert clocks["reconsideration"].end == date(2026, 7, 21)
    assert clocks["litigation"].end == date(2026, 11, 23)  # Sun Nov 22 → Mon


def test_a_served_decision_on_occupied_land_runs_fifteen_days_to_sue_and_the_court_clocks():
    clocks = {c.name: c for c in periods.running_clocks(periods.CaseDates(**DECIDED), legal_basis="land_art78")}
    assert set(clocks) == {"reconsideration", "litigation_land", "reminder_wait", "court_application"}
    assert clocks["litigation_land"].end == date(2026, 6, 8)  # Sat Jun 6 → Mon Jun 8
    # The court application runs three months from the later appeal window (60 days to Jul 21).
    assert clocks["court_application"].start == date(2026, 7, 21)
    assert clocks["court_application"].end == date(2026, 10, 21)
    assert clocks["reminder_wait"].end == date(2026, 12, 15)


def test_a_recorded_appeal_stops_the_appeal_and_court_clocks():
    dates = periods.CaseDates(**DECIDED, appeal_filed_on=date(2026, 6, 1))
    assert periods.running_clocks(dates, legal_basis="land_art78") == []


# --- service (送达) ----------------------------------------------------------------------------------

Facts = periods.ServiceFacts


def test_personal_service_takes_effect_the_day_it_is_signed():
    assert periods.effective_on(ServiceMethod.IN_PERSON, Facts(signed_on=date(2026, 3, 3))) == date(2026, 3, 3)


def test_personal_service_without_the_signing_date_is_refused():
    with pytest.raises(InvalidInput) as refused:
        periods.effective_on(ServiceMethod.IN_PERSON, Facts())
    assert "signed_on" in refused.value.fields


@pytest.mark.parametrize("facts", [
    Facts(left_on=date(2026, 3, 3), witness="李四（村委会主任）"),
    Facts(left_on=date(2026, 3, 3), recorded_on_media=True),
])
def test_service_left_at_the_premises_takes_effect_the_day_it_was_left(facts):
    assert periods.effective_on(ServiceMethod.LEFT_AT_PREMISES, facts) == date(2026, 3, 3)


def test_service_left_at_the_premises_without_witness_or_recording_is_refused_under_article_89():
    with pytest.raises(RuleViolation) as refused:
        periods.effective_on(ServiceMethod.LEFT_AT_PREMISES, Facts(left_on=date(2026, 3, 3), witness="  "))
    assert refused.value.http_status == 409
    assert "民事诉讼法 第89条" in str(refused.value.message)


def test_postal_service_is_pending_until_the_return_receipt_is_recorded():
    assert periods.effective_on(ServiceMethod.POST, Facts()) is None
    assert periods.effective_on(ServiceMethod.POST, Facts(receipt_on=date(2026, 3, 6))) == date(2026, 3, 6)


def test_electronic_service_takes_effect_on_arrival_when_the_party_consented():
    facts = Facts(arrived_on=date(2026, 3, 3), consent_on_file=True)
    assert periods.effective_on(ServiceMethod.ELECTRONIC, facts) == date(2026, 3, 3)


def test_electronic_service_without_the_partys_consent_is_refused_under_article_61():
    with pytest.raises(RuleViolation) as refused:
        periods.effective_on(ServiceMethod.ELECTRONIC, Facts(arrived_on=date(2026, 3, 3)))
    assert refused.value.http_status == 409
    assert "行政处罚法 第61条" in str(refused.value.message)


def test_service_by_public_notice_takes_effect_thirty_days_after_publication():
    assert periods.effective_on(ServiceMethod.PUBLIC_NOTICE, Facts(published_on=date(2026, 3, 2))) == date(2026, 4, 1)


def test_service_by_public_notice_whose_thirty_days_end_on_national_day_takes_effect_after_it():
    assert periods.effective_on(ServiceMethod.PUBLIC_NOTICE, Facts(published_on=date(2026, 9, 1))) == date(2026, 10, 8)


def test_an_unknown_service_method_is_refused():
    with pytest.raises(InvalidInput):
        periods.effective_on("carrier_pigeon", Facts(signed_on=date(2026, 3, 3)))
