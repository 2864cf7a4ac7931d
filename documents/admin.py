"""Issued documents and their services in the admin: read-only, as the database keeps them."""
from django.contrib import admin

from documents.models import Document, DossierJob, ServiceRecord, Signature
from patrol.admin import ReadOnlyAdmin


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = ["number", "case", "kind", "issued_on", "deadline", "period_days", "issued_by", "sha256"]
    list_filter = ["kind"]
    search_fields = ["number", "case__reference"]
    list_select_related = ["case", "issued_by"]


@admin.register(ServiceRecord)
class ServiceRecordAdmin(ReadOnlyAdmin):
    list_display = ["document", "method", "served_on", "effective_on", "served_by", "receipt"]
    list_filter = ["method"]
    search_fields = ["document__number", "tracking_number"]
    list_select_related = ["document", "served_by", "receipt"]


@admin.register(DossierJob)
class DossierJobAdmin(ReadOnlyAdmin):
    """Shown so IT can see a stuck or failed 案卷 build; the worker owns the rows."""

    list_display = ["case", "case_version", "status", "progress", "page_count", "created_at", "finished_at"]
    list_filter = ["status"]
    search_fields = ["case__reference"]
    list_select_related = ["case"]


@admin.register(Signature)
class SignatureAdmin(ReadOnlyAdmin):
    """Drawn signatures and refusals: evidence, as the database keeps them."""

    list_display = ["case", "role", "signer_name", "refused", "witness_name", "drawn_at", "uploaded_by", "sha256"]
    list_filter = ["role", "refused"]
    search_fields = ["case__reference", "signer_name"]
    list_select_related = ["case", "uploaded_by"]
