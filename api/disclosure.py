"""执法公示 over the API, for the jurisdiction's own staff: the entries with their dates (pending, published, held
back, withdrawn, taken down), and the supervisor's hold (暂缓公示, with a reason) and its release.

Thin: reads are the user's jurisdiction's (``for_user``), writes go through disclosure.services. The public pages
themselves are disclosure.views.
"""
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from api.pagination import Pagination
from api.schema import errors
from api.serializers import JsonTypes
from disclosure import services
from disclosure.models import PublishedDecision
from patrol.inputs import no_bidi_controls


class DisclosureEntrySerializer(serializers.ModelSerializer):
    late = serializers.SerializerMethodField(help_text="Not public and its last day to publish has passed")
    public_url = serializers.SerializerMethodField()

    class Meta:
        model = PublishedDecision
        fields = ["id", "kind", "number", "decided_on", "due_on", "village_name", "party", "status",
                  "published_at", "withdrawn_at", "taken_down_at", "held_back_at", "held_back_by",
                  "held_back_reason", "late", "public_url"]

    def get_late(self, entry) -> bool:
        return entry.published_at is None and entry.withdrawn_at is None and entry.due_on < timezone.localdate()

    def get_public_url(self, entry) -> str:
        return reverse("disclosure-decisions", args=[entry.jurisdiction.code]) + f"#d{entry.pk}"


class HoldBackBodySerializer(JsonTypes, serializers.Serializer):
    reason = serializers.CharField(max_length=2000, validators=[no_bidi_controls])


class DisclosureEntryListView(generics.ListAPIView):
    """The jurisdiction's 执法公示 entries, the latest decision first."""

    serializer_class = DisclosureEntrySerializer
    pagination_class = Pagination

    def get_queryset(self):
        return (PublishedDecision.objects.for_user(self.request.user).select_related("jurisdiction")
                .order_by("-decided_on", "-pk"))


def _entry_response(entry):
    entry = PublishedDecision.objects.select_related("jurisdiction").get(pk=entry.pk)
    return Response(DisclosureEntrySerializer(entry).data)


class DisclosureHoldView(APIView):
    """暂缓公示: keep the entry off the public pages, with the reason recorded. A hold past the last day to publish
    counts against 公示及时率 and is flagged in the KPIs."""

    parser_classes = [JSONParser]

    @extend_schema(request=HoldBackBodySerializer, responses={
        200: OpenApiResponse(DisclosureEntrySerializer, description="Held back"),
        **errors(400, 403, 404, 409, d400="No reason", d403="Only a supervisor holds an entry back",
                 d404="No such entry in the user's jurisdiction",
                 d409="Already held back, withdrawn or taken down")})
    def post(self, request, pk):
        body = HoldBackBodySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return _entry_response(services.hold_back(entry_id=pk, actor=request.user, **body.validated_data))


class DisclosureReleaseView(APIView):
    """End a hold: the entry is published by the next daily run (or shown again if it was public)."""

    @extend_schema(request=None, responses={
        200: OpenApiResponse(DisclosureEntrySerializer, description="Released"),
        **errors(403, 404, 409, d403="Only a supervisor releases a hold",
                 d404="No such entry in the user's jurisdiction", d409="Not held back")})
    def post(self, request, pk):
        return _entry_response(services.release(entry_id=pk, actor=request.user))
