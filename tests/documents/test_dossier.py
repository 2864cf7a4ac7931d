"""The case file (案卷): GET /api/v1/cases/{id}/dossier.pdf, documents.dossier and worker.tasks.build_dossier."""
import hashlib
import io
import re
import random
import subprocess
import uuid
from datetime import timedelta

import pytest
from django.contrib.gis.geos import Point
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader
from rest_framework.test import APIClient

from documents import dossier
from documents.choices import DocumentKind
from documents.models import DossierJob
from patrol import workflow
from patrol.choices import Status
from patrol.models import Case
from tests.documents.conftest import at, flat, issue, needs_poppler, pdf_text
from tests.browser.conftest import ARTIFACTS
from tests.factories import finding
from worker import tasks

pytestmark = [pytest.mark.django_db]


def camera_jpeg(seed, size=(2400, 1800)):
    """A photo as a phone takes it: large, with detail everywhere (noise over a gradient), a few MB."""
    rng = random.Random(seed)
    base = Image.linear_gradient("L").resize(size).convert("RGB")
    noise = Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))
    out = io.BytesIO()
    Image.blend(base, noise, 0.25).save(out, "JPEG", quality=92)
    return out.getvalue()


def add_photo(case, user, seed, when):
    data = camera_jpeg(seed)
    return workflow.attach_photo(case_id=case.pk, actor=user, client_uuid=uuid.uuid4(), file=ContentFile(data),
                                 sha256=hashlib.sha256(data).hexdigest(), content_type="image/jpeg",
                                 size_bytes=len(data), taken_at=when, stage="before",
                                 location=Point(116.400123, 39.900456, srid=4326), accuracy_m=5, now=when)


def close(case, users):
    # The steps in between are not what a dossier test is about: the case is put in rectification as the order
    # would put it (the record checks only that its last event and the case agree, which legalize keeps).
    Case.objects.filter(pk=case.pk).update(status=Status.ORDERED)
    workflow.legalize(case_id=case.pk, actor=users["supervisor"], permit_number="乡字第001号", now=at(2026, 3, 6))
    return Case.objects.select_related("jurisdiction").get(pk=case.pk)


@pytest.fixture
def closed_case(filed_case, users):
    """A closed case with four issued documents (the 立案审批表 of filing first) and three photos."""
    case = filed_case
    issue(case, DocumentKind.INSPECTION_RECORD, users["supervisor"], now=at(2026, 3, 3))
    issue(case, DocumentKind.RECTIFICATION_ORDER, users["supervisor"], period_days=5, now=at(2026, 3, 4))
    issue(case, DocumentKind.CLOSING_APPROVAL, users["supervisor"], now=at(2026, 3, 6, 9))
    for seed in range(3):
        add_photo(case, users["inspector"], seed, at(2026, 3, 3, 11 + seed))
    return close(case, users)


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def pages(data):
    return len(PdfReader(io.BytesIO(data)).pages)


def outline_titles(reader):
    return [(item.title, reader.get_destination_page_number(item)) for item in reader.outline]


def download(case, user):
    response = client_for(user).get(f"/api/v1/cases/{case.pk}/dossier.pdf")
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/pdf"
    return b"".join(response.streaming_content)


@needs_poppler
def test_the_dossier_of_a_closed_case_is_cover_contents_documents_photos_and_record(closed_case, users, tmp_path):
    assert closed_case.status == Status.CLOSED
    body = download(closed_case, users["leader"])
    documents = list(dossier.dossier_documents(closed_case))
    assert [d.kind for d in documents] == [DocumentKind.FILING_APPROVAL, DocumentKind.INSPECTION_RECORD,
                                           DocumentKind.RECTIFICATION_ORDER, DocumentKind.CLOSING_APPROVAL]
    document_pages = [pages(d.pdf.read()) for d in documents]
    built = dossier.build_dossier(closed_case)
    record_pages = built.parts[-1].pages
    assert built.parts[-1].title == "全过程记录" and record_pages >= 1
    # One page per photo, each page the photo and its caption.
    assert built.parts[-2].title == "照片证据" and built.parts[-2].pages == 3
    assert built.front_pages == 2  # the cover, and a contents that fits on one page
    expected = 1 + 1 + sum(document_pages) + 3 + record_pages
    reader = PdfReader(io.BytesIO(body))
    assert len(reader.pages) == expected

    # The documents are in the file as issued: their pages' text is the stored PDFs' text (and the page number).
    first_document_page = reader.pages[2].extract_text()
    assert PdfReader(io.BytesIO(documents[0].pdf.open("rb").read())).pages[0].extract_text() in first_document_page

    outline = outline_titles(reader)
    starts = [2 + sum(document_pages[:i]) for i in range(4)]
    assert outline[:2] == [("案卷封面", 0), ("卷内文件目录", 1)]
    assert outline[2:6] == [(f"{d.content['title']}（{d.number}）", start) for d, start in zip(documents, starts)]
    photo_start = 2 + sum(document_pages)
    assert outline[6:] == [("照片证据", photo_start), ("全过程记录", photo_start + 3)]

    text = flat(pdf_text(body, tmp_path))
    cover = flat(pdf_text(body, tmp_path, "cover.pdf").split("\f")[0])
    assert closed_case.reference in cover
    assert "张三" in cover and "30年" in cover and f"共{expected}页" in cover
    assert "2026年3月2日" in cover and "2026年3月6日" in cover  # filed, closed
    contents = flat(pdf_text(body, tmp_path, "toc.pdf").split("\f")[1])
    for document, start in zip(documents, starts):
        # Each entry: title, number, date, and its page (1-based) in the file.
        assert f"{document.content['title']}{document.number}" in contents
        assert f"{document.issued_on.year}年{document.issued_on.month}月{document.issued_on.day}日{start + 1}" in contents
    assert f"照片证据{photo_start + 1}" in contents and f"全过程记录{photo_start + 4}" in contents
    photo = closed_case.photos.order_by("taken_at").first()
    assert photo.sha256[:16] in text and "北纬39.900456°" in text
    last_event = closed_case.events.order_by("-seq").first()
    assert last_event.hash in text


def corner_numbers(data, tmp_path):
    """The text in the upper right corner of each page (72 dpi, so the crop is in points of the A4 page)."""
    path = tmp_path / "numbered.pdf"
    path.write_bytes(data)
    return [subprocess.run(["pdftotext", "-r", "72", "-f", str(n), "-l", str(n), "-x", "440", "-y", "0", "-W", "155",
                            "-H", "55", str(path), "-"], capture_output=True, check=True, text=True).stdout.strip()
            for n in range(1, pages(data) + 1)]


@needs_poppler
def test_every_page_of_the_dossier_carries_the_running_number_the_cover_and_contents_count_with(
        closed_case, users, tmp_path):
    body = download(closed_case, users["leader"])
    count = pages(body)
    assert corner_numbers(body, tmp_path) == [str(n) for n in range(1, count + 1)]
    cover, contents = pdf_text(body, tmp_path).split("\f")[:2]
    assert f"共{count}页" in flat(cover)
    # Each line of the contents ends with the page its outline bookmark opens, and that page carries the same number.
    reader = PdfReader(io.BytesIO(body))
    for item in reader.outline[2:]:
        start = reader.get_destination_page_number(item) + 1
        line = next(line for line in contents.splitlines() if item.title.split("（")[0] in line)
        assert line.split()[-1] == str(start), (item.title, line)
    # A document's page as printed (to look at): its own 第x页 共y页 at the bottom, the file's number top right.
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-f", "3", "-l", "3", "-r", "50", "-png", "-singlefile", str(tmp_path / "numbered.pdf"),
                    str(ARTIFACTS / "dossier-page-3")], check=True)
    # The stored documents themselves are untouched: the number is stamped on the file's copy only.
    document = dossier.dossier_documents(closed_case).first()
    stored = document.pdf.open("rb").read()
    assert hashlib.sha256(stored).hexdigest() == document.sha256
    assert corner_numbers(stored, tmp_path) == [""] * pages(stored)


def test_a_photo_page_is_at_most_400_kb_while_the_original_is_kept_as_it_was(closed_case):
    photos = dossier.build_dossier(closed_case).parts[-2]
    assert len(photos.pdf) / photos.pages <= 400 * 1024
    original = closed_case.photos.order_by("taken_at").first()
    assert hashlib.sha256(original.file.open("rb").read()).hexdigest() == original.sha256
    assert original.file.size > 400 * 1024


@needs_poppler
def test_the_dossier_asked_for_in_english_is_chinese(closed_case, users, tmp_path):
    # Outside testing: a case file built within an English request printed the photos' stages and the record's
    # actions and statuses in English ("Before rectification", "Filed", "Closed").
    response = client_for(users["leader"]).get(f"/api/v1/cases/{closed_case.pk}/dossier.pdf",
                                               HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    text = flat(pdf_text(b"".join(response.streaming_content), tmp_path))
    assert "整改前" in text and "立案" in text and "已结案" in text
    assert not re.findall(r"\b(?:Before|Filed|Closed|Ordered|Reported|rectification)\b", text)


def test_another_jurisdictions_supervisor_gets_404_for_the_dossier(closed_case, users):
    response = client_for(users["other_supervisor"]).get(f"/api/v1/cases/{closed_case.pk}/dossier.pdf")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_case_with_many_photos_is_built_by_the_task_and_polled_until_done(closed_case, users, settings,
                                                                           django_capture_on_commit_callbacks,
                                                                           monkeypatch):
    monkeypatch.setattr(dossier, "SYNC_PHOTO_LIMIT", 2)
    queued = []
    monkeypatch.setattr("documents.dossier.enqueue_on_commit", lambda name, *args: queued.append((name, args)))
    client = client_for(users["supervisor"])
    url = f"/api/v1/cases/{closed_case.pk}/dossier.pdf"
    first = client.get(url)
    assert first.status_code == 202
    job = DossierJob.objects.get(case=closed_case)
    assert first.json() == {**first.json(), "id": job.pk, "status": "queued", "progress": 0, "status_url": url}
    assert queued == [("worker.tasks.build_dossier", (job.pk,))]

    tasks.build_dossier(job.pk)  # the task function itself, in this process (no worker)
    tasks.build_dossier(job.pk)  # a second delivery finds it done and builds nothing
    job.refresh_from_db()
    assert job.status == DossierJob.Status.DONE and job.progress == 100
    body = b"".join(client.get(url).streaming_content)
    assert pages(body) == job.page_count == dossier.build_dossier(closed_case).page_count
    assert DossierJob.objects.filter(case=closed_case).count() == 1

    # A new event makes a new version of the case, and so a new file.
    workflow.comment(case_id=closed_case.pk, actor=users["supervisor"], note="归档前补充说明")
    assert client.get(url).status_code == 202
    assert DossierJob.objects.filter(case=closed_case).count() == 2


def test_a_failed_build_is_reported_failed_to_the_polling_page_and_queued_again_only_a_minute_later(
        closed_case, users, monkeypatch):
    """The page polls every 2 s: a build that failed must be answered as failed (the page then says 案卷生成失败),
    not queued again at each poll to fail again every 2 s with the page showing "building" for ever."""
    monkeypatch.setattr(dossier, "SYNC_PHOTO_LIMIT", 2)
    queued = []
    monkeypatch.setattr("documents.dossier.enqueue_on_commit", lambda name, *args: queued.append((name, args)))
    client = client_for(users["supervisor"])
    url = f"/api/v1/cases/{closed_case.pk}/dossier.pdf"
    assert client.get(url).json()["status"] == "queued"
    job = DossierJob.objects.get(case=closed_case)

    def broken(case, progress=None):
        raise OSError("disk full")

    monkeypatch.setattr(dossier, "build_dossier", broken)
    tasks.build_dossier(job.pk)  # records the failure on the job
    job.refresh_from_db()
    assert job.status == DossierJob.Status.FAILED
    queued.clear()
    for _poll in range(3):
        answer = client.get(url)
        assert answer.status_code == 202
        assert answer.json()["status"] == "failed" and answer.json()["error"] == "案卷生成失败，请稍后重试"
    assert queued == []
    # A minute later, asking again (the user taps 下载案卷 again) queues it once more.
    DossierJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - dossier.RETRY_FAILED_AFTER
                                                - timedelta(seconds=1))
    assert client.get(url).json()["status"] == "queued"
    assert queued == [("worker.tasks.build_dossier", (job.pk,))]


@needs_poppler
def test_a_closed_case_page_offers_its_dossier_and_an_open_one_a_preview_marked_on_its_cover(closed_case, users,
                                                                                             client, tmp_path):
    client.force_login(users["supervisor"])
    url = f"/api/v1/cases/{closed_case.pk}/dossier.pdf"
    page = client.get(f"/cases/{closed_case.pk}/").content.decode()
    assert f'href="{url}"' in page and "下载案卷（PDF）" in page and "预览案卷" not in page
    assert "预览稿" not in flat(pdf_text(download(closed_case, users["supervisor"]), tmp_path))
    open_case, _ = workflow.report_finding(actor=users["inspector"], **finding())
    page = client.get(f"/cases/{open_case.pk}/").content.decode()
    assert f'href="/api/v1/cases/{open_case.pk}/dossier.pdf"' in page and "预览案卷（PDF）" in page
    assert "下载案卷" not in page
    preview = download(open_case, users["supervisor"])
    assert "预览稿：案件尚未结案，不作归档" in flat(pdf_text(preview, tmp_path))
    (tmp_path / "preview.pdf").write_bytes(preview)
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-singlefile", str(tmp_path / "preview.pdf"),
                    str(ARTIFACTS / "dossier-preview-cover")], check=True)
