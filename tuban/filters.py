"""The query parameters of the 图斑 list and map (the same everywhere)."""
import django_filters
from django.utils.translation import gettext_lazy as _

from patrol.filters import IdFilter
from tuban.choices import TubanStatus
from tuban.models import Tuban


class TubanFilter(django_filters.FilterSet):
    batch = IdFilter(field_name="batch_id", label=_("批次"))
    status = django_filters.ChoiceFilter(choices=TubanStatus.choices, method="filter_status", label=_("核查状态"))
    village = IdFilter(field_name="village_id", label=_("行政村"))
    assignee = IdFilter(field_name="assignee_id", label=_("核查人"))

    class Meta:
        model = Tuban
        fields = ["batch", "status", "village", "assignee"]

    def filter_status(self, queryset, name, value):
        return queryset.with_status(value)
