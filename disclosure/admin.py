"""Published entries in the admin: the snapshot and its dates read-only; IT may hold an entry back (or end a hold)
on a supervisor's instruction by writing or clearing the reason, which goes through disclosure.services like the
API's action."""
from django.contrib import admin, messages
from django.utils import timezone

from disclosure import services
from disclosure.models import PublishedDecision
from patrol.errors import DomainError


@admin.register(PublishedDecision)
class PublishedDecisionAdmin(admin.ModelAdmin):
    list_display = ["number", "jurisdiction", "kind", "decided_on", "due_on", "published_at", "status",
                    "withdrawn_at", "held_back_at", "taken_down_at"]
    list_filter = ["jurisdiction", "kind", "status"]
    search_fields = ["number"]
    date_hierarchy = "decided_on"
    list_select_related = ["jurisdiction"]
    fields = ["held_back_reason", "number", "jurisdiction", "kind", "decided_on", "due_on", "village_name", "party",
              "party_is_person", "category", "facts", "legal_basis", "decision", "status", "published_at",
              "revoked_on", "withdrawn_at", "taken_down_at", "held_back_at", "held_back_by", "hold_history"]
    readonly_fields = [name for name in fields if name != "held_back_reason"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if "held_back_reason" not in form.changed_data:
            return
        try:
            if obj.held_back_reason.strip():
                services.hold_back(entry_id=obj.pk, actor=request.user, reason=obj.held_back_reason,
                                   now=timezone.now())
            else:
                services.release(entry_id=obj.pk, actor=request.user, now=timezone.now())
        except DomainError as error:
            messages.error(request, str(error))
