"""When the database is unreachable (restarting, network) requests fail fast with 503 and Retry-After, which
the field app's outbox retries; nothing hangs, and the retried finding is stored once."""
import time
import uuid

import pytest
from django.db import connection

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]


class Database:
    """Point the connection at a port where nothing listens: a real refused connection, not a stand-in."""

    def __init__(self):
        self.port = connection.settings_dict["PORT"]

    def down(self):
        connection.close()
        connection.settings_dict["PORT"] = "9"  # the discard port: nothing listens there

    def up(self):
        connection.close()
        connection.settings_dict["PORT"] = self.port


@pytest.fixture
def database():
    database = Database()
    yield database
    database.up()


def test_a_finding_sent_while_the_database_is_down_gets_503_at_once_and_is_stored_once_after(
        client, users, database):
    from patrol.models import Case

    client.force_login(users["inspector"])
    body = {"client_uuid": str(uuid.uuid4()), "location": {"type": "Point", "coordinates": [111.605, 40.705]},
            "category": "extension", "stage": "under_construction", "accuracy_m": 8}
    database.down()
    started = time.monotonic()
    response = client.post("/api/v1/cases/", body, content_type="application/json")
    elapsed = time.monotonic() - started
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "5"
    error = response.json()["error"]
    assert error["code"] == "database_unavailable" and "数据库暂时不可用" in error["message"]
    assert elapsed < 3

    client.raise_request_exception = False
    page = client.get("/ledger/")
    assert page.status_code == 503 and page["Retry-After"] == "5"
    assert "数据库暂时不可用" in page.content.decode()

    # The database is back: the outbox sends the same finding again, and it is stored once.
    database.up()
    assert client.post("/api/v1/cases/", body, content_type="application/json").status_code == 201
    assert client.post("/api/v1/cases/", body, content_type="application/json").status_code == 200
    assert Case.objects.filter(client_uuid=body["client_uuid"]).count() == 1
