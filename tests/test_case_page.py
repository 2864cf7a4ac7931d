"""The case page: record, photos, notices and exactly the available actions; forms act through the workflow."""
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from patrol import workflow
from patrol.models import Case
from tests.factories import finding

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


@pytest.fixture
def case(users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case, _ = workflow.report_finding(actor=users["inspector"], **finding(party_name="王五"))
    return case


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
    assert 'id="action-escalate"' not in body
    client.force_login(users["leader"])
    assert 'id="action-' not in client.get(reverse("case", args=[case.pk])).content.decode()


def test_another_jurisdiction_cannot_open_the_case_page(client, users, case):
    client.force_login(users["other_supervisor"])
    assert client.get(reverse("case", args=[case.pk])).status_code == 404
    response = client.post(reverse("case-action", args=[case.pk, "file"]), {"note": "x", "version": case.version})
    assert response.status_code == 404


def test_filing_from_the_page_moves_the_case_and_records_it(client, users, case):
    client.force_login(users["supervisor"])
    response = client.post(reverse("case-action", args=[case.pk, "file"]),
                           {"note": "现场核实", "version": case.version}, follow=True)
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.status == "filed"
    assert "已立案" in response.content.decode()


def test_a_form_error_is_shown_in_chinese_and_changes_nothing(client, users, case):
    client.force_login(users["supervisor"])
    response = client.post(reverse("case-action", args=[case.pk, "file"]), {"note": "", "version": case.version})
    assert response.status_code == 400
    assert "该字段是必填项" in response.content.decode()
    assert Case.objects.get(pk=case.pk).status == "reported"


def test_a_form_error_is_shown_in_english_for_english_users(client, users, case):
    client.force_login(users["supervisor"])
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = client.post(reverse("case-action", args=[case.pk, "file"]), {"note": "", "version": case.version})
    assert "This field is required." in response.content.decode()


def test_a_stale_form_is_refused_with_a_message(client, users, case):
    client.force_login(users["supervisor"])
    response = client.post(reverse("case-action", args=[case.pk, "file"]), {"note": "x", "version": case.version - 1})
    assert response.status_code == 412
    assert "案件已被他人修改" in response.content.decode()


def test_reinspection_as_rectified_needs_an_after_photo_and_closes_with_one(client, users, case):
    client.force_login(users["supervisor"])
    workflow.file_case(case_id=case.pk, actor=users["supervisor"], note="立案")
    from datetime import date
    workflow.issue_notice(case_id=case.pk, actor=users["supervisor"], notice_kind="rectify", deadline_days=5,
                          service_method="in_person", served_on=date.today())
    case.refresh_from_db()
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


def test_the_notice_prints_as_an_official_document(client, users, case):
    from datetime import date
    workflow.file_case(case_id=case.pk, actor=users["supervisor"], note="立案")
    workflow.issue_notice(case_id=case.pk, actor=users["supervisor"], notice_kind="stop_construction",
                          deadline_days=3, service_method="left_at_premises", served_on=date.today())
    notice = case.notices.get()
    client.force_login(users["inspector"])
    body = client.get(reverse("notice-print", args=[case.pk, notice.pk])).content.decode()
    assert "责令停止建设通知书" in body and notice.number in body and "当事人：王五" in body
    assert "立即停止建设" in body and "六十日内" in body and "印章" in body
    client.force_login(users["other_supervisor"])
    assert client.get(reverse("notice-print", args=[case.pk, notice.pk])).status_code == 404


def test_issuing_a_notice_from_the_page_keeps_the_photo_of_service(client, users, case):
    from datetime import date
    workflow.file_case(case_id=case.pk, actor=users["supervisor"], note="立案")
    case.refresh_from_db()
    client.force_login(users["supervisor"])
    response = client.post(reverse("case-action", args=[case.pk, "issue_notice"]), {
        "version": case.version, "notice_kind": "rectify", "deadline_days": "15", "service.method": "left_at_premises",
        "service.date": date.today().isoformat(), "photo_files": [jpeg()]}, follow=True)
    assert response.status_code == 200
    notice = case.notices.get()
    assert notice.service_photo is not None and notice.service_photo.stage == "notice"
    assert Case.objects.get(pk=case.pk).status == "ordered"


def test_a_service_field_error_shows_beside_its_field_under_its_dotted_name(client, users, case):
    from datetime import date, timedelta
    workflow.file_case(case_id=case.pk, actor=users["supervisor"], note="立案")
    case.refresh_from_db()
    client.force_login(users["supervisor"])
    response = client.post(reverse("case-action", args=[case.pk, "issue_notice"]), {
        "version": case.version, "notice_kind": "rectify", "deadline_days": "15", "service.method": "in_person",
        "service.date": (date.today() + timedelta(days=2)).isoformat()})
    assert response.status_code == 400
    body = response.content.decode()
    field = body.index('id="issue_notice-date"')
    assert body.index("送达日期不能晚于今天") > field  # under the date field, before the photo field
    assert body.index("送达日期不能晚于今天") < body.index('id="issue_notice-photos"')
    assert Case.objects.get(pk=case.pk).status == "filed"


def test_a_blocked_action_shows_its_reason_instead_of_a_form(client, users, case):
    workflow.comment(case_id=case.pk, actor=users["inspector"], note="当事人已申请行政复议", appeal_filed=True)
    client.force_login(users["supervisor"])
    body = client.get(reverse("case", args=[case.pk])).content.decode()
    assert 'id="action-comment"' in body and 'id="blocked-' not in body  # nothing of a reported case is blocked
    from datetime import date, timedelta
    workflow.file_case(case_id=case.pk, actor=users["supervisor"], note="立案")
    workflow.issue_notice(case_id=case.pk, actor=users["supervisor"], notice_kind="rectify", deadline_days=5,
                          service_method="in_person", served_on=date.today())
    body = client.get(reverse("case", args=[case.pk])).content.decode()
    deadline = Case.objects.get(pk=case.pk).deadline
    assert 'id="action-escalate"' not in body and 'id="blocked-escalate"' in body
    assert "尚未届满" in body and (deadline + timedelta(days=1)).isoformat() in body


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
# photos, its notices, its videos, its events with their actors; the inspectors the assign form offers.
PAGE_QUERIES = 9
