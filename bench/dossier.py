"""The case file (案卷) and its documents as PDF (issue #14), printed, not asserted:

  a. the time to issue a one-page document (documents.services.issue_document: number, content, WeasyPrint render,
     store), per page, target ≤ 1 s per page;
  b. the time a real Celery worker takes to build the dossier of a case with 30 phone photos (from the request
     that queues worker.tasks.build_dossier to the job done, once the worker made the thumbnails and display
     copies the uploads queued before it), target ≤ 15 s; and ÷ the same build in this process;
  c. the PDF bytes per photo page of that dossier, target ≤ 400 KB (photos are downscaled for print; the
     originals stay in the evidence store), and the originals' mean size for scale.

On a throw-away PostGIS test database (test_<name of DATABASE_URL>) and Redis (REDIS_URL) with a worker started
here (`celery -A worker worker --pool=solo`), media in a temporary folder:

  DATABASE_URL=postgis://postgres@127.0.0.1:5432/xbenchdoc REDIS_URL=redis://127.0.0.1:6379/3 \\
      .venv/bin/python bench/dossier.py
"""
import hashlib
import io
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This folder has a documents.py of its own: the app of that name must win, so the folder leaves the path.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

from bench._setup import django_with_test_database  # noqa: E402

MEDIA = tempfile.mkdtemp(prefix="xbench-media-")
os.environ["MEDIA_ROOT"] = MEDIA
PHOTOS = 30
RUNS = 5


def camera_jpeg(seed, size=(4000, 3000)):
    """A 12 MP phone photo: detail everywhere (noise over a gradient), a few MB as the camera writes it."""
    from PIL import Image

    rng = random.Random(seed)
    base = Image.linear_gradient("L").resize(size).convert("RGB")
    noise = Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))
    out = io.BytesIO()
    Image.blend(base, noise, 0.2).save(out, "JPEG", quality=90)
    return out.getvalue()


def timed(function, runs=RUNS):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main():
    drop = django_with_test_database()
    worker = None
    try:
        from django.conf import settings
        from django.contrib.gis.geos import Point
        from django.core.files.base import ContentFile
        from django.db import connection, transaction
        from django.db.models import Q
        from django.utils import timezone
        from pypdf import PdfReader

        from documents import dossier
        from documents.choices import DocumentKind
        from documents.models import DossierJob
        from documents.services import issue_document
        from patrol import workflow
        from patrol.choices import Role
        from patrol.models import Case, Photo
        from tests.factories import JurisdictionFactory, UserFactory, VillageFactory, finding, square
        from worker.celery import app

        settings.MEDIA_ROOT = MEDIA
        jurisdiction = JurisdictionFactory(code="TST", name="测试执法队", boundary=square(111.60, 40.70, 0.04))
        VillageFactory(jurisdiction=jurisdiction, name="东村", boundary=square(111.60, 40.70))
        inspector = UserFactory(username="b_inspector", role=Role.INSPECTOR, jurisdiction=jurisdiction)
        supervisor = UserFactory(username="b_supervisor", role=Role.SUPERVISOR, jurisdiction=jurisdiction)
        case, _ = workflow.report_finding(actor=inspector, **finding(party_name="张三", address="村东头12号"))
        workflow.file_case(case_id=case.pk, actor=supervisor, legal_basis="planning_art65", note="符合立案条件")

        def issue(kind, **kwargs):
            with transaction.atomic():
                locked = Case.objects.select_for_update().select_related("jurisdiction").get(pk=case.pk)
                return issue_document(case=locked, kind=kind, content={}, actor=supervisor, **kwargs)

        import documents.rendering  # noqa: F401 - fonts loaded by the first render, not counted below
        issue(DocumentKind.INSPECTION_RECORD)
        seconds, document = timed(lambda: issue(DocumentKind.RECTIFICATION_ORDER, period_days=10))
        pages = len(PdfReader(io.BytesIO(document.pdf.open("rb").read())).pages)
        print(f"Xuncha dossier benchmark · {datetime.now():%Y-%m-%d %H:%M} · {os.cpu_count()} CPUs "
              f"(load {', '.join(f'{x:.1f}' for x in os.getloadavg())})")
        print(f"a. issue a 责令限期改正通知书 ({pages} page), median of {RUNS}: {seconds:.2f} s per page "
              f"(target ≤ 1 s) · ratio to target {seconds / pages:.2f}")

        originals = 0
        for index in range(PHOTOS):
            data = camera_jpeg(index)
            originals += len(data)
            when = timezone.now()
            workflow.attach_photo(case_id=case.pk, actor=inspector, client_uuid=uuid.uuid4(), file=ContentFile(data),
                                  sha256=hashlib.sha256(data).hexdigest(), content_type="image/jpeg",
                                  size_bytes=len(data), taken_at=when, stage="before",
                                  location=Point(111.601, 40.701, srid=4326), accuracy_m=5, now=when)
        case.refresh_from_db()

        database = settings.DATABASES["default"]
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "MEDIA_ROOT": MEDIA,
               "DATABASE_URL": f"postgis://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"}
        hostname = f"bench-{uuid.uuid4().hex[:8]}@bench"
        log = open(os.path.join(MEDIA, "worker.log"), "w")
        worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "worker", "worker", "--pool=solo",
                                   "--loglevel=WARNING", "--without-gossip", "--without-mingle",
                                   "--without-heartbeat", f"--hostname={hostname}"],
                                  cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[hostname], timeout=0.5):
            if time.monotonic() > deadline:
                raise SystemExit("the worker did not start; see " + log.name)
        connection.close()  # the worker reads what this process committed

        # Each upload queued its thumbnail and its watermarked display copy (worker.tasks.make_thumbnail,
        # make_display_copy) on the same queue: a worker takes them before the dossier, so they are left to finish
        # first and timed apart (they are the uploads' work).
        start = time.perf_counter()
        while Photo.objects.filter(case=case).filter(Q(thumbnail="") | Q(display="")).exists():
            if time.perf_counter() - start > 300:
                raise SystemExit("no thumbnails and display copies after 5 minutes; see " + log.name)
            time.sleep(0.1)
        print(f"   (the {PHOTOS} thumbnails and display copies the uploads queued, made by the worker first: "
              f"{time.perf_counter() - start:.2f} s from the worker's start)")

        start = time.perf_counter()
        with transaction.atomic():
            job = dossier.request_dossier_job(Case.objects.get(pk=case.pk))
        while True:
            job.refresh_from_db()
            if job.status in (DossierJob.Status.DONE, DossierJob.Status.FAILED):
                break
            if time.perf_counter() - start > 300:
                raise SystemExit("no dossier after 5 minutes; see " + log.name)
            time.sleep(0.1)
        in_worker = time.perf_counter() - start
        if job.status != DossierJob.Status.DONE:
            raise SystemExit(f"the job failed: {job.error}")
        build = (job.finished_at - job.created_at).total_seconds()
        print(f"b. dossier of a case with {PHOTOS} photos in the worker ({job.page_count} pages, "
              f"{job.file.size / 1e6:.1f} MB): {in_worker:.2f} s from the request to done "
              f"(job row: {build:.2f} s) (target ≤ 15 s) · ratio to target {in_worker / 15:.2f}")

        start = time.perf_counter()
        built = dossier.build_dossier(Case.objects.select_related("jurisdiction").get(pk=case.pk))
        here = time.perf_counter() - start
        print(f"   the same build in this process: {here:.2f} s · worker ÷ in-process {in_worker / here:.2f}")
        photos = built.parts[-2]
        per_page = len(photos.pdf) / photos.pages
        print(f"c. photo pages: {photos.pages}, {len(photos.pdf) / 1e6:.2f} MB, {per_page / 1024:.0f} KB per page "
              f"(target ≤ 400 KB) · ratio to target {per_page / (400 * 1024):.2f}; originals "
              f"{originals / PHOTOS / 1e6:.2f} MB each on average (page ÷ original {per_page / (originals / PHOTOS):.3f})")
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)
        drop()


if __name__ == "__main__":
    main()
