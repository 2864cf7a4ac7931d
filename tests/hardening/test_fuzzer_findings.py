"""What outside testing found with a fuzzer (issue #18): server errors anyone could cause, and places where the
schema and the server disagreed. tests/api/test_schemathesis.py keeps the whole schema honest; these pin the
requests that were reported, so each fails again if its fix is undone.
"""
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from api.parsers import MAX_JSON_DEPTH, json_depth
from patrol.choices import Role, Status
from tests.hardening.conftest import api, assert_error_shape, finding_body

pytestmark = [pytest.mark.django_db]


# --- server errors ---------------------------------------------------------------------------------

@pytest.mark.parametrize("query", [
    "campaign=6029032139721092.0&inspector=-7.172155566104606e%2B271&page_size=482&stage=completed",
    "campaign=1.5", "village=1e3", "inspector=99999999999999999999", "campaign=-3", "village=0x10",
])
def test_a_float_or_out_of_range_number_in_a_case_filter_is_a_400(users, query):
    for path in ("/api/v1/cases/", "/api/v1/map/kpis/", "/api/v1/cases/export.csv"):
        error = assert_error_shape(api(users["supervisor"]).get(f"{path}?{query}"), 400)
        assert set(error["fields"]) & {"campaign", "inspector", "village"}, error


def test_a_float_inspector_filter_of_patrols_is_a_400(users):
    assert_error_shape(api(users["supervisor"]).get("/api/v1/patrols/?inspector=3.0"), 400)


def deep(depth):
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [900, 950, 5000])
def test_a_deeply_nested_json_body_is_a_400_on_every_endpoint_that_reads_json(users, depth):
    anonymous = APIClient()
    assert_error_shape(anonymous.post("/api/v1/auth/token/", deep(depth), content_type="application/json"), 400)
    client = api(users["inspector"])
    assert_error_shape(client.post("/api/v1/cases/", deep(depth), content_type="application/json"), 400)
    assert_error_shape(client.patch("/api/v1/me/", deep(depth), content_type="application/json"), 400)
    assert_error_shape(client.post("/api/v1/patrols/", deep(depth), content_type="application/json"), 400)


def test_deep_nesting_inside_a_field_of_a_valid_body_is_a_400(users):
    body = '{"client_uuid": "%s", "category": "extension", "stage": "completed", "location": %s}' % (
        uuid.uuid4(), deep(2000))
    error = assert_error_shape(api(users["inspector"]).post("/api/v1/cases/", body, content_type="application/json"),
                               400)
    assert str(MAX_JSON_DEPTH) in error["message"]


def test_deep_nesting_in_a_multipart_location_of_a_photo_is_a_400(users, media):
    case = api(users["inspector"]).post("/api/v1/cases/", finding_body(), format="json").json()
    body = {"file": SimpleUploadedFile("x.jpg", b"x", content_type="image/jpeg"), "client_uuid": str(uuid.uuid4()),
            "sha256": "0" * 64, "taken_at": "2026-11-20T10:15:00+08:00", "location": deep(3000)}
    response = api(users["inspector"]).post(f"/api/v1/cases/{case['id']}/photos/", body, format="multipart")
    assert "location" in assert_error_shape(response, 400)["fields"]


def test_findings_are_json_only(users):
    body = {**finding_body(), "location": '{"type": "Point", "coordinates": [111.605, 40.705]}'}
    response = api(users["inspector"]).post("/api/v1/cases/", body, format="multipart")
    assert_error_shape(response, 415)


def test_brackets_inside_strings_are_text_not_nesting():
    assert json_depth(b'{"note": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\"[[["}') == 1
    assert json_depth(b'{"a": [{"b": [[1, 2]]}]}') == 5


def test_a_body_as_deep_as_allowed_is_still_parsed(users):
    body = '{"language": "en", "x": %s}' % deep(MAX_JSON_DEPTH - 1)
    response = api(users["inspector"]).patch("/api/v1/me/", body, content_type="application/json")
    assert response.status_code == 200, response.content


# --- contract: what the schema says is what the server does ----------------------------------------

@pytest.fixture
def schema(client):
    return client.get("/api/schema/?format=json").json()


@pytest.mark.parametrize("url", [
    "/api/v1/villages/?page_size=null", "/api/v1/cases/?page_size=0", "/api/v1/cases/?page_size=501",
    "/api/v1/cases/?reported_to=", "/api/v1/cases/?reported_to=01/02/2026", "/api/v1/cases/?category=",
    "/api/v1/cases/?ordering=nonsense", "/api/v1/patrols/?open=null", "/api/v1/patrols/?open=yes",
    "/api/v1/map/kpis/?overdue=null", "/api/v1/map/tracks/?bbox=", "/api/v1/map/list/?bbox=1,2,3,4&ordering=x",
    "/api/v1/cases/nearby/?lng=111.6&lat=40.7&radius=0", "/api/v1/cases/nearby/?lng=nan&lat=40.7",
    "/api/v1/summaries/?campaign=0", "/api/v1/cases/export.csv?stage=",
])
def test_query_values_the_schema_does_not_allow_are_a_400(users, url):
    assert_error_shape(api(users["supervisor"]).get(url), 400)


def test_a_summary_period_sent_empty_is_a_400_and_documented(users, schema):
    from patrol.models import Campaign

    campaign = Campaign.objects.create(jurisdiction=users["supervisor"].jurisdiction, name="春季整治",
                                       starts_on="2026-03-01", ends_on="2026-06-30")
    response = api(users["supervisor"]).get(f"/api/v1/campaigns/{campaign.pk}/summary/?start=&end=")
    assert set(assert_error_shape(response, 400)["fields"]) == {"start", "end"}
    assert "400" in schema["paths"]["/api/v1/campaigns/{id}/summary/"]["get"]["responses"]


@pytest.mark.parametrize("client_uuid", [False, 7, 0, None, ["e3e70682-c209-1cac-a29f-6fbed82c07cd"]])
def test_a_client_uuid_that_is_not_a_uuid_string_is_a_400(users, client_uuid):
    body = {**finding_body(), "client_uuid": client_uuid}
    response = api(users["inspector"]).post("/api/v1/cases/", body, format="json")
    assert "client_uuid" in assert_error_shape(response, 400)["fields"]
    assert api(users["inspector"]).post("/api/v1/patrols/", {"client_uuid": client_uuid},
                                        format="json").status_code == 400


@pytest.mark.parametrize("field, value", [("note", 0), ("campaign", "1"), ("note", True)])
def test_a_json_value_of_the_wrong_type_is_a_400(users, field, value):
    response = api(users["inspector"]).post("/api/v1/patrols/", {"client_uuid": str(uuid.uuid4()), field: value},
                                            format="json")
    assert field in assert_error_shape(response, 400)["fields"]


def test_patching_me_with_nothing_changes_nothing(users):
    response = api(users["inspector"]).patch("/api/v1/me/", {}, format="json")
    assert response.status_code == 200 and response.json()["language"] == users["inspector"].language


def test_a_photo_sent_as_multipart_with_its_optional_fields_empty_is_accepted(users, media):
    import hashlib
    import io

    from PIL import Image

    case = api(users["inspector"]).post("/api/v1/cases/", finding_body(), format="json").json()
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 120, 200)).save(out, "JPEG")
    data = out.getvalue()
    body = {"file": SimpleUploadedFile("x.jpg", data, content_type="image/jpeg"), "client_uuid": str(uuid.uuid4()),
            "sha256": hashlib.sha256(data).hexdigest(), "taken_at": "2026-11-20T10:15:00+08:00", "location": "",
            "accuracy_m": ""}
    response = api(users["inspector"]).post(f"/api/v1/cases/{case['id']}/photos/", body, format="multipart")
    assert response.status_code == 201, response.content


def test_if_match_star_is_a_400_as_the_documented_pattern_says(users, schema):
    case = api(users["supervisor"]).post("/api/v1/cases/", finding_body(), format="json").json()
    response = api(users["supervisor"]).post(f"/api/v1/cases/{case['id']}/actions/file/", {"note": "立案"},
                                             format="json", HTTP_IF_MATCH="*")
    assert "If-Match" in assert_error_shape(response, 400)["fields"]
    [header] = [p for p in schema["paths"]["/api/v1/cases/{id}/actions/{action}/"]["post"]["parameters"]
                if p["name"] == "If-Match"]
    assert header["schema"]["pattern"]


def test_the_schema_says_what_the_server_sends_to_other_roles_and_for_map_zooms(users, schema):
    # Outside testing (schemathesis as an inspector): the summaries' list answered 403, undocumented; the tracks'
    # zoom was documented as any integer while the server takes 0–22.
    assert api(users["inspector"]).get("/api/v1/summaries/").status_code == 403
    for path in ("/api/v1/summaries/", "/api/v1/summaries/{id}/"):
        assert "403" in schema["paths"][path]["get"]["responses"], path
    zoom = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/map/tracks/"]["get"]["parameters"]}["zoom"]
    assert (zoom["minimum"], zoom["maximum"]) == (0, 22)
    assert_error_shape(api(users["supervisor"]).get("/api/v1/map/tracks/?zoom=23"), 400)
    # A video upload's size: documented up to 2**53, refused over VIDEO_MAX_BYTES (4 GB).
    from django.conf import settings

    start = schema["components"]["schemas"]["VideoUploadStart"]["properties"]["size_bytes"]
    assert start["maximum"] == settings.VIDEO_MAX_BYTES


def test_the_schema_says_what_the_server_sends(schema):
    case = schema["components"]["schemas"]["CaseDetail"]["properties"]
    assert case["decision_due"].get("nullable") is True
    export = schema["paths"]["/api/v1/cases/export.{fmt}"]["get"]["responses"]["200"]["content"]
    assert set(export) == {"text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           "application/geo+json", "application/vnd.google-earth.kml+xml"}
    tracks = {p["name"]: p for p in schema["paths"]["/api/v1/map/tracks/"]["get"]["parameters"]}
    assert tracks["bbox"]["schema"]["pattern"]
    nearby = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/cases/nearby/"]["get"]["parameters"]}
    assert (nearby["radius"]["minimum"], nearby["radius"]["maximum"]) == (1, 5000)


@pytest.mark.parametrize("value", [{}, [], 7, True])
def test_a_date_field_given_something_else_than_text_is_a_400(users, value):
    body = {"client_uuid": str(uuid.uuid4()), "started_at": value}
    assert "started_at" in assert_error_shape(api(users["inspector"]).post("/api/v1/patrols/", body, format="json"),
                                              400)["fields"]


@pytest.mark.parametrize("query", ["start=&end=", "start=2026-1-5&end=2026-01-31", "start=2026-01-01"])
def test_the_map_kpis_period_sent_empty_or_malformed_is_a_400(users, query):
    assert_error_shape(api(users["supervisor"]).get(f"/api/v1/map/kpis/?{query}"), 400)


@pytest.mark.parametrize("hearing_at", ["0001-01-01T00:00:00", "9999-12-31T23:59:59"])
def test_a_hearing_at_a_moment_out_of_range_is_a_400(users, settings, tmp_path, hearing_at):
    # Outside testing: request_hearing's hearing_at was the one moment a client sends not bounded to 2000–2099; a
    # naive year 1 overflowed in DRF's time-zone step (500) once the case was in its hearing window.
    from tests.browser.test_case_page import notified_case

    settings.MEDIA_ROOT = tmp_path
    case = notified_case(users)
    response = api(users["supervisor"]).post(
        f"/api/v1/cases/{case.pk}/actions/request_hearing/",
        {"requested_on": timezone.localdate().isoformat(), "hearing_at": hearing_at, "hearing_place": "乡政府",
         "chair": users["legal"].pk}, format="json", HTTP_IF_MATCH=f'"{case.pk}-{case.version}"')
    assert "hearing_at" in assert_error_shape(response, 400)["fields"]
    case.refresh_from_db()
    assert case.status == "notified"


# Outside testing (schemathesis, all checks): these JSON bodies took a value of the wrong JSON type (0 as the text
# "0", 20261129 as a date) that every other JSON body refuses (api.serializers.JsonTypes).
WRONG_TYPES = {
    "video": lambda w: (f"/api/v1/cases/{w.case('TST', Status.REPORTED).pk}/videos/", Role.INSPECTOR, {
        "client_uuid": str(uuid.uuid4()), "filename": 0, "size_bytes": 1, "sha256": "0" * 64,
        "content_type": "video/mp4"}, "filename"),
    "hold": lambda w: (f"/api/v1/disclosure/entries/{w.disclosure_entry('TST').pk}/hold/", Role.SUPERVISOR,
                       {"reason": 0}, "reason"),
    "service": lambda w: (f"/api/v1/documents/{w.document('TST').pk}/services/", Role.SUPERVISOR, {
        "method": "post", "served_on": timezone.localdate().isoformat(), "tracking_number": 1180123456789},
        "tracking_number"),
    "receipt": lambda w: (f"/api/v1/services/{w.posted_service('TST').pk}/receipt-date/", Role.SUPERVISOR,
                          {"receipt_date": 20261129}, "receipt_date"),
    "summary": lambda w: (f"/api/v1/campaigns/{w.campaign('TST').pk}/summary/send/", Role.SUPERVISOR,
                          {"client_uuid": 7}, "client_uuid"),
}


@pytest.mark.parametrize("name", list(WRONG_TYPES))
def test_a_json_value_of_the_wrong_type_is_a_400_on_every_json_body(jurisdiction, other_jurisdiction, settings,
                                                                    tmp_path, reused_renderings, name):
    from patrol.models import CaseEvent
    from tests.api.dataset import World

    settings.MEDIA_ROOT = tmp_path
    world = World({"TST": jurisdiction, "OTH": other_jurisdiction})
    url, role, body, field = WRONG_TYPES[name](world)
    events = CaseEvent.objects.count()
    response = api(world.user("TST", role)).post(url, body, format="json")
    assert field in assert_error_shape(response, 400)["fields"]
    assert CaseEvent.objects.count() == events
