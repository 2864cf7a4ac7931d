"""The 图斑 API: GeoJSON list and detail with filters, batches with progress, assignment — all scoped to the user's
jurisdiction."""
import pytest
from django.contrib.gis.geos import MultiPolygon, Point

from tests.tuban.conftest import client_for
from tuban.models import Tuban

pytestmark = pytest.mark.django_db


def numbers(response):
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/geo+json"
    body = response.json()
    assert body["type"] == "FeatureCollection"
    return sorted(feature["properties"]["number"] for feature in body["features"])


def test_the_list_is_a_feature_collection_of_the_jurisdictions_tuban_with_filters(users, batch, other_batch):
    client = client_for(users["supervisor"])
    body = client.get("/api/v1/tuban/").json()
    assert sorted(f["properties"]["number"] for f in body["features"]) == ["T001", "T002", "T003"]
    feature = next(f for f in body["features"] if f["properties"]["number"] == "T001")
    assert feature["geometry"]["type"] == "MultiPolygon"
    assert feature["properties"]["village_name"] == "东村" and feature["properties"]["status"] == "pending"

    east = Tuban.objects.get(number="T001").village_id
    assert numbers(client.get("/api/v1/tuban/", {"village": east})) == ["T001", "T002"]
    assert numbers(client.get("/api/v1/tuban/", {"batch": batch.pk, "status": "pending"})) == ["T001", "T002", "T003"]
    assert numbers(client.get("/api/v1/tuban/", {"status": "legal"})) == []
    assert numbers(client.get("/api/v1/tuban/", {"bbox": "111.600,40.700,111.607,40.707"})) == ["T001"]
    Tuban.objects.filter(number="T003").update(assignee=users["inspector"])
    assert numbers(client.get("/api/v1/tuban/", {"assignee": users["inspector"].pk})) == ["T003"]
    assert client.get("/api/v1/tuban/", {"status": "bogus"}).status_code == 400
    assert client.get("/api/v1/tuban/", {"village": ""}).status_code == 400


def test_the_map_simplifies_by_zoom(users, jurisdiction, batch):
    # A 图斑 with 400 vertices on a circle of about 40 m: at zoom 12 (a pixel is ~25 m) few vertices are left.
    circle = MultiPolygon(Point(111.615, 40.715, srid=4326).buffer(0.0005, quadsegs=100), srid=4326)
    Tuban.objects.create(batch=batch, jurisdiction=jurisdiction, number="ROUND", polygon=circle, area_m2=1)
    client = client_for(users["supervisor"])

    def vertices(zoom=None):
        params = {"zoom": zoom} if zoom is not None else {}
        feature = next(f for f in client.get("/api/v1/tuban/", params).json()["features"]
                       if f["properties"]["number"] == "ROUND")
        assert feature["geometry"]["type"] == "MultiPolygon"
        return len(feature["geometry"]["coordinates"][0][0])

    assert vertices() == 401
    assert vertices(12) < 20 < vertices(20)


def test_another_jurisdiction_sees_nothing_and_gets_404(users, batch, other_batch):
    other = client_for(users["other_supervisor"])
    assert numbers(other.get("/api/v1/tuban/")) == ["X001"]
    mine = Tuban.objects.get(number="T001")
    assert other.get(f"/api/v1/tuban/{mine.pk}/").status_code == 404
    assert other.post(f"/api/v1/tuban/{mine.pk}/verify/", {}, format="json").status_code == 404
    assert [b["name"] for b in other.get("/api/v1/tuban/batches/").json()["results"]] == ["别处批次"]
    assert other.get(f"/api/v1/tuban/batches/{batch.pk}/report.xlsx").status_code == 404


def test_the_detail_is_a_feature_with_the_files_attributes(users, batch):
    tuban = Tuban.objects.get(number="T002")
    tuban.attributes = {"XZQDM": "150121101"}
    tuban.save()
    response = client_for(users["inspector"]).get(f"/api/v1/tuban/{tuban.pk}/")
    assert response.status_code == 200
    properties = response.json()["properties"]
    assert properties["attributes"] == {"XZQDM": "150121101"} and properties["batch_name"] == "2026年10月"
    assert properties["verification"] is None and properties["photos"] == [] and properties["case"] is None


def test_batches_list_their_progress(users, batch):
    Tuban.objects.filter(number="T003").update(status="legal")
    body = client_for(users["leader"]).get("/api/v1/tuban/batches/").json()
    assert body["count"] == 1
    progress = body["results"][0]["progress"]
    assert (progress["total"], progress["verified"], progress["pending"], progress["legal"], progress["overdue"]) == (
        3, 1, 2, 1, 0)


def test_overdue_counts_the_unchecked_after_the_due_date(users, batch):
    batch.due_date = batch.due_date.replace(year=2020)
    batch.save()
    Tuban.objects.filter(number="T003").update(status="legal")
    progress = client_for(users["leader"]).get("/api/v1/tuban/batches/").json()["results"][0]["progress"]
    assert progress["overdue"] == 2


def test_a_supervisor_assigns_by_village_or_by_hand(users, batch):
    client = client_for(users["supervisor"])
    east = Tuban.objects.get(number="T001").village_id
    response = client.post("/api/v1/tuban/assign/", {"inspector": users["inspector"].pk, "batch": batch.pk,
                                                     "village": east}, format="json")
    assert response.status_code == 200 and response.json() == {"assigned": 2}
    assert set(Tuban.objects.filter(assignee=users["inspector"]).values_list("number", flat=True)) == {"T001", "T002"}
    third = Tuban.objects.get(number="T003")
    response = client.post("/api/v1/tuban/assign/", {"inspector": users["inspector2"].pk, "tuban": [third.pk]},
                           format="json")
    assert response.json() == {"assigned": 1}
    assert Tuban.objects.get(number="T003").assignee == users["inspector2"]
    # Not an inspector's to do, and not another jurisdiction's inspector.
    assert client_for(users["inspector"]).post("/api/v1/tuban/assign/", {"inspector": users["inspector"].pk,
                                                                         "tuban": [third.pk]},
                                               format="json").status_code == 403
    assert client.post("/api/v1/tuban/assign/", {"inspector": users["other_supervisor"].pk, "tuban": [third.pk]},
                       format="json").status_code == 400
