"""HTTP in, service call or selector, HTTP out. No business rules here.

The signed-in user (GET and PATCH /api/v1/me/), and the places of the user's jurisdiction as GeoJSON:
the jurisdiction itself, its villages and its campaigns (专项整治行动) with their areas.
"""
import django_filters
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_gis.fields import GeometryField as GeometrySerializerField
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from api.pagination import GeoPagination
from api.parsers import ShallowJSONParser
from api.serializers import JsonTypes
from api.schema import errors
from gis.models import Jurisdiction, Village
from patrol import selectors
from patrol.choices import LEGAL_BASIS_RULES, CampaignStatus, LegalBasis
from patrol.models import Campaign


class JurisdictionBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Jurisdiction
        fields = ["id", "code", "name"]


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="display_name")
    role = serializers.CharField(help_text="inspector, supervisor, legal_reviewer, leader or admin")
    role_display = serializers.CharField(source="get_role_display")
    jurisdiction = JurisdictionBriefSerializer(allow_null=True)
    language = serializers.CharField(help_text="The language of the interface, the API's messages and emails")
    certificate_number = serializers.CharField(
        help_text="执法证号, empty when none is recorded; set by the admin, never through this endpoint")
    certificate_valid_until = serializers.DateField(allow_null=True, help_text="The certificate's last valid day")


class MeUpdateSerializer(JsonTypes, serializers.Serializer):
    language = serializers.ChoiceField(choices=settings.LANGUAGES, required=False)


ME_EXAMPLE = OpenApiExample("A supervisor", response_only=True, status_codes=["200"], value={
    "id": 3, "username": "zhang.wei", "name": "张伟", "role": "supervisor", "role_display": "中队长",
    "jurisdiction": {"id": 1, "code": "LWG", "name": "龙湾港执法中队"}, "language": "zh-hans",
    "certificate_number": "150105202600003", "certificate_valid_until": "2031-12-31"})


class MeView(APIView):
    """The signed-in user: role, jurisdiction, language, 执法证. PATCH sets the language (also of emails).

    The certificate is shown, not changed: the admin records it from the issued card.
    """

    parser_classes = [ShallowJSONParser]

    @extend_schema(responses={200: OpenApiResponse(MeSerializer, examples=[ME_EXAMPLE])})
    def get(self, request):
        return Response(MeSerializer(request.user).data)

    @extend_schema(request=MeUpdateSerializer, responses={200: OpenApiResponse(MeSerializer, examples=[ME_EXAMPLE])})
    def patch(self, request):
        body = MeUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        # A PATCH changes what it names: {} changes nothing and answers with the user as they are.
        if "language" in body.validated_data:
            request.user.language = body.validated_data["language"]
            request.user.save(update_fields=["language"])
        # The answer is already in the new language, as the settings page does.
        translation.activate(request.user.language)
        request.LANGUAGE_CODE = request.user.language
        return Response(MeSerializer(request.user).data)


# --- jurisdiction ------------------------------------------------------------------------------------


# "HH:MM" in Asia/Shanghai: OpenAPI's format "time" would ask for a UTC offset.
@extend_schema_field({"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$", "example": "08:00"})
class ClockTimeField(serializers.TimeField):
    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


class LegalBasisSerializer(serializers.Serializer):
    value = serializers.CharField(help_text="planning_art65, planning_art64 or land_art78")
    label = serializers.CharField()
    articles = serializers.CharField(help_text="The articles as documents cite them (always Chinese)")
    route = serializers.CharField(help_text="self: the body demolishes; court: it applies to the court")


class JurisdictionSerializer(GeoFeatureModelSerializer):
    enforcement_day_starts = ClockTimeField(read_only=True, help_text="Enforcement only from this time (Art. 43)")
    enforcement_day_ends = ClockTimeField(read_only=True, help_text="... and until this time")
    legal_bases = serializers.SerializerMethodField(help_text="The legal bases a case may be filed under here")
    major_case_area_m2 = serializers.FloatField(
        read_only=True, allow_null=True, help_text="A case this large (estimated m²) needs 集体讨论; null: no area rule")

    class Meta:
        model = Jurisdiction
        geo_field = "boundary"
        fields = ["id", "code", "name", "doc_prefix", "demolition_wait_days", "enforcement_day_starts",
                  "enforcement_day_ends", "legal_bases", "reconsideration_body", "court", "decision_period_days",
                  "statement_window_days", "major_case_area_m2", "major_case_any_demolition",
                  "evidence_retention_years", "disclosure_retention_years", "tuban_near_m"]

    @extend_schema_field(LegalBasisSerializer(many=True))
    def get_legal_bases(self, jurisdiction) -> list:
        return [{"value": basis, "label": str(LegalBasis(basis).label),
                 "articles": LEGAL_BASIS_RULES[basis].articles, "route": LEGAL_BASIS_RULES[basis].route}
                for basis in jurisdiction.legal_bases if basis in LegalBasis.values]


class JurisdictionListView(generics.ListAPIView):
    """The user's own jurisdiction (执法单位) with its boundary, as a GeoJSON FeatureCollection.

    A list of one: a user belongs to one jurisdiction and never sees another.
    """

    serializer_class = JurisdictionSerializer
    pagination_class = GeoPagination

    def get_queryset(self):
        user = self.request.user
        if not user.is_active or user.jurisdiction_id is None:
            return Jurisdiction.objects.none()
        return Jurisdiction.objects.filter(pk=user.jurisdiction_id).order_by("code")


class JurisdictionDetailView(generics.RetrieveAPIView):
    """The user's own jurisdiction as a GeoJSON Feature; any other id is a 404."""

    serializer_class = JurisdictionSerializer

    def get_queryset(self):
        return JurisdictionListView.get_queryset(self)


# --- villages ----------------------------------------------------------------------------------------


class VillageSerializer(GeoFeatureModelSerializer):
    class Meta:
        model = Village
        geo_field = "boundary"
        fields = ["id", "name", "code"]


class VillageListView(generics.ListAPIView):
    """Villages of the user's jurisdiction as a GeoJSON FeatureCollection."""

    serializer_class = VillageSerializer
    pagination_class = GeoPagination

    def get_queryset(self):
        return selectors.villages_for(self.request.user)


class VillageDetailView(generics.RetrieveAPIView):
    """One village of the user's jurisdiction as a GeoJSON Feature."""

    serializer_class = VillageSerializer

    def get_queryset(self):
        return selectors.villages_for(self.request.user)


# --- campaigns ---------------------------------------------------------------------------------------


# Documented as the model's `area` (a MultiPolygon) by drf-spectacular's GeoJSON feature extension; this only
# keeps the field's own mapping from guessing at the annotation.
@extend_schema_field({"type": "object"})
class CampaignAreaField(GeometrySerializerField):
    pass


class CampaignSerializer(GeoFeatureModelSerializer):
    # The drawn area, or else the union of the campaign's villages (campaigns_with_area); null without either.
    area = CampaignAreaField(source="area_or_villages", read_only=True, allow_null=True)
    area_source = serializers.SerializerMethodField(help_text="Where the area comes from: drawn, villages or none")
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    active = serializers.SerializerMethodField()
    summary_schedule_display = serializers.CharField(source="get_summary_schedule_display", read_only=True)
    villages = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    summary_url = serializers.SerializerMethodField()

    class Meta:
        model = Campaign
        geo_field = "area"
        fields = ["id", "name", "status", "status_display", "active", "starts_on", "ends_on", "villages",
                  "target_categories", "area_source", "summary_schedule", "summary_schedule_display", "summary_url"]

    def get_area_source(self, campaign) -> str:
        if campaign.area is not None:
            return "drawn"
        return "villages" if campaign.villages.all() else "none"

    def get_active(self, campaign) -> bool:
        return campaign.status == CampaignStatus.ACTIVE

    def get_summary_url(self, campaign) -> str:
        return reverse("api-campaign-summary", args=[campaign.pk])


class CampaignFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=CampaignStatus.choices, label=_("状态"), distinct=False)

    class Meta:
        model = Campaign
        fields = []


def campaigns_with_area(user):
    return selectors.campaigns_with_area(user).prefetch_related("villages")


class CampaignListView(generics.ListAPIView):
    """Campaigns (专项整治行动) of the user's jurisdiction, newest first, as a GeoJSON FeatureCollection of
    their areas. ``?status=active`` keeps the running ones."""

    serializer_class = CampaignSerializer
    pagination_class = GeoPagination
    filterset_class = CampaignFilter
    queryset = Campaign.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        return campaigns_with_area(self.request.user)


class CampaignDetailView(generics.RetrieveAPIView):
    """One campaign with its area as a GeoJSON Feature; its KPIs are at ``summary_url``."""

    serializer_class = CampaignSerializer
    queryset = Campaign.objects.none()

    def get_queryset(self):
        return campaigns_with_area(self.request.user)

    @extend_schema(responses={200: CampaignSerializer, **errors(404, d404="No such campaign in the user's "
                                                                         "jurisdiction")})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

