"""The case file (案卷) as one PDF: cover, table of contents, every issued document, the photos, the event record.

The issued documents go in as their stored PDFs, byte for byte what was served (their SHA-256 is in the record);
only the cover, the contents, the photo pages and the record are rendered here. The page numbers in the
contents depend on how many pages the cover and contents take themselves, so every other part is counted
first and the front is rendered until its own length stops changing (once, unless the contents spill onto
another page).

Every page of the file carries its running number (卷内页号) in the upper right corner, stamped over the
assembled file (number_pages): the numbers the cover's page count and the contents give, while the documents
keep their own 第x页 共y页 at the bottom, as served.

Photos are printed from a downscaled copy (PHOTO_PRINT_MAX_PX) with the band of their display copy (time,
position, case, taker: patrol.watermark), so a photo page stays under 400 KB; the originals stay in the evidence
store and the caption gives their SHA-256.
"""
import io
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from pypdf import PdfReader, PdfWriter

from documents.choices import DocumentKind
from documents.context import issuer_name
from documents.images import print_copy
from documents.legal import basis_content
from core.queue import enqueue_on_commit
from documents.models import Document, DossierJob
from documents.rendering import html_to_pdf
from patrol.choices import Status
from patrol.models import CaseEvent, Photo
from patrol.presentation import event_label

logger = logging.getLogger(__name__)

# 160 mm of print width at about 190 dpi; JPEG quality 80 keeps a full page photo near 200–300 KB.
PHOTO_PRINT_MAX_PX = 1200
PHOTO_PRINT_QUALITY = 80


@dataclass
class Part:
    """One section of the file: its title in the contents and the outline, and its PDF."""

    title: str
    pdf: bytes
    number: str = ""
    date: object = None
    pages: int = field(init=False)

    def __post_init__(self):
        self.pages = len(PdfReader(io.BytesIO(self.pdf)).pages)


@dataclass
class Dossier:
    pdf: bytes
    front_pages: int
    parts: list

    @property
    def page_count(self):
        return self.front_pages + sum(part.pages for part in self.parts)


def _render(template, title, context):
    with translation.override("zh-hans"):
        html = render_to_string(f"documents/dossier/{template}.html", {"title": title, "footer": title, **context})
    return html_to_pdf(html, identifier=title.encode("utf-8"))


def dossier_documents(case):
    """Every document issued on the case, in issue order (a 送达回证 after the service it records); a cover
    issued as a document is left out: this file has its own."""
    return (Document.objects.filter(case=case).exclude(kind=DocumentKind.DOSSIER_COVER)
            .order_by("issued_at", "pk"))


def dossier_photos(case):
    return Photo.objects.filter(case=case).select_related("case", "uploaded_by").order_by("taken_at", "pk")


def _local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def _position(photo):
    if photo.location is None:
        return ""
    text = f"北纬{photo.location.y:.6f}°，东经{photo.location.x:.6f}°"
    return f"{text}（精度约{photo.accuracy_m:.0f}米）" if photo.accuracy_m is not None else text


def _photo_entry(photo):
    return {"uri": print_copy(photo, PHOTO_PRINT_MAX_PX, PHOTO_PRINT_QUALITY, draft=True), "stage": photo.get_stage_display(),
            "taken_at": _local(photo.taken_at), "position": _position(photo), "sha256_prefix": photo.sha256[:16],
            "taken_by": photo.uploaded_by.display_name}


def _status(code):
    return str(Status(code).label) if code in Status.values else code


def _event_entry(event):
    status = (f"{_status(event.from_status)}→{_status(event.to_status)}" if event.from_status != event.to_status
              else _status(event.to_status))
    return {"seq": event.seq, "at": _local(event.created_at), "actor": event.actor.display_name if event.actor else "",
            "action": event_label(event.action), "status": status, "note": event.note,
            "prev_hash": event.prev_hash, "hash": event.hash}


def _cover(case, *, page_count, contents):
    with translation.override("zh-hans"):
        basis = basis_content(case)
        filed = case.events.filter(action="file").order_by("seq").values_list("created_at", flat=True).first()
        return {
            "issuer": issuer_name(case.jurisdiction), "reference": case.reference, "party": case.party_name,
            "cause": f"{case.get_category_display()}（{case.get_stage_display()}）",
            "legal_basis": f"{basis['law']}{basis['violated']}；{basis['articles']}",
            "opened_on": timezone.localdate(filed) if filed else timezone.localdate(case.created_at),
            "closed_on": timezone.localdate(case.closed_at) if case.closed_at else None,
            "retention_years": case.jurisdiction.evidence_retention_years,
            "page_count": page_count, "contents": contents,
            # An open case's file is a preview of the record so far, not the file that is archived.
            "preview": case.is_open,
        }


def _front(case, parts, front_pages):
    contents = [{"title": "案卷封面", "number": "", "date": None, "page": 1},
                {"title": "卷内文件目录", "number": "", "date": None, "page": 2}]
    page = front_pages + 1
    for part in parts:
        contents.append({"title": part.title, "number": part.number, "date": part.date, "page": page})
        page += part.pages
    return _render("front", f"案卷 {case.reference}",
                   {"c": _cover(case, page_count=page - 1, contents=contents)})


def number_pages(writer):
    """Stamp the running page number (卷内页号, 1 to N, the numbers the cover and the contents give) in the upper right
    corner of every page of ``writer``: the documents keep their own 第x页 共y页 at the bottom, as served."""
    with translation.override("zh-hans"):
        html = render_to_string("documents/dossier/page_numbers.html",
                                {"numbers": range(1, len(writer.pages) + 1)})
    stamps = PdfReader(io.BytesIO(html_to_pdf(html))).pages
    for page, stamp in zip(writer.pages, stamps, strict=True):
        # Aligned on the upper right corner, whatever the page's own size.
        page.merge_translated_page(stamp, tx=float(page.mediabox.right) - float(stamp.mediabox.right),
                                   ty=float(page.mediabox.top) - float(stamp.mediabox.top))


def build_dossier(case, progress=None):
    """The case file of ``case`` as a Dossier (PDF bytes and the page count of each part).

    ``progress(percent)`` is called as the parts are made (the photos take most of the time). Chinese whatever the
    language of the request that builds it within (builds_inline): the photos' stages, the record's actions and
    statuses are read here, outside the templates.
    """
    with translation.override("zh-hans"):
        return _build_dossier(case, progress)


def _build_dossier(case, progress):
    report = progress or (lambda percent: None)
    parts = []
    for document in dossier_documents(case):
        with document.pdf.open("rb") as handle:
            parts.append(Part(title=document.content.get("title") or str(document.get_kind_display()),
                              pdf=handle.read(), number=document.number, date=document.issued_on))
    report(10)
    photos = list(dossier_photos(case))
    entries = []
    for index, photo in enumerate(photos, 1):
        entries.append(_photo_entry(photo))
        report(10 + 70 * index // len(photos))
    if entries:
        parts.append(Part(title="照片证据", pdf=_render("photos", f"照片证据 {case.reference}", {"photos": entries}),
                          date=None))
    events = CaseEvent.objects.filter(case=case).select_related("actor").order_by("seq")
    parts.append(Part(title="全过程记录", pdf=_render("record", f"全过程记录 {case.reference}",
                                                   {"events": [_event_entry(e) for e in events]})))
    report(90)
    # The front's length moves the page numbers it prints: render until it agrees with itself.
    front_pages = 2
    for _attempt in range(5):
        front = _front(case, parts, front_pages)
        actual = len(PdfReader(io.BytesIO(front)).pages)
        if actual == front_pages:
            break
        front_pages = actual
    writer = PdfWriter()
    writer.append(io.BytesIO(front), import_outline=False)
    writer.add_outline_item(title="案卷封面", page_number=0)
    writer.add_outline_item(title="卷内文件目录", page_number=1)
    start = front_pages
    for part in parts:
        writer.append(io.BytesIO(part.pdf), import_outline=False)
        title = f"{part.title}（{part.number}）" if part.number else part.title
        writer.add_outline_item(title=title, page_number=start)
        start += part.pages
    number_pages(writer)
    writer.add_metadata({"/Title": f"行政执法案卷 {case.reference}"})
    out = io.BytesIO()
    writer.write(out)
    report(100)
    return Dossier(pdf=out.getvalue(), front_pages=front_pages, parts=parts)


# --- the worker's path ------------------------------------------------------------------------------------

# Up to this many photos the file is built within the request (a few seconds); above it, by a worker.
SYNC_PHOTO_LIMIT = 10
# A running job that has not reported progress for this long lost its worker and may be taken over.
STALE_JOB_AFTER = timedelta(minutes=5)
# A failed job is reported as failed to whoever asks within this time, then queued again by the next request: the
# page polling every 2 s sees the failure and says so, instead of queuing a build that fails again every 2 s.
RETRY_FAILED_AFTER = timedelta(minutes=1)


def builds_inline(case):
    return Photo.objects.filter(case=case).count() <= SYNC_PHOTO_LIMIT


def request_dossier_job(case):
    """The job building the file of ``case`` as it is now (its ``version``), queued unless done or running.

    Asking again for a stalled job, or for one that failed more than RETRY_FAILED_AFTER ago, queues it again; one
    that failed since is returned failed, and a done one as it is.
    """
    job, _created = DossierJob.objects.get_or_create(case=case, case_version=case.version)
    now = timezone.now()
    if ((job.status == DossierJob.Status.FAILED and job.updated_at < now - RETRY_FAILED_AFTER)
            or (job.status == DossierJob.Status.RUNNING and job.updated_at < now - STALE_JOB_AFTER)):
        DossierJob.objects.filter(pk=job.pk).update(status=DossierJob.Status.QUEUED, progress=0, error="",
                                                    updated_at=timezone.now())
        job.refresh_from_db()
    if job.status == DossierJob.Status.QUEUED:
        # Queued again each time it is asked for (the broker may have been down); the task takes it once.
        enqueue_on_commit("worker.tasks.build_dossier", job.pk)
    return job


def run_dossier_job(job_id):
    """Build the file of one DossierJob. Safe to run twice: a done job, or one another worker is running, is left
    alone. Returns True when it built the file."""
    now = timezone.now()
    claimable = Q(status=DossierJob.Status.QUEUED) | Q(status=DossierJob.Status.RUNNING,
                                                       updated_at__lt=now - STALE_JOB_AFTER)
    jobs = DossierJob.objects.filter(pk=job_id)
    if not jobs.filter(claimable).update(status=DossierJob.Status.RUNNING, progress=0, error="", updated_at=now):
        return False
    job = DossierJob.objects.select_related("case__jurisdiction").get(pk=job_id)

    def report(percent):
        jobs.update(progress=min(percent, 99), updated_at=timezone.now())

    try:
        dossier = build_dossier(job.case, progress=report)
        job.file.save("dossier.pdf", ContentFile(dossier.pdf), save=False)
    except Exception:  # noqa: BLE001 - the job records the failure; asking again queues it again
        logger.exception("Dossier job %s failed", job_id)
        with translation.override("zh-hans"):
            message = str(_("案卷生成失败，请稍后重试"))
        jobs.update(status=DossierJob.Status.FAILED, error=message, updated_at=timezone.now())
        return False
    jobs.update(status=DossierJob.Status.DONE, progress=100, page_count=dossier.page_count, file=job.file.name,
                finished_at=timezone.now(), updated_at=timezone.now())
    return True


def delete_old_dossier_jobs(days):
    """A built file holds personal data (当事人) and is made again on request: delete the finished jobs (done or
    failed) older than ``days``, with their files. Returns how many were deleted. Safe to run twice."""
    cutoff = timezone.now() - timedelta(days=days)
    finished = DossierJob.objects.filter(status__in=(DossierJob.Status.DONE, DossierJob.Status.FAILED),
                                         updated_at__lt=cutoff)
    deleted = 0
    for job in finished.iterator():
        # The row goes first, the file after commit: a download never finds a row whose file is gone.
        name = job.file.name
        if DossierJob.objects.filter(pk=job.pk, updated_at__lt=cutoff).delete()[0]:
            deleted += 1
            if name:
                transaction.on_commit(lambda name=name: job.file.storage.delete(name))
    return deleted
