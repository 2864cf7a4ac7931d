"""In Chromium on a phone: re-inspection offline (#15 item 6). The inspector's cases are kept on the phone, a case
opens from the 复查 list after a reload without network, the re-inspection with its photo waits in the outbox and is
recorded exactly once when the network returns; a case changed meanwhile comes back as 412, said in words, and the
re-inspection goes through again on the case as it is now."""
import hashlib
import io
import json
import random
import uuid

import pytest
from django.contrib.gis.geos import Point
from django.core.files.base import ContentFile
from PIL import Image, ImageDraw

from patrol import workflow
from patrol.choices import Role, Status
from patrol.models import Case, CaseEvent
from patrol.photos import make_thumbnail
from tests.api.dataset import World
from tests.browser.conftest import screenshot, sign_in
from tests.factories import finding

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A phone in the east village, near the ordered case of tests/api/dataset.py (111.605, 40.705).
HERE = {"latitude": 40.706, "longitude": 111.606, "accuracy": 8}


@pytest.fixture
def world(jurisdiction, other_jurisdiction, settings, tmp_path, reused_renderings):
    settings.MEDIA_ROOT = tmp_path
    return World({"TST": jurisdiction, "OTH": other_jurisdiction})


def phone(new_page):
    """A Pixel 5 in Chinese, 360 px wide as the issue's screenshots, its GPS in the east village; tiles fail."""
    return new_page(viewport={"width": 360, "height": 780}, device_scale_factor=2.75, is_mobile=True, has_touch=True,
                    user_agent="Mozilla/5.0 (Linux; Android 11; Pixel 5) AppleWebKit/537.36 (KHTML, like Gecko) "
                               "Chrome/120.0 Mobile Safari/537.36",
                    geolocation=HERE, permissions=["geolocation"], tiles="fail")


def after_photo():
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (90, 170, 80)).save(out, "JPEG", quality=85)
    return {"name": "IMG_after.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


def open_field_online_then_reload_offline(page, username, case):
    sign_in(page, username, "correct-horse-battery", lands_on="/field/")
    page.wait_for_selector("#field-app[data-ready=true]")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_selector(f"#reinspect-list li[data-case-id='{case.pk}']")
    page.context.set_offline(True)
    page.reload()  # served by the service worker, the list from the phone's store
    page.wait_for_selector("#field-app[data-ready=true]")
    page.wait_for_selector(f"#reinspect-list li[data-case-id='{case.pk}']")


def record_reinspection(page, case, result, note, photos=()):
    page.click(f"#reinspect-list li[data-case-id='{case.pk}'] button")
    page.wait_for_selector("#reinspect-form:not([hidden])")
    page.check(f"#reinspect-form input[name=result][value={result}]")
    page.fill("#reinspect-note", note)
    if photos:
        page.set_input_files("#reinspect-photos", files=list(photos))
        page.wait_for_selector(f"#reinspect-previews img >> nth={len(photos) - 1}")
    page.wait_for_selector("#reinspect-missing.ready")
    page.click("#reinspect-save")
    page.wait_for_selector("#reinspect-form", state="hidden")
    page.wait_for_selector("#queue-count[data-count='1']")


def lose_first_answer(page, pattern):
    """The server's first answer to ``pattern`` is lost on the way back (the request went through); the statuses of the
    answers lost are in the list returned."""
    lost = []

    def answer(route):
        response = route.fetch()
        if not lost:
            lost.append(response.status)
            route.abort()
        else:
            route.fulfill(response=response)
    page.route(pattern, answer)
    return lost


def back_online(page):
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")


def test_a_reinspection_recorded_offline_with_a_photo_is_recorded_exactly_once(new_page, world):
    case = world.case("TST", Status.ORDERED)
    world.photo("TST", case)
    before = CaseEvent.objects.filter(case=case, action="reinspect").count()
    page = phone(new_page)
    open_field_online_then_reload_offline(page, "m_TST_inspector", case)
    row = page.inner_text(f"#reinspect-list li[data-case-id='{case.pk}']")
    assert case.reference in row and case.get_status_display() in row and "我负责" in row
    assert page.locator(f"#reinspect-list li[data-case-id='{case.pk}'] img").count() == 1  # its last photo, tiny
    screenshot(page, "field-reinspect-list-offline-360")

    # The case's own page, asked for without network (a link, a bookmark): the phone's copy opens instead of an error.
    page.goto(f"/cases/{case.pk}/")
    page.wait_for_selector("#reinspect-form:not([hidden])")
    assert "/field/" in page.url
    assert case.reference in page.inner_text("#reinspect-heading")
    page.check("#reinspect-form input[name=result][value=rectified]")
    page.fill("#reinspect-note", "违建已自行拆除，现场已清理")
    assert "整改后照片" in page.inner_text("#reinspect-missing")  # rectified needs an after photo
    page.set_input_files("#reinspect-photos", files=[after_photo()])
    page.wait_for_selector("#reinspect-previews img")
    page.wait_for_selector("#reinspect-missing.ready")
    screenshot(page, "field-reinspect-form-offline-360")
    page.click("#reinspect-save")
    page.wait_for_selector("#reinspect-form", state="hidden")
    page.wait_for_selector("#queue-count[data-count='1']")
    page.reload()  # still offline: the re-inspection waits on the phone
    page.wait_for_selector("#field-app[data-ready=true]")
    page.wait_for_selector("#queue-count[data-count='1']")
    assert page.is_hidden("#reinspect-form") and "#case-" not in page.url
    assert "复查待上传" in page.inner_text(f"#reinspect-list li[data-case-id='{case.pk}']")
    assert CaseEvent.objects.filter(case=case, action="reinspect").count() == before

    # The first answer to the action is lost on the way back: the server recorded it, the phone did not hear.
    lost = lose_first_answer(page, "**/actions/reinspect/")
    back_online(page)
    page.wait_for_timeout(5000)  # the outbox's backoff after a lost answer (4 s)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_selector("#field-app[data-sent='1']", state="attached", timeout=30000)
    page.wait_for_selector("#queue-count[data-count='0']")
    assert lost == [200]

    events = CaseEvent.objects.filter(case=case, action="reinspect").order_by("seq")
    assert events.count() == before + 1
    event = events.last()
    case.refresh_from_db()
    after = case.photos.filter(stage="after")
    assert case.status == Status.CLOSED and after.count() == 1
    assert event.payload["result"] == "rectified" and event.payload["photos"] == [after.get().sha256]
    assert uuid.UUID(event.payload["client_uuid"])
    assert event.location is not None and abs(event.location.x - HERE["longitude"]) < 1e-6  # where it was made
    screenshot(page, "field-reinspect-synced-360")


def test_a_case_changed_while_offline_is_shown_in_words_and_the_reinspection_goes_through_again(new_page, world):
    case = world.case("TST", Status.ORDERED)
    page = phone(new_page)
    open_field_online_then_reload_offline(page, "m_TST_inspector", case)
    record_reinspection(page, case, "partly_rectified", "已拆除一半，剩余部分约定三日内拆完")

    # Meanwhile the supervisor records something at the office: the version the phone read is stale.
    supervisor = world.user("TST", Role.SUPERVISOR)
    workflow.comment(case_id=case.pk, actor=supervisor, note="当事人来电，称正在拆除")
    back_online(page)  # at once, not after the backoff of the attempt made offline
    page.wait_for_selector(".queue-item.failed", timeout=8000)
    text = page.inner_text(".queue-item.failed")
    assert "案件在您离线时已被别人改动" in text and "412" not in text
    assert CaseEvent.objects.filter(case=case, action="reinspect").count() == 0
    screenshot(page, "field-reinspect-412-360")

    page.click(".queue-item.failed button:has-text('查看案件现状')")
    page.wait_for_selector("#reapply-panel:not([hidden]) button:has-text('按现状重新提交复查')")
    shown = page.inner_text("#reapply-panel")
    assert case.reference in shown and "部分整改" in shown
    assert "当事人来电，称正在拆除" in shown  # what changed the case while the phone was offline
    screenshot(page, "field-reinspect-reapply-360")
    page.click("#reapply-panel button:has-text('按现状重新提交复查')")
    page.wait_for_selector("#field-app[data-sent='1']", state="attached", timeout=30000)
    page.wait_for_selector("#queue-count[data-count='0']")
    events = CaseEvent.objects.filter(case=case, action="reinspect")
    assert [e.payload["result"] for e in events] == ["partly_rectified"]
    assert Case.objects.get(pk=case.pk).status == Status.ORDERED


def busy_jpeg(seed):
    """A photo-like JPEG with more edges than most site photos (hundreds of coloured blocks): a flat colour or noise
    shrinks to almost nothing at 96 px, this keeps about 2.5 KB, so the measure errs on the large side."""
    rnd = random.Random(seed)
    image = Image.new("RGB", (640, 480))
    draw = ImageDraw.Draw(image)
    for _ in range(400):
        x, y, w, h = rnd.randrange(640), rnd.randrange(480), rnd.randrange(8, 48), rnd.randrange(8, 48)
        draw.rectangle((x, y, x + w, y + h), fill=(rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def test_two_hundred_cases_fit_on_the_phone_in_two_megabytes(new_page, world, capsys):
    inspector = world.user("TST", Role.INSPECTOR)
    for i in range(200):
        case, _ = workflow.report_finding(actor=inspector, **finding(
            location=Point(111.601 + (i % 20) * 0.0009, 40.701 + (i // 20) * 0.0018, srid=4326),
            address=f"东村{i + 1}号院东侧加盖彩钢房"))
        for k in range(2):
            data = busy_jpeg(i * 2 + k)
            photo = workflow.attach_photo(case_id=case.pk, actor=inspector, client_uuid=uuid.uuid4(),
                                          file=ContentFile(data), sha256=hashlib.sha256(data).hexdigest(),
                                          content_type="image/jpeg", size_bytes=len(data),
                                          taken_at=case.created_at, stage="before")
            make_thumbnail(photo)
    page = phone(new_page)
    sign_in(page, "m_TST_inspector", "correct-horse-battery", lands_on="/field/")
    page.wait_for_selector("#field-app[data-ready=true]")
    page.wait_for_function("() => document.querySelectorAll('#reinspect-list li').length === 200", timeout=60000)
    size = page.evaluate("""() => new Promise((resolve) => {
      const open = indexedDB.open("xuncha-cases");
      open.onsuccess = () => {
        const all = open.result.transaction("cases").objectStore("cases").getAll();
        all.onsuccess = () => resolve({ n: all.result.length, thumbnails: all.result.reduce((n, c) => n + c.thumbnails.length, 0),
          bytes: all.result.reduce((n, c) => n + new TextEncoder().encode(JSON.stringify(c)).length, 0) });
      };
    })""")
    with capsys.disabled():
        print(f"\ncase store on the phone: {size['n']} cases, {size['thumbnails']} thumbnails, "
              f"{size['bytes']:,} bytes ({size['bytes'] / 2**20:.2f} MiB)")
    assert size["n"] == 200 and size["thumbnails"] == 400
    assert size["bytes"] <= 2 * 2**20
    assert json.dumps(size)


def test_the_reinspection_list_and_form_read_in_english(new_page, world):
    case = world.case("TST", Status.ORDERED)
    page = new_page(locale="en-US", viewport={"width": 360, "height": 780}, is_mobile=True, has_touch=True,
                    geolocation=HERE, permissions=["geolocation"], tiles="fail")
    sign_in(page, "m_TST_inspector", "correct-horse-battery", lands_on="/field/")
    page.wait_for_selector(f"#reinspect-list li[data-case-id='{case.pk}']")
    row = page.inner_text(f"#reinspect-list li[data-case-id='{case.pk}']")
    assert "Deadline 2026-03-10" in row and "Overdue" in row and "mine" in row
    page.click(f"#reinspect-list li[data-case-id='{case.pk}'] button")
    page.wait_for_selector("#reinspect-form:not([hidden])")
    form = page.inner_text("#reinspect-form")
    assert f"Re-inspect {case.reference}" in form and "Save the re-inspection" in form
    assert "Cannot save yet. Missing: Re-inspection result; What was found" in form
    screenshot(page, "field-reinspect-form-en-360")
