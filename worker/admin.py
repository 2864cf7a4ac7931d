from django.contrib import admin

from worker.models import EmailDelivery, ExportJob, JurisdictionSummarySchedule, Summary, WorkerHeartbeat


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


@admin.register(Summary)
class SummaryAdmin(admin.ModelAdmin):
    list_display = ["__str__", "created_at"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(JurisdictionSummarySchedule)
class JurisdictionSummaryScheduleAdmin(admin.ModelAdmin):
    filter_horizontal = ["recipients"]


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    list_display = ["__str__", "status", "progress", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
