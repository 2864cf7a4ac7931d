"""Case filters shared by the list, the map and the exports (the same query parameters everywhere)."""
import re
from datetime import datetime, time, timedelta

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from patrol.choices import Category, Stage, Status
from patrol.models import Case, late_q, overdue_q


# Ids are positive 64-bit integers (bigint). A float, or a number beyond bigint, is a 400: django-filter's
# NumberFilter reads a Decimal and "6029032139721092.0" or "-7e+271" overflowed the query (500).
ID_MAX = 2**63 - 1
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": ID_MAX}


def local_midnight(day):
    """The start of the local day ``day`` (the current time zone, Asia/Shanghai) as an aware datetime."""
    return timezone.make_aware(datetime.combine(day, time.min))


class IdField(forms.IntegerField):
    """Digits only: forms.IntegerField would also read "12.0" as 12."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not re.fullmatch(r"[0-9]{1,19}", str(value).strip()):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return int(value)


@extend_schema_field(ID_SCHEMA)
class IdFilter(django_filters.NumberFilter):
    field_class = IdField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(*args, **kwargs)


class IsoDateField(forms.DateField):
    """YYYY-MM-DD only: Django's DateField also reads 01/02/2026 and 2026-1-2, which the schema's "date" is not."""

    def to_python(self, value):
        if value not in self.empty_values and not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", str(value).strip()):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class IsoDateFilter(django_filters.DateFilter):
    field_class = IsoDateField


class StrictBooleanField(forms.Field):
    """``true`` or ``false``: django-filter's own reads anything else (``null``, ``abc``) as "not given"."""

    VALUES = {"true": True, "false": False}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if str(value).lower() not in self.VALUES:
            raise forms.ValidationError(_("应为 true 或 false"), code="invalid")
        return self.VALUES[str(value).lower()]


@extend_schema_field({"type": "boolean"})
class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


# PostgreSQL refuses NUL in text, and Django's form fields refuse it before the query: the schema says so.
@extend_schema_field({"type": "string", "pattern": "^[^\\x00]*$"})
class TextFilter(django_filters.CharFilter):
    pass


class CaseFilter(django_filters.FilterSet):
    # distinct=False: no join here can repeat a row, and DISTINCT over every column (geometry included) is costly.
    status = django_filters.MultipleChoiceFilter(choices=Status.choices, label=_("状态"), distinct=False)
    overdue = StrictBooleanFilter(method="filter_overdue", label=_("逾期"))
    late = StrictBooleanFilter(method="filter_late", label=_("超过办案期限"))
    village = IdFilter(field_name="village_id", label=_("行政村"))
    campaign = IdFilter(field_name="campaign_id", label=_("专项整治行动"))
    inspector = IdFilter(field_name="responsible_id", label=_("责任人"))
    category = django_filters.MultipleChoiceFilter(choices=Category.choices, label=_("类别"), distinct=False)
    stage = django_filters.ChoiceFilter(choices=Stage.choices, label=_("建设状态"))
    # Local dates as ranges of created_at (local midnight to local midnight): ``created_at__date`` casts every row
    # and cannot use the (jurisdiction, created_at) index.
    reported_from = IsoDateFilter(method="filter_reported_from", label=_("发现日期起"))
    reported_to = IsoDateFilter(method="filter_reported_to", label=_("发现日期止"))
    q = TextFilter(method="filter_text", label=_("编号、地址或当事人"))

    class Meta:
        model = Case
        fields = []

    def filter_overdue(self, queryset, name, value):
        overdue = overdue_q(timezone.localdate())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)

    def filter_reported_from(self, queryset, name, value):
        return queryset.filter(created_at__gte=local_midnight(value))

    def filter_reported_to(self, queryset, name, value):
        return queryset.filter(created_at__lt=local_midnight(value + timedelta(days=1)))
    def filter_late(self, queryset, name, value):
        late = late_q(timezone.localdate())
        return queryset.filter(late) if value else queryset.exclude(late)

    def filter_text(self, queryset, name, value):
        value = value.strip()[:100]
        if not value:
            return queryset
        return queryset.filter(Q(reference__icontains=value) | Q(address__icontains=value)
                               | Q(party_name__icontains=value))
