"""Legal periods (DOMAIN.md, "Legal periods"): one table, one way to count them, China's 调休 calendar.

How a period is counted, each rule with its source:

- the day it runs from (service, 立案) is not counted (民事诉讼法 第85条);
- periods of ten days or fewer count working days (行政强制法 第69条), and so do the 2/3/5/7-day periods
  of 行政处罚法 (第85条); "working day" is the State Council's arrangement, with its 调休 make-up days;
- a period in months ends on the same day of the last month, or on that month's last day when it has no
  such day (民法典 第202条): served Aug 31, six months end on Feb 28 (29 in a leap year);
- a period whose last day is a rest day or holiday ends on the next working day (民事诉讼法 第85条,
  applied to administrative procedure through 行政诉讼法 第101条 and 行政复议法 第88条).

``PERIODS`` is the table; ``end_of`` counts one period; ``clock`` gives it a start and an end, and
``running_clocks`` lists a case's clocks from its dated facts. ``effective_on`` is the date a service (送达)
takes effect, from which a document's periods run.
"""
import calendar
import functools
import logging
from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar
from django.db import models
from django.utils.translation import gettext_lazy as _

from patrol.choices import LEGAL_BASIS_RULES, EnforcementRoute, LegalBasis, ServiceMethod
from patrol.errors import InvalidInput, RuleViolation

logger = logging.getLogger(__name__)

# 行政强制法 第69条: periods of ten days or fewer count working days.
WORKING_DAY_LIMIT = 10

# For a year the calendar package does not know yet (the State Council publishes each year's arrangement
# late in the year before, and chinesecalendar follows), count on the safe side: every day the holidays
# usually cover is a rest day, and no weekend is a make-up working day. A period then ends no earlier than
# the official calendar would end it, so no step that waits for a period is allowed too soon; the party's
# periods may come out a few days longer, never shorter.
_USUAL_HOLIDAYS = {(1, 1)} | {(5, d) for d in range(1, 6)} | {(10, d) for d in range(1, 8)}
# Spring Festival moves with the lunar calendar; these are the astronomical dates (正月初一), and the holiday
# is taken as 腊月廿八 to 正月初七, the widest span of recent years (2026: Feb 15–23 around Feb 17).
_LUNAR_NEW_YEAR = {2027: date(2027, 2, 6), 2028: date(2028, 1, 26), 2029: date(2029, 2, 13),
                   2030: date(2030, 2, 3)}


def _usual_holiday(day: date) -> bool:
    if (day.month, day.day) in _USUAL_HOLIDAYS:
        return True
    new_year = _LUNAR_NEW_YEAR.get(day.year)
    return new_year is not None and -2 <= (day - new_year).days <= 6


# --- the calendar ----------------------------------------------------------------------------------

def is_working_day(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        _warn_no_calendar(day.year)
        return day.weekday() < 5 and not _usual_holiday(day)


@functools.lru_cache(maxsize=None)
def _warn_no_calendar(year):
    # Once per year and process: the fix is a newer chinesecalendar, not a log full of warnings.
    logger.warning("No official holiday calendar for %s yet; counting weekends and the usual holidays as rest days",
                   year)


def next_working_day_on_or_after(day: date) -> date:
    """民事诉讼法 第85条: a period whose last day is a rest day or holiday ends on the next working day."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def add_working_days(start: date, days: int) -> date:
    """The ``days``-th working day after ``start`` (``start`` itself is not counted)."""
    day, counted = start, 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def add_months(start: date, months: int) -> date:
    """民法典 第202条: the same day of the last month, or that month's last day if it has none."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


# --- the table -------------------------------------------------------------------------------------

class Counting(models.TextChoices):
    WORKING_DAYS = "working_days", _("工作日")
    CALENDAR_DAYS = "calendar_days", _("日")
    MONTHS = "months", _("个月")
    # A deadline a document sets: working days up to ten, calendar days beyond (行政强制法 第69条).
    DAYS_BY_LENGTH = "days_by_length", _("日（十日以内按工作日）")


@dataclass(frozen=True)
class Period:
    name: str
    label: str
    length: int | None  # None: the document or the jurisdiction sets it, and clock() is given it
    counting: str
    source: str  # the article, as documents and refusals cite it

    def end(self, start: date, length: int | None = None) -> tuple[date, date]:
        """(the last day as counted, the last day after moving off a rest day)."""
        length = self.length if length is None else length
        if length is None:
            raise ValueError(f"the period {self.name!r} needs a length")
        if length < 1:
            raise ValueError("a period is at least one day")
        counting = self.counting
        if counting == Counting.DAYS_BY_LENGTH:
            counting = Counting.WORKING_DAYS if length <= WORKING_DAY_LIMIT else Counting.CALENDAR_DAYS
        if counting == Counting.WORKING_DAYS:
            counted = add_working_days(start, length)
        elif counting == Counting.CALENDAR_DAYS:
            counted = start + timedelta(days=length)
        else:
            counted = add_months(start, length)
        return counted, next_working_day_on_or_after(counted)


PERIODS = {
    period.name: period
    for period in [
        Period("document_deadline", _("文书规定的期限"), None, Counting.DAYS_BY_LENGTH, _("行政强制法 第69条")),
        # There is no statutory length for 陈述申辩: the 告知书 sets one. The jurisdiction configures it
        # (default five working days, the same as the hearing request of 第64条, counted as 第85条 says).
        Period("statement", _("陈述、申辩期限"), None, Counting.WORKING_DAYS, _("行政处罚法 第44、45条")),
        Period("hearing_request", _("听证申请期限"), 5, Counting.WORKING_DAYS, _("行政处罚法 第64条")),
        # 第64条 "举行听证的七日前" and 第85条 "七日…是指工作日": the hearing is held after this period.
        Period("hearing_notice", _("听证通知期"), 7, Counting.WORKING_DAYS, _("行政处罚法 第64、85条")),
        # The length is the jurisdiction's (default 90); recorded extensions move the end (clock(extended_to=)).
        Period("decision", _("作出处罚决定期限"), 90, Counting.CALENDAR_DAYS, _("行政处罚法 第60条")),
        # 第61条: a decision not handed over when announced is served within seven (working) days.
        Period("decision_service", _("决定书送达期限"), 7, Counting.WORKING_DAYS, _("行政处罚法 第61、85条")),
        Period("reconsideration", _("申请行政复议期限"), 60, Counting.CALENDAR_DAYS, _("行政复议法 第20条")),
        Period("litigation", _("提起行政诉讼期限"), 6, Counting.MONTHS, _("行政诉讼法 第46条")),
        # 行政诉讼法 第46条 yields to another law: a 限期拆除 on illegally occupied land may be sued within
        # 15 days of receiving it (土地管理法 第83条). LEGAL_BASIS_RULES says which basis uses which.
        Period("litigation_land", _("提起行政诉讼期限"), 15, Counting.CALENDAR_DAYS, _("土地管理法 第83条")),
        # After a 复议决定 the party may sue within 15 days of receiving it (行政诉讼法 第45条).
        Period("litigation_after_reconsideration", _("复议后提起行政诉讼期限"), 15, Counting.CALENDAR_DAYS,
               _("行政诉讼法 第45条")),
        # 第54条 "催告书送达十日后" (ten days: working days, 第69条): the court is applied to after this period.
        Period("reminder_wait", _("催告后等待期"), 10, Counting.WORKING_DAYS, _("行政强制法 第54、69条")),
        # 第53条 "自期限届满之日起三个月内": runs from the end of the appeal windows.
        Period("court_application", _("申请法院强制执行期限"), 3, Counting.MONTHS, _("行政强制法 第53条")),
        Period("public_notice_service", _("公告送达期"), 30, Counting.CALENDAR_DAYS, _("民事诉讼法 第95条")),
    ]
}


def end_of(period_name: str, start: date, *, length: int | None = None) -> date:
    """The last day of the period ``period_name`` running from ``start``."""
    return PERIODS[period_name].end(start, length)[1]


def deadline_from_days(start: date, days: int) -> date:
    """The deadline ``days`` after ``start`` that a document sets (行政强制法 第69条)."""
    return end_of("document_deadline", start, length=days)


# --- clocks ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Clock:
    period: Period
    start: date
    counted_end: date  # the last day as counted
    end: date  # the last day of the period: counted_end moved off a rest day, or a recorded extension
    extended: bool = False

    @property
    def name(self):
        return self.period.name

    def days_left(self, today: date) -> int:
        """Calendar days until the end; 0 on the last day, negative once it has passed."""
        return (self.end - today).days

    def is_over(self, today: date) -> bool:
        return today > self.end

    @property
    def first_day_after(self) -> date:
        """The first day the period no longer runs: when a step that waits for it may be taken."""
        return self.end + timedelta(days=1)


def clock(period_name: str, start: date, *, length: int | None = None, extended_to: date | None = None) -> Clock:
    """The period ``period_name`` running from ``start``.

    ``length`` overrides the table's (a document's deadline, the jurisdiction's decision period);
    ``extended_to`` is a recorded extension's new last day, which can only move the end later.
    """
    period = PERIODS[period_name]
    counted_end, end = period.end(start, length)
    if extended_to is not None and extended_to > end:
        return Clock(period, start, counted_end, extended_to, extended=True)
    return Clock(period, start, counted_end, end)


@dataclass(frozen=True)
class CaseDates:
    """The dated facts a case's clocks run from and stop at; None while the fact has not happened.

    "served" always means the effective date of service (``effective_on``).
    """

    filed_on: date | None = None  # 立案
    decision_extended_to: date | None = None  # the last recorded extension of the decision period
    decided_on: date | None = None  # 限期拆除决定 made
    intent_served_on: date | None = None  # 事先告知书
    review_submitted_on: date | None = None  # 提交法制审核: the party's windows no longer matter
    hearing_notice_served_on: date | None = None
    hearing_held_on: date | None = None
    decision_served_on: date | None = None  # 限期拆除决定书
    appeal_filed_on: date | None = None  # 复议 or 诉讼 recorded
    reminder_served_on: date | None = None  # 催告书
    court_applied_on: date | None = None


def running_clocks(dates: CaseDates, *, legal_basis: str | None = None, decision_days: int = 90,
                   statement_days: int = 5) -> list[Clock]:
    """The case's clocks that have started and that no later fact has stopped, in procedure order.

    A clock whose end has passed stays in the list (``is_over``): a late decision or an expired window
    is what the reader needs to see. ``legal_basis`` decides the time to sue and whether the court
    route's clocks run (a case without one is counted as 城乡规划法 第65条, the demo's and the usual basis);
    ``decision_days`` and ``statement_days`` are the jurisdiction's.
    """
    rule = LEGAL_BASIS_RULES[legal_basis or LegalBasis.PLANNING_ART65]
    clocks = []
    if dates.filed_on and not dates.decided_on:
        clocks.append(clock("decision", dates.filed_on, length=decision_days, extended_to=dates.decision_extended_to))
    if dates.intent_served_on and not dates.review_submitted_on:
        clocks.append(clock("statement", dates.intent_served_on, length=statement_days))
        clocks.append(clock("hearing_request", dates.intent_served_on))
    if dates.hearing_notice_served_on and not dates.hearing_held_on:
        clocks.append(clock("hearing_notice", dates.hearing_notice_served_on))
    if dates.decided_on and not dates.decision_served_on:
        clocks.append(clock("decision_service", dates.decided_on))
    if dates.decision_served_on and not dates.appeal_filed_on:
        reconsideration = clock("reconsideration", dates.decision_served_on)
        litigation = clock(rule.litigation_period, dates.decision_served_on)
        clocks += [reconsideration, litigation]
        if rule.route == EnforcementRoute.COURT and dates.reminder_served_on and not dates.court_applied_on:
            clocks.append(clock("reminder_wait", dates.reminder_served_on))
            appeal_windows_end = max(reconsideration.end, litigation.end)
            clocks.append(clock("court_application", appeal_windows_end))
    return clocks


# --- service (送达) ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ServiceFacts:
    """What a service receipt (送达回证) records, as far as the date of effect depends on it."""

    signed_on: date | None = None  # in_person: the day the recipient signed
    left_on: date | None = None  # left_at_premises: the day the document was left
    witness: str = ""  # left_at_premises: a witness present …
    recorded_on_media: bool = False  # … or a photo or video of leaving it
    receipt_on: date | None = None  # post: the date on the return receipt, once it is back
    arrived_on: date | None = None  # electronic: arrival in the party's system
    consent_on_file: bool = False  # electronic: the party's signed consent (确认书)
    published_on: date | None = None  # public_notice


def _required(value, field):
    if not value:
        raise InvalidInput(fields={field: [_("此项为必填项")]})
    return value


def effective_on(method: str, facts: ServiceFacts) -> date | None:
    """The day a service takes effect, from which the document's periods run; None while it is pending.

    Only ``post`` can be pending (until the return receipt is recorded). ``public_notice`` takes effect
    30 days after publication, which may be a date still to come.
    """
    if method == ServiceMethod.IN_PERSON:
        return _required(facts.signed_on, "signed_on")
    if method == ServiceMethod.LEFT_AT_PREMISES:
        # 民事诉讼法 第89条: left at the premises only with a witness, or with the leaving photographed or filmed.
        if not (facts.witness.strip() or facts.recorded_on_media):
            raise RuleViolation(_("留置送达须有见证人，或以拍照、录像记录送达过程（民事诉讼法 第89条）"),
                                fields={"witness": [_("请填写见证人，或上传留置送达的照片或录像")]})
        return _required(facts.left_on, "left_on")
    if method == ServiceMethod.POST:
        # 民事诉讼法 第91条: the date on the return receipt is the date of service.
        return facts.receipt_on
    if method == ServiceMethod.ELECTRONIC:
        # 行政处罚法 第61条: electronic service only when the party agreed and signed a confirmation.
        if not facts.consent_on_file:
            raise RuleViolation(_("当事人未签署电子送达确认书，不能电子送达（行政处罚法 第61条）"))
        # 民事诉讼法 第90条: served on the day it reaches the party's system.
        return _required(facts.arrived_on, "arrived_on")
    if method == ServiceMethod.PUBLIC_NOTICE:
        # The day it is deemed served is the end of a period, so a rest day moves it later, never earlier:
        # the party's periods then start later, which is the safe side for the team.
        return end_of("public_notice_service", _required(facts.published_on, "published_on"))
    raise InvalidInput(fields={"method": [_("请选择送达方式")]})
