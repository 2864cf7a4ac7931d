"""A photo gets its thumbnail from the service that stores it (workflow.attach_photo), whichever way it came in."""
import hashlib
import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from patrol import workflow
from patrol.models import Photo
from tests.factories import finding
from tests.worker.conftest import wait_for


@pytest.fixture
def media(settings, tmp_path):
    # Before the worker starts: it is given this MEDIA_ROOT, so it reads the files the web process stored.
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def jpeg():
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (40, 160, 90)).save(out, "JPEG")
    return SimpleUploadedFile("site.jpg", out.getvalue(), content_type="image/jpeg")


@pytest.mark.postgres_only
def test_a_photo_gets_its_thumbnail_within_seconds_from_the_case_page_and_from_the_phone(media, celery_worker,
                                                                                        client, users):
    case, _ = workflow.report_finding(actor=users["inspector"], **finding())
    client.force_login(users["inspector"])
    response = client.post(reverse("case-action", args=[case.pk, "comment"]),
                           {"note": "现场照片", "version": case.version, "photo_files": [jpeg()]})
    assert response.status_code == 302
    from_the_page = Photo.objects.get(case=case)
    data = jpeg().read()
    phone = APIClient()
    phone.force_authenticate(users["inspector"])
    response = phone.post(f"/api/v1/cases/{case.pk}/photos/", {
        "file": SimpleUploadedFile("phone.jpg", data, content_type="image/jpeg"), "client_uuid": str(uuid.uuid4()),
        "sha256": hashlib.sha256(data).hexdigest(), "taken_at": timezone.now().isoformat()}, format="multipart")
    assert response.status_code == 201, response.content
    from_the_phone = Photo.objects.get(pk=response.json()["id"])

    # No beat runs here, so the sweep (photos older than two minutes) cannot be what makes them.
    for photo in (from_the_page, from_the_phone):
        assert wait_for(lambda: Photo.objects.get(pk=photo.pk).thumbnail, timeout=20), celery_worker
        with Photo.objects.get(pk=photo.pk).thumbnail.open("rb") as stored, Image.open(stored) as thumbnail:
            assert max(thumbnail.size) == 480
        # The watermarked display copy (patrol.watermark) comes the same way, from a task of its own.
        assert wait_for(lambda: Photo.objects.get(pk=photo.pk).display, timeout=20), celery_worker
