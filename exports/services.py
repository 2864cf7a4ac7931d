"""Ledger exports (台账): which cases an export holds, and the jobs that build the large ones in a worker.

Up to ``sync_limit()`` rows the file is written within the request (``exports.formats``); above it an ExportJob
is recorded and ``worker.tasks.build_export`` runs ``run_export_job``, once, even when queued twice.
"""
import logging
import tempfile
from datetime import timedelta

from django.conf import settings
from django.core.files import File
from django.db import models
from django.http import QueryDict
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.queue import enqueue_on_commit
from exports.formats import FORMATS
from exports.models import ExportJob
from exports.selectors import own_jobs
from patrol import selectors
from patrol.errors import DomainError, InvalidInput, NotFound
from patrol.filters import CaseFilter
from patrol.ordering import order_cases

logger = logging.getLogger(__name__)

# Parameters of the ledger page that are not part of what is exported.
NOT_EXPORTED = {"page", "job", "format"}


def ledger_query(params):
    """The query string that defines an export: the filters and the ordering, without empty values."""
    query = params.copy()
    for key in list(query):
        values = [value for value in query.getlist(key) if value.strip()]
        if key in NOT_EXPORTED or not values:
            del query[key]
        else:
            query.setlist(key, values)
    return query.urlencode()


def cases_matching(user, params):
    """The user's cases narrowed by the list's query parameters (CaseFilter) and sorted by ``ordering``.

    Raises InvalidInput naming the parameters that are not valid.
    """
    filterset = CaseFilter(params, queryset=selectors.cases_for(user))
    if not filterset.is_valid():
        raise InvalidInput(fields={name: [str(m) for m in messages] for name, messages in filterset.errors.items()})
    return order_cases(filterset.qs, params.get("ordering"))


def request_export_job(*, user, fmt, params, language):
    """Record (or find) the job of a large export and queue it; returns the job.

    Asking twice for the same export while it is being built gives the same job; it is queued again each time
    (the broker may have been down the first time), and the task takes the job only once.
    """
    if fmt not in FORMATS:
        raise NotFound(_("不支持的导出格式：%(format)s") % {"format": fmt})
    query = ledger_query(params)
    job = own_jobs(user).filter(format=fmt, query=query, status__in=[ExportJob.Status.QUEUED, ExportJob.Status.RUNNING],
                                updated_at__gte=timezone.now() - STALE_JOB_AFTER).first()
    if job is None:
        job = ExportJob.objects.create(user=user, jurisdiction_id=user.jurisdiction_id, format=fmt, query=query,
                                       language=language)
    if job.status == ExportJob.Status.QUEUED:
        enqueue_on_commit("worker.tasks.build_export", job.pk)
    return job


def sync_limit():
    """Above this many rows an export runs as a Celery job instead of within the request."""
    return getattr(settings, "LEDGER_SYNC_LIMIT", 20_000)


# A running job that has not reported progress for this long lost its worker and may be taken over.
STALE_JOB_AFTER = timedelta(minutes=5)


def run_export_job(job_id):
    """Build the file of one ExportJob. Safe to run twice: a done or failed job is left alone, and so is a
    running one that still reports progress (another worker has it). Returns True when it built the file.
    """
    now = timezone.now()
    claimable = models.Q(status=ExportJob.Status.QUEUED) | models.Q(status=ExportJob.Status.RUNNING,
                                                                      updated_at__lt=now - STALE_JOB_AFTER)
    claimed = ExportJob.objects.filter(claimable, pk=job_id).update(
        status=ExportJob.Status.RUNNING, started_at=now, updated_at=now, progress=0, error="")
    if not claimed:
        return False
    job = ExportJob.objects.select_related("user", "jurisdiction").get(pk=job_id)
    jobs = ExportJob.objects.filter(pk=job_id)
    try:
        with translation.override(job.language):
            if job.user.jurisdiction_id != job.jurisdiction_id:
                raise DomainError(_("您已不属于该执法单位，无法导出其案件"))
            cases = cases_matching(job.user, QueryDict(job.query))
            total = cases.count()
            last = [0]

            def report(done):
                percent = min(99, done * 100 // max(total, 1))
                if percent > last[0]:
                    last[0] = percent
                    jobs.update(progress=percent, updated_at=timezone.now())

            with tempfile.TemporaryFile() as scratch:
                rows = FORMATS[job.format].write(cases, scratch, site_url=settings.SITE_URL, progress=report)
                scratch.seek(0)
                if job.file:
                    job.file.delete(save=False)
                job.file.save(f"ledger.{job.format}", File(scratch), save=False)
    except Exception as exc:  # noqa: BLE001 - the job records any failure; the user may ask again
        if isinstance(exc, DomainError):
            message = str(exc.message)
        else:
            logger.exception("Export job %s failed", job_id)
            with translation.override(job.language):
                message = _("导出失败，请稍后重试")
        jobs.update(status=ExportJob.Status.FAILED, error=message, finished_at=timezone.now(),
                    updated_at=timezone.now())
        return False
    jobs.update(status=ExportJob.Status.DONE, progress=100, row_count=rows, file=job.file.name,
                finished_at=timezone.now(), updated_at=timezone.now())
    return True


def requeue_stale_jobs(now=None):
    """Jobs still queued a minute after they were asked for (the broker was down), or running without progress
    for a while (their worker died), queued again; returns their ids."""
    now = now or timezone.now()
    stale = (ExportJob.objects.filter(status=ExportJob.Status.QUEUED, created_at__lt=now - timedelta(minutes=1))
             | ExportJob.objects.filter(status=ExportJob.Status.RUNNING, updated_at__lt=now - STALE_JOB_AFTER))
    ids = list(stale.values_list("pk", flat=True)[:100])
    for job_id in ids:
        enqueue_on_commit("worker.tasks.build_export", job_id)
    return ids


def delete_old_jobs(days=7):
    """Export files hold personal data (当事人): delete jobs and their files ``days`` after they were asked for."""
    for job in ExportJob.objects.filter(created_at__lt=timezone.now() - timedelta(days=days)).iterator():
        if job.file:
            job.file.delete(save=False)
        job.delete()
