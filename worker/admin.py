from django.contrib import admin

from worker.models import EmailDelivery, WorkerHeartbeat


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["name", "beat_at", "hostname"]


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(admin.ModelAdmin):
    list_display = ["recipient", "subject", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status"]
    search_fields = ["recipient", "subject", "key"]
    readonly_fields = ["key", "recipient", "subject", "body_text", "body_html", "attachments", "status", "attempts",
                       "last_error", "created_at", "sent_at"]

    def has_add_permission(self, request):
        return False
