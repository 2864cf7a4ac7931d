"""Pages of every list: ``?page=`` and ``?page_size=`` (at most MAX_PAGE_SIZE), with the total ``count``."""
from rest_framework.pagination import PageNumberPagination
from rest_framework_gis.pagination import GeoJsonPagination

MAX_PAGE_SIZE = 500


class Pagination(PageNumberPagination):
    """``{"count", "next", "previous", "results"}``."""

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


class EventPagination(Pagination):
    # A case's whole record usually fits one page: a few dozen events at most.
    page_size = 200
    max_page_size = 1000


class GeoPagination(GeoJsonPagination):
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
