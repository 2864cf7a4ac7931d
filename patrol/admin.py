"""Django admin for IT (DOMAIN.md: admin manages users, jurisdictions, villages, settings).

The admin never bypasses the workflow: cases change status only through patrol.workflow, and the
record (events, photos, notices) is read-only here as it is in the database.
"""
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from leaflet.admin import LeafletGeoAdmin

from patrol.corrections import record_correction

from patrol.models import (
    ApiToken,
    Campaign,
    Case,
    CaseCell,
    CaseCellDeadline,
    CaseEvent,
    CaseFiling,
    DocumentSequence,
    Notice,
    Patrol,
    PatrolTrackBatch,
    Photo,
    User,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "last_name", "first_name", "role", "jurisdiction", "certificate_number",
                    "certificate_valid_until", "is_active"]
    list_filter = ["role", "jurisdiction", "is_active"]
    search_fields = DjangoUserAdmin.search_fields + ("certificate_number",)
    fieldsets = DjangoUserAdmin.fieldsets + (
        (_("执法信息"), {"fields": ("role", "jurisdiction", "phone", "language", "certificate_number",
                                "certificate_valid_until")}),
    )
    add_fieldsets = DjangoUserAdmin.add_fieldsets + (
        (_("执法信息"), {"fields": ("role", "jurisdiction", "email", "last_name", "first_name", "certificate_number",
                                "certificate_valid_until")}),
    )


@admin.register(Campaign)
class CampaignAdmin(LeafletGeoAdmin):
    list_display = ["name", "jurisdiction", "starts_on", "ends_on", "status", "summary_schedule"]
    list_filter = ["jurisdiction", "status"]
    filter_horizontal = ["villages", "recipients"]
    search_fields = ["name"]


@admin.register(Patrol)
class PatrolAdmin(LeafletGeoAdmin):
    list_display = ["inspector", "jurisdiction", "kind", "started_at", "ended_at", "distance_m"]
    list_filter = ["jurisdiction", "kind"]
    readonly_fields = ["client_uuid"]
    filter_horizontal = ["villages"]


class PhotoInline(admin.TabularInline):
    model = Photo
    fields = ["stage", "taken_at", "sha256", "uploaded_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = CaseEvent
    fields = ["seq", "created_at", "actor", "action", "from_status", "to_status", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(LeafletGeoAdmin):
    list_display = ["reference", "jurisdiction", "village", "category", "status", "deadline", "responsible"]
    list_filter = ["jurisdiction", "status", "category", "village"]
    search_fields = ["reference", "address", "party_name"]
    # What was captured in the field (time, accuracy, who, which patrol) is evidence, and who is responsible
    # or what a case duplicates changes only through the workflow; the rest can be corrected, on the record.
    readonly_fields = ["reference", "client_uuid", "jurisdiction", "status", "legal_basis", "deadline", "resolution",
                       "closed_at", "version", "village", "reported_by", "created_at", "observed_at", "accuracy_m",
                       "location_source", "patrol", "responsible", "duplicate_of"]
    inlines = [PhotoInline, EventInline]

    def has_add_permission(self, request):
        # Cases are reported through the field app or API, which numbers them and writes the first event.
        return False

    def save_model(self, request, obj, form, change):
        # A correction by IT (a mistyped address, a point placed on the wrong house) is itself a step of the
        # record: one "admin_correct" event with the old and new values, so nothing changes silently, the
        # chain stays whole (version = last seq) and the map's ETag moves.
        if not change:
            return super().save_model(request, obj, form, change)
        record_correction(obj, form.changed_data, actor=request.user)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Photo)
class PhotoAdmin(ReadOnlyAdmin, LeafletGeoAdmin):
    list_display = ["case", "stage", "taken_at", "uploaded_by", "sha256"]
    list_filter = ["stage"]


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ["number", "case", "kind", "issued_on", "deadline", "service_method", "served_on"]
    list_filter = ["kind"]
    search_fields = ["number"]


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdmin):
    list_display = ["case", "seq", "created_at", "actor", "action", "from_status", "to_status"]
    list_filter = ["action"]
    search_fields = ["case__reference"]


@admin.register(DocumentSequence)
class DocumentSequenceAdmin(ReadOnlyAdmin):
    list_display = ["jurisdiction", "scope", "year", "last_value"]


@admin.register(PatrolTrackBatch)
class PatrolTrackBatchAdmin(ReadOnlyAdmin):
    list_display = ["patrol", "seq", "received_at"]


# The map's rollup (patrol.rollup): written by a database trigger only, shown for checking.
@admin.register(CaseCell)
class CaseCellAdmin(ReadOnlyAdmin):
    list_display = ["jurisdiction_id", "gx", "gy", "status", "n"]


@admin.register(CaseCellDeadline)
class CaseCellDeadlineAdmin(ReadOnlyAdmin):
    list_display = ["jurisdiction_id", "gx", "gy", "deadline", "n"]


# The KPI strip's filing rollup (patrol.rollup): cases per day filed and day closed, kept by triggers only.
@admin.register(CaseFiling)
class CaseFilingAdmin(ReadOnlyAdmin):
    list_display = ["jurisdiction_id", "filed_on", "closed_on", "n"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """IT sees who holds which token and may revoke one (set 撤销时间); the hash is never edited, the token itself
    is never stored, and tokens are made by their users on /settings/, not here."""

    list_display = ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["user__username", "name", "prefix"]
    readonly_fields = ["user", "name", "prefix", "key_hash", "created_at", "last_used_at"]

    def has_add_permission(self, request):
        return False
