"""The API documentation pages, served from the app's own static files (drf-spectacular-sidecar).

Swagger UI is served as the "split" view (its start-up script is a file, not inline). Redoc renders
with inline styles and a blob: web worker; only these two pages allow that.
"""
from csp.decorators import csp_update
from django.utils.decorators import method_decorator
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView

DOCS_POLICY = {"style-src": ["'unsafe-inline'"], "worker-src": ["blob:"], "img-src": ["data:"]}


@method_decorator(csp_update(DOCS_POLICY), name="dispatch")
class SwaggerView(SpectacularSwaggerSplitView):
    pass


@method_decorator(csp_update(DOCS_POLICY), name="dispatch")
class RedocView(SpectacularRedocView):
    pass
