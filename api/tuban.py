"""卫片执法 endpoints: 图斑 as GeoJSON (list and map), one 图斑, its evidence photos, its verification, batches with
their progress, assignment. Rules live in tuban.services; this module translates HTTP to them and back."""
from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.gzip import gzip_page
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from api.filters import StrictFilterBackend
from api.map import BBOX_PATTERN, MAX_ZOOM, json_response, parse_bbox, parse_zoom
from api.parsers import ShallowJSONParser
from api.schema import errors
from api.serializers import JsonTypes, UploadedPhotoSerializer
from patrol import selectors as patrol_selectors
from patrol.choices import Category, Role, Stage
from patrol.errors import InvalidInput, NotAllowed
from patrol.inputs import PointField, enum_schema, no_bidi_controls
from tuban import reports, selectors, services
from tuban.choices import EvidenceKind, Verdict
from tuban.filters import TubanFilter
from tuban.models import Tuban, TubanBatch

GEOJSON = "application/geo+json"


@extend_schema_field(enum_schema(EvidenceKind.choices), component_name="EvidenceKindEnum")
class EvidenceKindField(serializers.ChoiceField):
    """远景, 近景 or 内部 (a component of its own: other fields are called "kind" too)."""

    def __init__(self, **kwargs):
        super().__init__(choices=EvidenceKind.choices, **kwargs)


# --- shapes ---------------------------------------------------------------------------------------


def evidence_photo(photo):
    return {"id": photo.pk, "client_uuid": str(photo.client_uuid), "kind": photo.kind, "taken_at": photo.taken_at,
            "location": [photo.location.x, photo.location.y] if photo.location else None,
            "accuracy_m": photo.accuracy_m, "heading": photo.heading, "sha256": photo.sha256,
            "content_type": photo.content_type, "size_bytes": photo.size_bytes,
            "url": f"/api/v1/tuban/photos/{photo.pk}/file/"}


def tuban_feature(tuban):
    """One 图斑 as a GeoJSON Feature: the polygon, the file's attributes and where its check stands."""
    verification = getattr(tuban, "_verification", None)
    return {"type": "Feature", "id": tuban.pk,
            "geometry": {"type": "MultiPolygon", "coordinates": tuban.polygon.coords},
            "properties": {
                "id": tuban.pk, "number": tuban.number, "status": tuban.display_status, "batch": tuban.batch_id,
                "batch_name": tuban.batch.name, "due_date": tuban.batch.due_date, "village": tuban.village_id,
                "village_name": tuban.village.name if tuban.village_id else "", "assignee": tuban.assignee_id,
                "monitored_on": tuban.monitored_on, "before_imaged_on": tuban.before_imaged_on,
                "after_imaged_on": tuban.after_imaged_on, "change_type": tuban.change_type,
                "reported_area": tuban.reported_area, "area_m2": round(tuban.area_m2, 1),
                "attributes": tuban.attributes,
                "case": {"id": tuban.case_id, "reference": tuban.case.reference, "status": tuban.case.status}
                if tuban.case_id else None,
                "photos": [evidence_photo(photo) for photo in tuban.photos.all()],
                "verification": {
                    "client_uuid": str(verification.client_uuid), "verdict": verification.verdict,
                    "distance_m": verification.distance_m, "position_reason": verification.position_reason,
                    "permit_number": verification.permit_number, "note": verification.note,
                    "verified_by": verification.verified_by_id, "verified_at": verification.verified_at,
                } if verification else None,
            }}


def loaded_tuban(queryset, pk):
    tuban = get_object_or_404(queryset.select_related("batch", "village", "case"), pk=pk)
    tuban._verification = selectors.verifications_for_tuban(tuban)
    return tuban


class EvidenceUploadSerializer(UploadedPhotoSerializer):
    """POST /api/v1/tuban/{id}/photos/ (multipart): one 举证 photo with what the phone knew when it was taken."""

    kind = EvidenceKindField()
    heading = serializers.FloatField(min_value=0, max_value=360, required=False, allow_null=True)


class EvidencePhotoSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    client_uuid = serializers.UUIDField()
    kind = EvidenceKindField()
    taken_at = serializers.DateTimeField()
    location = serializers.ListField(child=serializers.FloatField(), allow_null=True, min_length=2, max_length=2)
    accuracy_m = serializers.FloatField(allow_null=True)
    heading = serializers.FloatField(allow_null=True)
    sha256 = serializers.CharField()
    content_type = serializers.CharField()
    size_bytes = serializers.IntegerField()
    url = serializers.CharField()


class VerifySerializer(JsonTypes, serializers.Serializer):
    """POST /api/v1/tuban/{id}/verify/: the on-site check, safe to send again with the same client_uuid."""

    client_uuid = serializers.UUIDField()
    verdict = serializers.ChoiceField(choices=Verdict.choices)
    photos = serializers.ListField(child=serializers.UUIDField(), min_length=3, max_length=30,
                                   help_text="client_uuids of the uploaded 举证 photos: at least far, near, inside")
    location = PointField(required=False, allow_null=True)
    accuracy_m = serializers.FloatField(min_value=0, max_value=100000, required=False, allow_null=True)
    position_reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="",
                                            validators=[no_bidi_controls],
                                            help_text="Required when the position is missing or farther from "
                                                      "the polygon than the jurisdiction's tuban_near_m (50 m "
                                                      "unless set)")
    permit_number = serializers.CharField(max_length=100, required=False, allow_blank=True, default="",
                                          validators=[no_bidi_controls], help_text="Required for legal")
    case = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False, allow_null=True,
                                    help_text="The existing case, required for already_handled")
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="",
                                 validators=[no_bidi_controls])
    category = serializers.ChoiceField(choices=Category.choices, default=Category.NEW_CONSTRUCTION,
                                       help_text="For illegal: the case's category")
    stage = serializers.ChoiceField(choices=Stage.choices, default=Stage.UNDER_CONSTRUCTION,
                                    help_text="For illegal: the case's construction stage")


class VerificationReceiptSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    verdict = serializers.ChoiceField(choices=Verdict.choices)
    distance_m = serializers.FloatField(allow_null=True)
    case = serializers.IntegerField(allow_null=True)
    case_reference = serializers.CharField(allow_null=True)


class ProgressSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    verified = serializers.IntegerField()
    pending = serializers.IntegerField()
    illegal = serializers.IntegerField()
    legal = serializers.IntegerField()
    not_construction = serializers.IntegerField()
    already_handled = serializers.IntegerField()
    rectified = serializers.IntegerField()
    overdue = serializers.IntegerField()


class BatchSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    due_date = serializers.DateField(allow_null=True)
    imported_at = serializers.DateTimeField()
    source_file = serializers.CharField()
    source_srs = serializers.CharField()
    progress = ProgressSerializer()


class AssignSerializer(JsonTypes, serializers.Serializer):
    """POST /api/v1/tuban/assign/: by hand (``tuban``) or every pending 图斑 of ``village`` in ``batch``."""

    inspector = serializers.IntegerField(min_value=1, max_value=2**63 - 1, allow_null=True)
    tuban = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), required=False,
                                  max_length=10000)
    batch = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
    village = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)


class AssignedSerializer(serializers.Serializer):
    assigned = serializers.IntegerField()


# --- views ----------------------------------------------------------------------------------------


@method_decorator(gzip_page, name="dispatch")
class TubanListView(generics.GenericAPIView):
    """The jurisdiction's 图斑 as a GeoJSON FeatureCollection (at most 20,000; ``truncated`` says when more matched).
    With ``bbox`` only those in view; with ``zoom`` each polygon simplified to half a pixel at that zoom."""

    filterset_class = TubanFilter
    filter_backends = [StrictFilterBackend]
    queryset = Tuban.objects.none()  # for the schema; requests use get_queryset
    pagination_class = None

    def get_queryset(self):
        return selectors.tuban_for(self.request.user)

    @extend_schema(operation_id="tuban_list", parameters=[
        OpenApiParameter("bbox", {"type": "string", "pattern": BBOX_PATTERN},
                         description="minLng,minLat,maxLng,maxLat (WGS-84 degrees)"),
        OpenApiParameter("zoom", {"type": "integer", "minimum": 0, "maximum": MAX_ZOOM},
                         description="Leaflet zoom: simplify the polygons for it")],
        responses={(200, GEOJSON): OpenApiTypes.OBJECT, **errors(400, d400="Invalid filter, bbox or zoom")})
    def get(self, request):
        tuban = self.filter_queryset(self.get_queryset())
        if "bbox" in request.GET:
            tuban = selectors.in_bbox(tuban, parse_bbox(request.GET["bbox"]))
        zoom = parse_zoom(request.GET["zoom"]) if "zoom" in request.GET else None
        return json_response(selectors.feature_collection(tuban, zoom), GEOJSON)


class TubanDetailView(APIView):
    """One 图斑 as a GeoJSON Feature with its attributes, evidence photos, verification and linked case."""

    @extend_schema(responses={(200, GEOJSON): OpenApiTypes.OBJECT, **errors(404, d404="No such 图斑 in the user's "
                                                                                       "jurisdiction")})
    def get(self, request, pk):
        return json_response(tuban_feature(loaded_tuban(selectors.tuban_for(request.user), pk)), GEOJSON)


class TubanPhotoUploadView(APIView):
    """Upload one 举证 photo of a 图斑; safe to retry with the same client_uuid (200 then, 409 for other bytes)."""

    parser_classes = [MultiPartParser]

    @extend_schema(request={"multipart/form-data": EvidenceUploadSerializer},
                   responses={201: OpenApiResponse(EvidencePhotoSerializer, description="Stored"),
                              200: OpenApiResponse(EvidencePhotoSerializer, description="Received before"),
                              **errors(400, 403, 404, 409, 413,
                                       d400="Not an accepted image, SHA-256 mismatch, invalid fields",
                                       d403="The user's role may not verify 图斑",
                                       d404="No such 图斑 in the user's jurisdiction",
                                       d409="client_uuid already used for other bytes",
                                       d413="Larger than the upload limit")})
    def post(self, request, pk):
        get_object_or_404(selectors.tuban_for(request.user), pk=pk)
        photo, created = services.receive_evidence_photo(tuban_id=pk, actor=request.user,
                                                         **EvidenceUploadSerializer.received(request))
        return Response(evidence_photo(photo), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class TubanPhotoFileView(APIView):
    """A 举证 photo's file, only for users of the 图斑's jurisdiction."""

    @extend_schema(responses={(200, "image/*"): OpenApiTypes.BINARY,
                              **errors(404, d404="No such photo in the user's jurisdiction")})
    def get(self, request, pk):
        photo = get_object_or_404(selectors.evidence_for(request.user).select_related("tuban"), pk=pk)
        if not photo.file:
            raise Http404
        extension = photo.file.name.rsplit(".", 1)[-1]
        response = FileResponse(photo.file.open("rb"), content_type=photo.content_type,
                                filename=f"{photo.tuban.number}-{photo.kind}-{photo.pk}.{extension}")
        response["Content-Disposition"] = response["Content-Disposition"].replace("attachment", "inline")
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, max-age=86400, immutable"
        return response


class TubanVerifyView(APIView):
    """Record the on-site check and its result (illegal makes a linked case); idempotent by client_uuid."""

    parser_classes = [ShallowJSONParser]

    @extend_schema(request=VerifySerializer, responses={
        201: OpenApiResponse(VerificationReceiptSerializer, description="Verified"),
        200: OpenApiResponse(VerificationReceiptSerializer, description="The same client_uuid and content was sent "
                                                                        "before"),
        **errors(400, 403, 404, 409,
                 d400="Missing evidence photos, a position too far without a reason, a missing permit number or case",
                 d403="The user's role may not verify 图斑",
                 d404="No such 图斑 in the user's jurisdiction",
                 d409="Already verified, or the client_uuid was used for a different verification")})
    def post(self, request, pk):
        get_object_or_404(selectors.tuban_for(request.user), pk=pk)
        body = VerifySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        verification, created = services.verify(
            tuban_id=pk, actor=request.user, case_id=data.pop("case", None), **data)
        tuban = Tuban.objects.select_related("case").get(pk=verification.tuban_id)
        receipt = {"id": tuban.pk, "status": tuban.display_status, "verdict": verification.verdict,
                   "distance_m": verification.distance_m, "case": tuban.case_id,
                   "case_reference": tuban.case.reference if tuban.case_id else None}
        return Response(receipt, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class BatchListView(generics.ListAPIView):
    """The jurisdiction's 图斑 batches, newest first, each with its progress (overdue: unchecked past the due
    date)."""

    serializer_class = BatchSerializer
    queryset = TubanBatch.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        return selectors.batches_for(self.request.user).order_by("-imported_at", "-id")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        progress = selectors.batch_progress(TubanBatch.objects.filter(pk__in=[batch.pk for batch in page]),
                                            timezone.localdate())
        rows = [{"id": batch.pk, "name": batch.name, "due_date": batch.due_date, "imported_at": batch.imported_at,
                 "source_file": batch.source_file, "source_srs": batch.source_srs, "progress": progress[batch.pk]}
                for batch in page]
        return self.get_paginated_response(BatchSerializer(rows, many=True).data)


class AssignView(APIView):
    """Assign 图斑 to an inspector (supervisors): by hand or by village within a batch; ``inspector: null``
    unassigns."""

    parser_classes = [ShallowJSONParser]

    @extend_schema(request=AssignSerializer, responses={
        200: AssignedSerializer,
        **errors(400, 403, 404, d400="No 图斑 chosen, or the inspector is not of the jurisdiction",
                 d403="Only supervisors assign", d404="The batch or village is not of the jurisdiction")})
    def post(self, request):
        body = AssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        user = request.user
        if user.role != Role.SUPERVISOR:
            raise NotAllowed(_("只有中队长可以分派图斑"))
        batch = village = None
        if "batch" in data and "village" in data:
            batch = get_object_or_404(selectors.batches_for(user), pk=data["batch"])
            village = get_object_or_404(patrol_selectors.villages_for(user), pk=data["village"])
        inspector = None
        if data["inspector"] is not None:
            inspector = patrol_selectors.field_users(user.jurisdiction_id).filter(pk=data["inspector"]).first()
            if inspector is None:
                raise InvalidInput(fields={"inspector": [_("不是本单位的执法队员")]})
        assigned = services.assign(actor=user, inspector=inspector, tuban_ids=data.get("tuban"), batch=batch,
                                   village=village)
        return Response({"assigned": assigned})


REPORT_FORMATS = {
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", reports.write_statistics_xlsx),
    "geojson": (GEOJSON, reports.write_results_geojson),
    "kml": ("application/vnd.google-earth.kml+xml", reports.write_results_kml),
}


class BatchReportView(APIView):
    """A batch's 图斑核查情况统计表 (xlsx: by village, then every 图斑) or its results as GeoJSON or KML, each with
    links to the evidence photos."""

    @extend_schema(parameters=[OpenApiParameter("fmt", OpenApiTypes.STR, OpenApiParameter.PATH,
                                                enum=list(REPORT_FORMATS))],
                   responses={(200, REPORT_FORMATS["xlsx"][0]): OpenApiTypes.BINARY,
                              (200, REPORT_FORMATS["geojson"][0]): OpenApiTypes.OBJECT,
                              (200, REPORT_FORMATS["kml"][0]): OpenApiTypes.BINARY,
                              **errors(404, d404="No such batch in the user's jurisdiction, or no such format")})
    def get(self, request, pk, fmt):
        if fmt not in REPORT_FORMATS:
            raise Http404
        batch = get_object_or_404(selectors.batches_for(request.user).select_related("jurisdiction"), pk=pk)
        content_type, write = REPORT_FORMATS[fmt]
        response = HttpResponse(write(batch, site_url=settings.SITE_URL), content_type=content_type)
        filename = f"tuban-{batch.pk}.{fmt}"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
