"""Serializers: shapes of requests and responses. Validation of form only; rules live in patrol.workflow.

The bodies of the case actions are the domain's (patrol.action_inputs, named by the registry workflow.ACTIONS), and
so are the fields that check dates, points and text (patrol.inputs).
"""
from django.conf import settings
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.settings import api_settings
from rest_framework_gis.fields import GeometryField

from patrol import procedure, workflow
from patrol.errors import InvalidInput
from patrol.presentation import event_label
from patrol.choices import Category, LegalBasis, LocationSource, NoticeKind, PhotoStage, Resolution, Stage, Structure, status_label
from patrol.inputs import BoundedDateTimeField, PointField, ServiceMethodField, enum_schema, no_bidi_controls
from patrol.models import Case, CaseEvent, Notice, Photo, User
from videos.models import Video


# A named enum component: drf-spectacular would otherwise name the notice kinds after the field ("kind"), which
# collides with the other fields called "kind".
@extend_schema_field(enum_schema(NoticeKind.choices), component_name="NoticeKindEnum")
class NoticeKindField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=NoticeKind.choices, **kwargs)


@extend_schema_field({**enum_schema([("", "—"), *Resolution.choices]),
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
    display_url = serializers.SerializerMethodField()
    stage_display = serializers.CharField(source="get_stage_display")

    class Meta:
        model = Photo
        fields = ["id", "client_uuid", "stage", "stage_display", "taken_at", "location", "accuracy_m", "sha256",
                  "content_type", "size_bytes", "width", "height", "uploaded_at", "url", "thumbnail_url",
                  "display_url"]

    def get_url(self, photo) -> str:
        return f"/api/v1/photos/{photo.pk}/file/"

    def get_thumbnail_url(self, photo) -> str | None:
        return f"/api/v1/photos/{photo.pk}/thumbnail/" if photo.thumbnail else None

    def get_display_url(self, photo) -> str | None:
        """The copy with the band of time, position, case and taker (patrol.watermark), once the worker made it;
        ``url`` stays the evidence."""
        return f"/api/v1/photos/{photo.pk}/display/" if photo.display else None


class VideoSerializer(serializers.ModelSerializer):
    """A body-camera video kept on the case (uploads: api/videos.py)."""

    url = serializers.SerializerMethodField()

    class Meta:
        model = Video
        fields = ["id", "client_uuid", "filename", "content_type", "size_bytes", "sha256", "recorded_from",
                  "recorded_to", "uploaded_at", "url"]

    def get_url(self, video) -> str:
        return f"/api/v1/videos/{video.pk}/file/"


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


class ActionOptionSerializer(serializers.Serializer):
    """An action of the case's current state and whether this user may take it now; another role's action is listed
    too, unavailable, its reason naming the role that may take it (the refusal would be 403)."""

    action = serializers.ChoiceField(choices=list(workflow.ACTIONS), source="spec.name",
                                     help_text="The action's name, as in POST /api/v1/cases/{id}/actions/{action}/")
    available = serializers.BooleanField()
    reason = serializers.CharField(source="blocker.reason", default=None, allow_null=True,
                                   help_text="Why not now, naming the rule or article; null when available")
    earliest = serializers.DateField(source="blocker.earliest", default=None, allow_null=True,
                                     help_text="The earliest day it may be possible, when time is the reason")


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


class ClockSerializer(serializers.Serializer):
    """A running legal period of the case (patrol.periods): its start, its last day, and the days left (negative once
    passed)."""

    name = serializers.CharField()
    label = serializers.CharField()
    source = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    days_left = serializers.IntegerField()
    extended = serializers.BooleanField()


class CaseDetailSerializer(CaseListSerializer):
    reported_by = PersonSerializer()
    photos = PhotoSerializer(many=True)
    videos = VideoSerializer(many=True)
    notices = NoticeSerializer(many=True)
    days_left = serializers.SerializerMethodField()
    available_actions = serializers.SerializerMethodField()
    clocks = serializers.SerializerMethodField()
    late = serializers.BooleanField(read_only=True)
    # Blank until 立案 names the article: said so in the schema (read-only model fields lose the blank there).
    legal_basis = serializers.ChoiceField(choices=LegalBasis.choices, allow_blank=True, read_only=True)

    class Meta(CaseListSerializer.Meta):
        fields = CaseListSerializer.Meta.fields + [
            "client_uuid", "accuracy_m", "location_source", "estimated_area_m2", "floors", "structure",
            "party_name", "party_phone", "description", "campaign", "patrol", "reported_by", "observed_at",
            "closed_at", "duplicate_of", "suspended", "enforcement_announced_on",
            "version", "days_left", "photos", "videos", "notices", "available_actions", "legal_basis", "decision_due",
            "late", "clocks",
        ]

    @extend_schema_field(ClockSerializer(many=True))
    def get_clocks(self, case):
        return ClockSerializer(procedure.clocks(case), many=True).data

    def get_days_left(self, case) -> int | None:
        if case.deadline is None or not case.is_open:
            return None
        return (case.deadline - timezone.localdate()).days

    @extend_schema_field(ActionOptionSerializer(many=True))
    def get_available_actions(self, case):
        return ActionOptionSerializer(workflow.action_options(case, self.context["request"].user), many=True).data


def _json_type_ok(field, value):
    """Whether ``value`` from a JSON body has the JSON type the field's schema says."""
    if value is None:
        return True  # allow_null decides
    if isinstance(field, serializers.BooleanField):
        return isinstance(value, bool)
    if isinstance(field, serializers.IntegerField):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(field, serializers.DecimalField) and getattr(field, "coerce_to_string",
                                                               api_settings.COERCE_DECIMAL_TO_STRING):
        return isinstance(value, str)  # documented as a decimal string ("35.5"), as the field page sends it
    if isinstance(field, (serializers.FloatField, serializers.DecimalField)):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(field, serializers.ListField):
        return isinstance(value, list) and all(_json_type_ok(field.child, item) for item in value)
    if isinstance(field, serializers.Serializer):
        return isinstance(value, dict) and not json_type_errors(field, value)
    if isinstance(field, (serializers.CharField, serializers.ChoiceField, serializers.DateField,
                          serializers.DateTimeField, serializers.UUIDField)):
        return isinstance(value, str)
    return True


def json_type_errors(serializer, data):
    """The fields of ``data`` (a JSON body) whose JSON type is not the one the serializer's schema says.

    DRF converts on its own: 0 becomes the text "0", "5" the integer 5, 1 and "yes" True, and the integer 7 (or
    false) becomes a UUID; the schema promises none of that, and a client sending the wrong type has a bug that
    it should hear about. Form and multipart bodies (every value is text there) keep DRF's conversions.
    """
    if not isinstance(data, dict) or isinstance(data, QueryDict):
        return {}
    return {name: [_("类型不正确，请参考接口文档")] for name, field in serializer.fields.items()
            if not field.read_only and name in data and not _json_type_ok(field, data[name])}


class JsonTypes:
    """A serializer of JSON bodies that refuses values of the wrong JSON type (json_type_errors)."""

    def to_internal_value(self, data):
        wrong = json_type_errors(self, data)
        if wrong:
            raise serializers.ValidationError(wrong)
        return super().to_internal_value(data)


class FindingSerializer(JsonTypes, serializers.Serializer):
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

    def validate(self, attrs):
        # Evidence of where: a phone fix always comes with its accuracy, and the point a map opens on when it
        # knows nothing (LEAFLET_CONFIG's default centre) is nobody's finding: a page that sent it had no fix
        # and no pick (#15).
        if attrs.get("location_source", LocationSource.DEVICE_GPS) == LocationSource.DEVICE_GPS \
                and attrs.get("accuracy_m") is None:
            raise serializers.ValidationError({"accuracy_m": [
                _("手机定位须附定位精度；没有定位时请在地图上选点")]})
        point = attrs.get("location")
        lat, lng = settings.LEAFLET_CONFIG["DEFAULT_CENTER"]
        if point is not None and round(point.x, 6) == round(lng, 6) and round(point.y, 6) == round(lat, 6):
            raise serializers.ValidationError({"location": [
                _("这是地图的默认中心，不是发现的位置：请等待定位或在地图上把标记拖到现场")]})
        return attrs


class UploadedPhotoSerializer(serializers.Serializer):
    """One photo from the phone (multipart), a case's or a 图斑's: the file, the client_uuid that makes sending it
    again safe, its SHA-256, and when and where it was taken."""

    file = serializers.FileField()
    client_uuid = serializers.UUIDField()
    sha256 = serializers.RegexField(r"^[0-9a-fA-F]{64}$", error_messages={"invalid": _("SHA-256 须为 64 位十六进制")})
    taken_at = BoundedDateTimeField()
    location = PointField(required=False, allow_null=True)
    accuracy_m = serializers.FloatField(min_value=0, max_value=100000, required=False, allow_null=True)

    @classmethod
    def received(cls, request):
        """The request's one photo, checked: the fields as the services take them (the file as ``upload``)."""
        if len(request.FILES) > 1 or len(request.FILES.getlist("file")) > 1:
            raise InvalidInput(gettext("一次只能上传一张照片"), fields={"file": [gettext("一次只能上传一张照片")]})
        body = cls(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        data["upload"] = data.pop("file")
        return data


class PhotoUploadSerializer(UploadedPhotoSerializer):
    """POST /api/v1/cases/{id}/photos/ (multipart): one photo with what the phone knew when it was taken."""

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
    # Readable names of the states, including those an old event keeps from before #13 (rectifying, escalated).
    from_status_display = serializers.SerializerMethodField()
    to_status_display = serializers.SerializerMethodField()
    # What happened, in words (the field page shows what changed a case while the phone was offline).
    action_display = serializers.SerializerMethodField()

    class Meta:
        model = CaseEvent
        fields = ["seq", "created_at", "actor", "location", "action", "action_display", "from_status",
                  "from_status_display", "to_status", "to_status_display", "note", "payload", "prev_hash", "hash"]

    def get_action_display(self, event) -> str:
        return str(event_label(event.action))

    def get_from_status_display(self, event) -> str:
        return str(status_label(event.from_status)) if event.from_status else ""

    def get_to_status_display(self, event) -> str:
        return str(status_label(event.to_status)) if event.to_status else ""
