"""Schemathesis against the live schema (/api/schema/), in process through WSGI, on the test database.

Every operation of the schema is called with generated requests (valid ones and, in negative mode, invalid
ones) as a supervisor with an API token, on a small dataset of two jurisdictions (tests/api/dataset.py): cases
in every state of the procedure, a photo, a notice, a document, a patrol, a campaign, a summary and an export
job. Every check of schemathesis runs on each answer (issue #18): no server error; a documented status code, content type,
headers and body; schema-valid requests accepted (positive_data_acceptance) and schema-violating ones refused
(negative_data_rejection); a missing required header refused; undocumented methods answered 405 with Allow;
the same request without credentials answered 401 (ignored_auth).

Some writes answer 4xx to schema-valid requests by rules a schema cannot state, and CONFIG says which, rather
than leaving them out: the token endpoint says 400 to a user name and password that do not match (the schema
describes well-formed requests, not which accounts exist); a finding's point must lie in the jurisdiction, and
a time sent by a phone may not be in the future nor a patrol end before its start (400); a campaign or patrol
named in a body must be the user's jurisdiction's (400); a summary's (and the map KPIs') period may not end before it
starts, and a summary's not last more than 400 days (400); a summary is resent only to members of the
jurisdiction with an email address (400 for other user ids); a drawn signature must be a PNG matching its SHA-256
and a refusal name its witness, ties a schema cannot state (400); a chunk of a video upload names its offset in one of two headers, Upload-Offset or
Content-Range, and OpenAPI cannot require one of two (400 without either); and a case action's body is the body of the action
named in the path, a tie OpenAPI cannot state (the body is anyOf the actions' bodies): a valid body of another
action, or the stale If-Match sent on purpose for half of the examples, is a 400 or a 412 there.

- Generated ids in paths are mapped onto the dataset's ids (both jurisdictions', so "not yours" 404s are
  exercised too); ids of a million and more are left as they are, as unknown ids.
- Case actions get the case's current ETag in If-Match for half of the examples (the other half test 412).
- Each example runs in a savepoint that is rolled back: POSTs (findings, photos, actions, patrols, summaries)
  do run, but no example sees what an earlier one changed, so the dataset is the same for every example and a
  failure replays the same way. No operation is excluded.
"""
import os
import hypothesis
import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from rest_framework.throttling import SimpleRateThrottle

from patrol.models import ApiToken
from patrol.choices import Role, Status
from patrol.models import Case
from tests.api.dataset import World

pytestmark = [pytest.mark.django_db]

MILLION = 1_000_000
# schemathesis' own list for positive_data_acceptance, plus the statuses named in the docstring.
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429"]

CONFIG = schemathesis.Config.from_dict({
    "generation": {
        "mode": "all",  # positive and negative examples
        # About two and a half minutes for the whole schema on one core; the coverage phase adds its own examples
        # (each parameter's boundaries and each kind of invalid value) on top of these.
        "max-examples": 25,
        "deterministic": True,  # the same examples on every run
        "database": "none",  # no .hypothesis/ directory
    },
    "phases": {"stateful": {"enabled": False}},
    # The first entry that matches an operation applies.
    "operations": [
        {"include-path": "/api/v1/cases/{id}/actions/{action}/",
         "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "400", "412"]}}},
        *({"include-path": path, "include-method": method,
           "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "400"]}}}
          for method, path in (("POST", "/api/v1/auth/token/"), ("POST", "/api/v1/cases/"),
                               ("POST", "/api/v1/cases/{id}/photos/"), ("POST", "/api/v1/patrols/"),
                               ("POST", "/api/v1/patrols/{id}/track/"), ("POST", "/api/v1/patrols/{id}/finish/"),
                               ("GET", "/api/v1/campaigns/{id}/summary/"), ("GET", "/api/v1/map/kpis/"),
                               ("POST", "/api/v1/campaigns/{id}/summary/send/"),
                               ("POST", "/api/v1/cases/{id}/signatures/"),
                               ("PATCH", "/api/v1/uploads/{id}/"),
                               # A 图斑's check needs its far, near and inside photos uploaded first and a position
                               # near it (or a reason); an assignment names the jurisdiction's own inspector.
                               ("POST", "/api/v1/tuban/{id}/verify/"), ("POST", "/api/v1/tuban/{id}/photos/"),
                               ("POST", "/api/v1/tuban/assign/"))),
    ],
})


@pytest.fixture
def dataset(jurisdiction, other_jurisdiction, settings, tmp_path, reused_renderings):
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
        "signatures": [world.signature(code).pk for code in ("TST", "OTH")],
        "patrols": [world.patrol(code).pk for code in ("TST", "OTH")],
        "campaigns": [world.campaign(code).pk for code in ("TST", "OTH")],
        "summaries": [world.summary(code).pk for code in ("TST", "OTH")],
        "exports": [world.export_job("TST", supervisor).pk, world.export_job("OTH", world.user("OTH", Role.SUPERVISOR)).pk],
        "jurisdictions": [jurisdiction.pk, other_jurisdiction.pk],
        "villages": [world.village(code).pk for code in ("TST", "OTH")],
        "tuban": [world.tuban(code).pk for code in ("TST", "OTH")],
        "batches": [world.tuban(code).batch_id for code in ("TST", "OTH")],
        # 执法公示 entries: one pending and one held back in each jurisdiction (hold and release both take them).
        "entries": [entry.pk for code in ("TST", "OTH") for entry in (world.disclosure_entry(code),
                                                                       world.held_entry(code))],
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
    """Generated ids onto the dataset's, by the resource named before ``{id}`` in the path."""
    pk = case.path_parameters.get("id") if case.path_parameters else None
    if not isinstance(pk, int) or isinstance(pk, bool) or not 0 <= pk < MILLION:
        return
    resource = case.operation.path.split("/{id}")[0].rsplit("/", 1)[-1]
    choices = ids.get(resource)
    assert choices, f"no dataset ids for {case.operation.path}"
    case.path_parameters["id"] = choices[pk % len(choices)]


def current_etag(case):
    pk = case.path_parameters.get("id")
    version = Case.objects.filter(pk=pk).values_list("version", flat=True).first() if isinstance(pk, int) else None
    return f'"{pk}-{version}"' if version is not None else None


@schema.parametrize()
# Fixed examples by default so that a suite run is reproducible (a random find must not fail an unrelated landing);
# SCHEMATHESIS_EXPLORE=1 draws new ones each run, as an outside fuzzer would — do that before resolving API work.
@hypothesis.settings(deadline=None, suppress_health_check=list(hypothesis.HealthCheck),
                     derandomize=not os.environ.get("SCHEMATHESIS_EXPLORE"))
def test_the_api_answers_as_its_schema_says(case, dataset, in_process):
    map_ids(case, dataset["ids"])
    if case.operation.path.endswith("/actions/{action}/") and isinstance(case.headers, dict):
        header = case.headers.get("If-Match")
        if isinstance(header, str) and len(header) % 2 == 0 and current_etag(case):
            case.headers["If-Match"] = current_etag(case)
    with transaction.atomic():
        # identity: the map's GeoJSON is gzipped for clients that accept it, and this in-process transport does
        # not unpack it as an HTTP client would.
        # No `checks=`: every check schemathesis has, as configured above.
        case.call_and_validate(headers={"Authorization": f"Token {dataset['token']}", "Accept-Encoding": "identity"})
        transaction.set_rollback(True)
