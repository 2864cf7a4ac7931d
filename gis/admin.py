from django.contrib import admin
from leaflet.admin import LeafletGeoAdmin

from gis.models import Jurisdiction, Village


@admin.register(Jurisdiction)
class JurisdictionAdmin(LeafletGeoAdmin):
    list_display = ["code", "name", "demolition_wait_days", "enforcement_day_starts", "enforcement_day_ends"]
    search_fields = ["code", "name"]


@admin.register(Village)
class VillageAdmin(LeafletGeoAdmin):
    list_display = ["name", "code", "jurisdiction"]
    list_filter = ["jurisdiction"]
    search_fields = ["name", "code"]
