"""Case filters shared by the list, the map and the exports (the same query parameters everywhere)."""
import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from patrol.choices import Category, Stage, Status
from patrol.models import Case


class CaseFilter(django_filters.FilterSet):
    # distinct=False: no join here can repeat a row, and DISTINCT over every column (geometry included) is costly.
    status = django_filters.MultipleChoiceFilter(choices=Status.choices, label=_("状态"), distinct=False)
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("逾期"))
    village = django_filters.NumberFilter(field_name="village_id", label=_("行政村"))
    campaign = django_filters.NumberFilter(field_name="campaign_id", label=_("专项整治行动"))
    inspector = django_filters.NumberFilter(field_name="responsible_id", label=_("责任人"))
    category = django_filters.MultipleChoiceFilter(choices=Category.choices, label=_("类别"), distinct=False)
    stage = django_filters.ChoiceFilter(choices=Stage.choices, label=_("建设状态"))
    reported_from = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte", label=_("发现日期起"))
    reported_to = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte", label=_("发现日期止"))
    q = django_filters.CharFilter(method="filter_text", label=_("编号、地址或当事人"))

    class Meta:
        model = Case
        fields = []

    def filter_overdue(self, queryset, name, value):
        # 逾期 is derived: rectifying with a deadline before today in Asia/Shanghai.
        overdue = Q(status=Status.RECTIFYING, deadline__lt=timezone.localdate())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)

    def filter_text(self, queryset, name, value):
        value = value.strip()[:100]
        if not value:
            return queryset
        return queryset.filter(Q(reference__icontains=value) | Q(address__icontains=value)
                               | Q(party_name__icontains=value))
