"""Documents (执法文书) over HTTP: a case's documents with their services, a document's PDF, recording a service.

Thin: reads go through documents.selectors (jurisdiction-scoped), the write through documents.services.
"""
import io
from urllib.parse import quote

from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from api.pagination import Pagination
from api.schema import errors
from api.serializers import PersonSerializer, json_type_errors
from documents import dossier
from documents import selectors as document_selectors
from documents.choices import DocumentKind
from documents.inputs import DocumentServiceBodySerializer, PostalReceiptBodySerializer
from documents.models import Document, DossierJob, ServiceRecord
from documents.services import record_postal_receipt, record_service
from patrol import selectors
from patrol.errors import InvalidInput
from patrol.inputs import ServiceMethodField, enum_schema


@extend_schema_field(enum_schema(DocumentKind.choices), component_name="DocumentKindEnum")
class DocumentKindField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=DocumentKind.choices, **kwargs)


def refuse_wrong_json_types(serializer, data):
    """The documents app's bodies serve the case page's forms too (text only): the API refuses a JSON value of the
    wrong type here, as every JSON body (api.serializers.JsonTypes)."""
    wrong = json_type_errors(serializer, data)
    if wrong:
        raise InvalidInput(fields=wrong)


def pdf_url(document):
    return reverse("api-document-pdf", args=[document.pk])


class ReceiptSerializer(serializers.ModelSerializer):
    """The 送达回证 a service produced: itself a numbered document with its PDF."""

    pdf_url = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = ["id", "number", "issued_on", "sha256", "pdf_url"]

    def get_pdf_url(self, document) -> str:
        return pdf_url(document)


class ServiceRecordSerializer(serializers.ModelSerializer):
    method = ServiceMethodField()
    method_display = serializers.CharField(source="get_method_display")
    pending = serializers.BooleanField(help_text="A posted document whose return receipt is not recorded yet")
    served_by = PersonSerializer()
    receipt = ReceiptSerializer(allow_null=True)

    class Meta:
        model = ServiceRecord
        fields = ["id", "method", "method_display", "served_on", "effective_on", "pending", "place",
                  "recipient_name", "recipient_relation", "signature_photo", "refused", "witness_name",
                  "evidence_photo", "tracking_number", "receipt_date", "consent_photo", "channel", "address",
                  "publication_place", "failure_reason", "note", "served_by", "recorded_at", "receipt"]


class DocumentSerializer(serializers.ModelSerializer):
    """A document with its services and the dates that follow from them."""

    kind = DocumentKindField()
    kind_display = serializers.CharField(source="get_kind_display")
    title = serializers.SerializerMethodField(help_text="The title printed on the document")
    issued_by = PersonSerializer()
    pdf_url = serializers.SerializerMethodField()
    effective_on = serializers.SerializerMethodField(
        help_text="The day the document took effect on the party: its first effective service; null until then")
    deadline_on = serializers.SerializerMethodField(
        help_text="The deadline: the fixed date, or period_days counted from effective_on (行政强制法 第69条); "
                  "null while it waits for effective service")
    services = ServiceRecordSerializer(many=True)

    class Meta:
        model = Document
        fields = ["id", "kind", "kind_display", "title", "number", "issued_on", "issued_at", "issued_by", "deadline",
                  "period_days", "sha256", "pdf_url", "effective_on", "deadline_on", "services"]

    def get_title(self, document) -> str:
        return document.content.get("title", "")

    def get_pdf_url(self, document) -> str:
        return pdf_url(document)

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_effective_on(self, document):
        return document_selectors.effective_on(document)

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_deadline_on(self, document):
        return document_selectors.deadline_on(document)


class CaseDocumentsView(generics.ListAPIView):
    """The documents (执法文书) issued on a case, in order, each with its PDF, SHA-256, services (送达) and the dates
    computed from them. A service's 送达回证 is listed with its service, not as a document of its own."""

    serializer_class = DocumentSerializer
    pagination_class = Pagination
    queryset = Document.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        case = get_object_or_404(selectors.cases_for(self.request.user), pk=self.kwargs["pk"])
        return document_selectors.case_documents(case)


def content_disposition(file_name, fallback):
    """``inline`` with an ASCII name for old clients and the real (Chinese) one in RFC 5987 ``filename*``."""
    return f"inline; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"


class DocumentPdfView(APIView):
    """The PDF of a document exactly as issued: the stored bytes, whose SHA-256 is the document's ``sha256``."""

    @extend_schema(responses={(200, "application/pdf"): OpenApiResponse(
        OpenApiTypes.BINARY, description="The PDF as issued; ETag is its SHA-256"),
        **errors(404, d404="No such document in the user's jurisdiction")})
    def get(self, request, pk):
        document = get_object_or_404(document_selectors.documents_for(request.user), pk=pk)
        response = FileResponse(document.pdf.open("rb"), content_type="application/pdf")
        response["Content-Disposition"] = content_disposition(document.file_name, f"document-{document.pk}.pdf")
        response["ETag"] = f'"{document.sha256}"'
        response["X-Content-Type-Options"] = "nosniff"
        # The bytes never change (the database refuses it), but they are the party's personal data.
        response["Cache-Control"] = "private, max-age=86400, immutable"
        return response


class DocumentServicesView(APIView):
    """Record a service (送达) of a document; the answer has its effective date and its 送达回证 (PDF)."""

    parser_classes = [JSONParser]

    @extend_schema(request=DocumentServiceBodySerializer, responses={
        201: OpenApiResponse(ServiceRecordSerializer, description="Recorded, with its 送达回证"),
        200: OpenApiResponse(ServiceRecordSerializer, description="This client_uuid was recorded before: that "
                                                                  "service, nothing recorded again"),
        **errors(400, 403, 404, 409,
                 d400="Invalid fields, a photo or a signature not of the document's case, a signature of the wrong "
                      "role, a date before the document or in the future",
                 d403="Only a supervisor records service",
                 d404="No such document in the user's jurisdiction",
                 d409="A rule forbids it: electronic service without the party's consent on file (行政处罚法 第61条), "
                      "left at the premises without a witness or photo, a signature already placed in another document, a "
                      "document that is not served, or a client_uuid already used for another document's service")})
    def post(self, request, pk):
        # Another jurisdiction's document is 404 before the role or the body is looked at, as on the case page.
        get_object_or_404(document_selectors.documents_for(request.user), pk=pk)
        refuse_wrong_json_types(DocumentServiceBodySerializer(), request.data)
        body = DocumentServiceBodySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        service = record_service(document_id=pk, actor=request.user, **body.validated_data)
        replayed = service.replayed
        service = (ServiceRecord.objects.select_related("served_by", "receipt").get(pk=service.pk))
        return Response(ServiceRecordSerializer(service).data,
                        status=status.HTTP_200_OK if replayed else status.HTTP_201_CREATED)


class ServiceReceiptDateView(APIView):
    """Record the date on a posted document's return receipt: the service takes effect that day, and the
    document's periods start. Once only."""

    parser_classes = [JSONParser]

    @extend_schema(request=PostalReceiptBodySerializer, responses={
        200: OpenApiResponse(ServiceRecordSerializer, description="Recorded: effective_on is the receipt date"),
        **errors(400, 403, 404, 409,
                 d400="No date, or a date before posting or in the future",
                 d403="Only a supervisor records service",
                 d404="No such service in the user's jurisdiction",
                 d409="Not a posted document, or its receipt date is already recorded")})
    def post(self, request, pk):
        get_object_or_404(ServiceRecord.objects.for_user(request.user), pk=pk)
        refuse_wrong_json_types(PostalReceiptBodySerializer(), request.data)
        body = PostalReceiptBodySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        service = record_postal_receipt(service_id=pk, actor=request.user, **body.validated_data)
        service = ServiceRecord.objects.select_related("served_by", "receipt").get(pk=service.pk)
        return Response(ServiceRecordSerializer(service).data)


@extend_schema_field(enum_schema(DossierJob.Status.choices), component_name="DossierJobStatusEnum")
class DossierJobStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=DossierJob.Status.choices, **kwargs)


class DossierJobSerializer(serializers.ModelSerializer):
    """The case file being built by a worker: ask the same URL again until it answers with the PDF."""

    status = DossierJobStatusField()
    status_display = serializers.CharField(source="get_status_display")
    status_url = serializers.SerializerMethodField(help_text="The dossier URL to ask again")

    class Meta:
        model = DossierJob
        fields = ["id", "case_version", "status", "status_display", "progress", "error", "created_at", "status_url"]

    def get_status_url(self, job) -> str:
        return reverse("api-case-dossier", args=[job.case_id])


class CaseDossierView(APIView):
    """The case file (案卷) as one PDF: cover, contents with page numbers, every issued document as stored, the
    photos with their captions, and the event record with its hashes; an outline entry per part.

    A case with up to 10 photos gets its file in the answer. A larger one is built by a worker: the answer is 202
    with the job's progress until the file of the case as it is now (its version) is ready, then the PDF.
    """

    @extend_schema(operation_id="cases_dossier_retrieve", responses={
        (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The case file"),
        202: OpenApiResponse(DossierJobSerializer, description="Being built by a worker: ask again"),
        **errors(404, d404="No such case in the user's jurisdiction")})
    def get(self, request, pk):
        case = get_object_or_404(selectors.cases_for(request.user).select_related("jurisdiction"), pk=pk)
        if dossier.builds_inline(case):
            body = io.BytesIO(dossier.build_dossier(case).pdf)
        else:
            job = dossier.request_dossier_job(case)
            if job.status != DossierJob.Status.DONE:
                return Response(DossierJobSerializer(job).data, status=status.HTTP_202_ACCEPTED,
                                headers={"Cache-Control": "private, no-store", "Retry-After": "2"})
            body = job.file.open("rb")
        response = FileResponse(body, content_type="application/pdf")
        response["Content-Disposition"] = content_disposition(f"案卷（{case.reference}）.pdf", f"dossier-{case.pk}.pdf")
        response["X-Content-Type-Options"] = "nosniff"
        # Personal data, and a new event makes a new file: kept by no cache.
        response["Cache-Control"] = "private, no-store"
        return response

    # The answer is a file (or the job's JSON) whatever the client accepts; errors are JSON.
    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)
