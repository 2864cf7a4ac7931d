"""Admin for IT: batches and 图斑 can be looked at and corrected (assignee, due date); the verification record and
the evidence photos are read-only, as everywhere."""
from django.contrib import admin
from leaflet.admin import LeafletGeoAdmin

from tuban.models import Tuban, TubanBatch, TubanColumns, TubanPhoto, Verification


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TubanColumns)
class TubanColumnsAdmin(admin.ModelAdmin):
    list_display = ["jurisdiction", "columns"]


@admin.register(TubanBatch)
class TubanBatchAdmin(admin.ModelAdmin):
    list_display = ["name", "jurisdiction", "due_date", "imported_at", "source_file", "source_srs"]
    list_filter = ["jurisdiction"]
    readonly_fields = ["imported_at", "imported_by", "source_file", "source_srs", "columns"]


@admin.register(Tuban)
class TubanAdmin(LeafletGeoAdmin):
    list_display = ["number", "batch", "village", "status", "assignee", "case"]
    list_filter = ["jurisdiction", "status", "batch"]
    search_fields = ["number"]
    list_select_related = ["batch", "village", "assignee", "case"]
    readonly_fields = ["batch", "jurisdiction", "number", "status", "case", "created_at"]
    raw_id_fields = ["assignee", "village"]


@admin.register(TubanPhoto)
class TubanPhotoAdmin(ReadOnlyAdmin):
    list_display = ["tuban", "kind", "taken_at", "uploaded_by"]


@admin.register(Verification)
class VerificationAdmin(ReadOnlyAdmin):
    list_display = ["tuban", "verdict", "verified_by", "verified_at", "distance_m"]
