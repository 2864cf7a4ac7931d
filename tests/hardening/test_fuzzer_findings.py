"""What outside testing found with a fuzzer (issue #18): server errors anyone could cause, and places where the
schema and the server disagreed. tests/api/test_schemathesis.py keeps the whole schema honest; these pin the
requests that were reported, so each fails again if its fix is undone.
"""
import uuid

import pytest
from rest_framework.test import APIClient

from api.parsers import MAX_JSON_DEPTH, json_depth
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


def test_deep_nesting_in_a_multipart_location_is_a_400(users):
    body = {**finding_body(), "location": deep(3000)}
    error = assert_error_shape(api(users["inspector"]).post("/api/v1/cases/", body, format="multipart"), 400)
    assert "location" in error["fields"]


def test_brackets_inside_strings_are_text_not_nesting():
    assert json_depth(b'{"note": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\"[[["}') == 1
    assert json_depth(b'{"a": [{"b": [[1, 2]]}]}') == 5


def test_a_body_as_deep_as_allowed_is_still_parsed(users):
    body = '{"language": "en", "x": %s}' % deep(MAX_JSON_DEPTH - 1)
    response = api(users["inspector"]).patch("/api/v1/me/", body, content_type="application/json")
    assert response.status_code == 200, response.content
