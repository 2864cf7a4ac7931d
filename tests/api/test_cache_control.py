"""API answers with personal data are kept by no cache (issue #18): ``Cache-Control: private, no-store``.

Cases carry the party's name and phone (当事人), records and notices name people, exports hold everything: a
shared computer's browser cache or a proxy must keep none of it. Endpoints that may be cached say so themselves
(api/middleware.py): the map layers are revalidated with their ETag, photo files are immutable evidence.
"""
import pytest
from rest_framework.test import APIClient

from patrol.choices import Role, Status
from tests.api.dataset import World

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def world(jurisdiction, other_jurisdiction, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return World({"TST": jurisdiction, "OTH": other_jurisdiction})


def client_of(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_every_api_answer_with_personal_data_says_private_no_store(world):
    supervisor = world.user("TST", Role.SUPERVISOR)
    case = world.case("TST", Status.ORDERED)
    patrol = world.patrol("TST")
    client = client_of(supervisor)
    for url in ("/api/v1/cases/", f"/api/v1/cases/{case.pk}/", f"/api/v1/cases/{case.pk}/events/",
                f"/api/v1/cases/{case.pk}/notices/", "/api/v1/cases/export.csv", "/api/v1/cases/export.geojson",
                "/api/v1/me/", "/api/v1/patrols/", f"/api/v1/patrols/{patrol.pk}/", "/api/v1/cases/?q=%E5%BC%A0"):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        assert response["Cache-Control"] == "private, no-store", url


def test_errors_of_the_api_are_not_stored_either(world):
    response = client_of(world.user("TST", Role.SUPERVISOR)).get("/api/v1/cases/999999/")
    assert response.status_code == 404 and response["Cache-Control"] == "private, no-store"
    assert APIClient().get("/api/v1/cases/")["Cache-Control"] == "private, no-store"


def test_map_layers_and_photo_files_keep_their_own_caching(world):
    client = client_of(world.user("TST", Role.SUPERVISOR))
    assert client.get("/api/v1/map/kpis/")["Cache-Control"] == "private, no-cache"
    photo = world.photo("TST")
    assert client.get(f"/api/v1/photos/{photo.pk}/file/")["Cache-Control"] == "private, max-age=86400, immutable"
