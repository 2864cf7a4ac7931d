"""Pages of every list: ``?page=`` and ``?page_size=`` (at most MAX_PAGE_SIZE), with the total ``count``."""
import re

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework_gis.pagination import GeoJsonPagination

MAX_PAGE_SIZE = 500


class StrictPageSize:
    """``page_size`` from 1 to max_page_size, or 400: DRF would quietly use the default for ``page_size=null``
    or ``0`` and cut ``9999`` to the maximum, so a client never learns that it asked for something else."""

    page_size_query_param = "page_size"

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not re.fullmatch(r"[0-9]{1,9}", raw) or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError({self.page_size_query_param: [
                _("应为 1 到 %(max)s 之间的整数") % {"max": self.max_page_size}]})
        return int(raw)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {**parameter["schema"], "minimum": 1}
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {**parameter["schema"], "minimum": 1, "maximum": self.max_page_size}
        return parameters


class Pagination(StrictPageSize, PageNumberPagination):
    """``{"count", "next", "previous", "results"}``."""

    max_page_size = MAX_PAGE_SIZE


class EventPagination(Pagination):
    # A case's whole record usually fits one page: a few dozen events at most.
    page_size = 200
    max_page_size = 1000


class GeoPagination(StrictPageSize, GeoJsonPagination):
    """A GeoJSON FeatureCollection with ``count``, ``next`` and ``previous`` beside its ``features``."""

    max_page_size = MAX_PAGE_SIZE

    def get_paginated_response_schema(self, schema):
        # rest_framework_gis names the argument ``view`` and gives the features no count; ``schema`` here is
        # drf-spectacular's FeatureCollection of the serializer's features.
        return {"allOf": [schema, {
            "type": "object",
            "required": ["count"],
            "properties": {
                "count": {"type": "integer", "example": 7, "description": "Features in all pages"},
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
            },
        }]}
