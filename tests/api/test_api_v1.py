"""Public API v1: one error shape for every error (Django's own included), the user's language, the
resources added for v1 (jurisdictions, villages, campaigns as GeoJSON; a case's notices; PATCH /me/), and a
schema that documents the error answers."""
import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from rest_framework.test import APIClient

from patrol.models import ApiToken
from patrol.choices import Role, Status
from patrol.models import Campaign
from tests.api.dataset import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(jurisdiction, other_jurisdiction, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return World({"TST": jurisdiction, "OTH": other_jurisdiction})


def api(user, **kwargs):
    client = APIClient(**kwargs)
    client.force_authenticate(user)
    return client


def error_of(response):
    body = response.json()
    assert set(body) == {"error"} and {"code", "message", "fields"} <= set(body["error"]), body
    return body["error"]


# --- the error shape -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/nothing-here/", "/api/v1/cases/not-a-number/", "/api/v2/cases/"])
def test_an_unknown_api_url_is_a_404_in_the_error_shape(users, path):
    response = api(users["inspector"]).get(path)
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")
    assert error_of(response)["code"] == "not_found"


def test_an_unknown_page_outside_the_api_keeps_djangos_page(client, users):
    client.force_login(users["inspector"])
    response = client.get("/nothing-here/")
    assert response.status_code == 404 and not response["Content-Type"].startswith("application/json")


def test_a_method_the_endpoint_does_not_have_is_405_in_the_error_shape(users):
    response = api(users["supervisor"]).delete("/api/v1/cases/")
    assert response.status_code == 405 and error_of(response)["code"] == "method_not_allowed"


def test_a_body_of_an_unsupported_media_type_is_415_in_the_error_shape(users):
    response = api(users["inspector"]).post("/api/v1/patrols/", "client_uuid=x", content_type="text/plain")
    assert response.status_code == 415 and error_of(response)["code"] == "unsupported_media_type"


def test_a_body_that_is_not_json_is_400_in_the_error_shape(users):
    response = api(users["inspector"]).post("/api/v1/cases/", "{not json", content_type="application/json")
    assert response.status_code == 400 and error_of(response)["code"] == "parse_error"


def test_a_crash_in_an_api_view_is_500_in_the_error_shape_without_details(users, monkeypatch):
    from api import views

    def crash(self, request):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(views.MeView, "get", crash)
    response = api(users["inspector"], raise_request_exception=False).get("/api/v1/me/")
    assert response.status_code == 500 and error_of(response)["code"] == "server_error"
    assert b"secret" not in response.content


def test_errors_come_in_the_language_asked_for(users, world):
    other_case = world.reported("OTH")
    english = api(users["inspector"]).get(f"/api/v1/cases/{other_case.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    chinese = api(users["inspector"]).get(f"/api/v1/cases/{other_case.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert english.status_code == chinese.status_code == 404
    assert english["Content-Language"] == "en" and chinese["Content-Language"] == "zh-hans"
    assert error_of(english)["message"] != error_of(chinese)["message"]
    assert error_of(english)["message"].isascii() and not error_of(chinese)["message"].isascii()


def test_a_token_client_that_names_no_language_gets_the_users_own(users):
    user = users["inspector"]
    user.language = "en"
    user.save(update_fields=["language"])
    _row, key = ApiToken.issue(user, "phone")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.post("/api/v1/cases/", {}, format="json")
    assert response.status_code == 400 and response["Content-Language"] == "en"
    assert error_of(response)["fields"]["client_uuid"] == ["This field is required."]
    # An explicit Accept-Language still wins.
    response = client.post("/api/v1/cases/", {}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response["Content-Language"] == "zh-hans"


# --- /me/ ----------------------------------------------------------------------------------------------------


def test_a_user_sets_their_language_through_the_api(users):
    response = api(users["leader"]).patch("/api/v1/me/", {"language": "en"}, format="json")
    assert response.status_code == 200 and response.json()["language"] == "en"
    assert response["Content-Language"] == "en" and response.json()["role_display"] == "Leader"
    users["leader"].refresh_from_db()
    assert users["leader"].language == "en"


def test_an_unknown_language_is_refused_naming_the_field(users):
    response = api(users["leader"]).patch("/api/v1/me/", {"language": "fr"}, format="json")
    assert response.status_code == 400 and "language" in error_of(response)["fields"]


# --- GeoJSON resources ---------------------------------------------------------------------------------------


def test_the_users_jurisdiction_is_a_feature_collection_of_one_with_its_boundary(users):
    data = api(users["inspector"]).get("/api/v1/jurisdictions/").json()
    assert data["type"] == "FeatureCollection" and data["count"] == 1
    feature = data["features"][0]
    assert feature["properties"]["code"] == "TST" and feature["geometry"]["type"] == "MultiPolygon"
    assert feature["properties"]["enforcement_day_starts"] == "08:00"


def test_villages_are_paged_geojson_with_a_total_count(users):
    data = api(users["inspector"]).get("/api/v1/villages/?page_size=1").json()
    assert data["type"] == "FeatureCollection" and data["count"] == 2 and len(data["features"]) == 1
    assert data["next"] and data["features"][0]["geometry"]["type"] == "MultiPolygon"


def test_a_campaign_without_a_drawn_area_covers_its_villages(users, world):
    campaign = world.campaign("TST")  # with one village
    data = api(users["leader"]).get(f"/api/v1/campaigns/{campaign.pk}/").json()
    assert data["type"] == "Feature" and data["properties"]["area_source"] == "villages"
    # The union of one village is one polygon, still given as a MultiPolygon as a drawn area is.
    assert data["geometry"]["type"] == "MultiPolygon" and len(data["geometry"]["coordinates"]) == 1
    campaign.villages.set(world.jurisdictions["TST"].villages.all())
    data = api(users["leader"]).get(f"/api/v1/campaigns/{campaign.pk}/").json()
    assert data["geometry"]["type"] == "MultiPolygon"
    assert data["properties"]["summary_url"] == f"/api/v1/campaigns/{campaign.pk}/summary/"


def test_a_drawn_campaign_area_wins_and_status_filters_the_list(users, world):
    campaign = world.campaign("TST")
    campaign.area = MultiPolygon(Polygon.from_bbox((111.61, 40.71, 111.612, 40.712)), srid=4326)
    campaign.save(update_fields=["area"])
    Campaign.objects.create(jurisdiction=campaign.jurisdiction, name="已结束的行动", starts_on=campaign.starts_on,
                            ends_on=campaign.ends_on, status="closed")
    data = api(users["supervisor"]).get("/api/v1/campaigns/?status=active").json()
    assert data["count"] == 1 and data["features"][0]["properties"]["area_source"] == "drawn"
    assert data["features"][0]["geometry"]["coordinates"][0][0][0] == [111.61, 40.71]
    assert api(users["supervisor"]).get("/api/v1/campaigns/").json()["count"] == 2


# --- a case's notices ----------------------------------------------------------------------------------------


def test_a_cases_notices_list_their_deadline_and_a_printable_page(client, users, world):
    # Notices of the procedure before #13 (issue_notice, now gone) stay listed and printable on their cases.
    notice = world.notice("TST")
    case = notice.case
    data = api(users["inspector"]).get(f"/api/v1/cases/{case.pk}/notices/").json()
    assert data["count"] == 1
    notice = data["results"][0]
    assert notice["kind"] == "rectify" and notice["deadline"] == "2026-03-10"
    assert notice["issued_by"]["username"] == "m_TST_supervisor"
    client.force_login(users["inspector"])
    page = client.get(notice["print_url"])
    assert page.status_code == 200 and notice["number"] in page.content.decode()
    detail = api(users["inspector"]).get(f"/api/v1/cases/{case.pk}/").json()
    assert detail["notices"][0]["print_url"] == notice["print_url"]


def test_events_are_paged_with_a_total_count(users, world):
    case = world.case("TST", Status.ORDERED)
    data = api(users["leader"]).get(f"/api/v1/cases/{case.pk}/events/").json()
    assert data["count"] == 5 and [e["action"] for e in data["results"]] == [
        "report", "file", "record_inspection", "order", "record_service"]


def test_the_case_list_is_ordered_as_asked(users, world):
    first, second = world.reported("TST", "a"), world.reported("TST", "b")
    ordered = api(users["leader"]).get("/api/v1/cases/?ordering=reference").json()["results"]
    assert [c["id"] for c in ordered] == [first.pk, second.pk]
    reverse = api(users["leader"]).get("/api/v1/cases/?ordering=-reference").json()["results"]
    assert [c["id"] for c in reverse] == [second.pk, first.pk]


def test_dates_outside_2000_to_2099_are_refused_not_crashed_on(users, world):
    case = world.case("TST", Status.ORDERED)
    response = api(users["supervisor"]).post(f"/api/v1/cases/{case.pk}/actions/extend_case_period/",
                                             {"new_end": "9999-12-31", "reason": "延长"}, format="json",
                                             HTTP_IF_MATCH=f'"{case.pk}-{case.version}"')
    assert response.status_code == 400 and "new_end" in error_of(response)["fields"]


# --- the schema ----------------------------------------------------------------------------------------------


def test_the_schema_documents_the_error_shape_on_every_operation(client):
    schema = client.get("/api/schema/?format=json").json()
    assert schema["components"]["schemas"]["Error"]["properties"]["error"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = operation["responses"]
            assert "429" in codes, (method, path)
            if path.startswith("/api/v1/") and path != "/api/v1/auth/token/":
                assert "401" in codes, (method, path)
            for code, response in codes.items():
                if int(code) >= 400:
                    assert response["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/Error"}, (method, path, code)


def test_only_supervisors_and_leaders_read_summaries(users, world):
    summary = world.summary("TST")
    assert api(world.user("TST", Role.LEADER)).get(f"/api/v1/summaries/{summary.pk}/").status_code == 200
    assert api(world.user("TST", Role.INSPECTOR)).get(f"/api/v1/summaries/{summary.pk}/").status_code == 403
