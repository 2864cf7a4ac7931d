"""Fields that check what a client sends, shared by the API's serializers and the case actions' inputs.

Django REST framework serves here as a validation library (its ``Serializer`` and fields); the domain never
imports the ``api`` package. The OpenAPI decorations only name the fields in the schema.
"""
import json
import re
from datetime import date

from django.contrib.gis.geos import Point
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.fields import GeometryField

from patrol.choices import ServiceMethod

POINT_SCHEMA = {
    "type": "object",
    "description": "GeoJSON Point in WGS-84",
    "properties": {"type": {"type": "string", "enum": ["Point"]},
                   "coordinates": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 3,
                                   "example": [111.62, 40.78]}},
    "required": ["type", "coordinates"],
}


MAX_POINT_TEXT = 500


@extend_schema_field(POINT_SCHEMA)
class PointField(GeometryField):
    """A GeoJSON Point in WGS-84 ([lng, lat]) with a clear message for anything else."""

    default_error_messages = {"invalid": _("位置须为 GeoJSON 点，坐标为 [经度, 纬度]")}

    def to_internal_value(self, value):
        if isinstance(value, str):  # multipart forms carry the GeoJSON as text
            # A point is a short text; a long one may be brackets nested deep enough to exhaust the parser's stack.
            if len(value) > MAX_POINT_TEXT:
                self.fail("invalid")
            try:
                value = json.loads(value)
            except ValueError:
                self.fail("invalid")
            if value is None and self.allow_null:  # and null as the text "null"
                return None
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


# The year as written, which the schema's pattern can say (issue #18): a moment of 2000-2099 in any UTC offset is
# still far from the ends of Python's dates.
YEAR_PATTERN = "^20[0-9]{2}-"


def _check_year(value):
    # A year 1 or 9999 is a slip of the finger, and date arithmetic on it (deadlines, waiting periods) overflows.
    if isinstance(value, str):
        written = value.strip()
    elif isinstance(value, date):  # a date or datetime object, from code rather than from a client
        written = value.isoformat()
    else:
        return  # not a date at all: the field itself says so
    if not re.match(YEAR_PATTERN, written):
        raise serializers.ValidationError(_("日期须在 %(start)s 到 %(end)s 之间") % {
            "start": EARLIEST_DATE.isoformat(), "end": LATEST_DATE.isoformat()})


@extend_schema_field({"type": "string", "format": "date", "pattern": YEAR_PATTERN})
class BoundedDateField(serializers.DateField):
    """A date sent by a client: 2000-01-01 to 2099-12-31."""

    def to_internal_value(self, value):
        _check_year(value)
        return super().to_internal_value(value)


@extend_schema_field({"type": "string", "format": "date-time", "pattern": YEAR_PATTERN})
class BoundedDateTimeField(serializers.DateTimeField):
    """A moment sent by a client, written with a year of 2000-2099."""

    def to_internal_value(self, value):
        _check_year(value)
        return super().to_internal_value(value)


def enum_schema(choices):
    return {"type": "string", "enum": [value for value, _label in choices],
            "description": "\n".join(f"* `{value}` - {label}" for value, label in choices)}


# Named enum components: drf-spectacular would otherwise name an enum after its field ("kind", which other fields
# are called too) and give the service methods two names.
@extend_schema_field(enum_schema(ServiceMethod.choices), component_name="ServiceMethodEnum")
class ServiceMethodField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=ServiceMethod.choices, **kwargs)


# Bidirectional controls (U+202A-202E embeddings and overrides, U+2066-2069 isolates) reorder the text shown after
# them: "TST-2026-00012\u202egnp.exe" reads as something else. Nobody types them in an address, a name or a note.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def no_bidi_controls(value):
    if BIDI_CONTROLS.search(value):
        raise serializers.ValidationError(_("不能包含控制文字方向的特殊字符"))
