"""Schemathesis against the live schema (/api/schema/), in process through WSGI, on the test database.

Every operation of the schema is called with generated requests (valid ones and, in negative mode, invalid
ones) as a supervisor with an API token, on a small dataset of two jurisdictions (tests/api/dataset.py): cases
in every state of the procedure, a photo, a notice, a document, a patrol, a campaign, a summary and an export
job. Each answer must not be a server error, must have a documented status code, and must match the documented
schema.

- Generated ids in paths are mapped onto the dataset's ids (both jurisdictions', so "not yours" 404s are
  exercised too); ids of a million and more are left as they are, as unknown ids.
- Case actions get the case's current ETag in If-Match for half of the examples (the other half test 412).
- Each example runs in a savepoint that is rolled back: POSTs (findings, photos, actions, patrols, summaries)
  do run, but no example sees what an earlier one changed, so the dataset is the same for every example and a
  failure replays the same way. No operation is excluded.
"""
import hypothesis
import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from rest_framework.throttling import SimpleRateThrottle
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from patrol.models import ApiToken
from patrol.choices import Role, Status
from patrol.models import Case
from tests.api.dataset import World

pytestmark = [pytest.mark.django_db]

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
MILLION = 1_000_000

CONFIG = schemathesis.Config.from_dict({
    "generation": {
        "mode": "all",  # positive and negative examples
        "max-examples": 25,
        "deterministic": True,  # the same examples on every run
        "database": "none",  # no .hypothesis/ directory
    },
    "phases": {"stateful": {"enabled": False}},
})


@pytest.fixture
def dataset(jurisdiction, other_jurisdiction, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    world = World({"TST": jurisdiction, "OTH": other_jurisdiction})
    supervisor = world.user("TST", Role.SUPERVISOR)
    cases = [world.case(code, status) for code in ("TST", "OTH")
             for status in (Status.REPORTED, Status.FILED, Status.ORDERED, Status.IN_REVIEW,
                            Status.DECIDED)]
    ids = {
        "cases": [case.pk for case in cases],
        "photos": [world.photo(code).pk for code in ("TST", "OTH")],
        "documents": [world.document(code).pk for code in ("TST", "OTH")],
        "services": [world.posted_service(code).pk for code in ("TST", "OTH")],
        "uploads": [world.video_upload(code).pk for code in ("TST", "OTH")],
        "videos": [world.video(code).pk for code in ("TST", "OTH")],
        "patrols": [world.patrol(code).pk for code in ("TST", "OTH")],
        "campaigns": [world.campaign(code).pk for code in ("TST", "OTH")],
        "summaries": [world.summary(code).pk for code in ("TST", "OTH")],
        "exports": [world.export_job("TST", supervisor).pk, world.export_job("OTH", world.user("OTH", Role.SUPERVISOR)).pk],
        "jurisdictions": [jurisdiction.pk, other_jurisdiction.pk],
        "villages": [world.village(code).pk for code in ("TST", "OTH")],
    }
    _row, key = ApiToken.issue(supervisor, "schemathesis")
    return {"ids": ids, "token": key}


@pytest.fixture
def in_process(monkeypatch):
    # Requests run in this thread on the test's own connection and transaction: Django must not close it at the
    # start and end of each request, as its own test client makes sure too.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    # Thousands of requests as one user within a minute: the rate limit is not what is tested here.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES",
                        {**SimpleRateThrottle.THROTTLE_RATES, "user": "1000000/hour"})
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


# A video chunk (PATCH /uploads/{id}/) is raw bytes in tus's media type, sent as application/octet-stream is.
schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")

# Loaded when the module is collected (the schema needs no database). schemathesis.pytest.from_fixture would load
# it per test, but its lazy loader does not run on pytest 9 (it sets the removed Node._nodeid).
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application(), config=CONFIG)


def map_ids(case, ids):
    """Generated ids onto the dataset's, by the resource named before ``{pk}`` in the path."""
    pk = case.path_parameters.get("pk") if case.path_parameters else None
    if not isinstance(pk, int) or isinstance(pk, bool) or not 0 <= pk < MILLION:
        return
    resource = case.operation.path.split("/{pk}")[0].rsplit("/", 1)[-1]
    choices = ids.get(resource)
    assert choices, f"no dataset ids for {case.operation.path}"
    case.path_parameters["pk"] = choices[pk % len(choices)]


def current_etag(case):
    pk = case.path_parameters.get("pk")
    version = Case.objects.filter(pk=pk).values_list("version", flat=True).first() if isinstance(pk, int) else None
    return f'"{pk}-{version}"' if version is not None else None


@schema.parametrize()
@hypothesis.settings(deadline=None, suppress_health_check=list(hypothesis.HealthCheck))
def test_the_api_answers_as_its_schema_says(case, dataset, in_process):
    map_ids(case, dataset["ids"])
    if case.operation.path.endswith("/actions/{action}/") and isinstance(case.headers, dict):
        header = case.headers.get("If-Match")
        if isinstance(header, str) and len(header) % 2 == 0 and current_etag(case):
            case.headers["If-Match"] = current_etag(case)
    with transaction.atomic():
        # identity: the map's GeoJSON is gzipped for clients that accept it, and this in-process transport does
        # not unpack it as an HTTP client would.
        case.call_and_validate(headers={"Authorization": f"Token {dataset['token']}", "Accept-Encoding": "identity"},
                               checks=CHECKS)
        transaction.set_rollback(True)
