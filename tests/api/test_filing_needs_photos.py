"""立案 rests on photos of the site (#15): with the jurisdiction's default (finding_min_photos = 1) the API refuses
`file` on a case without a 现场照片 (409, the reason in the user's language, nothing changed) and lists the action
as blocked with that reason; once the photo is uploaded the same request files the case."""
import pytest

from patrol.models import Case
from tests.api.test_cases_api import act, api, finding_body
from tests.api.test_photos_api import jpeg_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def needs_a_photo(jurisdiction, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    jurisdiction.finding_min_photos = 1  # the model's default; the test factory sets 0
    jurisdiction.save(update_fields=["finding_min_photos"])


def test_file_without_a_photo_is_409_and_files_once_the_photo_is_there(users, needs_a_photo):
    reported = api(users["inspector"]).post("/api/v1/cases/", finding_body(), format="json")
    case_id, etag = reported.json()["id"], reported["ETag"]
    body = {"legal_basis": "planning_art65", "note": "符合立案条件"}

    refused = act(users["supervisor"], case_id, "file", body, etag)
    assert refused.status_code == 409, refused.json()
    assert "至少 1 张现场照片" in refused.json()["error"]["message"]
    case = Case.objects.get(pk=case_id)
    assert case.status == "reported" and case.events.count() == 1 and not case.documents.exists()

    detail = api(users["supervisor"]).get(f"/api/v1/cases/{case_id}/").json()
    option = next(o for o in detail["available_actions"] if o["action"] == "file")
    assert option["available"] is False and "现场照片" in option["reason"]

    english = api(users["supervisor"]).post(f"/api/v1/cases/{case_id}/actions/file/", body, format="json",
                                            HTTP_IF_MATCH=etag, HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 409 and "photo" in english.json()["error"]["message"]

    assert upload(users["inspector"], Case.objects.get(pk=case_id), jpeg_bytes()).status_code == 201
    etag = api(users["supervisor"]).get(f"/api/v1/cases/{case_id}/")["ETag"]
    filed = act(users["supervisor"], case_id, "file", body, etag)
    assert filed.status_code == 200, filed.json()
    assert filed.json()["status"] == "filed"
