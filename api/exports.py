"""Ledger exports: ``GET /api/v1/cases/export.{xlsx,csv,geojson,kml}`` and the jobs of large exports.

The exports take the query parameters of the case list and the map (patrol.filters.CaseFilter) plus the
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

from api.filters import choice_param, refuse_empty
from exports import formats, services
from exports.models import ExportJob
from exports.selectors import own_job
from patrol.errors import NotFound
from patrol.filters import CaseFilter
from patrol.models import Case
from patrol.ordering import ORDERING_CHOICES

# The file's media type is the format's (exports.formats.FORMATS): one 200 answer for each. GeoJSON is JSON:
# documented as an object, so that a client (and schemathesis) may read it as one.
FILE_RESPONSES = {
    (200, fmt.content_type.split(";")[0]): OpenApiResponse(
        OpenApiTypes.OBJECT if key == "geojson" else OpenApiTypes.BINARY,
        description="The file, in the format asked for")
    for key, fmt in formats.FORMATS.items()}


def content_disposition(jurisdiction_code, fmt, day):
    """``attachment`` with an ASCII name for old clients and the Chinese one in RFC 5987 ``filename*``."""
    name = formats.export_filename(jurisdiction_code, fmt, day)
    fallback = re.sub(r"[^A-Za-z0-9._-]", "_", f"{jurisdiction_code or 'cases'}-ledger-{day:%Y-%m-%d}.{fmt}")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def file_response(filelike, fmt, jurisdiction_code, day):
    response = FileResponse(filelike, content_type=formats.FORMATS[fmt].content_type)
    response["Content-Disposition"] = content_disposition(jurisdiction_code, fmt, day)
    # Party names and phone numbers: kept by no cache.
    response["Cache-Control"] = "private, no-store"
    return response


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
        return formats.export_filename(job.jurisdiction.code, job.format, timezone.localdate(job.created_at))


class CaseExportView(APIView):
    """The filtered cases of the user's jurisdiction as a file: Excel, CSV (UTF-8 with BOM), GeoJSON or KML.

    Takes the query parameters of the case list (status, overdue, village, category, stage, campaign,
    inspector, reported_from, reported_to, q) and ``ordering`` (reference, village, created_at, deadline,
    status; "-" for descending). More than LEDGER_SYNC_LIMIT rows: 202 with an export job to poll instead.
    """

    # Read by the schema only: exports.services.cases_matching applies the same filters.
    filter_backends = [DjangoFilterBackend]
    filterset_class = CaseFilter
    queryset = Case.objects.none()

    @extend_schema(
        parameters=[OpenApiParameter("fmt", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(formats.FORMATS)),
                    OpenApiParameter("ordering", OpenApiTypes.STR, enum=ORDERING_CHOICES)],
        filters=True,
        responses={**FILE_RESPONSES, 202: ExportJobSerializer,
                   400: OpenApiResponse(description="Invalid filter values"),
                   404: OpenApiResponse(description="Unknown format")},
    )
    def get(self, request, fmt):
        if fmt not in formats.FORMATS:
            raise NotFound(_("不支持的导出格式：%(format)s") % {"format": fmt})
        # As the case list: a filter sent empty, or an ordering not offered, is a 400 rather than quietly ignored.
        refuse_empty(request.query_params, [name for name in CaseFilter.base_filters if name != "q"])
        choice_param(request.query_params, "ordering", ORDERING_CHOICES, None)
        cases = services.cases_matching(request.user, request.query_params)
        if cases.count() > services.sync_limit():
            return self.start_job(request, fmt)
        # In memory up to a few MB, on disk beyond: the sync limit keeps this to seconds either way.
        scratch = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
        formats.FORMATS[fmt].write(cases, scratch, site_url=settings.SITE_URL)
        scratch.seek(0)
        code = request.user.jurisdiction.code if request.user.jurisdiction_id else ""
        return file_response(scratch, fmt, code, timezone.localdate())

    # The answer is a file whatever the client accepts; only errors are JSON.
    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)

    def start_job(self, request, fmt):
        user = request.user
        job = services.request_export_job(user=user, fmt=fmt, params=request.query_params,
                                          language=get_language() or settings.LANGUAGE_CODE)
        query = job.query
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

    @extend_schema(responses={**FILE_RESPONSES,
                              404: OpenApiResponse(description="Not the user's job, or not finished")})
    def get(self, request, pk):
        job = own_job(request.user, pk)
        if job.status != ExportJob.Status.DONE or not job.file:
            raise NotFound(_("导出文件尚未生成"))
        return file_response(job.file.open("rb"), job.format, job.jurisdiction.code,
                             timezone.localdate(job.created_at))

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)
