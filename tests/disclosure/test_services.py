"""The daily run of 执法公示 (disclosure.services) on a test clock: publication inside the window counted on the
调休 calendar, holds, withdrawal of a revoked decision, takedown after the retention, and the KPI."""
from datetime import date, timedelta

import pytest
from django.utils import timezone

from disclosure import kpis, services
from disclosure.choices import DecisionStatus
from disclosure.models import PublishedDecision
from patrol import workflow
from patrol.choices import AppealKind, AppealOutcome
from patrol.errors import InvalidInput, NotAllowed, NotFound, RuleViolation
from patrol.kpis import Period
from tests.disclosure.conftest import K, at, decide

pytestmark = pytest.mark.django_db


def entry_of(document):
    return PublishedDecision.objects.get(document=document)


def test_a_decision_gets_a_masked_entry_and_is_published_the_next_day(users, media):
    document = decide(users, when=at(2026, 3, 31))
    assert services.run_daily(at(2026, 3, 31, 20))["published"] == 0  # the decision's own day: not yet
    entry = entry_of(document)
    assert (entry.kind, entry.number, entry.decided_on) == (K.DEMOLITION_DECISION, document.number, date(2026, 3, 31))
    assert entry.party == "张某某" and entry.party_is_person
    assert entry.village_name == "东村"
    assert "张三" not in entry.facts and "张某某" in entry.facts and "13800000000" not in entry.facts
    assert "12号" not in " ".join([entry.facts, entry.decision])
    assert "城乡规划法" in entry.legal_basis and "拆除" in entry.decision
    assert entry.published_at is None
    result = services.run_daily(at(2026, 4, 1, 6))
    assert result["published"] == 1 and result["registered"] == 0
    assert entry_of(document).published_at == at(2026, 4, 1, 6)
    assert services.run_daily(at(2026, 4, 2, 6)) == {"registered": 0, "refreshed": 0, "withdrawn": 0,
                                                     "published": 0, "taken_down": 0}


def test_the_window_is_seven_working_days_on_the_holiday_calendar_across_national_day(users, media):
    # Decided Wed 30 Sep 2026; 1–7 Oct is the holiday and Sat 10 Oct a make-up working day (调休): the seventh
    # working day is Thu 15 Oct (counting weekdays only it would be Fri 9 Oct).
    document = decide(users, when=at(2026, 9, 30))
    services.register_decisions(at(2026, 9, 30, 18))
    entry = entry_of(document)
    assert entry.due_on == date(2026, 10, 15)
    # The task did not run over the holiday (beat down); its first run after it is still inside the window.
    services.run_daily(at(2026, 10, 14, 6))
    entry = entry_of(document)
    assert entry.published_on_time()
    period = Period(date(2026, 10, 1), date(2026, 10, 31))
    assert kpis.timeliness(users["supervisor"].jurisdiction, period, date(2026, 10, 31)) == {
        "disclosure_due": 1, "disclosure_on_time": 1, "disclosure_rate": 100.0, "disclosure_held_overdue": 0}


def test_other_decisions_have_twenty_working_days_and_a_late_one_lowers_the_rate(users, media):
    order = decide(users, kind=K.RECTIFICATION_ORDER, when=at(2026, 3, 2))
    decision = decide(users, when=at(2026, 3, 2))
    services.register_decisions(at(2026, 3, 2, 18))
    assert entry_of(order).due_on == date(2026, 3, 30)  # 20 working days, no holiday in March
    assert entry_of(decision).due_on == date(2026, 3, 11)
    services.run_daily(at(2026, 3, 12, 6))  # the first run: the decision is a day late, the order is not
    jurisdiction = users["supervisor"].jurisdiction
    numbers = kpis.timeliness(jurisdiction, Period(date(2026, 3, 1), date(2026, 3, 31)), date(2026, 3, 31))
    assert numbers == {"disclosure_due": 2, "disclosure_on_time": 1, "disclosure_rate": 50.0,
                       "disclosure_held_overdue": 0}
    # Before the order's last day has come, only the decision is due.
    assert kpis.timeliness(jurisdiction, Period(date(2026, 3, 1), date(2026, 3, 31)), date(2026, 3, 20))[
        "disclosure_due"] == 1


def test_a_supervisor_holds_an_entry_back_with_a_reason_and_a_hold_past_the_deadline_is_flagged(users, media):
    document = decide(users, when=at(2026, 3, 2))
    services.register_decisions(at(2026, 3, 2, 18))
    entry = entry_of(document)
    with pytest.raises(InvalidInput):
        services.hold_back(entry_id=entry.pk, actor=users["supervisor"], reason="  ")
    with pytest.raises(NotAllowed):
        services.hold_back(entry_id=entry.pk, actor=users["inspector"], reason="涉及未成年人")
    with pytest.raises(NotFound):
        services.hold_back(entry_id=entry.pk, actor=users["other_supervisor"], reason="涉及未成年人")
    services.hold_back(entry_id=entry.pk, actor=users["supervisor"], reason="当事人已申请行政复议，待核实",
                       now=at(2026, 3, 2, 19))
    with pytest.raises(RuleViolation):
        services.hold_back(entry_id=entry.pk, actor=users["supervisor"], reason="再次")
    services.run_daily(at(2026, 3, 3, 6))
    entry = entry_of(document)
    assert entry.published_at is None and entry.held_back_by == users["supervisor"]
    jurisdiction = users["supervisor"].jurisdiction
    march = Period(date(2026, 3, 1), date(2026, 3, 31))
    assert kpis.timeliness(jurisdiction, march, date(2026, 3, 11))["disclosure_held_overdue"] == 0  # last day
    late = kpis.timeliness(jurisdiction, march, date(2026, 3, 12))
    assert late["disclosure_held_overdue"] == 1 and late["disclosure_on_time"] == 0 and late["disclosure_due"] == 1
    services.release(entry_id=entry.pk, actor=users["supervisor"], now=at(2026, 3, 12, 9))
    services.run_daily(at(2026, 3, 13, 6))
    entry = entry_of(document)
    assert entry.published_at == at(2026, 3, 13, 6) and not entry.published_on_time()
    assert entry.hold_history[0]["reason"] == "当事人已申请行政复议，待核实"
    assert kpis.timeliness(jurisdiction, march, date(2026, 3, 31))["disclosure_held_overdue"] == 0


def revoke(document, users, on):
    case = document.case
    workflow.ACTIONS["record_appeal"].service(case_id=case.pk, actor=users["supervisor"],
                                              kind=AppealKind.RECONSIDERATION, body="测试县人民政府",
                                              filed_on=on - timedelta(days=20), now=at(on.year, on.month, on.day, 9))
    workflow.ACTIONS["record_appeal_outcome"].service(case_id=case.pk, actor=users["legal"],
                                                      outcome=AppealOutcome.REVOKED, decided_on=on,
                                                      now=at(on.year, on.month, on.day, 15))


def test_a_revoked_decision_is_withdrawn_within_three_days(users, media):
    document = decide(users, when=at(2026, 4, 1))
    services.run_daily(at(2026, 4, 2, 6))
    revoke(document, users, date(2026, 5, 20))
    services.run_daily(at(2026, 5, 21, 6))
    entry = entry_of(document)
    assert entry.status == DecisionStatus.REVOKED and entry.revoked_on == date(2026, 5, 20)
    assert entry.withdrawn_at is not None
    assert timezone.localdate(entry.withdrawn_at) - date(2026, 5, 20) <= timedelta(days=3)
    assert entry.published_at is not None  # it stays as a line saying it was withdrawn (tests/disclosure/test_pages)


def test_a_decision_revoked_before_publication_is_never_published_nor_due(users, media):
    document = decide(users, when=at(2026, 4, 1))
    services.register_decisions(at(2026, 4, 1, 18))
    revoke(document, users, date(2026, 4, 1))
    services.run_daily(at(2026, 4, 2, 6))
    entry = entry_of(document)
    assert entry.withdrawn_at is not None and entry.published_at is None
    assert kpis.timeliness(users["supervisor"].jurisdiction, Period(date(2026, 4, 1), date(2026, 4, 30)),
                           date(2026, 4, 30))["disclosure_due"] == 0


def test_a_carried_out_decision_says_so(users, media):
    document = decide(users, when=at(2026, 4, 1))
    services.run_daily(at(2026, 4, 2, 6))
    case = document.case
    type(case).objects.filter(pk=case.pk).update(status="executed")
    services.run_daily(at(2026, 4, 3, 6))
    assert entry_of(document).status == DecisionStatus.CARRIED_OUT


def test_entries_are_taken_down_after_the_retention_and_a_persons_sooner_where_configured(users, media):
    person = decide(users, when=at(2026, 4, 1))
    company = decide(users, when=at(2026, 4, 1), party="宏达建材有限公司", phone="")
    services.run_daily(at(2026, 4, 2, 6))
    assert not entry_of(company).party_is_person and entry_of(company).party == "宏达建材有限公司"
    # Default: five years for everyone.
    services.run_daily(at(2031, 4, 1, 6))
    assert entry_of(person).taken_down_at is None and entry_of(company).taken_down_at is None
    jurisdiction = users["supervisor"].jurisdiction
    jurisdiction.disclosure_retention_years_person = 2
    jurisdiction.save()
    services.run_daily(at(2028, 4, 1, 6))
    assert entry_of(person).taken_down_at is None  # published 2 Apr 2026: two years end on 2 Apr 2028
    services.run_daily(at(2028, 4, 2, 6))
    assert entry_of(person).taken_down_at == at(2028, 4, 2, 6) and entry_of(company).taken_down_at is None
    services.run_daily(at(2031, 4, 2, 6))
    assert entry_of(company).taken_down_at == at(2031, 4, 2, 6)
