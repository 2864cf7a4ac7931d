"""In Chromium on a phone: on-site records offline (#14, #15 item 6). A 现场检查（勘验）笔录 is filled on the phone's copy
of an assigned case without network, the party's and an officer's signatures drawn with a finger in the form; saved
into the outbox (a double tap is one record), still there after a reload offline, and recorded exactly once when the
network returns — signatures first, then the record naming them — with the signatures printed in its PDF. A case
changed meanwhile (412) or a record the procedure refuses (409) is said in words and can be looked at, corrected and
sent again."""
import subprocess
from datetime import datetime

import pytest
from django.utils import timezone

from documents.choices import DocumentKind
from documents.models import Signature
from patrol import workflow
from patrol.choices import Role, Status
from patrol.models import Case, CaseEvent, User
from tests.api.dataset import World
from tests.browser.conftest import ARTIFACTS, screenshot, sign_in
from tests.browser.test_field_reinspect_offline import (HERE, back_online, lose_first_answer,
                                                        open_field_online_then_reload_offline, phone)
from tests.browser.test_signature import touch_path
from tests.documents.test_signatures import dark_share

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ZIGZAG = [(0.08 + i * 0.042, 0.3 + (0.4 if i % 2 else 0.0)) for i in range(21)]
LINE = [(0.1, 0.85), (0.5, 0.8), (0.9, 0.83)]

# Two taps on 保存 30 ms apart, as a hurried thumb does.
DOUBLE_TAP = """() => new Promise((resolve) => {
  const save = document.getElementById("record-save");
  save.click();
  setTimeout(() => { save.click(); resolve(); }, 30);
})"""


@pytest.fixture
def world(jurisdiction, other_jurisdiction, settings, tmp_path):
    # Every document rendered for real (not tests.conftest.reused_renderings): the record's PDF is read.
    settings.MEDIA_ROOT = tmp_path
    return World({"TST": jurisdiction, "OTH": other_jurisdiction})


def draw(page, selector, *paths):
    """Sign on a pad with a finger, the pad on screen (a touch off the screen is no signature)."""
    pad = page.wait_for_selector(selector)
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    for path in paths:
        touch_path(page, box, path)


def open_record_form(page, case, action="record_inspection"):
    page.click(f"#reinspect-list li[data-case-id='{case.pk}'] button")
    page.wait_for_selector(f"#case-records button[data-record={action}]:visible")
    page.click(f"#case-records button[data-record={action}]")
    page.wait_for_selector("#record-form:not([hidden])")


def fill_inspection(page, supervisor, facts="东侧新建砖混结构房屋一间，正在砌墙，未见规划许可"):
    page.check(f"#record-officers input[value='{supervisor.pk}']")
    page.fill("#record-facts", facts)
    page.fill("#record-measurements", "长 6.2 米，宽 4.0 米，高约 3 米")
    if not page.input_value("#record-signer"):
        page.fill("#record-signer", "张三")
    draw(page, "#record-party-pad", ZIGZAG, LINE)


def records(case):
    return CaseEvent.objects.filter(case=case, action="record_inspection")


def test_an_inspection_record_signed_on_the_phone_offline_is_recorded_once_with_the_signatures_in_its_pdf(
        new_page, world, tmp_path):
    case = world.case("TST", Status.FILED)
    Case.objects.filter(pk=case.pk).update(party_name="张三")  # the phone keeps it: who signs as the party
    case.refresh_from_db()
    inspector, supervisor = world.user("TST", Role.INSPECTOR), world.user("TST", Role.SUPERVISOR)
    page = phone(new_page)
    open_field_online_then_reload_offline(page, "m_TST_inspector", case)
    assert "我负责" in page.inner_text(f"#reinspect-list li[data-case-id='{case.pk}']")

    open_record_form(page, case)
    form = page.inner_text("#record-form")
    assert case.reference in form and "现场检查（勘验）笔录" in form
    # The inspector is one of the officers already; a second is needed (行政处罚法 第42条), and the party's signature.
    assert page.is_checked(f"#record-officers input[value='{inspector.pk}']")
    assert "两名执法人员" in page.inner_text("#record-missing") and "当事人签名" in page.inner_text("#record-missing")
    assert page.input_value("#record-signer") == "张三"
    assert page.input_value("#record-place") == "东村TST filed"  # the case's place, to be made precise
    page.fill("#record-place", "东村3组张三家院内东侧")
    fill_inspection(page, supervisor)
    # Each officer ticked signs on a pad of their own; the inspector signs too.
    draw(page, f".officer-sign[data-officer='{inspector.pk}'] canvas", LINE)
    page.wait_for_selector("#record-missing.ready")
    screenshot(page, "field-record-form-offline-360")

    page.evaluate(DOUBLE_TAP)
    page.wait_for_selector("#record-form", state="hidden")
    page.wait_for_selector("#queue-count[data-count='1']")
    assert "现场检查（勘验）笔录 · " + case.reference in page.inner_text("#queue-list")
    page.reload()  # still offline: the record waits on the phone
    page.wait_for_selector("#field-app[data-ready=true]")
    page.wait_for_selector("#queue-count[data-count='1']")
    assert "现场检查笔录待上传" in page.inner_text(f"#reinspect-list li[data-case-id='{case.pk}']")
    assert "2 个签名" in page.inner_text("#queue-list")
    screenshot(page, "field-record-pending-offline-360")
    assert not records(case).exists() and not Signature.objects.filter(case=case).exists()

    # The first answer to the record is lost on the way back: the server recorded it, the phone did not hear.
    lost = lose_first_answer(page, "**/actions/record_inspection/")
    online_again = timezone.now()
    back_online(page)
    page.wait_for_timeout(5000)  # the outbox's backoff after a lost answer (4 s)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_selector("#field-app[data-sent='1']", state="attached", timeout=30000)
    page.wait_for_selector("#queue-count[data-count='0']")
    assert lost == [200]
    screenshot(page, "field-record-synced-360")

    event = records(case).get()  # exactly one, whatever the taps and the resend
    party = Signature.objects.get(case=case, role="party")
    officer = Signature.objects.get(case=case, role="officer")
    assert (party.signer_name, party.refused, officer.officer_id) == (case.party_name, False, inspector.pk)
    assert event.payload["signature_sha256"] == party.sha256 and event.payload["client_uuid"]
    assert event.location is not None and abs(event.location.x - HERE["longitude"]) < 1e-6
    record = case.documents.get(kind=DocumentKind.INSPECTION_RECORD)
    assert set(record.content["signatures"].values()) == {str(party.client_uuid), str(officer.client_uuid)}
    assert record.content["findings"].startswith("东侧新建砖混结构房屋一间")
    assert record.content["record_place"] == "东村3组张三家院内东侧"
    # The time on site, when the form was filled and saved offline, not when the network came back.
    started, ended = (datetime.fromisoformat(record.content[k]) for k in ("started_at", "ended_at"))
    assert started < ended < online_again < record.issued_at

    # The 笔录's PDF carries the two drawn signatures as images, not empty boxes.
    pdf = tmp_path / "record.pdf"
    pdf.write_bytes(record.pdf.open("rb").read())
    subprocess.run(["pdfimages", "-png", str(pdf), str(tmp_path / "placed")], check=True)
    placed = sorted(tmp_path.glob("placed-*.png"))
    assert len(placed) == 2 and all(dark_share(image, (0, 0, 1, 1)) > 0.01 for image in placed)
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-r", "60", "-png", "-singlefile", str(pdf),
                    str(ARTIFACTS / "field-record-offline-pdf")], check=True)

    # The case page lists the record with its PDF.
    page.goto(f"/cases/{case.pk}/")
    page.wait_for_selector(f"a[href='/api/v1/documents/{record.pk}/pdf']")


def test_a_case_changed_while_offline_shows_in_words_and_the_record_goes_through_again(new_page, world):
    case = world.case("TST", Status.FILED)
    supervisor = world.user("TST", Role.SUPERVISOR)
    page = phone(new_page)
    open_field_online_then_reload_offline(page, "m_TST_inspector", case)
    open_record_form(page, case)
    fill_inspection(page, supervisor)
    page.wait_for_selector("#record-missing.ready")
    page.click("#record-save")
    page.wait_for_selector("#queue-count[data-count='1']")

    workflow.comment(case_id=case.pk, actor=supervisor, note="当事人称下午在家，可以现场询问")
    back_online(page)
    page.wait_for_selector(".queue-item.failed", timeout=15000)
    text = page.inner_text(".queue-item.failed")
    assert "案件在您离线时已被别人改动" in text and "412" not in text
    assert not records(case).exists()
    screenshot(page, "field-record-412-360")
    page.click(".queue-item.failed button:has-text('查看案件现状')")
    page.wait_for_selector("#reapply-panel:not([hidden]) button:has-text('按现状重新提交笔录')")
    shown = page.inner_text("#reapply-panel")
    assert "当事人称下午在家" in shown and "东侧新建砖混结构房屋一间" in shown
    assert "签名" not in page.inner_text("#reapply-panel .changes")  # the record's own signature is no change
    page.click("#reapply-panel button:has-text('按现状重新提交笔录')")
    page.wait_for_selector("#field-app[data-sent='1']", state="attached", timeout=30000)
    page.wait_for_selector("#queue-count[data-count='0']")
    assert records(case).count() == 1


def test_a_record_the_procedure_refuses_is_said_in_words_and_is_corrected_and_sent_again(new_page, world):
    case = world.case("TST", Status.FILED)
    supervisor = world.user("TST", Role.SUPERVISOR)
    page = phone(new_page)
    open_field_online_then_reload_offline(page, "m_TST_inspector", case)
    open_record_form(page, case)
    fill_inspection(page, supervisor)
    page.wait_for_selector("#record-missing.ready")
    page.click("#record-save")
    page.wait_for_selector("#queue-count[data-count='1']")

    # Meanwhile the supervisor's 执法证 ran out: two officers with valid certificates are the law (第42条), 409.
    User.objects.filter(pk=supervisor.pk).update(certificate_valid_until="2020-12-31")
    back_online(page)
    page.wait_for_selector(".queue-item.failed", timeout=15000)
    text = page.inner_text(".queue-item.failed")
    assert "这一步现在不能做了" in text and "执法证" in text and "409" not in text
    screenshot(page, "field-record-409-360")
    assert not records(case).exists()

    # The inspector opens it, sees what they wrote and their drawing, and sends it again once the certificate is renewed.
    page.click(".queue-item.failed button:has-text('打开修改')")
    page.wait_for_selector("#record-form:not([hidden])")
    assert page.input_value("#record-facts").startswith("东侧新建砖混结构房屋一间")
    assert page.is_checked(f"#record-officers input[value='{supervisor.pk}']")
    page.wait_for_selector("#record-missing.ready")  # the party's signature is there, as drawn
    User.objects.filter(pk=supervisor.pk).update(certificate_valid_until="2099-12-31")
    page.fill("#record-facts", "东侧新建砖混结构房屋一间，已砌至二层")
    page.click("#record-save")
    page.wait_for_selector("#field-app[data-sent='1']", state="attached", timeout=30000)
    page.wait_for_selector("#queue-count[data-count='0']")
    event = records(case).get()
    assert event.note == "东侧新建砖混结构房屋一间，已砌至二层"
    assert Signature.objects.filter(case=case, role="party").count() == 1  # the same signature, not a second


def test_an_interview_with_the_partys_refusal_before_a_witness_is_recorded_with_its_questions_and_answers(
        new_page, world):
    case = world.case("TST", Status.FILED)
    Case.objects.filter(pk=case.pk).update(party_name="张三")
    supervisor = world.user("TST", Role.SUPERVISOR)
    page = phone(new_page)
    open_field_online_then_reload_offline(page, "m_TST_inspector", case)
    open_record_form(page, case, action="record_interview")
    assert page.is_hidden("#record-facts") and page.input_value("#record-interviewee") == "张三"
    page.check(f"#record-officers input[value='{supervisor.pk}']")
    page.fill("#record-relation", "当事人（房屋所有人）")
    page.click("#record-add-question")
    assert page.locator("#record-questions li").count() == 4
    answers = [("房屋是谁建的？", "我自己建的，去年开始盖"), ("有没有办理乡村建设规划许可证？", "没有办")]
    for n, (question, answer) in enumerate(answers):
        page.locator(".record-q").nth(n).fill(question)
        page.locator(".record-a").nth(n).fill(answer)
    page.check("#record-form input[name=party][value=refused]")
    assert page.is_hidden("#record-party-pad") and "见证人" in page.inner_text("#record-missing")
    page.fill("#record-witness", "李四（村委会主任）")
    page.wait_for_selector("#record-missing.ready")
    screenshot(page, "field-interview-form-offline-360")
    page.click("#record-save")
    page.wait_for_selector("#queue-count[data-count='1']")
    assert "0 个签名" in page.inner_text("#queue-list")

    back_online(page)
    page.wait_for_selector("#field-app[data-sent='1']", state="attached", timeout=30000)
    page.wait_for_selector("#queue-count[data-count='0']")
    event = CaseEvent.objects.get(case=case, action="record_interview")
    assert (event.payload["refused"], event.payload["witness"], event.payload["questions"]) == (
        True, "李四（村委会主任）", 2)
    record = case.documents.get(kind=DocumentKind.INTERVIEW_RECORD)
    assert record.content["questions"] == [{"q": q, "a": a} for q, a in answers]
    assert record.content["interviewee"] == {"name": "张三", "relation": "当事人（房屋所有人）"}
    assert not Signature.objects.filter(case=case).exists()  # a refusal is no drawing


def test_the_record_form_reads_in_english(new_page, world):
    case = world.case("TST", Status.FILED)
    page = new_page(locale="en-US", viewport={"width": 360, "height": 780}, is_mobile=True, has_touch=True,
                    geolocation=HERE, permissions=["geolocation"], tiles="fail")
    sign_in(page, "m_TST_inspector", "correct-horse-battery", lands_on="/field/")
    page.wait_for_selector(f"#reinspect-list li[data-case-id='{case.pk}']")
    open_record_form(page, case, action="record_interview")
    form = page.inner_text("#record-form")
    assert f"Interview record · {case.reference}" in form and "Save the record" in form
    assert "Interviewee" in form and "Add a question" in form and "The party signs on the phone" in form
    assert "Cannot save yet. Missing: Two officers; Interviewee; At least one question with its answer" in form
    screenshot(page, "field-record-form-en-360")
