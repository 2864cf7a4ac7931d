"""The Django admin: every model is there, geometry is edited on a Leaflet map, the record is read-only."""
import pytest
from django.urls import reverse

from patrol import workflow
from patrol.choices import Role
from tests.factories import UserFactory, finding

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


@pytest.fixture
def admin_client(client, jurisdiction):
    admin = UserFactory(username="it", role=Role.ADMIN, jurisdiction=None, is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


@pytest.mark.parametrize("model", ["geo/jurisdiction", "geo/village", "patrol/user", "patrol/campaign",
                                   "patrol/patrol", "patrol/case", "patrol/photo", "patrol/notice",
                                   "patrol/caseevent", "patrol/documentsequence", "patrol/patroltrackbatch",
                                   "worker/emaildelivery", "worker/workerheartbeat"])
def test_every_model_has_an_admin_list(admin_client, model):
    response = admin_client.get(f"/admin/{model}/")
    assert response.status_code == 200


def test_village_boundary_is_edited_on_a_leaflet_map_with_chinese_labels(admin_client, jurisdiction):
    village = jurisdiction.villages.first()
    body = admin_client.get(reverse("admin:geo_village_change", args=[village.pk]),
                            HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "leaflet" in body.lower()
    assert "村界" in body and "村名" in body


def test_case_events_cannot_be_added_changed_or_deleted_in_the_admin(admin_client, users):
    case, _ = workflow.report_finding(actor=users["inspector"], **finding())
    event = case.events.first()
    assert admin_client.get(reverse("admin:patrol_caseevent_add")).status_code == 403
    assert admin_client.post(reverse("admin:patrol_caseevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    assert admin_client.get(reverse("admin:patrol_case_add")).status_code == 403
    case.refresh_from_db()
    assert case.events.count() == 1


def test_villages_api_shows_only_the_users_own_jurisdiction(client, users):
    client.force_login(users["inspector"])
    data = client.get("/api/v1/villages/").json()
    assert data["type"] == "FeatureCollection"
    assert sorted(f["properties"]["name"] for f in data["features"]) == ["东村", "西村"]
    client.force_login(users["other_supervisor"])
    assert [f["properties"]["name"] for f in client.get("/api/v1/villages/").json()["features"]] == ["远村"]


def test_me_api_says_who_i_am(client, users):
    client.force_login(users["legal"])
    me = client.get("/api/v1/me/").json()
    assert me["role"] == "legal_reviewer" and me["jurisdiction"]["code"] == "TST"


def test_api_refuses_anonymous_users_with_one_error_shape(client):
    response = client.get("/api/v1/villages/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert set(response.json()["error"]) == {"code", "message", "fields"}
