"""The beat's cleanup of files nobody needs any more: built dossiers (案卷 PDFs, party data, made again on request)
and video uploads abandoned half-way (their stored parts), each after a configurable age."""
import uuid
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from documents.models import DossierJob
from patrol import workflow
from tests.factories import finding
from tests.videos.test_video_uploads import CHUNK, announce, client_for, mp4_bytes, send, send_all, stored_parts
from videos.models import Video, VideoUpload
from worker import tasks
from worker.celery import app

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.VIDEO_MAX_BYTES = 1024 * 1024
    settings.VIDEO_CHUNK_MAX_BYTES = 128 * 1024
    return tmp_path


@pytest.fixture
def case(users, media):
    return workflow.report_finding(actor=users["inspector"], **finding())[0]


def test_both_cleanups_are_on_the_beat_schedule():
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert {"worker.tasks.delete_old_dossiers", "worker.tasks.delete_abandoned_video_uploads"} <= scheduled


def job(case, version, status, age, media):
    row = DossierJob.objects.create(case=case, case_version=version, status=status)
    if status == DossierJob.Status.DONE:
        row.file.save("dossier.pdf", ContentFile(b"%PDF-1.7 " + uuid.uuid4().bytes), save=False)
    DossierJob.objects.filter(pk=row.pk).update(file=row.file.name, updated_at=timezone.now() - age)
    return DossierJob.objects.get(pk=row.pk)


def test_finished_dossier_jobs_older_than_the_setting_go_with_their_files(
        case, media, settings, django_capture_on_commit_callbacks):
    settings.DOSSIER_KEEP_DAYS = 3
    old_done = job(case, 1, DossierJob.Status.DONE, timedelta(days=4), media)
    old_failed = job(case, 2, DossierJob.Status.FAILED, timedelta(days=4), media)
    recent_done = job(case, 3, DossierJob.Status.DONE, timedelta(days=2), media)
    old_running = job(case, 4, DossierJob.Status.RUNNING, timedelta(days=4), media)  # its worker's to finish
    old_file = media / old_done.file.name
    assert old_file.exists()

    with django_capture_on_commit_callbacks(execute=True):
        tasks.delete_old_dossiers()
    assert set(DossierJob.objects.values_list("pk", flat=True)) == {recent_done.pk, old_running.pk}
    assert not old_file.exists() and (media / recent_done.file.name).exists()
    assert not DossierJob.objects.filter(pk=old_failed.pk).exists()

    settings.DOSSIER_KEEP_DAYS = 1
    with django_capture_on_commit_callbacks(execute=True):
        tasks.delete_old_dossiers()
        tasks.delete_old_dossiers()  # twice: nothing left to do, nothing fails
    assert list(DossierJob.objects.values_list("pk", flat=True)) == [old_running.pk]
    assert list(media.rglob("*.pdf")) == []


def test_abandoned_video_uploads_lose_their_parts_and_finished_or_recent_ones_are_kept(
        users, case, media, settings, django_capture_on_commit_callbacks):
    settings.VIDEO_UPLOAD_ABANDONED_HOURS = 24
    client = client_for(users["inspector"])
    abandoned_data, recent_data, done_data = mp4_bytes(300_000, b"a"), mp4_bytes(300_000, b"r"), mp4_bytes(200_000)
    abandoned = announce(client, case, abandoned_data).json()
    for offset in (0, CHUNK):
        assert send(client, abandoned["id"], abandoned_data[offset:offset + CHUNK], offset).status_code == 200
    # A part stored by a request that died before it counted it: in the upload's folder, beyond ``parts``.
    (media / stored_parts(media)[0]).parent.joinpath("000002.part").write_bytes(b"half a chunk")
    recent = announce(client, case, recent_data).json()
    assert send(client, recent["id"], recent_data[:CHUNK], 0).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        send_all(client, announce(client, case, done_data).json()["id"], done_data)
    assert len(stored_parts(media)) == 4
    long_ago = timezone.now() - timedelta(hours=25)
    VideoUpload.objects.filter(pk=abandoned["id"]).update(updated_at=long_ago)
    VideoUpload.objects.filter(video__isnull=False).update(updated_at=long_ago)  # finished long ago: kept

    with django_capture_on_commit_callbacks(execute=True):
        tasks.delete_abandoned_video_uploads()
        tasks.delete_abandoned_video_uploads()
    assert not VideoUpload.objects.filter(pk=abandoned["id"]).exists()
    assert [p.split("/")[-2] for p in stored_parts(media)] == [str(recent["id"])]
    assert VideoUpload.objects.filter(video__isnull=False).count() == 1 and Video.objects.count() == 1
    # The phone that comes back finds the upload gone and starts again.
    assert client.head(f"/api/v1/uploads/{abandoned['id']}/").status_code == 404
    assert send(client, recent["id"], recent_data[CHUNK:2 * CHUNK], CHUNK).status_code == 200
