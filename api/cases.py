"""Case endpoints: list and report (POST), detail with ETag, actions with If-Match, events, photo files."""
import hashlib
import json
import re
import uuid

from django.conf import settings
from django.contrib.gis.geos import Point
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from api.filters import choice_param
from api.pagination import EventPagination, Pagination
from api.parsers import ShallowJSONParser
from api.schema import ApiAutoSchema, errors
from api.serializers import (
    json_type_errors,
    PhotoSerializer,
    PhotoUploadSerializer,
    CaseDetailSerializer,
    CaseListSerializer,
    EventSerializer,
    FindingReceiptSerializer,
    FindingSerializer,
    NearbyResultsSerializer,
    NoticeListSerializer,
)
from patrol import selectors, workflow
from patrol.filters import CaseFilter
from patrol.ordering import ORDERING_CHOICES, order_cases
from patrol.errors import Conflict, DomainError, InvalidInput, StaleCase
from patrol.models import Campaign, CaseEvent, Notice, Patrol, is_overdue
from patrol.photos import mini_thumbnail, receive_photo

ETAG_RE = re.compile(r'^(?:W/)?"(\d+)-(\d+)"$')
NUMBER_RE = re.compile(r"-?[0-9]{1,20}(?:\.[0-9]{1,20})?(?:[eE][-+]?[0-9]{1,3})?")


def number_param(value):
    """A decimal number as JSON writes it, or None: Python's float() also reads " 5", "nan" and "inf"."""
    return float(value) if value is not None and NUMBER_RE.fullmatch(value) else None


class PreconditionRequired(DomainError):
    code = "precondition_required"
    http_status = 428


def case_response(case, request, status_code=status.HTTP_200_OK, extra=None):
    data = CaseDetailSerializer(case, context={"request": request}).data
    if extra:
        data = {**data, **extra}
    return Response(data, status=status_code, headers={"ETag": case.etag})


NEARBY_LIMIT = 20


class CaseListCreateView(generics.ListCreateAPIView):
    """Cases of the user's jurisdiction (filters as query parameters), newest first unless ``ordering`` says
    otherwise; POST reports a finding (JSON: the field page sends nothing else)."""

    parser_classes = [ShallowJSONParser]
    filterset_class = CaseFilter
    pagination_class = Pagination
    def get_queryset(self):
        queryset = selectors.cases_for(self.request.user).select_related("village", "responsible")
        # patrol.ordering's table: the same keys, and the reference by its number, as the ledger and the map; a key
        # it does not have is a 400.
        ordering = choice_param(self.request.query_params, "ordering", ORDERING_CHOICES, None)
        return order_cases(queryset, ordering)

    def get_serializer_class(self):
        return FindingSerializer if self.request.method == "POST" else CaseListSerializer

    @extend_schema(parameters=[OpenApiParameter("ordering", OpenApiTypes.STR, enum=ORDERING_CHOICES,
                                                description="Default: -created_at")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=FindingSerializer, responses={
        201: OpenApiResponse(FindingReceiptSerializer, description="Reported"),
        200: OpenApiResponse(FindingReceiptSerializer, description="The same client_uuid and content was sent "
                                                                   "before: the case reported then"),
        **errors(400, 403, 409,
                 d400="Invalid fields, a campaign or patrol not of the jurisdiction, or a point outside it",
                 d403="The user's role may not report findings",
                 d409="The client_uuid was already used for a different finding"),
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
        OpenApiParameter("lng", {"type": "number", "minimum": -180, "maximum": 180}, required=True),
        OpenApiParameter("lat", {"type": "number", "minimum": -90, "maximum": 90}, required=True),
        OpenApiParameter("radius", {"type": "integer", "minimum": 1, "maximum": 5000},
                         description="metres, default NEARBY_CASE_METRES"),
    ], responses={200: NearbyResultsSerializer, **errors(400, d400="Missing or out-of-range lng, lat or radius")})
    def get(self, request):
        params = request.query_params
        lng, lat = number_param(params.get("lng")), number_param(params.get("lat"))
        radius = params.get("radius", str(settings.NEARBY_CASE_METRES))
        if lng is None or lat is None or not re.fullmatch(r"-?[0-9]{1,9}", radius):
            raise InvalidInput(_("请提供经纬度 lng、lat"), fields={"lng": [_("请提供经纬度 lng、lat")]}) from None
        radius = int(radius)
        if not (-180 <= lng <= 180 and -90 <= lat <= 90) or not (1 <= radius <= 5000):
            raise InvalidInput(_("经纬度或半径超出范围"), fields={"lng": [_("经纬度或半径超出范围")]})
        if request.user.jurisdiction_id is None:
            return Response({"count": 0, "results": []})
        point = Point(lng, lat, srid=4326)
        cases = selectors.nearby_open_cases(request.user.jurisdiction, point, radius, limit=NEARBY_LIMIT)
        # Never more than NEARBY_LIMIT, nearest first: one page, and `count` is its length.
        return Response({"count": len(cases), "results": [
            {"id": c.pk, "reference": c.reference, "distance_m": round(c.distance_m, 1), "status": c.status,
             "status_display": c.get_status_display(), "address": c.address, "deadline": c.deadline,
             "overdue": c.overdue} for c in cases]})


class FieldCasesView(APIView):
    """The cases the field page keeps on the phone to re-inspect and record offline: the open cases the user is
    responsible for, then the open cases within 2 km of ``lng``/``lat`` (the phone's last position), at most 200, each
    compact — its ETag (for If-Match when the action is sent), the actions it may take offline, its party's name, and
    its last photos as tiny inline JPEGs —, and the jurisdiction's officers with a 执法证 (``officers``; ``me`` is the
    user's id) for the on-site records. Send ``If-None-Match`` with the list's last ETag: 304 when nothing changed."""

    @extend_schema(parameters=[
        OpenApiParameter("lng", {"type": "number", "minimum": -180, "maximum": 180}),
        OpenApiParameter("lat", {"type": "number", "minimum": -90, "maximum": 90}),
        OpenApiParameter("If-None-Match", OpenApiTypes.STR, OpenApiParameter.HEADER,
                         description="The ETag of the list as last read")],
        responses={200: OpenApiTypes.OBJECT, 304: OpenApiResponse(description="Unchanged since that ETag"),
                   **errors(400, d400="lng without lat (or the reverse), or out of range")})
    def get(self, request):
        params = request.query_params
        point = None
        if "lng" in params or "lat" in params:
            lng, lat = number_param(params.get("lng")), number_param(params.get("lat"))
            # Each wrong one named: one sent without the other is no position (it was called out of range).
            errors = {}
            for name, value, limit in (("lng", lng, 180), ("lat", lat, 90)):
                if name not in params:
                    errors[name] = [_("经度和纬度须同时提供")]
                elif value is None or not -limit <= value <= limit:
                    errors[name] = [_("经纬度超出范围")]
            if errors:
                raise InvalidInput(fields=errors)
            point = Point(lng, lat, srid=4326)
        today = timezone.localdate()
        cases = [{
            "id": case.pk, "reference": case.reference, "etag": case.etag, "address": case.address,
            "village": case.village.name if case.village_id else "", "status": case.status,
            "status_display": case.get_status_display(), "category": case.category,
            "category_display": case.get_category_display(),
            "deadline": case.deadline.isoformat() if case.deadline else None,
            "overdue": is_overdue(case.status, case.deadline, today),
            "mine": case.responsible_id == request.user.pk,
            "distance_m": round(case.distance_m) if case.distance_m is not None else None,
            # Who signs an on-site record as the party, and whom an interview asks first (records.js).
            "party_name": case.party_name,
            "actions": workflow.offline_actions(case, request.user),
            "thumbnails": [data for data in (mini_thumbnail(pk, name) for pk, name in case.last_photos) if data],
        } for case in selectors.field_store_cases(request.user, point)]
        # The two officers an on-site record names (行政处罚法 第42条) are chosen on the phone, offline too.
        officers = [{"id": u.pk, "name": str(u), "certificate_number": u.certificate_number}
                    for u in selectors.field_users(request.user.jurisdiction).exclude(certificate_number="")]
        body = json.dumps({"cases": cases, "officers": officers, "me": request.user.pk}, ensure_ascii=False,
                          separators=(",", ":")).encode()
        # The list's own ETag: a refresh that finds nothing changed costs the phone no transfer.
        etag = '"fs-' + hashlib.sha256(body).hexdigest()[:24] + '"'
        headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
        if request.headers.get("If-None-Match") == etag:
            return HttpResponse(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
        return HttpResponse(body, content_type="application/json", headers=headers)


class CaseDetailView(APIView):
    """One case with photos, notices, every action of its state (whether this user may take it now, and why not), its
    running legal clocks, and an ETag."""

    @extend_schema(parameters=[OpenApiParameter("If-None-Match", OpenApiTypes.STR, OpenApiParameter.HEADER,
                                                description="The ETag of the case as last read")],
                   responses={200: CaseDetailSerializer,
                              304: OpenApiResponse(description="Unchanged since the ETag sent in If-None-Match"),
                              **errors(404, d404="No such case in the user's jurisdiction")})
    def get(self, request, pk):
        case = get_object_or_404(selectors.case_detail_queryset(request.user), pk=pk)
        if request.headers.get("If-None-Match") == case.etag:
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": case.etag})
        return case_response(case, request)


class CaseActionSchema(ApiAutoSchema):
    """The body of an action is the input of that action in the registry (workflow.ACTIONS): any one of them.

    anyOf, not oneOf: several actions take the same fields (a note), so a body may match more than one.
    """

    def _get_request_for_media_type(self, serializer, direction="request"):
        refs = [self.resolve_serializer(spec.input(), direction).ref for spec in workflow.ACTIONS.values()]
        return {"anyOf": refs, "description": "The body of the action named in the path"}, True


class CaseActionView(APIView):
    """Take one action of the statutory procedure (see `available_actions` of the case).

    Send `If-Match` with the case's ETag: without it 428, with a stale one 412. 409 when the action is not
    possible in the current state or a rule forbids it now; 403 when the role may not take it; 400 names
    invalid fields.
    """

    parser_classes = [ShallowJSONParser]
    schema = CaseActionSchema()

    @extend_schema(
        parameters=[OpenApiParameter("action", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(workflow.ACTIONS),
                                     description="One of the actions of the statutory procedure"),
                    OpenApiParameter("If-Match", {"type": "string", "pattern": ETAG_RE.pattern},
                                     OpenApiParameter.HEADER, required=True,
                                     description="The ETag of the case as last read (not *: an action is taken "
                                                 "on the version the user saw)")],
        request=OpenApiTypes.OBJECT,  # replaced by CaseActionSchema with the bodies of the actions
        responses={200: CaseDetailSerializer, **errors(
            400, 403, 404, 409, 412, 428,
            d400="Invalid fields of the action's body, named in error.fields, or an If-Match that is not an ETag",
            d403="The user's role may not take this action (or, for legal review, not on this case)",
            d404="No such case in the user's jurisdiction, no such action, or a case or photo named in the body "
                 "not found",
            d409="Not possible in the current state (invalid_state), or a rule forbids it now (rule_violation)",
            d412="The case changed since it was read (stale If-Match)",
            d428="If-Match missing")},
    )
    def post(self, request, pk, action):
        case = get_object_or_404(selectors.case_detail_queryset(request.user), pk=pk)
        workflow.action_spec(action)  # an unknown action is 404 before any header is asked for
        if_match = request.headers.get("If-Match")
        if not if_match:
            raise PreconditionRequired(_("请在 If-Match 请求头中携带案件的 ETag"))
        match = ETAG_RE.match(if_match.strip())
        if not match:
            raise InvalidInput(_("If-Match 应为案件的 ETag，例如 \"12-3\""),
                               fields={"If-Match": [_("If-Match 应为案件的 ETag，例如 \"12-3\"")]})
        spec = workflow.ACTIONS[action]
        wrong = json_type_errors(spec.input(), request.data)
        if wrong:
            raise InvalidInput(fields=wrong)
        client_uuid = _client_uuid(request.data)
        if client_uuid and (replay := self._replay(case, action, client_uuid, request)):
            return replay
        seen_version = int(match.group(2))
        photos = request.data.get(spec.photo_field) if "." not in spec.photo_field else None
        if int(match.group(1)) != case.pk or (
                seen_version != case.version and not workflow.changed_only_by_own_evidence(
                    case, seen_version, request.user, photo_ids=_ids(photos),
                    signature_uuids=_uuids(request.data.get(name) for name in spec.input.signature_fields))):
            raise StaleCase()
        try:
            workflow.run_action(case=case, actor=request.user, action=action, data=request.data,
                                expected_version=case.version)
        except StaleCase:
            # Two sends of one submission at once: the one that lost the lock finds the other's event.
            if client_uuid and (replay := self._replay(case, action, client_uuid, request)):
                return replay
            raise
        case = selectors.case_detail_queryset(request.user).get(pk=pk)
        return case_response(case, request)

    @staticmethod
    def _replay(case, action, client_uuid, request):
        """The answer to a submission recorded before (its client_uuid): the case as it is now, nothing recorded
        again; the same client_uuid with another result is a conflict."""
        earlier = workflow.earlier_submission(case, action, client_uuid)
        if earlier is None:
            return None
        if "result" in request.data and earlier.payload.get("result") != request.data["result"]:
            raise Conflict(_("该编号（client_uuid）已用于另一条内容不同的记录"))
        case = selectors.case_detail_queryset(request.user).get(pk=case.pk)
        return case_response(case, request, extra={"replayed": True})


def _client_uuid(data):
    try:
        return uuid.UUID(str(data["client_uuid"])) if data.get("client_uuid") else None
    except (ValueError, TypeError, AttributeError):
        raise InvalidInput(fields={"client_uuid": [_("不是有效的 UUID")]}) from None


def _uuids(values):
    """The signature client_uuids an action's body names (one, a list, or none), as the events write them."""
    found = []
    for value in values:
        for one in value if isinstance(value, list) else [value]:
            try:
                found.append(str(uuid.UUID(str(one))))
            except (ValueError, TypeError, AttributeError):
                continue  # not an id: the input's own check names the field
    return found


def _ids(value):
    """The photo ids an action's body names (a list, or one id)."""
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, int) and not isinstance(v, bool)]


class CasePhotoUploadView(APIView):
    """Upload one photo of a case; safe to retry with the same client_uuid (200 then, 409 for other bytes)."""

    parser_classes = [MultiPartParser]

    @extend_schema(request={"multipart/form-data": PhotoUploadSerializer},
                   responses={201: OpenApiResponse(PhotoSerializer, description="Stored"),
                              200: OpenApiResponse(PhotoSerializer, description="This client_uuid and these bytes "
                                                                                "were received before"),
                              **errors(400, 404, 409, 413,
                                       d400="Not an accepted image, too many pixels, SHA-256 mismatch, invalid "
                                            "fields",
                                       d404="No such case in the user's jurisdiction",
                                       d409="client_uuid already used for other bytes",
                                       d413="Larger than the upload limit")})
    def post(self, request, pk):
        case = get_object_or_404(selectors.cases_for(request.user), pk=pk)
        photo, created = receive_photo(case=case, actor=request.user, **PhotoUploadSerializer.received(request))
        return Response(PhotoSerializer(photo).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class CaseEventsView(generics.ListAPIView):
    """The case's record (全过程记录) in order, with each event's hash and its predecessor's."""

    serializer_class = EventSerializer
    pagination_class = EventPagination
    queryset = CaseEvent.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        case = get_object_or_404(selectors.cases_for(self.request.user), pk=self.kwargs["pk"])
        return case.events.select_related("actor").order_by("seq")


class PhotoFileView(APIView):
    """A photo's file (the evidence), its thumbnail or its watermarked display copy, only for users of the case's
    jurisdiction."""

    @extend_schema(responses={(200, "image/*"): OpenApiTypes.BINARY,
                              **errors(404, d404="No such photo in the user's jurisdiction, or no thumbnail or "
                                                 "display copy yet")})
    def get(self, request, pk, variant="file"):
        photo = get_object_or_404(selectors.photos_for(request.user).select_related("case"), pk=pk)
        stored = {"file": photo.file, "thumbnail": photo.thumbnail, "display": photo.display}[variant]
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


class CaseNoticesView(generics.ListAPIView):
    """The notices (执法文书) issued on a case, in order, each with its deadline, its service record (送达) and
    ``print_url``, the page that lays it out as the official document to print."""

    serializer_class = NoticeListSerializer
    pagination_class = Pagination
    queryset = Notice.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        case = get_object_or_404(selectors.cases_for(self.request.user), pk=self.kwargs["pk"])
        return (selectors.notices_for(self.request.user).filter(case=case).select_related("issued_by")
                .order_by("issued_on", "pk"))
