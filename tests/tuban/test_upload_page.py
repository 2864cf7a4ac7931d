"""The supervisor's upload of a 图斑 batch: a dry run of the kept file, then the import of exactly that file; no
uploaded file outlives its dry run for long, whatever the supervisor does next."""
import json
import os
import threading
import time

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client

from tests.tuban.files import square, tuban_feature
from tuban import uploads
from tuban.models import Tuban, TubanBatch
from worker import tasks
from worker.celery import app

pytestmark = pytest.mark.django_db

EAST = (111.605, 40.705)


@pytest.fixture
def supervisor(client, users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(users["supervisor"])
    return client


def geojson(*numbers):
    features = [tuban_feature(number, square(EAST[0] + n * 0.0025, EAST[1])) for n, number in enumerate(numbers)]
    body = json.dumps({"type": "FeatureCollection", "name": "tuban", "features": features}, ensure_ascii=False)
    return SimpleUploadedFile("tuban.geojson", body.encode(), content_type="application/geo+json")


def dry_run(client, upload, batch="2026年第三季度"):
    response = client.post("/tuban/upload/", {"file": upload, "batch": batch, "due_date": "", "columns": ""})
    assert response.status_code == 200, response.content.decode()[:500]
    return response


def kept():
    folder = uploads.upload_dir()
    return sorted(entry.name for entry in folder.iterdir()) if folder.is_dir() else []


def test_a_confirmed_dry_run_imports_the_checked_file_and_deletes_it(supervisor):
    response = dry_run(supervisor, geojson("U1", "U2"))
    assert "将新增 2 个图斑" in response.content.decode() and not Tuban.objects.exists()
    assert len(kept()) == 1

    response = supervisor.post("/tuban/commit/", {"token": response.context["token"]})
    batch = TubanBatch.objects.get()
    assert response.status_code == 302 and response.url == f"/tuban/batches/{batch.pk}/"
    assert sorted(Tuban.objects.values_list("number", flat=True)) == ["U1", "U2"]
    assert batch.source_file == "tuban.geojson"
    assert kept() == []  # not even the empty folder
    # The same token again is a stale form: nothing is imported twice.
    supervisor.post("/tuban/commit/", {"token": response.wsgi_request.POST["token"]})
    assert Tuban.objects.count() == 2


def test_a_second_commit_of_the_same_upload_lands_on_its_batch_and_imports_nothing_more(supervisor):
    token = dry_run(supervisor, geojson("W1", "W2")).context["token"]
    first = supervisor.post("/tuban/commit/", {"token": token})
    batch = TubanBatch.objects.get()
    assert first.url == f"/tuban/batches/{batch.pk}/"

    # The second request of a double click, or the form sent again from the browser's history.
    second = supervisor.post("/tuban/commit/", {"token": token}, follow=True)
    assert second.redirect_chain == [(f"/tuban/batches/{batch.pk}/", 302)]
    page = second.content.decode()
    assert "上传已过期" not in page
    assert "该文件已导入，未重复导入。" in page and f"批次“{batch.name}”已导入：新增 2 个图斑" in page
    assert TubanBatch.objects.count() == 1
    assert sorted(Tuban.objects.values_list("number", flat=True)) == ["W1", "W2"]
    assert kept() == []


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_commits_of_one_upload_arriving_together_import_it_once_and_both_land_on_the_batch(supervisor):
    """A double click's two requests both read the session before either stored its import: the second waits for
    the first (uploads.held) and then finds the import it made."""
    token = dry_run(supervisor, geojson("P1", "P2")).context["token"]
    session = supervisor.cookies[settings.SESSION_COOKIE_NAME].value
    pages, start = [], threading.Barrier(3)

    def click():
        client = Client()
        client.cookies[settings.SESSION_COOKIE_NAME] = session
        start.wait()
        try:
            response = client.post("/tuban/commit/", {"token": token}, follow=True)
            pages.append((response.redirect_chain, response.content.decode()))
        finally:
            connection.close()

    clicks = [threading.Thread(target=click) for _ in range(2)]
    with uploads.held(token):  # as if a first request were still importing: both queue behind it
        for thread in clicks:
            thread.start()
        start.wait()
        time.sleep(0.5)
    for thread in clicks:
        thread.join(60)

    batch = TubanBatch.objects.get()
    assert [chain for chain, _ in pages] == [[(f"/tuban/batches/{batch.pk}/", 302)]] * 2
    assert not any("上传已过期" in page for _, page in pages)
    assert sum("该文件已导入，未重复导入。" in page for _, page in pages) == 1
    assert sorted(Tuban.objects.values_list("number", flat=True)) == ["P1", "P2"]
    assert kept() == []


def test_a_cancel_after_the_commit_lands_on_the_imported_batch(supervisor):
    token = dry_run(supervisor, geojson("K1")).context["token"]
    supervisor.post("/tuban/commit/", {"token": token})
    batch = TubanBatch.objects.get()

    response = supervisor.post("/tuban/discard/", {"token": token}, follow=True)
    assert response.redirect_chain == [(f"/tuban/batches/{batch.pk}/", 302)]
    page = response.content.decode()
    assert "该文件已导入，无法取消。" in page and "已取消" not in page
    assert Tuban.objects.filter(batch=batch).count() == 1


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_cancel_arriving_while_the_commit_imports_waits_for_it_and_lands_on_the_batch(supervisor):
    """取消 clicked right after 确认导入 (or in a second tab) while the import is still writing: the cancel neither
    deletes the file under the import nor says 已取消 of a batch that was imported; it waits, then lands on it."""
    token = dry_run(supervisor, geojson("C1", "C2")).context["token"]
    session = supervisor.cookies[settings.SESSION_COOKIE_NAME].value
    pages = {}

    def send(action):
        client = Client()
        client.cookies[settings.SESSION_COOKIE_NAME] = session  # the same person's session, as both tabs have
        try:
            response = client.post(f"/tuban/{action}/", {"token": token}, follow=True)
            pages[action] = (response.redirect_chain, response.content.decode())
        finally:
            connection.close()

    commit, discard = (threading.Thread(target=send, args=(action,)) for action in ("commit", "discard"))
    table = TubanBatch._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        # The import's first write waits on this lock: the commit is under way, its file claimed, as a large file
        # keeps it busy for a while.
        cursor.execute(f"LOCK TABLE {table} IN SHARE MODE")
        commit.start()
        for _ in range(200):
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = %s::regclass", [table])
            if cursor.fetchone()[0]:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the commit never reached its import")
        discard.start()
        discard.join(1.5)  # without waiting for the commit, the cancel would be done by now
    commit.join(60)
    discard.join(60)

    batch = TubanBatch.objects.get()
    assert sorted(Tuban.objects.values_list("number", flat=True)) == ["C1", "C2"]
    assert pages["commit"][0] == pages["discard"][0] == [(f"/tuban/batches/{batch.pk}/", 302)]
    assert "已取消" not in pages["discard"][1]
    assert "该文件已导入，无法取消。" in pages["discard"][1]
    assert f"批次“{batch.name}”已导入：新增 2 个图斑" in pages["discard"][1]
    assert kept() == []


def test_no_uploaded_file_accumulates_whatever_the_supervisor_does_next(supervisor):
    first = dry_run(supervisor, geojson("A1")).context["token"]
    second = dry_run(supervisor, geojson("B1")).context["token"]
    assert kept() == [second]  # the second upload of the session replaced the first, which can no longer be confirmed
    assert supervisor.post("/tuban/commit/", {"token": first}).status_code == 302
    assert not Tuban.objects.exists() and kept() == [second]

    supervisor.post("/tuban/discard/", {"token": second})  # 取消
    assert kept() == []

    response = dry_run(supervisor, geojson("D1", "D1"))  # errors: there is nothing to confirm
    assert "图斑编号与第 1 个要素重复" in response.content.decode()
    assert kept() == []

    dry_run(supervisor, geojson("E1"))  # and left: beat deletes it once it is old enough
    tasks.delete_abandoned_tuban_uploads()
    assert len(kept()) == 1
    old = time.time() - 7 * 3600
    folder = uploads.upload_dir() / kept()[0]
    os.utime(folder, (old, old))
    tasks.delete_abandoned_tuban_uploads()
    assert kept() == []


def test_a_commit_after_the_sweep_or_of_a_changed_file_imports_nothing(supervisor, settings):
    token = dry_run(supervisor, geojson("S1")).context["token"]
    # Close to the sweep's age: refused rather than deleted under the import.
    almost = time.time() - settings.TUBAN_UPLOAD_KEEP_HOURS * 3600 + 60
    os.utime(uploads.upload_dir() / token, (almost, almost))
    response = supervisor.post("/tuban/commit/", {"token": token}, follow=True)
    assert "上传已过期" in response.content.decode()
    assert not Tuban.objects.exists() and not TubanBatch.objects.exists() and kept() == []

    token = dry_run(supervisor, geojson("S1")).context["token"]
    (uploads.upload_dir() / token / "upload.geojson").write_bytes(geojson("S1", "S2").read())
    response = supervisor.post("/tuban/commit/", {"token": token}, follow=True)
    assert "上传已过期" in response.content.decode()
    assert not Tuban.objects.exists() and kept() == []


def test_a_claimed_upload_is_left_alone_by_the_sweep(supervisor, settings):
    token = dry_run(supervisor, geojson("C1")).context["token"]
    pending = supervisor.session["tuban_upload"]
    old = time.time() - settings.TUBAN_UPLOAD_KEEP_HOURS * 3600 + uploads.CLAIM_MARGIN_S + 60
    os.utime(uploads.upload_dir() / token, (old, old))
    path = uploads.claim(token, pending["suffix"], pending["sha256"])
    assert path is not None
    assert uploads.delete_abandoned_uploads(settings.TUBAN_UPLOAD_KEEP_HOURS, now=time.time() + 3600) == 0
    assert path.is_file()


def test_the_sweep_is_on_the_beat_schedule():
    assert "worker.tasks.delete_abandoned_tuban_uploads" in {entry["task"] for entry in app.conf.beat_schedule.values()}
