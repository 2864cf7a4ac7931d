"""Serializers: shapes of requests and responses. Validation of form only; rules live in patrol.workflow."""
import re
from datetime import date

from django.contrib.gis.geos import Point
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework_gis.fields import GeometryField

from api.parsers import loads_shallow
from patrol import workflow
from patrol.choices import (
    Category,
    DismissReason,
    LocationSource,
    NoticeKind,
    PhotoStage,
    ReinspectionResult,
    Resolution,
    ServiceMethod,
    Stage,
    Structure,
)
from patrol.models import Case, CaseEvent, Notice, Photo, User


POINT_SCHEMA = {
    "type": "object",
    "description": "GeoJSON Point in WGS-84",
    "properties": {"type": {"type": "string", "enum": ["Point"]},
                   "coordinates": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 3,
                                   "example": [111.62, 40.78]}},
    "required": ["type", "coordinates"],
}


@extend_schema_field(POINT_SCHEMA)
class PointField(GeometryField):
    """A GeoJSON Point in WGS-84 ([lng, lat]) with a clear message for anything else."""

    default_error_messages = {"invalid": _("位置须为 GeoJSON 点，坐标为 [经度, 纬度]")}

    def to_internal_value(self, value):
        if isinstance(value, str):  # multipart forms carry the GeoJSON as text
            try:
                value = loads_shallow(value)
            except (ValueError, ParseError):
                self.fail("invalid")
        if not isinstance(value, dict) or value.get("type") != "Point":
            self.fail("invalid")
        coordinates = value.get("coordinates")
        if (not isinstance(coordinates, (list, tuple)) or len(coordinates) < 2
                or not all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in coordinates[:2])):
            self.fail("invalid")
        lng, lat = float(coordinates[0]), float(coordinates[1])
        if not (-180 <= lng <= 180):
            raise serializers.ValidationError(_("经度须在 -180 到 180 之间"))
        if not (-90 <= lat <= 90):
            raise serializers.ValidationError(_("纬度须在 -90 到 90 之间"))
        return Point(lng, lat, srid=4326)


EARLIEST_DATE, LATEST_DATE = date(2000, 1, 1), date(2099, 12, 31)


def _check_year(day):
    # A year 1 or 9999 is a slip of the finger, and date arithmetic on it (deadlines, waiting periods) overflows.
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise serializers.ValidationError(_("日期须在 %(start)s 到 %(end)s 之间") % {
            "start": EARLIEST_DATE.isoformat(), "end": LATEST_DATE.isoformat()})


class BoundedDateField(serializers.DateField):
    """A date sent by a client: 2000-01-01 to 2099-12-31."""

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        _check_year(day)
        return day


class BoundedDateTimeField(serializers.DateTimeField):
    """A moment sent by a client, within 2000-2099 in Asia/Shanghai (so its offset is +08:00 when it is shown)."""

    def to_internal_value(self, value):
        moment = super().to_internal_value(value)
        _check_year(timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date())
        return moment


def _enum_schema(choices):
    return {"type": "string", "enum": [value for value, _label in choices],
            "description": "\n".join(f"* `{value}` - {label}" for value, label in choices)}


ISSUABLE_NOTICE_KINDS = [(k, NoticeKind(k).label) for k in (
    NoticeKind.STOP_CONSTRUCTION, NoticeKind.RECTIFY, NoticeKind.DEMOLISH_WITHIN_DEADLINE)]


# Named enum components: drf-spectacular would otherwise name the notice kinds after the field ("kind"), which
# collides with the other fields called "kind", and give the service methods two names.
@extend_schema_field(_enum_schema(NoticeKind.choices), component_name="NoticeKindEnum")
class NoticeKindField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=NoticeKind.choices, **kwargs)


@extend_schema_field(_enum_schema(ISSUABLE_NOTICE_KINDS), component_name="IssuableNoticeKindEnum")
class IssuableNoticeKindField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=ISSUABLE_NOTICE_KINDS, **kwargs)


@extend_schema_field(_enum_schema(ServiceMethod.choices), component_name="ServiceMethodEnum")
class ServiceMethodField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=ServiceMethod.choices, **kwargs)


@extend_schema_field({**_enum_schema([("", "—"), *Resolution.choices]),
                      "title": "Resolution: empty while the case is open"}, component_name="ResolutionEnum")
class ResolutionField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=Resolution.choices, allow_blank=True, **kwargs)


class PersonSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name")

    class Meta:
        model = User
        fields = ["id", "username", "name"]


class PhotoSerializer(serializers.ModelSerializer):
    location = GeometryField(allow_null=True)
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    stage_display = serializers.CharField(source="get_stage_display")

    class Meta:
        model = Photo
        fields = ["id", "client_uuid", "stage", "stage_display", "taken_at", "location", "accuracy_m", "sha256",
                  "content_type", "size_bytes", "width", "height", "uploaded_at", "url", "thumbnail_url"]

    def get_url(self, photo) -> str:
        return f"/api/v1/photos/{photo.pk}/file/"

    def get_thumbnail_url(self, photo) -> str | None:
        return f"/api/v1/photos/{photo.pk}/thumbnail/" if photo.thumbnail else None


class NoticeSerializer(serializers.ModelSerializer):
    kind = NoticeKindField()
    service_method = ServiceMethodField()
    kind_display = serializers.CharField(source="get_kind_display")
    service_method_display = serializers.CharField(source="get_service_method_display")
    print_url = serializers.SerializerMethodField(help_text="The notice laid out as the official document, to print")

    class Meta:
        model = Notice
        fields = ["id", "number", "kind", "kind_display", "issued_on", "deadline", "service_method",
                  "service_method_display", "served_on", "service_photo", "print_url"]

    def get_print_url(self, notice) -> str:
        return reverse("notice-print", args=[notice.case_id, notice.pk])


class NoticeListSerializer(NoticeSerializer):
    """GET /api/v1/cases/{id}/notices/: a notice (执法文书) with who issued it and the photo of its service."""

    issued_by = PersonSerializer()
    service_photo_url = serializers.SerializerMethodField()

    class Meta(NoticeSerializer.Meta):
        fields = NoticeSerializer.Meta.fields + ["issued_by", "created_at", "service_photo_url"]

    def get_service_photo_url(self, notice) -> str | None:
        return reverse("api-photo-file", args=[notice.service_photo_id]) if notice.service_photo_id else None


class ActionSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    fields = serializers.ListField(child=serializers.CharField())


class CaseListSerializer(serializers.ModelSerializer):
    location = GeometryField()
    village_name = serializers.CharField(source="village.name", default=None)
    status_display = serializers.CharField(source="get_status_display")
    category_display = serializers.CharField(source="get_category_display")
    responsible = PersonSerializer(allow_null=True)
    overdue = serializers.BooleanField()
    resolution = ResolutionField(read_only=True)

    class Meta:
        model = Case
        fields = ["id", "reference", "status", "status_display", "location", "village", "village_name", "address",
                  "category", "category_display", "stage", "deadline", "overdue", "resolution", "responsible",
                  "created_at", "updated_at"]


class CaseDetailSerializer(CaseListSerializer):
    reported_by = PersonSerializer()
    photos = PhotoSerializer(many=True)
    notices = NoticeSerializer(many=True)
    days_left = serializers.SerializerMethodField()
    available_actions = serializers.SerializerMethodField()
    earliest_demolition_date = serializers.SerializerMethodField()

    class Meta(CaseListSerializer.Meta):
        fields = CaseListSerializer.Meta.fields + [
            "client_uuid", "accuracy_m", "location_source", "estimated_area_m2", "floors", "structure",
            "party_name", "party_phone", "description", "campaign", "patrol", "reported_by", "observed_at",
            "closed_at", "duplicate_of", "suspended", "enforcement_announced_on", "earliest_demolition_date",
            "version", "days_left", "photos", "notices", "available_actions",
        ]

    def get_days_left(self, case) -> int | None:
        if case.deadline is None or not case.is_open:
            return None
        return (case.deadline - timezone.localdate()).days

    @extend_schema_field(OpenApiTypes.DATE)
    def get_earliest_demolition_date(self, case):
        return workflow.earliest_demolition_date(case)

    def get_available_actions(self, case) -> list[dict]:
        user = self.context["request"].user
        return ActionSerializer(
            [{"name": spec.name, "label": str(spec.label), "fields": list(spec.fields)}
             for spec in workflow.available_actions(case, user)], many=True).data


# Bidirectional controls (U+202A-202E embeddings and overrides, U+2066-2069 isolates) reorder the text shown after
# them: "TST-2026-00012\u202egnp.exe" reads as something else. Nobody types them in an address, a name or a note.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def no_bidi_controls(value):
    if BIDI_CONTROLS.search(value):
        raise serializers.ValidationError(_("不能包含控制文字方向的特殊字符"))


class FindingSerializer(serializers.Serializer):
    """POST /api/v1/cases/: a finding from the field."""

    client_uuid = serializers.UUIDField()
    location = PointField()
    accuracy_m = serializers.FloatField(min_value=0, max_value=100000, required=False, allow_null=True)
    location_source = serializers.ChoiceField(choices=LocationSource.choices, default=LocationSource.DEVICE_GPS)
    observed_at = BoundedDateTimeField(required=False)
    category = serializers.ChoiceField(choices=Category.choices)
    stage = serializers.ChoiceField(choices=Stage.choices)
    estimated_area_m2 = serializers.DecimalField(max_digits=10, decimal_places=1, min_value=0, required=False,
                                                 allow_null=True)
    floors = serializers.IntegerField(min_value=1, max_value=50, required=False, allow_null=True)
    structure = serializers.ChoiceField(choices=Structure.choices, required=False, allow_blank=True)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, validators=[no_bidi_controls])
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True,
                                        validators=[no_bidi_controls])
    party_name = serializers.CharField(max_length=100, required=False, allow_blank=True, validators=[no_bidi_controls])
    party_phone = serializers.CharField(max_length=30, required=False, allow_blank=True, validators=[no_bidi_controls])
    campaign = serializers.IntegerField(required=False, allow_null=True)
    patrol = serializers.IntegerField(required=False, allow_null=True)

    def validate_observed_at(self, value):
        if value > timezone.now() + timezone.timedelta(minutes=10):
            raise serializers.ValidationError(_("发现时间不能晚于现在"))
        return value


class PhotoUploadSerializer(serializers.Serializer):
    """POST /api/v1/cases/{id}/photos/ (multipart): one photo with what the phone knew when it was taken."""

    file = serializers.FileField()
    client_uuid = serializers.UUIDField()
    sha256 = serializers.RegexField(r"^[0-9a-fA-F]{64}$", error_messages={"invalid": _("SHA-256 须为 64 位十六进制")})
    taken_at = BoundedDateTimeField()
    location = PointField(required=False, allow_null=True)
    accuracy_m = serializers.FloatField(min_value=0, max_value=100000, required=False, allow_null=True)
    stage = serializers.ChoiceField(choices=PhotoStage.choices, default=PhotoStage.BEFORE)


class NearbyCaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    distance_m = serializers.FloatField()


class NearbyOpenCaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    distance_m = serializers.FloatField()
    status = serializers.CharField()
    status_display = serializers.CharField()
    address = serializers.CharField(allow_blank=True)
    deadline = serializers.DateField(allow_null=True)
    overdue = serializers.BooleanField()


class NearbyResultsSerializer(serializers.Serializer):
    """GET /api/v1/cases/nearby/: at most 20 open cases, nearest first (one page; ``count`` is its length)."""

    count = serializers.IntegerField()
    results = NearbyOpenCaseSerializer(many=True)


class VillageBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class FindingReceiptSerializer(serializers.Serializer):
    """The answer to a reported finding (documentation of the hand-built response)."""

    id = serializers.IntegerField()
    reference = serializers.CharField()
    status = serializers.CharField()
    version = serializers.IntegerField()
    village = VillageBriefSerializer(allow_null=True)
    location = PointField()
    created_at = serializers.DateTimeField()
    nearby_open_cases = NearbyCaseSerializer(many=True)


class EventSerializer(serializers.ModelSerializer):
    actor = PersonSerializer(allow_null=True)
    location = GeometryField(allow_null=True)

    class Meta:
        model = CaseEvent
        fields = ["seq", "created_at", "actor", "location", "action", "from_status", "to_status", "note", "payload",
                  "prev_hash", "hash"]


# --- action bodies (POST /api/v1/cases/{id}/actions/{action}/) ------------------------------------

class _ActionBody(serializers.Serializer):
    location = PointField(required=False, allow_null=True, help_text="Where the action was taken (GeoJSON Point)")


class FileBody(_ActionBody):
    note = serializers.CharField(max_length=2000, validators=[no_bidi_controls])


class DismissBody(_ActionBody):
    reason = serializers.ChoiceField(choices=DismissReason.choices)
    duplicate_of = serializers.IntegerField(required=False, allow_null=True)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="",
                                 validators=[no_bidi_controls])

    def validate(self, data):
        if data["reason"] == DismissReason.DUPLICATE and not data.get("duplicate_of"):
            raise serializers.ValidationError({"duplicate_of": [_("重复线索须指明原案件")]})
        return data


class ServiceBody(serializers.Serializer):
    method = ServiceMethodField()
    date = BoundedDateField()
    photo = serializers.IntegerField(required=False, allow_null=True)


class IssueNoticeBody(_ActionBody):
    notice_kind = IssuableNoticeKindField()
    deadline = BoundedDateField(required=False)
    deadline_days = serializers.IntegerField(min_value=1, max_value=365, required=False)
    service = ServiceBody()

    def validate(self, data):
        if ("deadline" in data) == ("deadline_days" in data):
            raise serializers.ValidationError({"deadline": [_("请填写整改期限（日期）或天数，二者选一")]})
        return data


class ReinspectBody(_ActionBody):
    result = serializers.ChoiceField(choices=ReinspectionResult.choices)
    note = serializers.CharField(max_length=2000, validators=[no_bidi_controls])
    photos = serializers.ListField(child=serializers.IntegerField(), required=False, default=list, max_length=20)


class ExtendDeadlineBody(_ActionBody):
    deadline = BoundedDateField()
    reason = serializers.CharField(max_length=2000, validators=[no_bidi_controls])


class LegalizeBody(_ActionBody):
    permit_number = serializers.CharField(max_length=100, validators=[no_bidi_controls])


class EscalateBody(_ActionBody):
    note = serializers.CharField(max_length=2000, validators=[no_bidi_controls])


class LegalApproveBody(_ActionBody):
    decision_number = serializers.CharField(max_length=100, validators=[no_bidi_controls])
    announcement_date = BoundedDateField()


class LegalRejectBody(_ActionBody):
    reason = serializers.CharField(max_length=2000, validators=[no_bidi_controls])
    deadline = BoundedDateField()


class ExecuteDemolitionBody(_ActionBody):
    note = serializers.CharField(max_length=2000, validators=[no_bidi_controls])
    photos = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=20)


class CommentBody(_ActionBody):
    note = serializers.CharField(max_length=5000, validators=[no_bidi_controls])
    photos = serializers.ListField(child=serializers.IntegerField(), required=False, default=list, max_length=20)
    appeal_filed = serializers.BooleanField(required=False, default=False)


class LiftSuspensionBody(_ActionBody):
    note = serializers.CharField(max_length=2000, validators=[no_bidi_controls])


class AssignBody(_ActionBody):
    inspector = serializers.IntegerField()


def _flatten_service(data):
    service = data.pop("service")
    data.update(service_method=service["method"], served_on=service["date"], service_photo=service.get("photo"))
    return data


# Each action of patrol.workflow.ACTIONS: its body, its service, and how the body becomes arguments.
ACTION_ENDPOINTS = {
    "file": (FileBody, workflow.file_case, None),
    "dismiss": (DismissBody, workflow.dismiss_case, None),
    "issue_notice": (IssueNoticeBody, workflow.issue_notice, _flatten_service),
    "reinspect": (ReinspectBody, workflow.reinspect, None),
    "extend_deadline": (ExtendDeadlineBody, workflow.extend_deadline, None),
    "legalize": (LegalizeBody, workflow.legalize, None),
    "escalate": (EscalateBody, workflow.escalate, None),
    "legal_approve": (LegalApproveBody, workflow.legal_approve, None),
    "legal_reject": (LegalRejectBody, workflow.legal_reject, None),
    "execute_demolition": (ExecuteDemolitionBody, workflow.execute_demolition, None),
    "comment": (CommentBody, workflow.comment, None),
    "lift_suspension": (LiftSuspensionBody, workflow.lift_suspension, None),
    "assign": (AssignBody, workflow.assign, None),
}
