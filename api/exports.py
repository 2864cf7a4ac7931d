"""Ledger exports: ``GET /api/v1/cases/export.{xlsx,csv,geojson,kml}`` and the jobs of large exports.

The exports take the query parameters of the case list and the map (api.filters.CaseFilter) plus the
ledger's ``ordering``. Up to LEDGER_SYNC_LIMIT rows the file is the answer; above it the answer is 202
with an ExportJob that a Celery worker builds, whose status and file only its owner can read.
"""
import re
import tempfile
from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.filters import CaseFilter
from patrol import exports
from patrol.errors import NotFound
from patrol.models import Case
from worker.enqueue import enqueue_on_commit
from worker.models import ExportJob

def content_disposition(jurisdiction_code, fmt, day):
    """``attachment`` with an ASCII name for old clients and the Chinese one in RFC 5987 ``filename*``."""
    name = exports.export_filename(jurisdiction_code, fmt, day)
    fallback = re.sub(r"[^A-Za-z0-9._-]", "_", f"{jurisdiction_code or 'cases'}-ledger-{day:%Y-%m-%d}.{fmt}")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def file_response(filelike, fmt, jurisdiction_code, day):
    response = FileResponse(filelike, content_type=exports.FORMATS[fmt].content_type)
    response["Content-Disposition"] = content_disposition(jurisdiction_code, fmt, day)
    # Party names and phone numbers: kept by no cache.
    response["Cache-Control"] = "private, no-store"
    return response


def own_jobs(user):
    # A user who moved to another jurisdiction no longer reaches the exports of the old one.
    return ExportJob.objects.filter(user=user, jurisdiction_id=user.jurisdiction_id)


def own_job(user, pk):
    job = own_jobs(user).select_related("jurisdiction").filter(pk=pk).first()
    if job is None:
        raise NotFound()
    return job


class ExportJobSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display")
    status_url = serializers.SerializerMethodField()
    file_url = serializers.SerializerMethodField()
    filename = serializers.SerializerMethodField()

    class Meta:
        model = ExportJob
        fields = ["id", "format", "status", "status_display", "progress", "row_count", "created_at", "finished_at",
                  "error", "status_url", "file_url", "filename"]

    def get_status_url(self, job) -> str:
        return reverse("api-export-job", args=[job.pk])

    def get_file_url(self, job) -> str | None:
        return reverse("api-export-job-file", args=[job.pk]) if job.status == ExportJob.Status.DONE else None

    def get_filename(self, job) -> str:
        return exports.export_filename(job.jurisdiction.code, job.format, timezone.localdate(job.created_at))


class CaseExportView(APIView):
    """The filtered cases of the user's jurisdiction as a file: Excel, CSV (UTF-8 with BOM), GeoJSON or KML.

    Takes the query parameters of the case list (status, overdue, village, category, stage, campaign,
    inspector, reported_from, reported_to, q) and ``ordering`` (reference, village, created_at, deadline,
    status; "-" for descending). More than LEDGER_SYNC_LIMIT rows: 202 with an export job to poll instead.
    """

    # Read by the schema only: exports.cases_matching applies the same filters.
    filter_backends = [DjangoFilterBackend]
    filterset_class = CaseFilter
    queryset = Case.objects.none()

    @extend_schema(
        parameters=[OpenApiParameter("fmt", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(exports.FORMATS)),
                    OpenApiParameter("ordering", OpenApiTypes.STR, enum=[
            prefix + key for key in exports.LEDGER_ORDERINGS for prefix in ("", "-")])],
        filters=True,
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 202: ExportJobSerializer,
                   400: OpenApiResponse(description="Invalid filter values"),
                   404: OpenApiResponse(description="Unknown format")},
    )
    def get(self, request, fmt):
        if fmt not in exports.FORMATS:
            raise NotFound(_("不支持的导出格式：%(format)s") % {"format": fmt})
        cases = exports.cases_matching(request.user, request.query_params)
        if cases.count() > exports.sync_limit():
            return self.start_job(request, fmt)
        # In memory up to a few MB, on disk beyond: the sync limit keeps this to seconds either way.
        scratch = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
        exports.FORMATS[fmt].write(cases, scratch, site_url=settings.SITE_URL)
        scratch.seek(0)
        code = request.user.jurisdiction.code if request.user.jurisdiction_id else ""
        return file_response(scratch, fmt, code, timezone.localdate())

    # The answer is a file whatever the client accepts; only errors are JSON.
    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)

    def start_job(self, request, fmt):
        user = request.user
        query = exports.ledger_query(request.query_params)
        # Asking twice for the same export while it is being built gives the same job.
        job = own_jobs(user).filter(format=fmt, query=query,
                                    status__in=[ExportJob.Status.QUEUED, ExportJob.Status.RUNNING],
                                    updated_at__gte=timezone.now() - exports.STALE_JOB_AFTER).first()
        if job is None:
            job = ExportJob.objects.create(user=user, jurisdiction_id=user.jurisdiction_id, format=fmt, query=query,
                                           language=get_language() or settings.LANGUAGE_CODE)
        if job.status == ExportJob.Status.QUEUED:
            from worker.tasks import build_export

            # Queued again when asked again: the broker may have been down the first time; the task
            # takes the job only once.
            enqueue_on_commit(build_export, job.pk)
        status_url = reverse("api-export-job", args=[job.pk])
        if "text/html" in request.headers.get("Accept", ""):
            # A browser followed the export link: show the job's progress on the ledger page.
            ledger = reverse("ledger") + "?" + "&".join(filter(None, [query, f"job={job.pk}"]))
            return HttpResponseRedirect(ledger, status=status.HTTP_303_SEE_OTHER)
        job.jurisdiction = user.jurisdiction
        return Response(ExportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED,
                        headers={"Location": status_url})


class ExportJobView(APIView):
    """The status and progress of one of the user's export jobs; ``file_url`` once it is done."""

    @extend_schema(responses={200: ExportJobSerializer, 404: OpenApiResponse(description="Not the user's job")})
    def get(self, request, pk):
        job = own_job(request.user, pk)
        return Response(ExportJobSerializer(job).data, headers={"Cache-Control": "private, no-store"})


class ExportJobFileView(APIView):
    """The file of a finished export job, to the user who asked for it only."""

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY,
                              404: OpenApiResponse(description="Not the user's job, or not finished")})
    def get(self, request, pk):
        job = own_job(request.user, pk)
        if job.status != ExportJob.Status.DONE or not job.file:
            raise NotFound(_("导出文件尚未生成"))
        return file_response(job.file.open("rb"), job.format, job.jurisdiction.code,
                             timezone.localdate(job.created_at))

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)
