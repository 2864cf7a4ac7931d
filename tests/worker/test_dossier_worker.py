"""The case file of a case with many photos, built by a real Celery worker while the client polls its URL."""
import hashlib
import io
import uuid

import pytest
from django.core.files.base import ContentFile
from PIL import Image
from pypdf import PdfReader
from rest_framework.test import APIClient

from documents import dossier
from documents.choices import DocumentKind
from documents.models import DossierJob
from patrol import workflow
from tests.documents.conftest import issue
from tests.factories import finding
from tests.worker.conftest import wait_for


@pytest.fixture
def media(settings, tmp_path):
    # Before the worker starts: it is given this MEDIA_ROOT, so it reads the files the web process stored.
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def photo(case, user, colour):
    out = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(out, "JPEG")
    data = out.getvalue()
    return workflow.attach_photo(case_id=case.pk, actor=user, client_uuid=uuid.uuid4(), file=ContentFile(data),
                                 sha256=hashlib.sha256(data).hexdigest(), content_type="image/jpeg",
                                 size_bytes=len(data), taken_at=case.observed_at, stage="before")


@pytest.mark.postgres_only
def test_a_case_with_many_photos_gets_its_dossier_from_the_worker(media, celery_worker, users, monkeypatch):
    monkeypatch.setattr(dossier, "SYNC_PHOTO_LIMIT", 2)  # in this (web) process only: three photos are "many"
    case, _ = workflow.report_finding(actor=users["inspector"], **finding(party_name="李四"))
    case = workflow.file_case(case_id=case.pk, actor=users["supervisor"], legal_basis="planning_art65", note="符合立案条件")
    issue(case, DocumentKind.INSPECTION_RECORD, users["supervisor"])
    for colour in ((200, 0, 0), (0, 200, 0), (0, 0, 200)):
        photo(case, users["inspector"], colour)
    client = APIClient()
    client.force_authenticate(users["supervisor"])
    url = f"/api/v1/cases/{case.pk}/dossier.pdf"

    first = client.get(url)
    assert first.status_code == 202 and first.json()["status"] in ("queued", "running")
    answers = []

    def ready():
        answers.append(client.get(url))
        return answers[-1].status_code == 200

    assert wait_for(ready, timeout=60, interval=0.5), celery_worker
    job = DossierJob.objects.get(case=case)
    assert job.status == DossierJob.Status.DONE and job.progress == 100
    body = b"".join(answers[-1].streaming_content)
    assert len(PdfReader(io.BytesIO(body)).pages) == job.page_count >= 2 + 1 + 3 + 1
