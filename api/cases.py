"""Case endpoints: list and report (POST), detail with ETag, actions with If-Match, events, photo files."""
import re

from django.conf import settings
from django.contrib.gis.geos import Point
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from api.filters import CaseFilter
from api.actions import run_action
from api.serializers import (
    PhotoSerializer,
    PhotoUploadSerializer,
    CaseDetailSerializer,
    CaseListSerializer,
    EventSerializer,
    FindingReceiptSerializer,
    FindingSerializer,
)
from patrol import selectors, workflow
from patrol.errors import DomainError, InvalidInput, StaleCase
from patrol.models import Campaign, CaseEvent, Patrol
from patrol.photos import receive_photo

ETAG_RE = re.compile(r'^(?:W/)?"(\d+)-(\d+)"$')


class PreconditionRequired(DomainError):
    code = "precondition_required"
    http_status = 428


def case_response(case, request, status_code=status.HTTP_200_OK, extra=None):
    data = CaseDetailSerializer(case, context={"request": request}).data
    if extra:
        data = {**data, **extra}
    return Response(data, status=status_code, headers={"ETag": case.etag})


class CaseListCreateView(generics.ListCreateAPIView):
    """Cases of the user's jurisdiction (filters as query parameters); POST reports a finding."""

    filterset_class = CaseFilter
    ordering_fields = {"created_at", "deadline", "reference", "updated_at"}

    def get_queryset(self):
        queryset = selectors.cases_for(self.request.user).select_related("village", "responsible")
        ordering = self.request.query_params.get("ordering", "-created_at")
        if ordering.lstrip("-") not in self.ordering_fields:
            ordering = "-created_at"
        return queryset.order_by(ordering, "-pk")

    def get_serializer_class(self):
        return FindingSerializer if self.request.method == "POST" else CaseListSerializer

    @extend_schema(request=FindingSerializer, responses={
        201: FindingReceiptSerializer, 200: FindingReceiptSerializer,
        400: OpenApiResponse(description="Invalid fields, or a point outside every village of the jurisdiction"),
        409: OpenApiResponse(description="The client_uuid was already used for a different finding"),
    })
    def post(self, request):
        body = FindingSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        user = request.user
        data["campaign"] = self._related(Campaign, data.get("campaign"), user, "campaign")
        data["patrol"] = self._related(Patrol, data.get("patrol"), user, "patrol")
        case, created = workflow.report_finding(actor=user, **data)
        nearby = selectors.nearby_open_cases(case.jurisdiction, case.location, settings.NEARBY_CASE_METRES,
                                             exclude_id=case.pk)
        # A receipt, built by hand: the phone needs the number and the nearby cases, fast, not the whole case.
        receipt = {
            "id": case.pk, "reference": case.reference, "status": case.status, "version": case.version,
            "village": {"id": case.village_id, "name": case.village.name} if case.village_id else None,
            "location": {"type": "Point", "coordinates": [case.location.x, case.location.y]},
            "created_at": case.created_at,
            "nearby_open_cases": [{"id": c.pk, "reference": c.reference, "distance_m": round(c.distance_m, 1)}
                                  for c in nearby],
        }
        return Response(receipt, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
                        headers={"ETag": case.etag})

    @staticmethod
    def _related(model, pk, user, field):
        if pk is None:
            return None
        obj = model.objects.for_user(user).filter(pk=pk).first()
        if obj is None:
            raise InvalidInput(fields={field: [_("不存在或不在您的辖区内")]})
        return obj


class NearbyCasesView(APIView):
    """Open cases of the user's jurisdiction near a point, nearest first (duplicate check in the field)."""

    @extend_schema(parameters=[
        OpenApiParameter("lng", OpenApiTypes.DOUBLE, required=True),
        OpenApiParameter("lat", OpenApiTypes.DOUBLE, required=True),
        OpenApiParameter("radius", OpenApiTypes.INT, description="metres, default NEARBY_CASE_METRES, at most 5000"),
    ], responses={200: OpenApiTypes.OBJECT, 400: OpenApiResponse(description="Bad coordinates")})
    def get(self, request):
        try:
            lng, lat = float(request.query_params["lng"]), float(request.query_params["lat"])
            radius = int(request.query_params.get("radius", settings.NEARBY_CASE_METRES))
        except (KeyError, ValueError):
            raise InvalidInput(_("请提供经纬度 lng、lat"), fields={"lng": [_("请提供经纬度 lng、lat")]}) from None
        if not (-180 <= lng <= 180 and -90 <= lat <= 90) or not (1 <= radius <= 5000):
            raise InvalidInput(_("经纬度或半径超出范围"), fields={"lng": [_("经纬度或半径超出范围")]})
        if request.user.jurisdiction_id is None:
            return Response({"results": []})
        point = Point(lng, lat, srid=4326)
        cases = selectors.nearby_open_cases(request.user.jurisdiction, point, radius, limit=20)
        return Response({"results": [
            {"id": c.pk, "reference": c.reference, "distance_m": round(c.distance_m, 1), "status": c.status,
             "status_display": c.get_status_display(), "address": c.address, "deadline": c.deadline,
             "overdue": c.overdue} for c in cases]})


class CaseDetailView(APIView):
    """One case with photos, notices, the actions this user may take now, and an ETag."""

    @extend_schema(responses={200: CaseDetailSerializer, 304: None, 404: OpenApiResponse(description="Not found")})
    def get(self, request, pk):
        case = get_object_or_404(selectors.case_detail_queryset(request.user), pk=pk)
        if request.headers.get("If-None-Match") == case.etag:
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": case.etag})
        return case_response(case, request)


class CaseActionView(APIView):
    """Take one action of the statutory procedure (see `available_actions` of the case).

    Send `If-Match` with the case's ETag: without it 428, with a stale one 412. 409 when the action is not
    possible in the current state or a rule forbids it now; 403 when the role may not take it; 400 names
    invalid fields.
    """

    @extend_schema(
        parameters=[OpenApiParameter("If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True,
                                     description="The ETag of the case as last read")],
        request=OpenApiTypes.OBJECT,
        responses={200: CaseDetailSerializer, 400: OpenApiResponse(description="Invalid fields"),
                   403: OpenApiResponse(description="Role may not take this action"),
                   404: OpenApiResponse(description="No such case or action"),
                   409: OpenApiResponse(description="Not possible in the current state, or a rule forbids it now"),
                   412: OpenApiResponse(description="The case changed since it was read"),
                   428: OpenApiResponse(description="If-Match missing")},
    )
    def post(self, request, pk, action):
        case = get_object_or_404(selectors.case_detail_queryset(request.user), pk=pk)
        if action not in workflow.ACTIONS:
            raise NotFound(_("没有这个操作：%(action)s") % {"action": action})
        if_match = request.headers.get("If-Match")
        if not if_match:
            raise PreconditionRequired(_("请在 If-Match 请求头中携带案件的 ETag"))
        match = ETAG_RE.match(if_match.strip())
        if not match or int(match.group(1)) != case.pk or int(match.group(2)) != case.version:
            raise StaleCase()
        run_action(case=case, user=request.user, action=action, data=request.data, expected_version=case.version)
        case = selectors.case_detail_queryset(request.user).get(pk=pk)
        return case_response(case, request)


class CasePhotoUploadView(APIView):
    """Upload one photo of a case; safe to retry with the same client_uuid (200 then, 409 for other bytes)."""

    parser_classes = [MultiPartParser]

    @extend_schema(request={"multipart/form-data": PhotoUploadSerializer},
                   responses={201: PhotoSerializer, 200: PhotoSerializer,
                              400: OpenApiResponse(description="Not an accepted image, too large, SHA-256 mismatch"),
                              409: OpenApiResponse(description="client_uuid already used for other bytes")})
    def post(self, request, pk):
        case = get_object_or_404(selectors.cases_for(request.user), pk=pk)
        if len(request.FILES) > 1 or len(request.FILES.getlist("file")) > 1:
            raise InvalidInput(_("一次只能上传一张照片"), fields={"file": [_("一次只能上传一张照片")]})
        body = PhotoUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        photo, created = receive_photo(case=case, actor=request.user, upload=body.validated_data.pop("file"),
                                       **body.validated_data)
        return Response(PhotoSerializer(photo).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class CaseEventsView(generics.ListAPIView):
    """The case's record (全过程记录) in order, with each event's hash and its predecessor's."""

    serializer_class = EventSerializer
    pagination_class = None
    queryset = CaseEvent.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        case = get_object_or_404(selectors.cases_for(self.request.user), pk=self.kwargs["pk"])
        return case.events.select_related("actor").order_by("seq")


class PhotoFileView(APIView):
    """A photo's file (or thumbnail), only for users of the case's jurisdiction."""

    @extend_schema(responses={(200, "image/*"): OpenApiTypes.BINARY, 404: None})
    def get(self, request, pk, variant="file"):
        photo = get_object_or_404(selectors.photos_for(request.user).select_related("case"), pk=pk)
        stored = photo.file if variant == "file" else photo.thumbnail
        if not stored:
            raise Http404
        content_type = photo.content_type if variant == "file" else "image/jpeg"
        extension = stored.name.rsplit(".", 1)[-1]
        response = FileResponse(stored.open("rb"), content_type=content_type,
                                filename=f"{photo.case.reference}-{photo.pk}.{extension}")
        response["Content-Disposition"] = response["Content-Disposition"].replace("attachment", "inline")
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, max-age=86400, immutable"
        return response
