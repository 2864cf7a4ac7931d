"""The API's strictness about query parameters: a filter sent empty, or a choice not offered, is a 400."""
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError


def refuse_empty(params, names):
    """400 naming each of ``names`` that is present in the query with an empty value.

    A client that means "no filter" leaves the parameter out (the pages do: empty fields stay out of their URLs);
    ``reported_to=`` is not a date, and answering as if it were absent hides the client's mistake.
    """
    empty = {name: [_("不能为空；不筛选时请省略该参数")] for name in names
             if any(not value.strip() for value in params.getlist(name))}
    if empty:
        raise ValidationError(empty)


def choice_param(params, name, choices, default):
    """A query parameter that must be one of ``choices`` when given (400 otherwise)."""
    value = params.get(name)
    if value is None:
        return default
    if value not in choices:
        raise ValidationError({name: [_("可选值：%(choices)s") % {"choices": ", ".join(choices)}]})
    return value


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter's backend, refusing filters sent empty (refuse_empty)."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            refuse_empty(request.query_params, [name for name in filterset_class.base_filters if name != "q"])
        return super().filter_queryset(request, queryset, view)
