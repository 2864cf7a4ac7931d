from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from leaflet.admin import LeafletGeoAdmin

from gis.models import Jurisdiction, Village
from patrol.choices import LegalBasis


class JurisdictionForm(forms.ModelForm):
    # Ticked boxes rather than raw JSON: the bases are a fixed list.
    legal_bases = forms.MultipleChoiceField(label=_("可适用的法律依据"), choices=LegalBasis.choices,
                                            widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Jurisdiction
        fields = "__all__"


@admin.register(Jurisdiction)
class JurisdictionAdmin(LeafletGeoAdmin):
    form = JurisdictionForm
    list_display = ["code", "name", "reconsideration_body", "court", "decision_period_days",
                    "enforcement_day_starts", "enforcement_day_ends"]
    search_fields = ["code", "name"]
    fieldsets = [
        (None, {"fields": ["name", "code", "doc_prefix", "boundary"]}),
        (_("执法程序"), {"fields": ["legal_bases", "reconsideration_body", "court", "decision_period_days",
                                "statement_window_days", "major_case_area_m2", "major_case_any_demolition"]}),
        (_("强制执行"), {"fields": ["demolition_wait_days", "enforcement_day_starts", "enforcement_day_ends"]}),
        (_("保存与公示"), {"fields": ["evidence_retention_years", "disclosure_retention_years",
                                  "disclosure_retention_years_person", "public_address", "public_phone",
                                  "duties"]}),
        (_("现场取证"), {"fields": ["finding_accuracy_max_m", "finding_min_photos", "tuban_near_m"]}),
    ]


@admin.register(Village)
class VillageAdmin(LeafletGeoAdmin):
    list_display = ["name", "code", "jurisdiction"]
    list_filter = ["jurisdiction"]
    search_fields = ["name", "code"]
