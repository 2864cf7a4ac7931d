"""The case page: record, photos, notices and exactly the available actions; forms act through the workflow."""
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from datetime import date, timedelta

from documents.choices import DocumentKind
from documents.services import record_service
from patrol import procedure, workflow
from patrol.models import Case, Notice
from tests.factories import finding
from tests.tampering import behind_the_applications_back

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


@pytest.fixture
def case(users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case, _ = workflow.report_finding(actor=users["inspector"], **finding(party_name="王五"))
    return case


def ordered(case, users, served_on=None):
    """Filed, inspected by two officers, ordered to rectify in five working days, the notice served today."""
    workflow.file_case(case_id=case.pk, actor=users["supervisor"], legal_basis="planning_art65", note="立案")
    procedure.record_inspection(case_id=case.pk, actor=users["inspector"],
                                officers=[users["inspector"].pk, users["supervisor"].pk], facts="在建",
                                refused=True, witness_name="村委会主任")
    procedure.order(case_id=case.pk, actor=users["supervisor"], order_kind="rectification_order", period_days=5)
    document = case.documents.get(kind=DocumentKind.RECTIFICATION_ORDER)
    record_service(document_id=document.pk, actor=users["supervisor"], method="left_at_premises",
                   served_on=served_on or date.today(), witness_name="村委会主任")
    return Case.objects.get(pk=case.pk)


def jpeg(size=(64, 48)):
    out = io.BytesIO()
    Image.new("RGB", size, (200, 100, 50)).save(out, "JPEG")
    return SimpleUploadedFile("after.jpg", out.getvalue(), content_type="image/jpeg")


def test_case_page_shows_the_record_and_only_the_actions_this_user_may_take(client, users, case):
    client.force_login(users["supervisor"])
    body = client.get(reverse("case", args=[case.pk])).content.decode()
    assert case.reference in body and "王五" in body and "登记线索" in body
    for action in ("file", "dismiss", "comment", "assign"):
        assert f'id="action-{action}"' in body
    assert 'id="action-order"' not in body
    client.force_login(users["leader"])
    assert 'id="action-' not in client.get(reverse("case", args=[case.pk])).content.decode()


def test_another_jurisdiction_cannot_open_the_case_page(client, users, case):
    client.force_login(users["other_supervisor"])
    assert client.get(reverse("case", args=[case.pk])).status_code == 404
    response = client.post(reverse("case-action", args=[case.pk, "file"]), {"legal_basis": "planning_art65", "note": "x", "version": case.version})
    assert response.status_code == 404


def test_filing_from_the_page_moves_the_case_and_records_it(client, users, case):
    client.force_login(users["supervisor"])
    response = client.post(reverse("case-action", args=[case.pk, "file"]),
                           {"legal_basis": "planning_art65", "note": "现场核实", "version": case.version}, follow=True)
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.status == "filed"
    assert "已立案" in response.content.decode()


def test_a_form_error_is_shown_in_chinese_and_changes_nothing(client, users, case):
    client.force_login(users["supervisor"])
    response = client.post(reverse("case-action", args=[case.pk, "file"]), {"legal_basis": "planning_art65", "note": "", "version": case.version})
    assert response.status_code == 400
    assert "该字段是必填项" in response.content.decode()
    assert Case.objects.get(pk=case.pk).status == "reported"


def test_a_form_error_is_shown_in_english_for_english_users(client, users, case):
    client.force_login(users["supervisor"])
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = client.post(reverse("case-action", args=[case.pk, "file"]), {"legal_basis": "planning_art65", "note": "", "version": case.version})
    assert "This field is required." in response.content.decode()


def test_a_stale_form_is_refused_with_a_message(client, users, case):
    client.force_login(users["supervisor"])
    response = client.post(reverse("case-action", args=[case.pk, "file"]), {"legal_basis": "planning_art65", "note": "x", "version": case.version - 1})
    assert response.status_code == 412
    assert "案件已被他人修改" in response.content.decode()


def test_reinspection_as_rectified_needs_an_after_photo_and_closes_with_one(client, users, case):
    client.force_login(users["supervisor"])
    case = ordered(case, users)
    url = reverse("case-action", args=[case.pk, "reinspect"])
    refused = client.post(url, {"result": "rectified", "note": "已拆", "version": case.version})
    assert refused.status_code == 400 and "整改后" in refused.content.decode()
    client.force_login(users["inspector"])
    done = client.post(url, {"result": "rectified", "note": "已拆", "version": case.version,
                             "photo_files": [jpeg()]}, follow=True)
    assert done.status_code == 200
    case.refresh_from_db()
    assert case.status == "closed" and case.resolution == "rectified_by_party"
    assert case.photos.filter(stage="after").count() == 1


def test_a_notice_of_the_old_procedure_still_prints_as_an_official_document(client, users, case):
    # Notices issued before #13 (issue_notice, now gone) stay on their cases and print as they did.
    notice = Notice.objects.create(case=case, kind="stop_construction", year=2026, seq=1, number="TST〔2026〕停建字第1号",
                                   issued_on=date.today(), deadline=date.today() + timedelta(days=3),
                                   service_method="left_at_premises", served_on=date.today(),
                                   issued_by=users["supervisor"])
    client.force_login(users["inspector"])
    body = client.get(reverse("notice-print", args=[case.pk, notice.pk])).content.decode()
    assert "责令停止建设通知书" in body and notice.number in body and "当事人：王五" in body
    assert "立即停止建设" in body and "六十日内" in body and "印章" in body
    client.force_login(users["other_supervisor"])
    assert client.get(reverse("notice-print", args=[case.pk, notice.pk])).status_code == 404


def test_an_on_site_record_from_the_page_names_two_officers_and_issues_its_document(client, users, case):
    workflow.file_case(case_id=case.pk, actor=users["supervisor"], legal_basis="planning_art65", note="立案")
    case.refresh_from_db()
    client.force_login(users["supervisor"])
    url = reverse("case-action", args=[case.pk, "record_inspection"])
    one = client.post(url, {"version": case.version, "officers[]": [users["supervisor"].pk], "facts": "在建",
                            "refused": "true", "witness_name": "村委会主任"})
    assert one.status_code == 400 and not case.documents.filter(kind=DocumentKind.INSPECTION_RECORD).exists()
    response = client.post(url, {"version": case.version, "officers[]": [users["supervisor"].pk, users["inspector"].pk],
                                 "facts": "在建两层砖混", "refused": "true", "witness_name": "村委会主任"}, follow=True)
    assert response.status_code == 200
    assert case.documents.filter(kind=DocumentKind.INSPECTION_RECORD).count() == 1


def test_a_blocked_action_shows_its_reason_instead_of_a_form(client, users, case):
    client.force_login(users["supervisor"])
    body = client.get(reverse("case", args=[case.pk])).content.decode()
    assert 'id="action-comment"' in body and 'id="blocked-' not in body  # nothing of a reported case is blocked
    workflow.file_case(case_id=case.pk, actor=users["supervisor"], legal_basis="planning_art65", note="立案")
    body = client.get(reverse("case", args=[case.pk])).content.decode()
    assert 'id="action-order"' not in body and 'id="blocked-order"' in body and "第54、55条" in body


def test_the_intent_notice_is_blocked_until_the_deadline_passed_naming_the_earliest_day(client, users, case):
    case = ordered(case, users)
    client.force_login(users["supervisor"])
    body = client.get(reverse("case", args=[case.pk])).content.decode()
    assert 'id="action-notify_intent"' not in body and 'id="blocked-notify_intent"' in body
    assert "尚未届满" in body and (case.deadline + timedelta(days=1)).isoformat() in body


def test_the_case_page_takes_the_same_queries_however_long_its_record(client, users, case,
                                                                     django_assert_num_queries):
    client.force_login(users["supervisor"])
    url = reverse("case", args=[case.pk])

    def add_comments(n):
        for i in range(n):
            workflow.comment(case_id=case.pk, actor=users["inspector"], note=f"第{i}次查看")

    add_comments(2)
    with django_assert_num_queries(PAGE_QUERIES):
        assert client.get(url).status_code == 200
    add_comments(30)
    with django_assert_num_queries(PAGE_QUERIES):
        assert client.get(url).status_code == 200


# Session, user, the user's jurisdiction (page header); the case with its village, people and jurisdiction, its
# photos, its notices, its videos, its events with their actors; its documents (none yet: their services are not
# asked for); the inspectors the assign form offers.
PAGE_QUERIES = 10


def test_the_case_page_takes_the_same_queries_however_many_documents_services_and_steps(
        client, users, case, reused_renderings, django_assert_num_queries):
    case = ordered(case, users)
    client.force_login(users["supervisor"])
    url = reverse("case", args=[case.pk])
    officers = [users["inspector"].pk, users["supervisor"].pk]

    def add_steps(n):
        for i in range(n):
            procedure.record_inspection(case_id=case.pk, actor=users["inspector"], officers=officers,
                                        facts=f"第{i}次现场检查", refused=True, witness_name="村委会主任")
            procedure.record_interview(case_id=case.pk, actor=users["supervisor"], officers=officers,
                                       interviewee="王五", questions=[{"q": "是否取得许可", "a": "没有"}],
                                       refused=True, witness_name="村委会主任")
            workflow.assign(case_id=case.pk, actor=users["supervisor"],
                            inspector=users["inspector2" if i % 2 else "inspector"])
            workflow.comment(case_id=case.pk, actor=users["inspector"], note=f"第{i}次查看")

    add_steps(1)
    with django_assert_num_queries(ORDERED_PAGE_QUERIES):
        few = client.get(url)
    add_steps(12)
    with django_assert_num_queries(ORDERED_PAGE_QUERIES):
        many = client.get(url)
    assert few.status_code == many.status_code == 200
    # Not equal by showing nothing: every step's document is on the page, linked to its PDF.
    body = many.content.decode()
    assert body.count('class="step done"') == 1 + 1 + 1 + 1 + 2 * 13  # report, file, inspection, order, 2 × 13
    for document in case.documents.exclude(kind=DocumentKind.SERVICE_RECEIPT):
        assert reverse("api-document-pdf", args=[document.pk]) in body and document.number in body
    assert "第8次查看" in body and str(users["inspector2"]) in body  # the record, assignments named


def test_the_record_is_paged_so_a_long_history_sends_one_page(client, users, case):
    # 1 report + 129 comments = 130 events: the newest 50, then 50 older, then the first 30.
    for i in range(129):
        workflow.comment(case_id=case.pk, actor=users["inspector"], note=f"第{i + 1}次备注")
    client.force_login(users["supervisor"])
    url = reverse("case", args=[case.pk])

    def timeline(params=""):
        body = client.get(url + params).content.decode()
        part = body[body.index('id="timeline"'):]
        return part, [int(n) for n in re.findall(r'<code class="hash"[^>]*>#(\d+) ', part)]

    newest, seqs = timeline()
    assert seqs == list(range(81, 131)) and "第 81–130 条，共 130 条" in newest
    assert 'id="timeline-newer"' not in newest and 'href="?before=81#timeline" id="timeline-older"' in newest
    middle, seqs = timeline("?before=81")
    assert seqs == list(range(31, 81)) and 'href="?before=31#timeline"' in middle and "?before=131#timeline" in middle
    oldest, seqs = timeline("?before=31")
    assert seqs == list(range(1, 31)) and 'id="timeline-older"' not in oldest and 'id="timeline-newest"' in oldest
    assert timeline("?before=abc")[1] == list(range(81, 131))  # a bad parameter is the newest page, not an error
    # The chain check still reads the whole record: tampering with an event on another page shows on every page.
    with behind_the_applications_back() as cursor:
        cursor.execute("UPDATE patrol_caseevent SET note = %s WHERE case_id = %s AND seq = 3", ["改过", case.pk])
    assert "记录校验失败" in timeline()[0]


def test_a_case_page_is_as_long_with_400_events_as_with_60(client, users, case):
    client.force_login(users["supervisor"])
    url = reverse("case", args=[case.pk])
    sizes = []
    for total in (60, 400):
        while case.events.count() < total:
            workflow.comment(case_id=case.pk, actor=users["inspector"], note="查看，无变化")
        sizes.append(len(client.get(url).content))
    assert sizes[1] < sizes[0] * 1.02, sizes  # only the page counter's figures differ


# The ordered case's page: session, user, the case, photos, notices, videos, events with actors; its documents and
# their services (with receipts), read once for the step line and the clocks; the blockers of the state's actions (the
# latest order with its services); the people its assignments name; the page header's jurisdiction; the officers the
# two on-site record forms offer and the inspectors the assign form offers.
ORDERED_PAGE_QUERIES = 16


def test_the_step_line_and_the_legal_clocks_show_done_current_and_next_steps_and_a_late_case(client, users,
                                                                                             reused_renderings):
    # Filed 100 days ago and never decided: the 90 days of 行政处罚法 第60条 are over, shown as the authority's delay.
    long_ago = timezone.now() - timedelta(days=100)
    case, _ = workflow.report_finding(actor=users["inspector"], now=long_ago, **finding(party_name="王五"))
    workflow.file_case(case_id=case.pk, actor=users["supervisor"], legal_basis="planning_art65", note="立案",
                       now=long_ago + timedelta(hours=2))
    client.force_login(users["supervisor"])
    body = client.get(reverse("case", args=[case.pk])).content.decode()
    procedure_card = body[body.index('id="procedure"'):body.index('id="clocks"')]
    filing = case.documents.get(kind=DocumentKind.FILING_APPROVAL)
    assert reverse("api-document-pdf", args=[filing.pk]) in procedure_card and filing.number in procedure_card
    assert 'id="step-current"' in procedure_card and "已立案" in procedure_card
    assert 'id="blocked-order"' in procedure_card and "第54、55条" in procedure_card
    assert 'id="next-record_inspection"' in procedure_card
    clocks = body[body.index('id="clocks"'):body.index('id="actions"')]
    decision = clocks[clocks.index('id="clock-decision"'):]
    assert 'class="clock overdue"' in clocks and "已超期" in decision and "第60条" in decision
    assert 'id="late-badge"' in body  # and at the top of the page, beside the state
    # A legal reviewer sees the same next steps, the supervisor's named as such, and no form for them.
    client.force_login(users["legal"])
    body = client.get(reverse("case", args=[case.pk])).content.decode()
    assert 'id="other-order"' in body and "仅中队长可以" in body and 'id="action-order"' not in body


def test_the_partys_deadline_is_shown_only_while_the_case_waits_on_it(client, users, reused_renderings):
    then = timezone.now() - timedelta(days=20)
    case, _ = workflow.report_finding(actor=users["inspector"], now=then, **finding(party_name="王五"))
    workflow.file_case(case_id=case.pk, actor=users["supervisor"], legal_basis="planning_art65", note="立案",
                       now=then)
    procedure.record_inspection(case_id=case.pk, actor=users["inspector"], now=then, facts="在建",
                                officers=[users["inspector"].pk, users["supervisor"].pk], refused=True,
                                witness_name="村委会主任")
    procedure.order(case_id=case.pk, actor=users["supervisor"], order_kind="rectification_order", period_days=5,
                    now=then)
    record_service(document_id=case.documents.get(kind=DocumentKind.RECTIFICATION_ORDER).pk,
                   actor=users["supervisor"], method="left_at_premises", served_on=timezone.localdate(then),
                   witness_name="村委会主任", now=then)
    case.refresh_from_db()
    client.force_login(users["supervisor"])
    assert 'class="deadline-line' in client.get(reverse("case", args=[case.pk])).content.decode()
    # Re-inspected after it, not rectified, the party notified of the intended decision: the order's deadline is
    # history (shown in the step line), not "overdue by 13 days" at the top of the page.
    workflow.reinspect(case_id=case.pk, actor=users["inspector"], result="not_rectified", note="未整改")
    procedure.notify_intent(case_id=case.pk, actor=users["supervisor"], facts="逾期未改正")
    body = client.get(reverse("case", args=[case.pk])).content.decode()
    assert 'class="deadline-line' not in body and case.deadline.isoformat() in body
