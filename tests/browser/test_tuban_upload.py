"""In Chromium: a supervisor uploads a 图斑 file, reads the dry run and double-clicks 确认导入: the form is sent once
(static/js/submit-once.js) and the page lands on the imported batch. A second request that gets through anyway is
answered with the same batch (tests/tuban/test_upload_page.py)."""
import pytest

from tests.browser.conftest import screenshot, sign_in
from tests.tuban.files import square, tuban_feature, write_geojson
from tuban import uploads
from tuban.models import Tuban, TubanBatch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def dry_run(new_page, tmp_path, *numbers):
    """The supervisor's page after uploading a file of these 图斑 as the batch 2026年第四季度: the dry run."""
    features = [tuban_feature(number, square(111.605 + 0.005 * n, 40.705)) for n, number in enumerate(numbers)]
    source = write_geojson(tmp_path / "tuban.geojson", features)
    page = new_page(viewport={"width": 1280, "height": 800}, tiles="fail")
    sign_in(page, "t_supervisor", "correct-horse-battery", lands_on="/map/")
    page.goto("/tuban/")
    page.set_input_files("#id_file", str(source))
    page.fill("#id_batch", "2026年第四季度")
    page.click("#tuban-upload button[type=submit]")
    page.wait_for_selector("#tuban-dry-run-counts")
    page.wait_for_load_state("load")  # the page's module has run
    return page


def test_a_double_click_on_confirm_import_sends_it_once_and_lands_on_the_batch(new_page, users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    page = dry_run(new_page, tmp_path, "B1", "B2")
    assert "将新增 2 个图斑" in page.inner_text("#tuban-dry-run-counts")

    commits = []
    page.on("request", lambda request: commits.append(request.url)
            if request.method == "POST" and request.url.endswith("/tuban/commit/") else None)
    token = page.get_attribute("#tuban-commit input[name=token]", "value")
    box = page.locator("#tuban-commit button[type=submit]").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    # A person's double click on an import that takes its time (held here, as a large file keeps it busy): the second
    # click comes while the first request is still on its way and the page is still there.
    with uploads.held(token):
        page.mouse.click(x, y)
        page.wait_for_timeout(150)
        page.mouse.click(x, y)
        page.wait_for_timeout(300)
    page.wait_for_selector("#tuban-villages")  # the batch page
    page.wait_for_load_state("load")

    batch = TubanBatch.objects.get()
    assert page.url.endswith(f"/tuban/batches/{batch.pk}/")
    messages = page.inner_text("ul.messages")
    assert "批次“2026年第四季度”已导入：新增 2 个图斑" in messages and "上传已过期" not in messages
    assert "该文件已导入，未重复导入。" not in messages  # no second request: nothing to explain
    assert len(commits) == 1, commits
    assert sorted(Tuban.objects.values_list("number", flat=True)) == ["B1", "B2"]
    screenshot(page, "tuban-import-double-click")


def test_cancel_clicked_right_after_confirm_import_is_not_sent_and_the_page_lands_on_the_batch(
        new_page, users, settings, tmp_path):
    """确认导入 and 取消 are held together (data-submit-once="tuban-dry-run"): 取消 clicked while the import is on its
    way sends nothing, so the page lands on the imported batch, not on "已取消" (the server would say it could not
    cancel: tests/tuban/test_upload_page.py)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    page = dry_run(new_page, tmp_path, "D1", "D2")

    posts = []
    page.on("request", lambda request: posts.append(request.url.rsplit("/tuban/", 1)[-1])
            if request.method == "POST" and "/tuban/" in request.url else None)
    token = page.get_attribute("#tuban-commit input[name=token]", "value")

    def middle(selector):
        box = page.locator(selector).bounding_box()
        return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

    commit, discard = middle("#tuban-commit button[type=submit]"), middle("#tuban-discard button[type=submit]")
    with uploads.held(token):  # the import takes its time, as a large file's does
        page.mouse.click(*commit)
        page.wait_for_timeout(150)
        page.mouse.click(*discard)
        page.wait_for_timeout(300)
    page.wait_for_selector("#tuban-villages")  # the batch page
    page.wait_for_load_state("load")

    batch = TubanBatch.objects.get()
    assert posts == ["commit/"], posts
    assert page.url.endswith(f"/tuban/batches/{batch.pk}/")
    messages = page.inner_text("ul.messages")
    assert "批次“2026年第四季度”已导入：新增 2 个图斑" in messages and "已取消" not in messages
    assert sorted(Tuban.objects.values_list("number", flat=True)) == ["D1", "D2"]


def test_the_page_shown_again_from_the_browsers_history_can_be_sent_again(new_page, users, settings, tmp_path):
    """Back on a page the browser kept (pageshow with persisted), the held form is let go. Playwright's Chromium
    keeps no page in its back-forward cache, so the event is sent here as the browser would send it."""
    settings.MEDIA_ROOT = tmp_path / "media"
    page = dry_run(new_page, tmp_path, "H1")
    # Sent, but the page stays (as it does in the browser's memory once the next page has come).
    page.evaluate("window.stay = (e) => e.preventDefault(); "
                  "document.getElementById('tuban-commit').addEventListener('submit', window.stay)")
    button = "#tuban-commit button[type=submit]"
    page.click(button)
    page.wait_for_selector(f"{button}:disabled")
    page.wait_for_selector("#tuban-discard button[type=submit]:disabled")  # held with it
    assert page.get_attribute("#tuban-commit", "data-sending") is not None

    page.evaluate("window.dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}))")
    assert page.is_enabled(button) and page.get_attribute("#tuban-commit", "data-sending") is None
    assert page.is_enabled("#tuban-discard button[type=submit]")
    page.evaluate("document.getElementById('tuban-commit').removeEventListener('submit', window.stay)")
    page.click(button)
    page.wait_for_url("**/tuban/batches/*/")
    assert TubanBatch.objects.count() == 1 and Tuban.objects.count() == 1
