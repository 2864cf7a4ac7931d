import hashlib
import io
import uuid
from datetime import date

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from gis.models import Village
from tuban.models import Tuban, TubanBatch


def polygon(x, y, size=0.001):
    return MultiPolygon(Polygon.from_bbox((x, y, x + size, y + size)), srid=4326)


def make_batch(jurisdiction, name="2026年10月", due_date=date(2026, 12, 31), tuban=()):
    batch = TubanBatch.objects.create(jurisdiction=jurisdiction, name=name, due_date=due_date, source_file="t.zip",
                                      source_srs="EPSG:4490")
    villages = {village.name: village for village in Village.objects.filter(jurisdiction=jurisdiction)}
    for number, x, y, village in tuban:
        Tuban.objects.create(batch=batch, jurisdiction=jurisdiction, number=number, polygon=polygon(x, y),
                             village=villages.get(village), area_m2=9400.0, change_type="新增建设用地",
                             monitored_on=date(2026, 10, 15))
    return batch


@pytest.fixture
def batch(jurisdiction, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    # 东村 is 111.60–111.62 × 40.70–40.72, 西村 111.62–111.64.
    return make_batch(jurisdiction, tuban=[("T001", 111.605, 40.705, "东村"), ("T002", 111.610, 40.710, "东村"),
                                           ("T003", 111.625, 40.705, "西村")])


@pytest.fixture
def other_batch(other_jurisdiction):
    return make_batch(other_jurisdiction, name="别处批次", tuban=[("X001", 112.605, 41.705, "远村")])


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def jpeg_bytes(colour=(90, 120, 200)):
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "JPEG", quality=85)
    return out.getvalue()


def upload_evidence(client, tuban, kind, *, colour=(90, 120, 200), client_uuid=None, location=(111.6055, 40.7055),
                    heading=90):
    data = jpeg_bytes(colour)
    body = {"file": SimpleUploadedFile(f"{kind}.jpg", data, content_type="image/jpeg"),
            "client_uuid": str(client_uuid or uuid.uuid4()), "sha256": hashlib.sha256(data).hexdigest(),
            "taken_at": "2026-11-20T10:15:00+08:00", "kind": kind,
            "location": '{"type": "Point", "coordinates": [%s, %s]}' % location, "accuracy_m": "6",
            "heading": str(heading)}
    return client.post(f"/api/v1/tuban/{tuban.pk}/photos/", body, format="multipart")


def evidence_set(client, tuban):
    """Far, near and inside photos of the 图斑; their client_uuids."""
    uuids = []
    for index, kind in enumerate(("far", "near", "inside")):
        response = upload_evidence(client, tuban, kind, colour=(40 * index, 100, 200))
        assert response.status_code == 201, response.content
        uuids.append(response.json()["client_uuid"])
    return uuids
