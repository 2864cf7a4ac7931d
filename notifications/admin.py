from django.contrib import admin

from notifications.models import Delivery


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["recipient", "channel", "title", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["channel", "status"]
    search_fields = ["recipient", "key"]
    readonly_fields = ["channel", "key", "recipient", "payload", "status", "attempts", "last_error", "created_at",
                       "sent_at"]

    def has_add_permission(self, request):
        return False
