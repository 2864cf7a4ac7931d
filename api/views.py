"""HTTP in, service call or selector, HTTP out. No business rules here."""
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from gis.models import Jurisdiction, Village
from patrol import selectors


class JurisdictionBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Jurisdiction
        fields = ["id", "code", "name"]


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="display_name")
    role = serializers.CharField()
    jurisdiction = JurisdictionBriefSerializer(allow_null=True)
    language = serializers.CharField()


class MeView(APIView):
    """The signed-in user: role, jurisdiction, language."""

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user).data)


class VillageSerializer(GeoFeatureModelSerializer):
    class Meta:
        model = Village
        geo_field = "boundary"
        fields = ["id", "name", "code"]


class VillageListView(generics.ListAPIView):
    """Villages of the user's jurisdiction as a GeoJSON FeatureCollection."""

    serializer_class = VillageSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.villages_for(self.request.user)
