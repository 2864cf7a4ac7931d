from django.contrib import admin

from summaries.models import JurisdictionSummarySchedule, Summary


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
